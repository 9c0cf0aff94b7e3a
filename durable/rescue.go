package durable

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// rescuer takes back, on PostgreSQL, the deliveries of processes that died
// mid-attempt, sooner than River's own rescuer (every 30 s, on the leader
// only, whose leadership a dead leader keeps up to 15 s). Every started
// Queue runs one, every rescueEvery(RescueAfter): a delivery whose attempt
// began more than RescueAfter ago is moved on exactly as River's rescuer
// moves it (see rescueSQL), in one conditional UPDATE, so two rescuers (or
// River's) never rescue one attempt twice.
//
// It never takes an attempt still in flight in a live process: River ends
// every attempt at the node's timeout plus attemptMargin, and Enqueue
// refuses nodes for which that reaches RescueAfter.
type rescuer struct {
	pool  *pgxpool.Pool
	cfg   Config
	every time.Duration

	mu   sync.Mutex
	stop context.CancelFunc // nil when not running
	done chan struct{}
}

// rescueMessage is the error a rescue adds to the job's errors, as River's
// rescuer adds "Stuck job rescued by JobRescuer".
const rescueMessage = "Stuck job rescued by httpstep's durable rescuer"

// rescueBatch bounds the jobs one rescue run takes back; the rest wait for
// the next run.
const rescueBatch = 100

// schedulerInterval is River's scheduler interval (5 s): a retry due
// sooner is made available at once, as River's own job executor does,
// since the scheduler (on the leader) would move it later than due.
const schedulerInterval = 5 * time.Second

func newRescuer(pool *pgxpool.Pool, cfg Config) *rescuer {
	return &rescuer{pool: pool, cfg: cfg, every: rescueEvery(cfg.RescueAfter)}
}

// rescueEvery is how often a process looks for stuck deliveries: a tenth
// of RescueAfter, from 500 ms to 5 s.
func rescueEvery(rescueAfter time.Duration) time.Duration {
	return min(max(rescueAfter/10, 500*time.Millisecond), 5*time.Second)
}

// start runs the rescuer until stopped or ctx ends; a second start while it
// runs does nothing.
func (r *rescuer) start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		return
	}
	ctx, r.stop = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go r.run(ctx, r.done)
}

// halt stops the rescuer and waits for it.
func (r *rescuer) halt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop == nil {
		return
	}
	r.stop()
	<-r.done
	r.stop = nil
}

// run rescues every r.every, the first time at a random point of the first
// interval so that processes started together spread their runs.
func (r *rescuer) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	wait := rand.N(r.every)
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, max(r.every, time.Second))
		if n, err := r.once(rctx); err != nil && ctx.Err() == nil {
			r.cfg.Logger.WarnContext(ctx, "httpstep durable rescuer: "+err.Error())
		} else if n > 0 {
			r.cfg.Logger.InfoContext(ctx, "httpstep durable rescuer: rescued stuck deliveries", "count", n)
		}
		cancel()
		wait = r.every
	}
}

// stuckSQL locks the deliveries whose attempts began more than $1 seconds
// ago and are still running, skipping those another rescuer holds.
const stuckSQL = `
SELECT id, attempt, max_attempts, args, metadata ? 'cancel_attempted_at',
  extract(epoch FROM now() - attempted_at)::float8
FROM river_job
WHERE state = 'running' AND queue = $2 AND kind = $3 AND attempted_at < now() - make_interval(secs => $1::float8)
ORDER BY id LIMIT $4
FOR UPDATE SKIP LOCKED`

// rescueSQL is River's JobRescueMany: the job gets a new error (the
// attempt that was running), its rescue count goes up, and it moves to the
// state decided for it; only if it is still running and stuck.
const rescueSQL = `
UPDATE river_job SET
  state = u.state::river_job_state,
  finalized_at = CASE WHEN u.state IN ('cancelled', 'discarded') THEN now() END,
  scheduled_at = CASE WHEN u.state IN ('available', 'retryable') THEN now() + make_interval(secs => u.wait) ELSE river_job.scheduled_at END,
  errors = array_append(river_job.errors, jsonb_build_object('at', now(), 'attempt', greatest(river_job.attempt, 0), 'error', $4::text, 'trace', '')),
  metadata = river_job.metadata || jsonb_build_object('river:rescue_count',
    coalesce(CASE WHEN jsonb_typeof(river_job.metadata -> 'river:rescue_count') = 'number'
      THEN (river_job.metadata ->> 'river:rescue_count')::int END, 0) + 1)
FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::text[]) AS state, unnest($3::float8[]) AS wait) AS u
WHERE river_job.id = u.id AND river_job.state = 'running'
  AND river_job.attempted_at < now() - make_interval(secs => $5::float8)`

// once rescues the stuck deliveries of one batch and returns how many.
func (r *rescuer) once(ctx context.Context) (int, error) {
	var ids []int64
	var states []string
	var waits []float64
	after := r.cfg.RescueAfter.Seconds()
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, stuckSQL, after, queueName, jobKind, rescueBatch)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s stuck
			if err := rows.Scan(&s.id, &s.attempt, &s.maxAttempts, &s.args, &s.cancelled, &s.age); err != nil {
				rows.Close()
				return err
			}
			if state, wait, ok := s.decide(); ok {
				ids, states, waits = append(ids, s.id), append(states, state), append(waits, wait.Seconds())
			}
		}
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, rescueSQL, ids, states, waits, rescueMessage, after)
		return err
	})
	return len(ids), err
}

// stuck is a running job whose attempt began more than RescueAfter ago.
type stuck struct {
	id                   int64
	attempt, maxAttempts int
	args                 []byte
	cancelled            bool    // a cancel was asked for while it ran
	age                  float64 // seconds since its attempt began
}

// decide is River's rescuer's decision (makeRetryDecision): a job whose
// cancel was asked for is cancelled; one still within its own timeout is
// left alone; one with attempts left is retried after the back-off the
// worker's NextRetry gives a lost attempt (the node's policy for a
// timeout); the others are discarded. Arguments that do not decode are
// left to River's rescuer. ok is false when the job is left alone.
func (s stuck) decide() (state string, wait time.Duration, ok bool) {
	if s.cancelled {
		return "cancelled", 0, true
	}
	var a deliveryArgs
	if err := json.Unmarshal(s.args, &a); err != nil || a.Node == nil {
		return "", 0, false
	}
	if s.age < (nodeTimeout(a.Node) + attemptMargin).Seconds() {
		return "", 0, false
	}
	if s.attempt >= s.maxAttempts {
		return "discarded", 0, true
	}
	wait, _ = a.Node.Retry.Next(s.attempt, lost)
	if wait <= schedulerInterval {
		return "available", wait, true
	}
	return "retryable", wait, true
}
