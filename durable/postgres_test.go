//go:build postgres

package durable

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// dsnEnv names the environment variable holding the DSN of a PostgreSQL
// database the tests may create schemas in; .ci/durable.sh sets it.
const dsnEnv = "HTTPSTEP_DURABLE_PG"

// fleetEnv gives a worker process its Client's Limits, as JSON.
const fleetEnv = "HTTPSTEP_DURABLE_FLEET"

// leaseEnv gives a worker process's PostgresState slot leases of its own
// length (a Go duration).
const leaseEnv = "HTTPSTEP_DURABLE_LEASE"

// breakerEnv gives a worker process's Client a Breaker, as JSON.
const breakerEnv = "HTTPSTEP_DURABLE_BREAKER"

// callbackEnv gives a worker process its Config.CallbackURL.
const callbackEnv = "HTTPSTEP_DURABLE_CALLBACK"

// workerEnv makes the test binary a worker process on the schema it names.
const workerEnv = "HTTPSTEP_DURABLE_WORKER"

func init() {
	stores = append(stores, store{name: "postgres", fresh: freshPostgres})
	if os.Getenv(workerEnv) != "" {
		child = workerProcess
	}
}

// pgDB is a testDB on PostgreSQL and where its tables are.
type pgDB struct {
	testDB
	dsn, schema string
}

// freshPostgres is a new schema in the test database, dropped at the end.
func freshPostgres(t *testing.T) testDB { return freshPG(t).testDB }

// freshPG is freshPostgres, saying where the schema is.
func freshPG(t *testing.T) pgDB {
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Fatalf("the postgres build tag needs %s, the DSN of a database to test in (.ci/durable.sh sets it)", dsnEnv)
	}
	ctx := context.Background()
	schema := "t_" + strings.ToLower(rand.Text()[:12])
	admin, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		require.NoError(t, err)
		require.NoError(t, admin.Close(ctx))
	})
	db := testDB{
		open: func(t *testing.T, cfg Config) *Queue {
			pool := poolOn(t, dsn, schema)
			q, err := OpenPostgres(ctx, pool, cfg)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, q.Close(ctx)) })
			return q
		},
		dump: func(t *testing.T) []byte {
			var s string
			require.NoError(t, admin.QueryRow(ctx, "SELECT coalesce(string_agg(concat_ws(' ', args, metadata, errors), ' '), '') FROM "+schema+".river_job").Scan(&s))
			require.NotEmpty(t, s)
			return []byte(s)
		},
	}
	return pgDB{testDB: db, dsn: dsn, schema: schema}
}

// poolOn opens a pool whose connections work in schema, closed at the end.
func poolOn(t testing.TB, dsn, schema string) *pgxpool.Pool {
	pool, err := newPool(dsn, schema)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func newPool(dsn, schema string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

// workerProcess is a worker process: it works the queue in the schema named
// by workerEnv until its stdin closes, then stops. It says "ready" once
// started.
func workerProcess() int {
	ctx := context.Background()
	pool, err := newPool(os.Getenv(dsnEnv), os.Getenv(workerEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	rescue, _ := time.ParseDuration(os.Getenv("HTTPSTEP_DURABLE_RESCUE"))
	cfg := fastConfig()
	cfg.RescueAfter = rescue
	cfg.CallbackURL = os.Getenv(callbackEnv)
	if b := os.Getenv(breakerEnv); b != "" {
		cfg.Client.Breaker = new(httpstep.Breaker)
		if err := json.Unmarshal([]byte(b), cfg.Client.Breaker); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if lease, _ := time.ParseDuration(os.Getenv(leaseEnv)); lease > 0 {
		cfg.Client.State = &pgState{pool: pool, lease: lease}
	}
	if fleet := os.Getenv(fleetEnv); fleet != "" {
		if err := json.Unmarshal([]byte(fleet), &cfg.Client.Limits); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	q, err := OpenPostgres(ctx, pool, cfg)
	if err == nil {
		err = q.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	signal.Ignore(syscall.SIGINT)
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := q.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// proc is a worker process started by a test.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// spawnWorker starts a worker process on db's schema and waits until it
// works; it is stopped when the test ends.
func spawnWorker(t *testing.T, db pgDB, rescueAfter time.Duration, env ...string) *proc {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+db.schema, "HTTPSTEP_DURABLE_RESCUE="+rescueAfter.String())
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	w := &proc{cmd: cmd, stdin: stdin}
	t.Cleanup(w.stop)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the worker process did not start")
	require.Equal(t, "ready\n", line)
	return w
}

// stop asks the worker to stop and waits for it.
func (w *proc) stop() {
	_ = w.stdin.Close()
	_ = w.cmd.Wait()
}

// kill ends the worker at once, as a crash or the OOM killer would.
func (w *proc) kill() {
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	_ = w.cmd.Wait()
}
