package webhook_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/httpstep/httpstep/webhook"
)

func ExampleSign() {
	sig, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	fmt.Println(sig, err)
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= <nil>
}

// A receiver checks each push before it trusts the body, then deduplicates on
// the webhook-id header, which a retried push repeats. errors.Is tells a
// stale push from a forged one.
func ExampleVerifier() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"purchase":42,"status":"approved"}`)
	sent := time.Unix(1700000000, 0)
	header := http.Header{}
	_ = webhook.SetHeaders(header, secret, "msg_1", sent, body)

	v := webhook.Verifier{Now: func() time.Time { return sent.Add(3 * time.Second) }}
	fmt.Println(v.Verify(secret, header, body))
	err := v.Verify(secret, header, []byte(`{"purchase":43}`))
	fmt.Println(errors.Is(err, webhook.ErrSignature), err)
	v.Now = func() time.Time { return sent.Add(time.Hour) }
	err = v.Verify(secret, header, body)
	fmt.Println(errors.Is(err, webhook.ErrExpired), err)
	// Output:
	// <nil>
	// true httpstep: webhook: no signature matches; check the secret, and pass the body exactly as received
	// true httpstep: webhook: timestamp 1700000000 is more than 5m0s from now; reject it as a possible replay, or check the clocks
}

// A receiver's handler: Verify reads the real clock.
func ExampleVerify() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	receive := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = webhook.Verify(secret, r.Header, body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		// Deduplicate on r.Header.Get(webhook.IDHeader), then act on body.
		w.WriteHeader(http.StatusNoContent)
	}

	body := `{"purchase":42}`
	r := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(body))
	_ = webhook.SetHeaders(r.Header, secret, "msg_1", time.Now(), []byte(body))
	w := httptest.NewRecorder()
	receive(w, r)
	fmt.Println(w.Code)

	r = httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(body))
	w = httptest.NewRecorder()
	receive(w, r)
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// 204
	// 401 httpstep: webhook: header webhook-id is missing; the push was not signed with Standard Webhooks
}
