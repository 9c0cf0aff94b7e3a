package durable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The states of a parked delivery's row in httpstep_callback.
const (
	parkWaiting = "waiting" // sent; the API has not called back yet
	parkDone    = "done"    // the call arrived and was applied
	parkTimeout = "timeout" // callback.timeout passed first
)

// callbackTable is the DDL of the table that holds waiting deliveries, one
// row each, keyed by the SHA-256 of the token in their callback URL (the
// token itself is never stored). Times are Unix microseconds; blob is the
// store's binary type. finished_at is 0 while waiting.
const callbackTable = `CREATE TABLE IF NOT EXISTS httpstep_callback (
	token_hash   %[1]s PRIMARY KEY,
	job_id       BIGINT NOT NULL,
	job_created  BIGINT NOT NULL,
	state        TEXT NOT NULL,
	parked_at    BIGINT NOT NULL,
	deadline     BIGINT NOT NULL,
	finished_at  BIGINT NOT NULL,
	history      TEXT NOT NULL,
	secret_ref   TEXT NOT NULL,
	content_type TEXT NOT NULL,
	body         %[1]s NOT NULL,
	call         TEXT NOT NULL,
	duplicates   BIGINT NOT NULL,
	duplicate_at BIGINT NOT NULL,
	timeout_job  BIGINT NOT NULL
)`

// callbackIndexes find a delivery's row by its job, and finished rows for
// the sweep.
var callbackIndexes = []string{
	`CREATE INDEX IF NOT EXISTS httpstep_callback_job ON httpstep_callback (job_id)`,
	`CREATE INDEX IF NOT EXISTS httpstep_callback_finished ON httpstep_callback (finished_at)`,
}

// sqlExec runs statements written with $1, $2... placeholders on a database
// or in a transaction of either store.
type sqlExec interface {
	exec(ctx context.Context, query string, args ...any) (int64, error)
	queryRow(ctx context.Context, query string, args ...any) rowScanner
}

// rowScanner is one row of a query; Scan returns sql.ErrNoRows when there
// is none, on both stores.
type rowScanner interface{ Scan(dest ...any) error }

// migrateCallbacks creates the table and its indexes when missing.
func migrateCallbacks(ctx context.Context, ex sqlExec, blob string) error {
	if _, err := ex.exec(ctx, fmt.Sprintf(callbackTable, blob)); err != nil {
		return fmt.Errorf("creating httpstep_callback: %w", err)
	}
	for _, ddl := range callbackIndexes {
		if _, err := ex.exec(ctx, ddl); err != nil {
			return fmt.Errorf("creating httpstep_callback's index: %w", err)
		}
	}
	return nil
}

// sqliteExec is a sqlExec on a *sql.DB or *sql.Tx of SQLite, which numbers
// its placeholders ?1, ?2...
type sqliteExec struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func sqliteQuery(q string) string { return strings.ReplaceAll(q, "$", "?") }

func (s sqliteExec) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, sqliteQuery(q), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s sqliteExec) queryRow(ctx context.Context, q string, args ...any) rowScanner {
	return s.db.QueryRowContext(ctx, sqliteQuery(q), args...)
}

// pgxExec is a sqlExec on a pgx pool or transaction.
type pgxExec struct {
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

func (p pgxExec) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := p.db.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (p pgxExec) queryRow(ctx context.Context, q string, args ...any) rowScanner {
	return pgxRow{p.db.QueryRow(ctx, q, args...)}
}

// pgxRow reports a missing row as sql.ErrNoRows, as SQLite does.
type pgxRow struct{ pgx.Row }

func (r pgxRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sql.ErrNoRows
	}
	return err
}

// parked is one row of httpstep_callback.
type parked struct {
	tokenHash   []byte
	jobID       int64
	jobCreated  time.Time
	state       string
	parkedAt    time.Time
	deadline    time.Time
	finishedAt  time.Time
	history     string // the send's attempts, JSON, as the job recorded them
	secretRef   string // the ref of callback.secret; empty for an unsigned callback
	contentType string
	body        []byte
	call        string // the callback's (or the timeout's) attempt record, JSON; empty while waiting
	duplicates  int64
	duplicateAt time.Time
	timeoutJob  int64 // the River job that times the row out
}

const parkedColumns = `token_hash, job_id, job_created, state, parked_at, deadline, finished_at, history, secret_ref, content_type, body, call, duplicates, duplicate_at, timeout_job`

// insertParked stores a new waiting row. A stale row of the same job id
// (SQLite reuses the ids of deleted jobs) goes first.
func insertParked(ctx context.Context, ex sqlExec, p *parked) error {
	if _, err := ex.exec(ctx, `DELETE FROM httpstep_callback WHERE job_id = $1`, p.jobID); err != nil {
		return err
	}
	_, err := ex.exec(ctx, `INSERT INTO httpstep_callback (`+parkedColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, '', $9, '', 0, 0, $10)`,
		p.tokenHash, p.jobID, micros(p.jobCreated), parkWaiting, micros(p.parkedAt), micros(p.deadline),
		p.history, p.secretRef, []byte{}, p.timeoutJob)
	return err
}

// parkedBy returns the row where column equals v, or ok false.
func parkedBy(ctx context.Context, ex sqlExec, column string, v any) (p *parked, ok bool, err error) {
	p = &parked{}
	var jobCreated, parkedAt, deadline, finishedAt, duplicateAt int64
	err = ex.queryRow(ctx, `SELECT `+parkedColumns+` FROM httpstep_callback WHERE `+column+` = $1`, v).Scan(
		&p.tokenHash, &p.jobID, &jobCreated, &p.state, &parkedAt, &deadline, &finishedAt,
		&p.history, &p.secretRef, &p.contentType, &p.body, &p.call, &p.duplicates, &duplicateAt, &p.timeoutJob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	p.jobCreated, p.parkedAt, p.deadline = fromMicros(jobCreated), fromMicros(parkedAt), fromMicros(deadline)
	p.finishedAt, p.duplicateAt = fromMicros(finishedAt), fromMicros(duplicateAt)
	return p, true, nil
}

// finishParked applies the call to a waiting row whose deadline has not
// passed, and reports whether it did: the conditional update is what makes
// a call apply at most once, whichever process serves it.
func finishParked(ctx context.Context, ex sqlExec, hash []byte, now time.Time, contentType string, body []byte, call string) (bool, error) {
	n, err := ex.exec(ctx, `UPDATE httpstep_callback
		SET state = $1, finished_at = $2, content_type = $3, body = $4, call = $5
		WHERE token_hash = $6 AND state = $7 AND deadline > $2`,
		parkDone, micros(now), contentType, body, call, hash, parkWaiting)
	return n == 1, err
}

// expireParked fails a row still waiting with the timeout's record.
func expireParked(ctx context.Context, ex sqlExec, hash []byte, now time.Time, call string) (bool, error) {
	n, err := ex.exec(ctx, `UPDATE httpstep_callback SET state = $1, finished_at = $2, call = $3
		WHERE token_hash = $4 AND state = $5`, parkTimeout, micros(now), call, hash, parkWaiting)
	return n == 1, err
}

// countDuplicate records a call to a URL already used.
func countDuplicate(ctx context.Context, ex sqlExec, hash []byte, now time.Time) error {
	_, err := ex.exec(ctx, `UPDATE httpstep_callback SET duplicates = duplicates + 1, duplicate_at = $1
		WHERE token_hash = $2`, micros(now), hash)
	return err
}

// sweepParked deletes the rows that finished before their retention.
func sweepParked(ctx context.Context, ex sqlExec, doneBefore, timeoutBefore time.Time) (int64, error) {
	return ex.exec(ctx, `DELETE FROM httpstep_callback
		WHERE (state = $1 AND finished_at < $2) OR (state = $3 AND finished_at < $4)`,
		parkDone, micros(doneBefore), parkTimeout, micros(timeoutBefore))
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
