package durable

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/httpstep/httpstep"
)

// migrateLock is the advisory lock key that serialises River's migrations
// between processes opening the same database at once.
const migrateLock = 0x68747470 // "http"

// OpenPostgres runs River's migrations on the database of pool when they
// are missing (it is idempotent and safe from several processes at once) and
// returns a Queue on it, not yet started. Every process that opens the same
// database shares the queue; each delivery runs in one process at a time,
// and one that dies mid-attempt has its deliveries rescued by another after
// Config.RescueAfter. The pool stays the caller's: Close leaves it open.
//
// The Queue's Client gets State PostgresState(pool) unless it has a State
// already, so every process on the database shares one rate per host, one
// pause, one breaker and one token; a nil Config.Client is a new Client
// with the defaults. Open the Queue before the Client's first request: its
// State is read then.
func OpenPostgres(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Queue, error) {
	if err := checkCallbackURL(cfg.CallbackURL); err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		cfg.Client = &httpstep.Client{}
	}
	if cfg.Client.State == nil {
		cfg.Client.State = PostgresState(pool)
	}
	driver := riverpgxv5.New(pool)
	if err := migratePostgres(ctx, pool, driver, cfg); err != nil {
		return nil, fmt.Errorf("httpstep: durable: migrating PostgreSQL: %w", err)
	}
	q, err := newQueue(cfg, driver, pgxExec{pool}, pgxParks(pool))
	if err != nil {
		return nil, err
	}
	q.rescue = newRescuer(pool, q.cfg)
	return q, nil
}

// pgxParks parks deliveries in transactions of pool.
func pgxParks(pool *pgxpool.Pool) parkStore[pgx.Tx] {
	return parkStore[pgx.Tx]{
		begin: func(ctx context.Context) (pgx.Tx, sqlExec, error) {
			tx, err := pool.Begin(ctx)
			return tx, pgxExec{tx}, err
		},
		end: func(ctx context.Context, tx pgx.Tx, commit bool) error {
			if commit {
				return tx.Commit(ctx)
			}
			return tx.Rollback(context.WithoutCancel(ctx))
		},
		complete: func(ctx context.Context, tx pgx.Tx, job *river.Job[deliveryArgs]) error {
			_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			return err
		},
	}
}

// migratePostgres runs River's migrations under a session advisory lock.
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, driver *riverpgxv5.Driver, cfg Config) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLock); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLock) //nolint:errcheck // released with the session anyway
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: cfg.withDefaults().Logger})
	if err != nil {
		return err
	}
	if _, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return err
	}
	return migrateCallbacks(ctx, pgxExec{conn}, "BYTEA")
}

// EnqueuePgxTx is Enqueue inside the host's transaction on the database of
// a Queue from OpenPostgres: the delivery exists once tx commits, and never
// if it rolls back (the outbox pattern).
func (q *Queue) EnqueuePgxTx(ctx context.Context, tx pgx.Tx, node *httpstep.NodeConfig, values httpstep.Values) (int64, error) {
	return enqueueTx(ctx, q, tx, node, values, &DriverError{Method: "EnqueuePgxTx", Needs: "OpenPostgres"})
}
