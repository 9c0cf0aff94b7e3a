package durable

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

var order = httpstep.Values{"record": map[string]any{"id": 42, "total": "19.90"}}

func TestDeliveryRetriedUntilSuccessKeepsOneIdentity(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		rcv := newReceiver(t, 500, 503, 429, 200)
		q := db.open(t, fastConfig())
		ctx := context.Background()
		id, err := q.Enqueue(ctx, fastPush(rcv.URL, 10), order)
		require.NoError(t, err)
		startT(t, q)

		d := waitState(t, q, id, StateDelivered, 10*time.Second)
		assert.Equal(t, 4, rcv.requests())
		assert.Equal(t, []int{1, 2, 3, 4}, numbers(d.Attempts))
		assert.Nil(t, d.Failure)
		for i := range rcv.keys {
			assert.Equal(t, rcv.keys[0], rcv.keys[i], "attempt %d's Idempotency-Key", i+1)
			assert.Equal(t, rcv.ids[0], rcv.ids[i], "attempt %d's webhook-id", i+1)
			assert.JSONEq(t, `{"id":42,"total":"19.90"}`, rcv.bodies[i])
		}
		assert.Regexp(t, `^"[0-9a-f-]{36}"$`, rcv.keys[0])
		assert.Regexp(t, `^msg_[A-Z2-7]{26}$`, rcv.ids[0])
		assert.True(t, d.Attempts[0].Retry.Retry)
		assert.Equal(t, 200, d.Attempts[3].Response.Status)
	})
}

// TestDeliverySurvivesRestart: a Queue stopped between attempts leaves the
// delivery pending in the file; a new Queue on the same file finishes it
// with the same identity, and the history counts on across both.
func TestDeliverySurvivesRestart(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		rcv := newReceiver(t, 503, 503, 200)
		rcv.after = "1" // room to stop between attempts
		ctx := context.Background()
		first := db.open(t, fastConfig())
		node := fastPush(rcv.URL, 10)
		node.Retry.MaxInterval = httpstep.Duration(time.Second)
		id, err := first.Enqueue(ctx, node, order)
		require.NoError(t, err)
		require.NoError(t, first.Start(ctx))
		require.Eventually(t, func() bool { return rcv.requests() == 1 }, 5*time.Second, 5*time.Millisecond)
		require.NoError(t, first.Close(ctx))

		d, err := db.open(t, fastConfig()).Delivery(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, StatePending, d.State)
		require.Len(t, d.Attempts, 1, "the first attempt's record was kept")
		assert.Equal(t, 1, rcv.requests(), "nothing sent while no queue ran")

		second := db.open(t, fastConfig())
		startT(t, second)
		d = waitState(t, second, id, StateDelivered, 10*time.Second)
		assert.Equal(t, []int{1, 2, 3}, numbers(d.Attempts))
		assert.Equal(t, 3, rcv.requests())
		assert.Equal(t, []string{rcv.keys[0], rcv.keys[0], rcv.keys[0]}, rcv.keys)
		assert.Equal(t, []string{rcv.ids[0], rcv.ids[0], rcv.ids[0]}, rcv.ids)
	})
}

// TestDeliveryFailsAfterMaxAttempts: a receiver that always fails sees
// exactly maxAttempts requests; the delivery ends failed with its history
// and the last failure.
func TestDeliveryFailsAfterMaxAttempts(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		rcv := newReceiver(t, 500)
		q := db.open(t, fastConfig())
		startT(t, q)
		id, err := q.Enqueue(context.Background(), fastPush(rcv.URL, 4), order)
		require.NoError(t, err)

		d := waitState(t, q, id, StateFailed, 10*time.Second)
		time.Sleep(50 * time.Millisecond) // a fifth request would come now
		assert.Equal(t, 4, rcv.requests())
		assert.Equal(t, []int{1, 2, 3, 4}, numbers(d.Attempts))
		require.NotNil(t, d.Failure)
		assert.Equal(t, httpstep.KindStatus, d.Failure.Kind)
		assert.Equal(t, 500, d.Failure.StatusCode)
		assert.Equal(t, "kind status: gave up after 4 attempts", d.Attempts[3].Retry.Reason)
		assert.False(t, d.Attempts[3].Retry.Retry)
	})
}

// TestBlockedDestinationCancelled: the SSRF guard's refusal is not worth
// retrying: the delivery is cancelled after one attempt, nothing sent.
func TestBlockedDestinationCancelled(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		rcv := newReceiver(t, 200)
		cfg := fastConfig()
		cfg.Client = &httpstep.Client{} // the guard is on: loopback is refused
		q := db.open(t, cfg)
		startT(t, q)
		id, err := q.Enqueue(context.Background(), fastPush(rcv.URL, 10), order)
		require.NoError(t, err)

		d := waitState(t, q, id, StateFailed, 10*time.Second)
		assert.Equal(t, 0, rcv.requests())
		require.Len(t, d.Attempts, 1)
		assert.Equal(t, httpstep.KindBlocked, d.Failure.Kind)
		assert.Equal(t, "kind blocked is not retried: the delivery is cancelled", d.Attempts[0].Retry.Reason)
	})
}

// TestRetryAfterHonoured: the receiver's Retry-After sets the wait, as in
// process, up to the node's MaxInterval.
func TestRetryAfterHonoured(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		var mu sync.Mutex
		var first time.Time
		var gap time.Duration
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if first.IsZero() {
				first = time.Now()
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(503)
				return
			}
			gap = time.Since(first)
		}))
		defer srv.Close()
		q := db.open(t, fastConfig())
		startT(t, q)
		node := fastPush(srv.URL, 3)
		node.Retry.MaxInterval = httpstep.Duration(5 * time.Second)
		id, err := q.Enqueue(context.Background(), node, order)
		require.NoError(t, err)
		d := waitState(t, q, id, StateDelivered, 10*time.Second)
		mu.Lock()
		defer mu.Unlock()
		assert.GreaterOrEqual(t, gap, time.Second)
		assert.Equal(t, httpstep.Duration(time.Second), d.Attempts[0].Retry.Wait)
	})
}

// TestNeverStartedQueue: a Queue that never starts enqueues and answers
// Delivery; another process may do the work.
func TestNeverStartedQueue(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		q := db.open(t, fastConfig())
		ctx := context.Background()
		id, err := q.Enqueue(ctx, fastPush("http://127.0.0.1:9/", 3), order)
		require.NoError(t, err)
		d, err := q.Delivery(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, &Delivery{ID: id, State: StatePending, Next: d.Next}, d)
		assert.False(t, d.Next.IsZero())
		require.NoError(t, q.Stop(ctx), "stopping a queue never started does nothing")
	})
}

// TestUnknownDelivery: an id the queue does not hold is an error.
func TestUnknownDelivery(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		q := db.open(t, fastConfig())
		_, err := q.Delivery(context.Background(), 12345)
		var unknown *UnknownDeliveryError
		require.ErrorAs(t, err, &unknown)
		assert.Equal(t, int64(12345), unknown.ID)
		assert.Contains(t, err.Error(), "httpstep: durable: no delivery 12345")
	})
}

// TestStopCancelsInFlightAttempt: a Stop whose context ends while an
// attempt is in flight cancels it without failing the delivery; the next
// Queue on the database delivers it with the same identity.
func TestStopCancelsInFlightAttempt(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		var mu sync.Mutex
		var keys []string
		hold := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			first := len(keys) == 1
			mu.Unlock()
			if first {
				select {
				case <-hold:
				case <-r.Context().Done():
				}
			}
		}))
		defer srv.Close()
		defer close(hold)
		ctx := context.Background()
		q := db.open(t, fastConfig())
		id, err := q.Enqueue(ctx, fastPush(srv.URL, 5), order)
		require.NoError(t, err)
		startT(t, q)
		require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(keys) == 1 }, 5*time.Second, 5*time.Millisecond)
		stopCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, q.Stop(stopCtx), context.DeadlineExceeded)

		d, err := q.Delivery(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, StatePending, d.State, "a stop is no reason to give up")

		next := db.open(t, fastConfig())
		startT(t, next)
		d = waitState(t, next, id, StateDelivered, 10*time.Second)
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, keys, 2)
		assert.Equal(t, keys[0], keys[1])
		assert.Equal(t, []int{1, 2}, numbers(d.Attempts))
		assert.Equal(t, httpstep.KindCanceled, d.Attempts[0].Kind)
	})
}

// TestJobWithoutNodeCancelled: a job in the queue's table that Enqueue did
// not write (no node) is cancelled, not retried or panicked on.
func TestJobWithoutNodeCancelled(t *testing.T) {
	q := openSQLiteT(t, "", fastConfig())
	id, err := q.backend.insert(context.Background(), deliveryArgs{}, &river.InsertOpts{Queue: queueName, MaxAttempts: 3})
	require.NoError(t, err)
	startT(t, q)
	d := waitState(t, q, id, StateFailed, 5*time.Second)
	assert.Empty(t, d.Attempts)
	assert.Contains(t, d.Failure.Message, "the job holds no node")
}
