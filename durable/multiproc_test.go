//go:build postgres

package durable

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// onPostgres runs f as the subtest "postgres" on a fresh schema.
func onPostgres(t *testing.T, f func(t *testing.T, db pgDB)) {
	t.Run("postgres", func(t *testing.T) { f(t, freshPG(t)) })
}

// TestEnqueuePgxTx: the outbox pattern on PostgreSQL: a rolled-back
// transaction leaves no delivery, a committed one is delivered.
func TestEnqueuePgxTx(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		rcv := newReceiver(t, 200)
		q := db.open(t, fastConfig())
		ctx := context.Background()
		pool := poolOn(t, db.dsn, db.schema)
		_, err := pool.Exec(ctx, `CREATE TABLE approval (id bigserial PRIMARY KEY, delivery bigint)`)
		require.NoError(t, err)
		approve := func(commit bool) int64 {
			var id int64
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				var err error
				if id, err = q.EnqueuePgxTx(ctx, tx, fastPush(rcv.URL, 3), order); err != nil {
					return err
				}
				if _, err = tx.Exec(ctx, `INSERT INTO approval (delivery) VALUES ($1)`, id); err != nil {
					return err
				}
				if !commit {
					return errRollback
				}
				return nil
			})
			if commit {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, errRollback)
			}
			return id
		}
		rolledBack := approve(false)
		committed := approve(true)
		startT(t, q)
		waitState(t, q, committed, StateDelivered, 10*time.Second)
		_, err = q.Delivery(ctx, rolledBack)
		var unknown *UnknownDeliveryError
		assert.ErrorAs(t, err, &unknown, "PostgreSQL never reuses the rolled-back id")
		time.Sleep(50 * time.Millisecond)
		assert.Equal(t, 1, rcv.requests())

		_, err = q.EnqueueTx(ctx, nil, fastPush(rcv.URL, 3), order)
		assert.EqualError(t, err, "httpstep: durable: EnqueueTx needs a Queue from OpenSQLite")
	})
}

var errRollback = &ValueError{Reason: "rolled back by the test"}

// TestTwoProcessesShareOneQueue: two worker processes on one database
// deliver every push, both take part, and no push is sent twice.
func TestTwoProcessesShareOneQueue(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		rcv := newDedupReceiver(t)
		q := db.open(t, fastConfig()) // enqueues only
		for range 2 {
			spawnWorker(t, db, DefaultRescueAfter)
		}
		rate := pushMany(t, q, rcv, loadPushes)
		t.Logf("%s: %d pushes, two processes, %.0f pushes/s", t.Name(), loadPushes, rate)
		var workers int
		pool := poolOn(t, db.dsn, db.schema)
		require.NoError(t, pool.QueryRow(context.Background(),
			`SELECT count(DISTINCT attempted_by[array_length(attempted_by, 1)]) FROM river_job`).Scan(&workers))
		assert.Equal(t, 2, workers, "processes that delivered pushes")
	})
}

// holdingReceiver holds every request until released, then answers 200,
// and notes when each request arrived.
type holdingReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	arrived  map[string][]time.Time // by Idempotency-Key
	n        int
	release  chan struct{}
	released sync.Once
}

func newHoldingReceiver(t *testing.T) *holdingReceiver {
	r := &holdingReceiver{release: make(chan struct{}), arrived: map[string][]time.Time{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.n++
		key := req.Header.Get("Idempotency-Key")
		r.arrived[key] = append(r.arrived[key], time.Now())
		r.mu.Unlock()
		<-r.release
	}))
	t.Cleanup(r.Close)
	t.Cleanup(r.open)
	return r
}

func (r *holdingReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// resumed is how long after since each delivery's second request came.
func (r *holdingReceiver) resumed(since time.Time) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for _, at := range r.arrived {
		if len(at) > 1 {
			out = append(out, at[1].Sub(since))
		}
	}
	slices.Sort(out)
	return out
}

// open lets held and later requests through.
func (r *holdingReceiver) open() { r.released.Do(func() { close(r.release) }) }

// percentile is the p-th percentile of sorted ds (nearest rank).
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, (len(ds)*p+99)/100-1)]
}

// TestKilledProcessRescued: a worker process killed (SIGKILL) mid-delivery
// leaves its deliveries running in the database; once they are RescueAfter
// old, a live process takes them back within 10 s and delivers them, and
// the history records the lost attempts.
func TestKilledProcessRescued(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		const rescueAfter = 7 * time.Second // above the node's 1s timeout and the 5s margin
		const inFlight = DefaultWorkers     // the worker's every slot
		rcv := newHoldingReceiver(t)
		cfg := fastConfig()
		cfg.RescueAfter = rescueAfter
		node := fastPush(rcv.URL, 5)
		node.Timeout = httpstep.Duration(time.Second)
		q := db.open(t, cfg)
		ctx := context.Background()
		var ids []int64
		for range inFlight {
			id, err := q.Enqueue(ctx, node, order)
			require.NoError(t, err)
			ids = append(ids, id)
		}
		doomed := spawnWorker(t, db, rescueAfter)
		require.Eventually(t, func() bool { return rcv.count() == inFlight }, 10*time.Second, 5*time.Millisecond)
		doomed.kill()
		killed := time.Now()
		rcv.open()
		for _, id := range ids {
			d, err := q.Delivery(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, StatePending, d.State)
			assert.Empty(t, d.Attempts, "the killed process recorded nothing")
		}

		startT(t, q) // the live process
		for _, id := range ids {
			d := waitState(t, q, id, StateDelivered, rescueAfter+45*time.Second)
			assert.Equal(t, []int{1, 2}, numbers(d.Attempts))
			assert.Equal(t, httpstep.KindTimeout, d.Attempts[0].Kind)
			assert.Contains(t, d.Attempts[0].Error, "the outcome is unknown")
			assert.Empty(t, d.Attempts[1].Kind)
		}
		resumed := rcv.resumed(killed)
		require.Len(t, resumed, inFlight)
		t.Logf("resumed after the kill (RescueAfter %v): p50 %v, p99 %v, max %v; all: %v", rescueAfter,
			percentile(resumed, 50).Round(100*time.Millisecond), percentile(resumed, 99).Round(100*time.Millisecond),
			resumed[len(resumed)-1].Round(100*time.Millisecond), resumed)
		assert.GreaterOrEqual(t, resumed[0], rescueAfter-2*time.Second, "rescued before RescueAfter")
		assert.LessOrEqual(t, resumed[len(resumed)-1], rescueAfter+10*time.Second, "resumed later than RescueAfter + 10s")
		assert.Equal(t, 2*inFlight, rcv.count(), "each push: once to the killed process, once after the rescue")
	})
}

// TestCallbackOtherProcess: a worker process sends the callback node and is
// killed while the delivery waits; the call reaches this process, whose
// Queue never worked the delivery, and is applied.
func TestCallbackOtherProcess(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		api, hk := newTranscoder(t), newHooks(t)
		q := db.open(t, callbackConfig(hk)) // enqueues and serves the handler; not started
		hk.serve(q)
		ctx := context.Background()
		id, err := q.Enqueue(ctx, transcodeNode(api.URL, time.Hour), httpstep.Values{"video": "v1"})
		require.NoError(t, err)
		w := spawnWorker(t, db, time.Minute, callbackEnv+"="+hk.base())
		job := api.next(t)
		waitState(t, q, id, StateWaiting, 10*time.Second)
		w.kill()
		assert.Equal(t, http.StatusOK, call(t, job.callback, `{"status":"done"}`, nil))
		d := waitState(t, q, id, StateDelivered, time.Second)
		assert.Equal(t, "done", d.Result.Get("status").String())
		assert.Zero(t, len(api.jobs), "sent once")
	})
}
