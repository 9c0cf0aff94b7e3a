package httpstep_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/httpstep/httpstep"
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
	got, err := httpstep.Sign(vectorSecret, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
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
	got, err := httpstep.Sign(httpstep.Secret(secret), "msg_abc", ts, []byte("hello"))
	if err != nil || got != want {
		t.Errorf("Sign = %q, %v; want %q", got, err, want)
	}
}

func TestSignErrors(t *testing.T) {
	tests := []struct {
		secret httpstep.Secret
		id     string
		want   string
	}{
		{"", "msg_1", "signing secret is empty"},
		{"whsec_***not base64***", "msg_1", "not valid base64"},
		{"whsec_", "msg_1", "not valid base64"},
		{vectorSecret, "", "message id"},
		{vectorSecret, "msg.1", "message id"},
	}
	for _, tt := range tests {
		sig, err := httpstep.Sign(tt.secret, tt.id, time.Unix(0, 0), nil)
		if err == nil || sig != "" || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "httpstep: webhook: ") {
			t.Errorf("Sign(id %q) = %q, %v; want an error containing %q", tt.id, sig, err, tt.want)
		}
	}
}

// signed returns the headers of the reference vector's push, with the
// signature header replaced by sig when sig is not empty.
func signed(ts int64, sig string) http.Header {
	if sig == "" {
		sig = vectorSignature
	}
	h := http.Header{}
	h.Set("webhook-id", vectorID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", sig)
	return h
}

func TestVerify(t *testing.T) {
	at := time.Unix(vectorTimestamp, 0)
	ok := signed(vectorTimestamp, "")
	without := func(name string) http.Header { h := ok.Clone(); h.Del(name); return h }
	with := func(name, v string) http.Header { h := ok.Clone(); h.Set(name, v); return h }
	other := "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	twoLines := signed(vectorTimestamp, other)
	twoLines.Add("webhook-signature", vectorSignature)
	tests := []struct {
		name      string
		secret    httpstep.Secret
		header    http.Header
		body      string
		tolerance time.Duration
		now       time.Time
		want      string // "" = valid
	}{
		{"valid", vectorSecret, ok, vectorBody, 0, at, ""},
		{"valid, unprefixed secret is raw bytes", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ok, vectorBody, 0, at, "no signature matches"},
		{"rotation list", vectorSecret, signed(vectorTimestamp, "v1a,AAAA "+other+"  "+vectorSignature), vectorBody, 0, at, ""},
		{"signatures on two header lines", vectorSecret, twoLines, vectorBody, 0, at, ""},
		{"4m59s late", vectorSecret, ok, vectorBody, 0, at.Add(299 * time.Second), ""},
		{"5m late is the edge", vectorSecret, ok, vectorBody, 0, at.Add(5 * time.Minute), ""},
		{"5m1s late", vectorSecret, ok, vectorBody, 0, at.Add(301 * time.Second), "more than 5m0s from now"},
		{"5m1s early", vectorSecret, ok, vectorBody, 0, at.Add(-301 * time.Second), "more than 5m0s from now"},
		{"custom tolerance", vectorSecret, ok, vectorBody, time.Hour, at.Add(59 * time.Minute), ""},
		{"custom tolerance exceeded", vectorSecret, ok, vectorBody, time.Minute, at.Add(61 * time.Second), "more than 1m0s"},
		{"far-future timestamp", vectorSecret, signed(1<<62, ""), vectorBody, 0, at, "more than 5m0s"},
		{"largest timestamp", vectorSecret, signed(1<<63-1, ""), vectorBody, 0, at, "more than 5m0s"},
		{"smallest timestamp", vectorSecret, signed(-1<<63, ""), vectorBody, 0, at, "more than 5m0s"},
		{"tampered body", vectorSecret, ok, `{"test": 2432232315}`, 0, at, "no signature matches"},
		{"re-encoded body", vectorSecret, ok, `{"test":2432232314}`, 0, at, "no signature matches"},
		{"wrong secret", httpstep.Secret("whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret of 24 bytes"))), ok, vectorBody, 0, at, "no signature matches"},
		{"only other versions", vectorSecret, signed(vectorTimestamp, "v1a,"+vectorSignature[3:]+" v2,x"), vectorBody, 0, at, "no v1 signature"},
		{"broken base64", vectorSecret, signed(vectorTimestamp, "v1,!!!"), vectorBody, 0, at, "no signature matches"},
		{"no comma", vectorSecret, signed(vectorTimestamp, "g0hM9SsE"), vectorBody, 0, at, "no v1 signature"},
		{"missing id", vectorSecret, without("webhook-id"), vectorBody, 0, at, "header webhook-id is missing"},
		{"missing timestamp", vectorSecret, without("webhook-timestamp"), vectorBody, 0, at, "header webhook-timestamp is missing"},
		{"missing signature", vectorSecret, without("webhook-signature"), vectorBody, 0, at, "header webhook-signature is missing"},
		{"blank signature", vectorSecret, signed(vectorTimestamp, "   "), vectorBody, 0, at, "header webhook-signature is missing"},
		{"timestamp not a number", vectorSecret, with("webhook-timestamp", "1614265330.5"), vectorBody, 0, at, `"1614265330.5" is not Unix seconds`},
		{"timestamp with a sign", vectorSecret, with("webhook-timestamp", "+1614265330"), vectorBody, 0, at, "is not Unix seconds"},
		{"timestamp with a leading zero", vectorSecret, with("webhook-timestamp", "01614265330"), vectorBody, 0, at, "is not Unix seconds"},
		{"empty secret", "", ok, vectorBody, 0, at, "signing secret is empty"},
		{"bad whsec secret", "whsec_%%%", ok, vectorBody, 0, at, "not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := httpstep.Verify(tt.secret, tt.header, []byte(tt.body), tt.tolerance, tt.now)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Verify = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Verify = %v, want an error containing %q", err, tt.want)
			case err != nil && !strings.HasPrefix(err.Error(), "httpstep: webhook: "):
				t.Errorf("error %q lacks the package prefix", err)
			case err != nil && tt.secret != "" && strings.Contains(err.Error(), string(tt.secret)):
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(vectorTimestamp, 0)
	f.Add(vectorID, "1614265330", vectorSignature, []byte(vectorBody))
	f.Add("", "", "", []byte{})
	f.Add("msg_1", "-9223372036854775808", "v1,", []byte("x"))
	f.Add("msg_1", "99999999999999999999", "v1a,abc v1,=== ,,", []byte("x"))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
		err := httpstep.Verify(vectorSecret, h, body, 0, now)
		if err == nil && sig == "" {
			t.Fatal("verified without a signature")
		}
		// Whatever the id and body, what Sign produces must verify.
		good, err := httpstep.Sign(vectorSecret, id, now, body)
		if err != nil {
			return
		}
		h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set("webhook-signature", good)
		if err := httpstep.Verify(vectorSecret, h, body, 0, now); err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
	})
}

func ExampleSign() {
	sig, err := httpstep.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	fmt.Println(sig, err)
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= <nil>
}

// A receiver checks each push before it trusts the body, then deduplicates on
// the webhook-id header, which a retried push repeats.
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
