package durable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/httpstep/httpstep"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// OpenSQLite opens (creating it if needed) the SQLite database at path, runs
// River's migrations and returns a Queue on it, not yet started. Only one
// process should work a SQLite queue at a time; use OpenPostgres to share
// the work. Close the Queue to close the file.
func OpenSQLite(ctx context.Context, path string, cfg Config) (*Queue, error) {
	if err := checkCallbackURL(cfg.CallbackURL); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("httpstep: durable: opening %s: %w", path, err)
	}
	// SQLite allows one writer; River's documentation asks for one connection.
	db.SetMaxOpenConns(1)
	q, err := openSQLite(ctx, db, cfg)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("httpstep: durable: opening %s: %w", path, err), db.Close())
	}
	q.closeDB, q.sqlDB = db.Close, db
	return q, nil
}

// DB returns the database of a Queue from OpenSQLite, nil for any other:
// begin the transactions given to EnqueueTx here, and keep the host's own
// tables in it.
func (q *Queue) DB() *sql.DB { return q.sqlDB }

// sqliteDSN is the modernc.org/sqlite data source of a file: write-ahead
// logging, and waits instead of "database is locked" errors.
func sqliteDSN(path string) string {
	v := url.Values{}
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "synchronous(NORMAL)")
	return "file:" + path + "?" + v.Encode()
}

// openSQLite migrates db and makes the Queue on it.
func openSQLite(ctx context.Context, db *sql.DB, cfg Config) (*Queue, error) {
	driver := riversqlite.New(db)
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: cfg.withDefaults().Logger})
	if err != nil {
		return nil, err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	if err := migrateCallbacks(ctx, sqliteExec{db}, "BLOB"); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	return newQueue(cfg, driver, sqliteExec{db}, sqliteParks(db))
}

// sqliteParks parks deliveries in transactions of db.
func sqliteParks(db *sql.DB) parkStore[*sql.Tx] {
	return parkStore[*sql.Tx]{
		begin: func(ctx context.Context) (*sql.Tx, sqlExec, error) {
			tx, err := db.BeginTx(ctx, nil)
			return tx, sqliteExec{tx}, err
		},
		end: func(_ context.Context, tx *sql.Tx, commit bool) error {
			if commit {
				return tx.Commit()
			}
			return tx.Rollback()
		},
		complete: func(ctx context.Context, tx *sql.Tx, job *river.Job[deliveryArgs]) error {
			_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job)
			return err
		},
	}
}

// EnqueueTx is Enqueue inside the host's transaction on the database of a
// Queue from OpenSQLite: the delivery exists once tx commits, and never if it
// rolls back (the outbox pattern). With SQLite's single connection, use
// nothing else of the Queue's database until tx ends.
func (q *Queue) EnqueueTx(ctx context.Context, tx *sql.Tx, node *httpstep.NodeConfig, values httpstep.Values) (int64, error) {
	return enqueueTx(ctx, q, tx, node, values, &DriverError{Method: "EnqueueTx", Needs: "OpenSQLite"})
}
