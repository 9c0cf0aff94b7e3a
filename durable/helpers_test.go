package durable

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/webhook"
)

// loopback is a Client that may reach the test receivers on loopback, new
// for each Queue (OpenPostgres gives a Client its State).
func loopback() *httpstep.Client { return &httpstep.Client{AllowPrivate: true} }

// fastConfig polls often so the tests wait little.
func fastConfig() Config {
	return Config{Client: loopback(), Poll: 10 * time.Millisecond}
}

// fastPush is the product's push with retries milliseconds apart.
func fastPush(url string, attempts int) *httpstep.NodeConfig {
	n := httpstep.PushNode(url, "record")
	n.Timeout = httpstep.Duration(2 * time.Second)
	n.Retry = &httpstep.RetryPolicy{MaxAttempts: attempts, InitialInterval: httpstep.Duration(10 * time.Millisecond), MaxInterval: httpstep.Duration(20 * time.Millisecond)}
	return n
}

// testDB is one empty database of a store, on which a test opens as many
// Queues as it needs (a restart opens a second).
type testDB struct {
	open func(t *testing.T, cfg Config) *Queue // closed when the test ends
	dump func(t *testing.T) []byte             // every byte the queue stored
}

// store makes empty databases of one kind.
type store struct {
	name  string
	fresh func(t *testing.T) testDB
}

// stores are the databases every test runs on: SQLite always, PostgreSQL
// with the postgres build tag (postgres_test.go).
var stores = []store{{name: "sqlite", fresh: freshSQLite}}

// eachStore runs f as a subtest on an empty database of every store.
func eachStore(t *testing.T, f func(t *testing.T, db testDB)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { f(t, s.fresh(t)) })
	}
}

// freshSQLite is a new SQLite file in a temporary directory.
func freshSQLite(t *testing.T) testDB {
	dir := t.TempDir()
	path := filepath.Join(dir, "queue.db")
	return testDB{
		open: func(t *testing.T, cfg Config) *Queue { return openSQLiteT(t, path, cfg) },
		dump: func(t *testing.T) []byte {
			files, err := filepath.Glob(path + "*") // the file, its WAL and shared memory
			require.NoError(t, err)
			require.NotEmpty(t, files)
			var all []byte
			for _, f := range files {
				b, err := os.ReadFile(f)
				require.NoError(t, err)
				all = append(all, b...)
			}
			return all
		},
	}
}

// openSQLiteT opens a Queue on the SQLite file at path (a new temporary
// file when empty) and closes it when the test ends.
func openSQLiteT(t *testing.T, path string, cfg Config) *Queue {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "queue.db")
	}
	q, err := OpenSQLite(context.Background(), path, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, q.Close(context.Background())) })
	return q
}

// startT starts q; Close stops it.
func startT(t *testing.T, q *Queue) {
	t.Helper()
	require.NoError(t, q.Start(context.Background()))
}

// receiver is a loopback push receiver answering from a script of statuses
// (the last one repeats) and recording every request's identity.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	after    string   // Retry-After of failing answers, when set
	keys     []string // Idempotency-Key of each request, in order
	ids      []string // webhook-id of each request
	bodies   []string
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body := make([]byte, 4096)
	n, _ := req.Body.Read(body)
	r.mu.Lock()
	i := min(len(r.keys), len(r.statuses)-1)
	r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
	r.ids = append(r.ids, req.Header.Get(webhook.IDHeader))
	r.bodies = append(r.bodies, string(body[:n]))
	status := r.statuses[i]
	r.mu.Unlock()
	if status != http.StatusOK && r.after != "" {
		w.Header().Set("Retry-After", r.after)
	}
	w.WriteHeader(status)
}

// requests returns how many requests arrived.
func (r *receiver) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys)
}

// waitState polls q until delivery id reaches state, and returns it.
func waitState(t *testing.T, q *Queue, id int64, state string, within time.Duration) *Delivery {
	t.Helper()
	var d *Delivery
	require.Eventually(t, func() bool {
		var err error
		d, err = q.Delivery(context.Background(), id)
		require.NoError(t, err)
		return d.State == state
	}, within, 5*time.Millisecond, "delivery %d never became %s", id, state)
	return d
}

// numbers returns the N of each attempt.
func numbers(as []httpstep.Attempt) []int {
	ns := make([]int, len(as))
	for i, a := range as {
		ns[i] = a.N
	}
	return ns
}
