package durable

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"hash/fnv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/httpstep/httpstep"
)

// PostgresState is a StateStore on the database of pool, for a fleet of
// processes that share it: every Client with this State (in any process)
// shares one rate bucket and one concurrency cap per host its Limits cover,
// one Retry-After pause and one breaker per host, and one OAuth2 token per
// grant. It creates its four tables (httpstep_rate, httpstep_slot,
// httpstep_origin, httpstep_token) in the pool's schema on first use.
//
// A request costs one database round trip when its host has no
// concurrency cap (Admit: read the pause and circuit and take from the
// GCRA bucket, in one statement), one more when it waited for the rate
// (the pause may have begun meanwhile), and two more with a cap (take and
// free a slot). A failure costs one (Record). Slots are leases of a minute:
// a killed process's slots are free again a minute later at the latest.
// Tokens are stored in clear in httpstep_token, as a TokenStore would:
// protect the database as the tokens deserve. A token request runs under a
// transaction-scoped advisory lock of its key, so the fleet makes it once.
func PostgresState(pool *pgxpool.Pool) httpstep.StateStore {
	return &pgState{pool: pool}
}

type pgState struct {
	pool  *pgxpool.Pool
	ready atomic.Bool
	lease time.Duration // > 0: every slot's lease, instead of the Client's (tests)
}

// stateTables creates PostgresState's tables.
const stateTables = `
CREATE TABLE IF NOT EXISTS httpstep_rate (key text PRIMARY KEY, tat timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS httpstep_slot (key text, slot int, lease text NOT NULL, expires timestamptz NOT NULL, PRIMARY KEY (key, slot));
CREATE TABLE IF NOT EXISTS httpstep_origin (addr text PRIMARY KEY, pause_until timestamptz, failures int NOT NULL DEFAULT 0, open_until timestamptz);
ALTER TABLE httpstep_origin ADD COLUMN IF NOT EXISTS cooldown float8;
CREATE TABLE IF NOT EXISTS httpstep_token (key text PRIMARY KEY, token jsonb NOT NULL)`

// setup creates the tables once, under the migration lock, since CREATE
// TABLE IF NOT EXISTS races with itself.
func (s *pgState) setup(ctx context.Context) error {
	if s.ready.Load() {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, stateTables)
		return err
	})
	if err == nil {
		s.ready.Store(true)
	}
	return err
}

// admitSQL reads addr's pause and circuit and, when neither holds requests
// back and the emission interval $3 (seconds) is above 0, moves host's
// GCRA theoretical arrival time on by it: the request may go once the
// new time less burst ($4) intervals has come.
//
// A circuit whose cooldown is over lets one probe through for the fleet:
// the Admit whose conditional UPDATE (p) moves open_until on by another
// cooldown is the probe; every other sees the circuit open (h), also when
// its snapshot was taken before the probe's claim, since the claim's
// UPDATE waits for the row and checks open_until again. The probe's
// outcome (Record) then closes the circuit or opens it anew; a probe that
// never reports (its process died) lets another go a cooldown later.
const admitSQL = `
WITH o AS (
  SELECT greatest(extract(epoch FROM pause_until - now()), 0)::float8 AS paused,
         greatest(extract(epoch FROM open_until - now()), 0)::float8 AS open,
         open_until <= now() AND cooldown IS NOT NULL AS half, cooldown, failures
  FROM httpstep_origin WHERE addr = $2
), p AS (
  UPDATE httpstep_origin SET open_until = now() + make_interval(secs => cooldown)
  WHERE addr = $2 AND open_until <= now() AND cooldown IS NOT NULL AND coalesce(pause_until <= now(), true)
  RETURNING 1
), h AS (
  SELECT paused, failures,
    CASE WHEN half AND paused = 0 AND NOT EXISTS (SELECT 1 FROM p) THEN cooldown ELSE open END AS open
  FROM o
), r AS (
  INSERT INTO httpstep_rate AS r (key, tat)
  SELECT $1, now() + make_interval(secs => $3::float8)
  WHERE $3::float8 > 0 AND NOT EXISTS (SELECT 1 FROM h WHERE h.paused > 0 OR h.open > 0)
  ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, now()) + make_interval(secs => $3::float8)
  RETURNING greatest(extract(epoch FROM r.tat - now())::float8 - $3::float8 * $4::int, 0) AS wait
)
SELECT (SELECT wait FROM r), coalesce((SELECT paused FROM h), 0), coalesce((SELECT open FROM h), 0),
  coalesce((SELECT failures FROM h), 0)`

func (s *pgState) Admit(ctx context.Context, host, addr string, perSecond float64, burst int) (httpstep.HostState, error) {
	var st httpstep.HostState
	if err := s.setup(ctx); err != nil {
		return st, err
	}
	var interval float64
	if perSecond > 0 {
		interval = 1 / perSecond
	}
	var wait *float64
	var paused, open float64
	err := s.pool.QueryRow(ctx, admitSQL, "host:"+host, addr, interval, max(burst, 1)).Scan(&wait, &paused, &open, &st.Failures)
	if err != nil {
		return st, err
	}
	st.Paused, st.Open = seconds(paused), seconds(open)
	if wait != nil {
		st.Taken, st.Wait = true, seconds(*wait)
	}
	return st, nil
}

// seconds turns the database's seconds into a Duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// acquireSQL takes a free or expired slot of key among 1..$2.
const acquireSQL = `
INSERT INTO httpstep_slot AS s (key, slot, lease, expires)
SELECT $1, n, $3, now() + make_interval(secs => $4::float8)
FROM generate_series(1, $2::int) n
WHERE NOT EXISTS (SELECT 1 FROM httpstep_slot x WHERE x.key = $1 AND x.slot = n AND x.expires > now())
ORDER BY random() LIMIT 1
ON CONFLICT (key, slot) DO UPDATE SET lease = EXCLUDED.lease, expires = EXCLUDED.expires WHERE s.expires <= now()
RETURNING slot`

func (s *pgState) Acquire(ctx context.Context, host string, max int, lease time.Duration) (string, bool, error) {
	if err := s.setup(ctx); err != nil {
		return "", false, err
	}
	if s.lease > 0 {
		lease = s.lease
	}
	id := rand.Text()
	var slot int
	err := s.pool.QueryRow(ctx, acquireSQL, "host:"+host, max, id, lease.Seconds()).Scan(&slot)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, err
}

func (s *pgState) Release(ctx context.Context, host, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM httpstep_slot WHERE key = $1 AND lease = $2`, "host:"+host, id)
	return err
}

func (s *pgState) Pause(ctx context.Context, addr string, d time.Duration) error {
	if err := s.setup(ctx); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO httpstep_origin AS o (addr, pause_until) VALUES ($1, now() + make_interval(secs => $2::float8))
ON CONFLICT (addr) DO UPDATE SET pause_until = greatest(o.pause_until, EXCLUDED.pause_until)`, addr, d.Seconds())
	return err
}

func (s *pgState) Record(ctx context.Context, addr string, failed bool, failures int, cooldown time.Duration) error {
	if err := s.setup(ctx); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO httpstep_origin AS o (addr, failures, open_until, cooldown)
VALUES ($1, CASE WHEN $2::bool THEN 1 ELSE 0 END,
  CASE WHEN $2::bool AND 1 >= $3::int THEN now() + make_interval(secs => $4::float8) END, $4::float8)
ON CONFLICT (addr) DO UPDATE SET
  cooldown = EXCLUDED.cooldown,
  failures = CASE WHEN $2::bool THEN o.failures + 1 ELSE 0 END,
  open_until = CASE WHEN NOT $2::bool THEN NULL
    WHEN o.failures + 1 >= $3::int THEN now() + make_interval(secs => $4::float8) ELSE o.open_until END`,
		addr, failed, failures, cooldown.Seconds())
	return err
}

// querier is what Load and Save run on: the transaction of LockToken when
// ctx carries one (a token request holds a connection already; taking a
// second could wait behind the lock's other waiters), else the pool.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

type lockTx struct{}

func (s *pgState) on(ctx context.Context) querier {
	if tx, ok := ctx.Value(lockTx{}).(pgx.Tx); ok {
		return tx
	}
	return s.pool
}

func (s *pgState) Load(ctx context.Context, key string) (*httpstep.Token, error) {
	if err := s.setup(ctx); err != nil {
		return nil, err
	}
	var raw []byte
	err := s.on(ctx).QueryRow(ctx, `SELECT token FROM httpstep_token WHERE key = $1`, key).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t := new(httpstep.Token)
	return t, json.Unmarshal(raw, t)
}

func (s *pgState) Save(ctx context.Context, key string, t *httpstep.Token) error {
	if err := s.setup(ctx); err != nil {
		return err
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = s.on(ctx).Exec(ctx, `
INSERT INTO httpstep_token (key, token) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token`, key, raw)
	return err
}

// LockToken runs f in a transaction holding the advisory lock of key;
// f's Load and Save run in it, so the new token is saved before the lock
// is free.
func (s *pgState) LockToken(ctx context.Context, key string, f func(ctx context.Context) error) error {
	if err := s.setup(ctx); err != nil {
		return err
	}
	h := fnv.New64a()
	h.Write([]byte("httpstep token " + key))
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
			return err
		}
		return f(context.WithValue(ctx, lockTx{}, tx))
	})
}
