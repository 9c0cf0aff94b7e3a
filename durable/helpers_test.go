package durable

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// loopback is a Client that may reach the test receivers on loopback.
var loopback = &httpstep.Client{AllowPrivate: true}

// fastConfig polls often so the tests wait little.
func fastConfig() Config {
	return Config{Client: loopback, Poll: 10 * time.Millisecond}
}

// fastPush is the product's push with retries milliseconds apart.
func fastPush(url string, attempts int) *httpstep.NodeConfig {
	n := httpstep.PushNode(url, "record")
	n.Timeout = httpstep.Duration(2 * time.Second)
	n.Retry = &httpstep.RetryPolicy{MaxAttempts: attempts, InitialInterval: httpstep.Duration(10 * time.Millisecond), MaxInterval: httpstep.Duration(20 * time.Millisecond)}
	return n
}

// openSQLiteT opens a Queue on path (a new temporary file when empty) and
// closes it when the test ends.
func openSQLiteT(t *testing.T, path string, cfg Config) *Queue {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "queue.db")
	}
	q, err := OpenSQLite(context.Background(), path, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, q.Close(context.Background())) })
	return q
}

// startT starts q; Close stops it.
func startT(t *testing.T, q *Queue) {
	t.Helper()
	require.NoError(t, q.Start(context.Background()))
}

// receiver is a loopback push receiver answering from a script of statuses
// (the last one repeats) and recording every request's identity.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	keys     []string // Idempotency-Key of each request, in order
	ids      []string // webhook-id of each request
	bodies   []string
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body := make([]byte, 4096)
	n, _ := req.Body.Read(body)
	r.mu.Lock()
	i := min(len(r.keys), len(r.statuses)-1)
	r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
	r.ids = append(r.ids, req.Header.Get(httpstep.WebhookIDHeader))
	r.bodies = append(r.bodies, string(body[:n]))
	status := r.statuses[i]
	r.mu.Unlock()
	w.WriteHeader(status)
}

// requests returns how many requests arrived.
func (r *receiver) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys)
}

// waitState polls q until delivery id reaches state, and returns it.
func waitState(t *testing.T, q *Queue, id int64, state string, within time.Duration) *Delivery {
	t.Helper()
	var d *Delivery
	require.Eventually(t, func() bool {
		var err error
		d, err = q.Delivery(context.Background(), id)
		require.NoError(t, err)
		return d.State == state
	}, within, 5*time.Millisecond, "delivery %d never became %s", id, state)
	return d
}

// numbers returns the N of each attempt.
func numbers(as []httpstep.Attempt) []int {
	ns := make([]int, len(as))
	for i, a := range as {
		ns[i] = a.N
	}
	return ns
}
