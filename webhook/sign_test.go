package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/httpstep/httpstep/webhook"
)

// The reference vector of the Standard Webhooks libraries
// (libraries/go/webhook_test.go, TestWebhookSign).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignReferenceVector(t *testing.T) {
	got, err := webhook.Sign(vectorSecret, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	if err != nil || got != vectorSignature {
		t.Errorf("Sign = %q, %v; want %q", got, err, vectorSignature)
	}
}

// TestSignRawSecret checks a secret without the whsec_ prefix against an
// HMAC computed here with crypto/hmac directly: its bytes are the key.
func TestSignRawSecret(t *testing.T) {
	secret := "plain shared secret, not base64!"
	ts := time.Unix(1700000000, 999_000_000) // sub-second parts are dropped
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("msg_abc.1700000000.hello"))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	got, err := webhook.Sign(secret, "msg_abc", ts, []byte("hello"))
	if err != nil || got != want {
		t.Errorf("Sign = %q, %v; want %q", got, err, want)
	}
}

func TestSignErrors(t *testing.T) {
	tests := []struct {
		secret string
		id     string
		kind   error
		want   string
	}{
		{"", "msg_1", webhook.ErrSecret, "signing secret is empty"},
		{"whsec_***not base64***", "msg_1", webhook.ErrSecret, "not valid base64"},
		{"whsec_", "msg_1", webhook.ErrSecret, "not valid base64"},
		{vectorSecret, "", webhook.ErrMessageID, "message id"},
		{vectorSecret, "msg.1", webhook.ErrMessageID, "message id"},
	}
	for _, tt := range tests {
		sig, err := webhook.Sign(tt.secret, tt.id, time.Unix(0, 0), nil)
		if err == nil || sig != "" || !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "httpstep: webhook: ") {
			t.Errorf("Sign(id %q) = %q, %v; want an error %v containing %q", tt.id, sig, err, tt.kind, tt.want)
		}
	}
}

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	ts := time.Unix(vectorTimestamp, 0)
	if err := webhook.SetHeaders(h, vectorSecret, vectorID, ts, []byte(vectorBody)); err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"Webhook-Id":        {vectorID},
		"Webhook-Timestamp": {"1614265330"},
		"Webhook-Signature": {vectorSignature},
	}
	if len(h) != len(want) {
		t.Fatalf("headers %v, want %v", h, want)
	}
	for k, v := range want {
		if h.Get(k) != v[0] {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v[0])
		}
	}
	v := webhook.Verifier{Now: func() time.Time { return ts }}
	if err := v.Verify(vectorSecret, h, []byte(vectorBody)); err != nil {
		t.Errorf("own headers rejected: %v", err)
	}

	empty := http.Header{}
	if err := webhook.SetHeaders(empty, "", vectorID, ts, nil); !errors.Is(err, webhook.ErrSecret) || len(empty) != 0 {
		t.Errorf("SetHeaders with no secret = %v, headers %v; want ErrSecret and no headers", err, empty)
	}
}
