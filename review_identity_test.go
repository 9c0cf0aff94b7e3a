package httpstep_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewOwnIdentityKept: a node that sets its own Idempotency-Key and
// webhook-id keeps them on every attempt and signs with that webhook-id.
func TestReviewOwnIdentityKept(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Clone())
		bodies = append(bodies, b)
		if len(seen) < 3 {
			w.WriteHeader(503)
			return
		}
	}))
	defer srv.Close()
	secret := httpstep.Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	c := &httpstep.Client{AllowPrivate: true, SigningSecret: secret}
	defer c.CloseIdleConnections()
	node := httpstep.PushNode(srv.URL, "record")
	node.Retry.InitialInterval = httpstep.Duration(time.Millisecond)
	node.Retry.MaxInterval = httpstep.Duration(2 * time.Millisecond)
	node.Headers = []httpstep.KeyValue{{Key: "Idempotency-Key", Value: "{{key}}"}, {Key: "webhook-id", Value: "msg_{{key}}"}}
	_, err := c.Execute(context.Background(), node, httpstep.Values{"key": "k-42", "record": map[string]any{"a": 1}})
	require.NoError(t, err)
	require.Len(t, seen, 3)
	for i, h := range seen {
		assert.Equal(t, []string{"k-42"}, h.Values("Idempotency-Key"))
		assert.Equal(t, []string{"msg_k-42"}, h.Values("Webhook-Id"))
		assert.NoError(t, httpstep.Verify(secret, h, bodies[i], time.Minute, time.Now()))
	}
}
