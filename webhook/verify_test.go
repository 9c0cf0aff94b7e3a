package webhook_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/httpstep/httpstep/webhook"
)

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

func TestVerifier(t *testing.T) {
	at := time.Unix(vectorTimestamp, 0)
	ok := signed(vectorTimestamp, "")
	without := func(name string) http.Header { h := ok.Clone(); h.Del(name); return h }
	with := func(name, v string) http.Header { h := ok.Clone(); h.Set(name, v); return h }
	other := "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	twoLines := signed(vectorTimestamp, other)
	twoLines.Add("webhook-signature", vectorSignature)
	wrongSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret of 24 bytes"))
	tests := []struct {
		name      string
		secret    string
		header    http.Header
		body      string
		tolerance time.Duration
		now       time.Time
		kind      error  // nil = valid
		want      string // part of the message
	}{
		{"valid", vectorSecret, ok, vectorBody, 0, at, nil, ""},
		{"unprefixed secret is raw bytes", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ok, vectorBody, 0, at, webhook.ErrSignature, "no signature matches"},
		{"rotation list", vectorSecret, signed(vectorTimestamp, "v1a,AAAA "+other+"  "+vectorSignature), vectorBody, 0, at, nil, ""},
		{"signatures on two header lines", vectorSecret, twoLines, vectorBody, 0, at, nil, ""},
		{"4m59s late", vectorSecret, ok, vectorBody, 0, at.Add(299 * time.Second), nil, ""},
		{"5m late is the edge", vectorSecret, ok, vectorBody, 0, at.Add(5 * time.Minute), nil, ""},
		{"5m early is the edge", vectorSecret, ok, vectorBody, 0, at.Add(-5 * time.Minute), nil, ""},
		{"5m1s late", vectorSecret, ok, vectorBody, 0, at.Add(301 * time.Second), webhook.ErrExpired, "more than 5m0s from now"},
		{"5m1s early", vectorSecret, ok, vectorBody, 0, at.Add(-301 * time.Second), webhook.ErrExpired, "more than 5m0s from now"},
		{"negative tolerance is the default", vectorSecret, ok, vectorBody, -time.Hour, at.Add(301 * time.Second), webhook.ErrExpired, "more than 5m0s"},
		{"custom tolerance", vectorSecret, ok, vectorBody, time.Hour, at.Add(59 * time.Minute), nil, ""},
		{"custom tolerance exceeded", vectorSecret, ok, vectorBody, time.Minute, at.Add(61 * time.Second), webhook.ErrExpired, "more than 1m0s"},
		{"far-future timestamp", vectorSecret, signed(1<<62, ""), vectorBody, 0, at, webhook.ErrExpired, "more than 5m0s"},
		{"largest timestamp", vectorSecret, signed(1<<63-1, ""), vectorBody, 0, at, webhook.ErrExpired, "more than 5m0s"},
		{"smallest timestamp", vectorSecret, signed(-1<<63, ""), vectorBody, 0, at, webhook.ErrExpired, "more than 5m0s"},
		{"expired and tampered: time first", vectorSecret, ok, "tampered", 0, at.Add(time.Hour), webhook.ErrExpired, "possible replay"},
		{"tampered body", vectorSecret, ok, `{"test": 2432232315}`, 0, at, webhook.ErrSignature, "no signature matches"},
		{"re-encoded body", vectorSecret, ok, `{"test":2432232314}`, 0, at, webhook.ErrSignature, "no signature matches"},
		{"wrong secret", wrongSecret, ok, vectorBody, 0, at, webhook.ErrSignature, "no signature matches"},
		{"only other versions", vectorSecret, signed(vectorTimestamp, "v1a,"+vectorSignature[3:]+" v2,x"), vectorBody, 0, at, webhook.ErrSignature, "no v1 signature"},
		{"broken base64", vectorSecret, signed(vectorTimestamp, "v1,!!!"), vectorBody, 0, at, webhook.ErrSignature, "no signature matches"},
		{"no comma", vectorSecret, signed(vectorTimestamp, "g0hM9SsE"), vectorBody, 0, at, webhook.ErrSignature, "no v1 signature"},
		{"missing id", vectorSecret, without("webhook-id"), vectorBody, 0, at, webhook.ErrMissingHeader, "header webhook-id is missing"},
		{"missing timestamp", vectorSecret, without("webhook-timestamp"), vectorBody, 0, at, webhook.ErrMissingHeader, "header webhook-timestamp is missing"},
		{"missing signature", vectorSecret, without("webhook-signature"), vectorBody, 0, at, webhook.ErrMissingHeader, "header webhook-signature is missing"},
		{"blank signature", vectorSecret, signed(vectorTimestamp, "   "), vectorBody, 0, at, webhook.ErrMissingHeader, "header webhook-signature is missing"},
		{"timestamp not a number", vectorSecret, with("webhook-timestamp", "1614265330.5"), vectorBody, 0, at, webhook.ErrTimestamp, `"1614265330.5" is not Unix seconds`},
		{"timestamp with a sign", vectorSecret, with("webhook-timestamp", "+1614265330"), vectorBody, 0, at, webhook.ErrTimestamp, "is not Unix seconds"},
		{"timestamp with a leading zero", vectorSecret, with("webhook-timestamp", "01614265330"), vectorBody, 0, at, webhook.ErrTimestamp, "is not Unix seconds"},
		{"long timestamp is clipped", vectorSecret, with("webhook-timestamp", strings.Repeat("9", 40)), vectorBody, 0, at, webhook.ErrTimestamp, `"` + strings.Repeat("9", 32) + `..." is not`},
		{"empty secret", "", ok, vectorBody, 0, at, webhook.ErrSecret, "signing secret is empty"},
		{"bad whsec secret", "whsec_%%%", ok, vectorBody, 0, at, webhook.ErrSecret, "not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := webhook.Verifier{Tolerance: tt.tolerance, Now: func() time.Time { return tt.now }}
			err := v.Verify(tt.secret, tt.header, []byte(tt.body))
			checkErr(t, err, tt.kind, tt.want, tt.secret)
		})
	}
}

// checkErr checks that err is nil when kind is, and otherwise an
// *webhook.Error of that kind whose message contains want, carries the
// prefix and not the secret.
func checkErr(t *testing.T, err, kind error, want, secret string) {
	t.Helper()
	var we *webhook.Error
	switch {
	case kind == nil && err != nil:
		t.Errorf("Verify = %v, want nil", err)
	case kind == nil:
	case !errors.Is(err, kind) || !errors.As(err, &we):
		t.Errorf("Verify = %v, want an *Error of kind %v", err, kind)
	case !strings.Contains(err.Error(), want):
		t.Errorf("Verify = %v, want an error containing %q", err, want)
	case !strings.HasPrefix(err.Error(), "httpstep: webhook: "):
		t.Errorf("error %q lacks the package prefix", err)
	case secret != "" && strings.Contains(err.Error(), secret):
		t.Errorf("error %q shows the secret", err)
	}
}

// TestVerifyDefaults: the package-level Verify reads the real clock with a
// 5-minute tolerance.
func TestVerifyDefaults(t *testing.T) {
	body := []byte(`{"ok":true}`)
	for _, tt := range []struct {
		name string
		age  time.Duration
		kind error
	}{
		{"now", 0, nil},
		{"4 minutes old", 4 * time.Minute, nil},
		{"6 minutes old", 6 * time.Minute, webhook.ErrExpired},
		{"6 minutes ahead", -6 * time.Minute, webhook.ErrExpired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if err := webhook.SetHeaders(h, vectorSecret, "msg_1", time.Now().Add(-tt.age), body); err != nil {
				t.Fatal(err)
			}
			checkErr(t, webhook.Verify(vectorSecret, h, body), tt.kind, "", vectorSecret)
		})
	}
}

// TestErrorsAreDistinct: each sentinel is itself only.
func TestErrorsAreDistinct(t *testing.T) {
	all := []error{webhook.ErrSecret, webhook.ErrMessageID, webhook.ErrMissingHeader,
		webhook.ErrTimestamp, webhook.ErrExpired, webhook.ErrSignature}
	for i, a := range all {
		if !strings.HasPrefix(a.Error(), "httpstep: webhook: ") {
			t.Errorf("%q lacks the prefix", a)
		}
		for j, b := range all {
			if (i == j) != errors.Is(&webhook.Error{Kind: a}, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, i != j)
			}
		}
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(vectorTimestamp, 0)
	f.Add(vectorID, "1614265330", vectorSignature, []byte(vectorBody))
	f.Add("", "", "", []byte{})
	f.Add("msg_1", "-9223372036854775808", "v1,", []byte("x"))
	f.Add("msg_1", "99999999999999999999", "v1a,abc v1,=== ,,", []byte("x"))
	f.Add("msg_1", "1614265330", " \t v1,\xff v1a ", []byte("x"))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		v := webhook.Verifier{Now: func() time.Time { return now }}
		h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
		err := v.Verify(vectorSecret, h, body)
		var we *webhook.Error
		if err != nil && !errors.As(err, &we) {
			t.Fatalf("error %v is not an *Error", err)
		}
		if err == nil && strings.TrimSpace(sig) == "" {
			t.Fatal("verified without a signature")
		}
		// Whatever the id and body, what Sign produces must verify.
		good, err := webhook.Sign(vectorSecret, id, now, body)
		if err != nil {
			return
		}
		h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set("webhook-signature", good)
		if err := v.Verify(vectorSecret, h, body); err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
	})
}
