package httpstep

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

// The draft's form: an sf-string holding a version 4, variant 10 UUID.
var idempotencyKeyForm = regexp.MustCompile(`^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`)

func TestNewIdempotencyKey(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		k := newIdempotencyKey()
		if !idempotencyKeyForm.MatchString(k) {
			t.Fatalf("key %s is not a quoted lowercase UUID v4", k)
		}
		if seen[k] {
			t.Fatalf("key %s repeated", k)
		}
		seen[k] = true
	}
}

func TestNewWebhookID(t *testing.T) {
	form := regexp.MustCompile(`^msg_[A-Z2-7]{26}$`)
	seen := map[string]bool{}
	for range 2000 {
		id := newWebhookID()
		if !form.MatchString(id) || seen[id] {
			t.Fatalf("id %s: malformed or repeated", id)
		}
		seen[id] = true
	}
}

// TestSignHeadersAcrossAttempts checks what a retried signed push carries:
// the same id on every attempt, a fresh timestamp and signature each time,
// each verifiable on its own.
func TestSignHeadersAcrossAttempts(t *testing.T) {
	secret := Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	body := []byte(`{"purchase":42}`)
	id := newWebhookID()
	start := time.Unix(1_700_000_000, 0)
	var prev http.Header
	for i := range 3 {
		ts := start.Add(time.Duration(i) * 90 * time.Second)
		h := http.Header{}
		if err := signHeaders(h, secret, id, ts, body); err != nil {
			t.Fatal(err)
		}
		if h.Get(WebhookIDHeader) != id {
			t.Errorf("attempt %d: id %q, want %q", i+1, h.Get(WebhookIDHeader), id)
		}
		if err := Verify(secret, h, body, 0, ts.Add(time.Second)); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
		if prev != nil && (prev.Get(WebhookTimestampHeader) == h.Get(WebhookTimestampHeader) ||
			prev.Get(WebhookSignatureHeader) == h.Get(WebhookSignatureHeader)) {
			t.Errorf("attempt %d reused the previous timestamp or signature", i+1)
		}
		prev = h
	}
}

func TestSignHeadersError(t *testing.T) {
	h := http.Header{}
	if err := signHeaders(h, "", "msg_1", time.Now(), nil); err == nil {
		t.Fatal("empty secret signed")
	}
	if len(h) != 0 {
		t.Errorf("a failed signature left headers: %v", h)
	}
}
