package durable

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/httpstep/httpstep"
)

// queueName is the River queue deliveries go through, apart from any queue
// of the host's own.
const queueName = "httpstep"

// Defaults of a Config that leaves a field zero.
const (
	DefaultWorkers     = 10
	DefaultPoll        = time.Second
	DefaultRescueAfter = time.Minute
)

// attemptMargin is added to a node's timeout for River's job timeout: the
// time to resolve values and record the attempt.
const attemptMargin = 5 * time.Second

// Config configures a Queue. The zero value is usable.
type Config struct {
	Client  *httpstep.Client                                               // nil = httpstep.DefaultClient
	Secrets func(ctx context.Context, ref string) (httpstep.Secret, error) // resolves Secret values at send time; they are never stored
	Files   func(ctx context.Context, ref string) (httpstep.File, error)   // opens attachments at send time
	Workers int                                                            // deliveries in flight in this process; default 10

	// Poll is how often an idle process looks for due deliveries (River's
	// FetchPollInterval); default 1s. PostgreSQL also wakes workers at once
	// on insert through LISTEN/NOTIFY; SQLite relies on polling.
	Poll time.Duration
	// RescueAfter is how long an attempt may run before River takes it for
	// lost (its process died) and tries it again elsewhere; default 1m.
	// Enqueue refuses nodes whose timeout plus 5s reaches it.
	RescueAfter time.Duration
	// Retention is how long finished deliveries and their history stay
	// answerable by Delivery; 0 keeps River's defaults (24h for delivered
	// and cancelled jobs, 7 days for discarded ones).
	Retention time.Duration
	// Logger receives River's own logs; nil discards them.
	Logger *slog.Logger
	// CallbackURL is the public base URL where the host mounts
	// CallbackHandler, such as "https://hooks.example.com/httpstep/cb":
	// a callback node's {{$callback.url}} is it plus "/" and a one-use
	// token. Empty refuses callback nodes at Enqueue; Open refuses one
	// that is not an absolute http or https URL (*CallbackURLError).
	CallbackURL string
}

// Queue delivers nodes durably: every delivery is a River job stored in the
// database, so it survives restarts and, on PostgreSQL, is shared by every
// process that opened the same database. A Queue is safe for concurrent use.
// Enqueue and Delivery work whether or not it was started.
type Queue struct {
	cfg     Config
	backend backend
	closeDB func() error // closes what Open opened, nil when the caller owns it
	sqlDB   *sql.DB      // the SQLite database, for EnqueueTx
	sql     sqlExec      // the store's database, for the callbacks' table
	rescue  *rescuer     // PostgreSQL: takes back dead processes' deliveries; nil on SQLite
}

// backend is the River client of one driver.
type backend interface {
	insert(ctx context.Context, args deliveryArgs, opts *river.InsertOpts) (int64, error)
	get(ctx context.Context, id int64) (*rivertype.JobRow, error)
	start(ctx context.Context) error
	stop(ctx context.Context) error
	park(ctx context.Context, job *river.Job[deliveryArgs], p *parked, timeout timeoutArgs, opts *river.InsertOpts) error
	deleteJob(ctx context.Context, id int64) error
}

// riverBackend is the backend of a River client on transactions of type TTx.
type riverBackend[TTx any] struct {
	client *river.Client[TTx]
	parks  parkStore[TTx]
}

func (b *riverBackend[TTx]) insert(ctx context.Context, args deliveryArgs, opts *river.InsertOpts) (int64, error) {
	res, err := b.client.Insert(ctx, args, opts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

func (b *riverBackend[TTx]) insertTx(ctx context.Context, tx TTx, args deliveryArgs, opts *river.InsertOpts) (int64, error) {
	res, err := b.client.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

func (b *riverBackend[TTx]) get(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return b.client.JobGet(ctx, id)
}

func (b *riverBackend[TTx]) start(ctx context.Context) error { return b.client.Start(ctx) }

// stop stops softly, then hard when ctx ends first.
func (b *riverBackend[TTx]) stop(ctx context.Context) error {
	err := b.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), attemptMargin)
	defer cancel()
	return errors.Join(err, b.client.StopAndCancel(hard))
}

// newQueue makes the River client of a driver and wraps it.
func newQueue[TTx any](cfg Config, driver riverdriver.Driver[TTx], ex sqlExec, parks parkStore[TTx]) (*Queue, error) {
	q := &Queue{cfg: cfg.withDefaults(), sql: ex}
	workers := river.NewWorkers()
	for _, add := range []func() error{
		func() error { return river.AddWorkerSafely(workers, &worker{q: q}) },
		func() error { return river.AddWorkerSafely(workers, &timeoutWorker{q: q}) },
		func() error { return river.AddWorkerSafely(workers, &sweepWorker{q: q}) },
	} {
		if err := add(); err != nil {
			return nil, err
		}
	}
	client, err := river.NewClient(driver, q.riverConfig(workers))
	if err != nil {
		return nil, err
	}
	q.backend = &riverBackend[TTx]{client: client, parks: parks}
	return q, nil
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.Client == nil {
		c.Client = httpstep.DefaultClient
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = DefaultRescueAfter
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// riverConfig is the River client configuration of q.
func (q *Queue) riverConfig(workers *river.Workers) *river.Config {
	c := q.cfg
	rc := &river.Config{
		FetchPollInterval:    c.Poll,
		FetchCooldown:        min(c.Poll, river.FetchCooldownDefault),
		JobTimeout:           c.RescueAfter, // every delivery has its own, shorter, timeout
		RescueStuckJobsAfter: c.RescueAfter,
		Logger:               c.Logger,
		Queues:               map[string]river.QueueConfig{queueName: {MaxWorkers: c.Workers}},
		Workers:              workers,
		PeriodicJobs:         []*river.PeriodicJob{periodicSweep()},
	}
	if c.Retention > 0 {
		rc.CompletedJobRetentionPeriod = c.Retention
		rc.CancelledJobRetentionPeriod = c.Retention
		rc.DiscardedJobRetentionPeriod = c.Retention
	}
	return rc
}

// Start starts working deliveries in this process, at most Config.Workers at
// once, until Stop or until ctx ends (which stops it as Stop does).
func (q *Queue) Start(ctx context.Context) error {
	if err := q.backend.start(ctx); err != nil {
		return err
	}
	if q.rescue != nil {
		q.rescue.start(ctx)
	}
	return nil
}

// Stop stops working deliveries: it waits for the attempts in flight to end.
// When ctx ends first, it cancels them (each is tried again later, here or
// in another process) and returns ctx's error. A stopped Queue still
// enqueues and answers Delivery. Stop on a Queue never started does nothing.
func (q *Queue) Stop(ctx context.Context) error {
	if q.rescue != nil {
		q.rescue.halt()
	}
	return q.backend.stop(ctx)
}

// Close stops the Queue if it runs and closes the database that OpenSQLite
// opened; a pool given to OpenPostgres stays open. The Queue is unusable
// afterwards.
func (q *Queue) Close(ctx context.Context) error {
	err := q.Stop(ctx)
	if q.closeDB != nil {
		err = errors.Join(err, q.closeDB())
	}
	return err
}

// ErrNoNode is returned by Enqueue given a nil node.
var ErrNoNode = errors.New("httpstep: durable: Enqueue needs a node")

// Enqueue stores a delivery of node with values and returns its id. Nothing
// is sent now: a started Queue (this one or another on the same database)
// sends it, retrying as the node's RetryPolicy says, until it succeeds,
// fails for good or runs out of attempts.
//
// The node is validated first (a *httpstep.ConfigError stores nothing).
// Secret and File values are not stored: they are resolved at send time
// through Config.Secrets and Config.Files, and Enqueue fails with a
// *ValueError, storing nothing, when the one needed is nil. Enqueue makes the
// delivery's Idempotency-Key and webhook-id, unless the node sets its own
// headers; every attempt carries the same ones.
func (q *Queue) Enqueue(ctx context.Context, node *httpstep.NodeConfig, values httpstep.Values) (int64, error) {
	args, opts, err := q.job(node, values)
	if err != nil {
		return 0, err
	}
	return q.backend.insert(ctx, args, opts)
}

// enqueueTx is Enqueue in tx, a transaction of the driver q runs on;
// wrong is the error for a Queue on the other driver.
func enqueueTx[TTx any](ctx context.Context, q *Queue, tx TTx, node *httpstep.NodeConfig, values httpstep.Values, wrong *DriverError) (int64, error) {
	b, ok := q.backend.(*riverBackend[TTx])
	if !ok {
		return 0, wrong
	}
	args, opts, err := q.job(node, values)
	if err != nil {
		return 0, err
	}
	return b.insertTx(ctx, tx, args, opts)
}

// job builds the River job of a delivery, or says why it cannot be stored.
func (q *Queue) job(node *httpstep.NodeConfig, values httpstep.Values) (deliveryArgs, *river.InsertOpts, error) {
	if node == nil {
		return deliveryArgs{}, nil, ErrNoNode
	}
	if err := node.Validate(); err != nil {
		return deliveryArgs{}, nil, err
	}
	if t := nodeTimeout(node); t+attemptMargin >= q.cfg.RescueAfter {
		return deliveryArgs{}, nil, &TimeoutError{Timeout: t, RescueAfter: q.cfg.RescueAfter}
	}
	raw, secrets, files, err := splitValues(values)
	if err != nil {
		return deliveryArgs{}, nil, err
	}
	if err := q.resolver().check(secrets, files); err != nil {
		return deliveryArgs{}, nil, err
	}
	if err := q.checkCallback(node, secrets); err != nil {
		return deliveryArgs{}, nil, err
	}
	args := deliveryArgs{
		Node: node, Values: raw, Secrets: secrets, Files: files,
		IdempotencyKey: `"` + uuid.NewString() + `"`,
		WebhookID:      "msg_" + rand.Text(),
	}
	return args, &river.InsertOpts{Queue: queueName, MaxAttempts: maxAttempts(node)}, nil
}

// resolver gives the Secret and File values of a job.
func (q *Queue) resolver() resolver {
	return resolver{secrets: q.cfg.Secrets, files: q.cfg.Files}
}

// nodeTimeout is the node's per-attempt timeout, its default applied.
func nodeTimeout(n *httpstep.NodeConfig) time.Duration {
	if n != nil && n.Timeout > 0 {
		return time.Duration(n.Timeout)
	}
	return httpstep.DefaultTimeout
}

// maxAttempts is the number of attempts the node's retry policy allows.
func maxAttempts(n *httpstep.NodeConfig) int {
	if n == nil || n.Retry == nil || n.Retry.MaxAttempts < 1 {
		return 1
	}
	return n.Retry.MaxAttempts
}
