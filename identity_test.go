package httpstep

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep/webhook"
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
		if h.Get(webhook.IDHeader) != id {
			t.Errorf("attempt %d: id %q, want %q", i+1, h.Get(webhook.IDHeader), id)
		}
		if err := verifyAt(secret, h, body, ts.Add(time.Second)); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
		if prev != nil && (prev.Get(webhook.TimestampHeader) == h.Get(webhook.TimestampHeader) ||
			prev.Get(webhook.SignatureHeader) == h.Get(webhook.SignatureHeader)) {
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

// TestSignedPagesOwnIdentity: every page of a signed pull is a message of
// its own, with its own webhook-id and Idempotency-Key, so a receiver that
// deduplicates on webhook-id (as Verify's doc tells it to) keeps every page.
func TestSignedPagesOwnIdentity(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if n, _ := strconv.Atoi(r.URL.Query().Get("page")); n <= 3 {
			fmt.Fprintf(w, `{"items":[%d]}`, n)
			return
		}
		io.WriteString(w, `{"items":[]}`)
	})
	c := testClient(t)
	c.SigningSecret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	node := &NodeConfig{Method: "POST", URL: srv.URL, Sign: true,
		Paginate: &Pagination{Mode: PaginatePage, Param: "page", ItemsPath: "items"}}
	res, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `[1,2,3]`, string(res.Body))
	ids, keys := map[string]bool{}, map[string]bool{}
	for _, r := range srv.reqs {
		ids[r.Header.Get(webhook.IDHeader)] = true
		keys[r.Header.Get(idempotencyHeader)] = true
		require.NoError(t, verifyAt(c.SigningSecret, r.Header, r.Body, time.Now()))
	}
	assert.Len(t, ids, 4, "one webhook-id per page")
	assert.Len(t, keys, 4, "one Idempotency-Key per page")
}

// TestOwnIdentityKept: a node that sets its own Idempotency-Key and
// webhook-id keeps them on every attempt and signs with that webhook-id.
func TestOwnIdentityKept(t *testing.T) {
	srv := scripted(t, status(503), status(503), status(200))
	c := testClient(t)
	c.SigningSecret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	stubEnv(c, 0, nil)
	node := PushNode(srv.URL, "record")
	node.Headers = []KeyValue{{Key: "Idempotency-Key", Value: "delivery-{{record.id}}"}, {Key: "webhook-id", Value: "msg_{{record.id}}"}}
	_, err := c.Execute(context.Background(), node, Values{"record": map[string]any{"id": 42}})
	require.NoError(t, err)
	require.Equal(t, 3, srv.count())
	for _, r := range srv.reqs {
		assert.Equal(t, []string{"delivery-42"}, r.Header.Values(idempotencyHeader), "the node's key, once")
		assert.Equal(t, []string{"msg_42"}, r.Header.Values(webhook.IDHeader), "the node's webhook-id, once")
		assert.NoError(t, verifyAt(c.SigningSecret, r.Header, r.Body, time.Now()))
	}
}
