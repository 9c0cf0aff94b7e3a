package httpstep_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/webhook"
)

// The engine's tests are in the webhook package; these check that the root
// package's names delegate to it, passing tolerance and clock through.

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestSignDelegates(t *testing.T) {
	at := time.Unix(1614265330, 0)
	want, err := webhook.Sign(secret, "msg_1", at, []byte("body"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := httpstep.Sign(secret, "msg_1", at, []byte("body")); got != want || err != nil {
		t.Errorf("Sign = %q, %v; want %q", got, err, want)
	}
	if _, err := httpstep.Sign("", "msg_1", at, nil); !errors.Is(err, webhook.ErrSecret) {
		t.Errorf("Sign with no secret = %v, want webhook.ErrSecret", err)
	}
}

func TestVerify(t *testing.T) {
	at := time.Unix(1614265330, 0)
	const body = `{"test": 2432232314}`
	h := http.Header{}
	if err := webhook.SetHeaders(h, secret, "msg_1", at, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if h.Get(httpstep.WebhookIDHeader) != "msg_1" || h.Get(httpstep.WebhookTimestampHeader) != "1614265330" || h.Get(httpstep.WebhookSignatureHeader) == "" {
		t.Fatalf("the root's header names differ from the webhook package's: %v", h)
	}
	tests := []struct {
		name      string
		body      string
		tolerance time.Duration
		now       time.Time
		kind      error // nil = valid
	}{
		{"valid", body, 0, at, nil},
		{"now is passed through", body, 0, at.Add(301 * time.Second), webhook.ErrExpired},
		{"zero tolerance is the default", body, 0, at.Add(-299 * time.Second), nil},
		{"tolerance is passed through", body, time.Hour, at.Add(59 * time.Minute), nil},
		{"tolerance exceeded", body, time.Minute, at.Add(61 * time.Second), webhook.ErrExpired},
		{"tampered body", body + " ", 0, at, webhook.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := httpstep.Verify(secret, h, []byte(tt.body), tt.tolerance, tt.now)
			if !errors.Is(err, tt.kind) || (tt.kind == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.kind)
			}
		})
	}
}

func ExampleSign() {
	sig, err := httpstep.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	fmt.Println(sig, err)
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= <nil>
}

// A receiver checks each push before it trusts the body, then deduplicates on
// the webhook-id header, which a retried push repeats. A receiver that needs
// nothing else of httpstep imports the webhook package instead.
func ExampleVerify() {
	secret := httpstep.Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	body := []byte(`{"purchase":42,"status":"approved"}`)
	sent := time.Unix(1700000000, 0)
	sig, _ := httpstep.Sign(secret, "msg_1", sent, body)
	header := http.Header{}
	header.Set("webhook-id", "msg_1")
	header.Set("webhook-timestamp", "1700000000")
	header.Set("webhook-signature", sig)

	fmt.Println(httpstep.Verify(secret, header, body, 0, sent.Add(3*time.Second)))
	fmt.Println(httpstep.Verify(secret, header, []byte(`{"purchase":43}`), 0, sent))
	fmt.Println(httpstep.Verify(secret, header, body, 0, sent.Add(time.Hour)))
	// Output:
	// <nil>
	// httpstep: webhook: no signature matches; check the secret, and pass the body exactly as received
	// httpstep: webhook: timestamp 1700000000 is more than 5m0s from now; reject it as a possible replay, or check the clocks
}
