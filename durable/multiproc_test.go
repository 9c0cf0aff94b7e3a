//go:build postgres

package durable

import (
	"context"
	"net/http"
	"net/http/httptest"
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

// holdingReceiver holds every request until released, then answers 200.
type holdingReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	arrived  int
	release  chan struct{}
	released sync.Once
}

func newHoldingReceiver(t *testing.T) *holdingReceiver {
	r := &holdingReceiver{release: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.arrived++
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
	return r.arrived
}

// open lets held and later requests through.
func (r *holdingReceiver) open() { r.released.Do(func() { close(r.release) }) }

// TestKilledProcessRescued: a worker process killed (SIGKILL) mid-delivery
// leaves its deliveries running in the database; after RescueAfter another
// process takes them back and delivers them, and the history records the
// lost attempts.
func TestKilledProcessRescued(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		const rescueAfter = 7 * time.Second // above the node's 1s timeout and the 5s margin
		rcv := newHoldingReceiver(t)
		cfg := fastConfig()
		cfg.RescueAfter = rescueAfter
		node := fastPush(rcv.URL, 5)
		node.Timeout = httpstep.Duration(time.Second)
		q := db.open(t, cfg)
		ctx := context.Background()
		var ids []int64
		for range 3 {
			id, err := q.Enqueue(ctx, node, order)
			require.NoError(t, err)
			ids = append(ids, id)
		}
		doomed := spawnWorker(t, db, rescueAfter)
		require.Eventually(t, func() bool { return rcv.count() == 3 }, 10*time.Second, 5*time.Millisecond)
		doomed.kill()
		killed := time.Now()
		rcv.open()
		for _, id := range ids {
			d, err := q.Delivery(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, StatePending, d.State)
			assert.Empty(t, d.Attempts, "the killed process recorded nothing")
		}

		// River's rescuer runs when a process becomes leader, then every 30s:
		// starting once the attempts are RescueAfter old rescues them at the
		// first run, as soon as the dead process's leadership (15s) expires.
		time.Sleep(time.Until(killed.Add(rescueAfter)))
		startT(t, q)
		for _, id := range ids {
			d := waitState(t, q, id, StateDelivered, 30*time.Second)
			assert.Equal(t, []int{1, 2}, numbers(d.Attempts))
			assert.Equal(t, httpstep.KindTimeout, d.Attempts[0].Kind)
			assert.Contains(t, d.Attempts[0].Error, "the outcome is unknown")
			assert.Empty(t, d.Attempts[1].Kind)
		}
		assert.GreaterOrEqual(t, time.Since(killed), rescueAfter-2*time.Second, "rescued before RescueAfter")
		assert.Equal(t, 6, rcv.count(), "each push: once to the killed process, once after the rescue")
		t.Logf("rescued and delivered %v after the kill", time.Since(killed).Round(time.Second))
	})
}
