package durable

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// dedupReceiver processes each Idempotency-Key once, as a careful receiver
// does; it refuses the first request of every seventh key with a 503 so
// retries happen, and counts requests that come after it answered 200.
type dedupReceiver struct {
	*httptest.Server
	mu        sync.Mutex
	seen      map[string]int // requests per key
	done      map[string]bool
	processed int
	refused   int
	late      int // requests for a key already answered 200
}

func newDedupReceiver(t *testing.T) *dedupReceiver {
	r := &dedupReceiver{seen: map[string]int{}, done: map[string]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *dedupReceiver) serve(w http.ResponseWriter, req *http.Request) {
	key := req.Header.Get("Idempotency-Key")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[key]++
	switch {
	case r.done[key]:
		r.late++
	case len(r.seen)%7 == 0 && r.seen[key] == 1:
		r.refused++
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		r.done[key] = true
		r.processed++
	}
}

// stats returns the keys seen, those processed and the late requests.
func (r *dedupReceiver) stats() (keys, processed, late int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen), r.processed, r.late
}

// extra returns the requests beyond one per key and one per refusal: a
// push sent twice.
func (r *dedupReceiver) extra() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := -r.refused
	for _, c := range r.seen {
		n += c - 1
	}
	return n
}

// pushMany enqueues n pushes to the receiver, waits until it processed them
// all, checks that each was processed once and none sent after its receipt,
// and returns the pushes per second from the first enqueue to the last
// receipt.
func pushMany(t *testing.T, q *Queue, rcv *dedupReceiver, n int) float64 {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	ids := make([]int64, n)
	for i := range ids {
		var err error
		ids[i], err = q.Enqueue(ctx, fastPush(rcv.URL, 5), httpstep.Values{"record": map[string]any{"n": i}})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		_, processed, _ := rcv.stats()
		return processed >= n
	}, 60*time.Second, 10*time.Millisecond)
	rate := float64(n) / time.Since(start).Seconds()

	keys, processed, late := rcv.stats()
	assert.Equal(t, n, keys)
	assert.Equal(t, n, processed)
	assert.Zero(t, late, "requests after a receipt")
	assert.Zero(t, rcv.extra(), "pushes sent twice")
	for _, id := range ids {
		waitState(t, q, id, StateDelivered, 5*time.Second)
	}
	return rate
}

// TestManyPushesExactlyOnce: 1,000 pushes (100 under -race) to a
// deduplicating receiver are all delivered, each processed once, and none
// sent after its receipt.
func TestManyPushesExactlyOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		rcv := newDedupReceiver(t)
		cfg := fastConfig()
		cfg.Workers = 20
		q := db.open(t, cfg)
		startT(t, q)
		rate := pushMany(t, q, rcv, loadPushes)
		t.Logf("%s: %d pushes, %.0f pushes/s", t.Name(), loadPushes, rate)
	})
}
