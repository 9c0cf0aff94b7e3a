package httpstep

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/httpstep/httpstep/webhook"
)

// soakFaults are what the receiver does to one request, with weights.
var soakFaults = []struct {
	name   string
	weight int
}{
	{"ok", 40}, {"reset-before-read", 6}, {"reset-after-store", 6}, {"stall", 5}, {"drip", 5},
	{"429", 8}, {"503", 8}, {"bomb", 2}, {"redirect-307", 8}, {"redirect-301", 6}, {"late-200", 6},
}

// soakReceiver is a push receiver that deduplicates on Idempotency-Key
// and webhook-id, and answers each request with a random fault.
type soakReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	rng      *rand.Rand
	faults   map[string]int
	stored   map[string]string          // record id -> the key it was first stored under
	keys     map[string]map[string]bool // record id -> every Idempotency-Key it arrived with
	ids      map[string]string          // Idempotency-Key -> webhook-id
	acked    map[string]bool            // record ids answered 200 (at once, or late but whole)
	mismatch []string                   // a key that came with two webhook-ids
	bomb     []byte
	hops     atomic.Int64
}

func newSoakReceiver(t *testing.T, seed uint64) *soakReceiver {
	r := &soakReceiver{rng: rand.New(rand.NewPCG(seed, seed)), faults: map[string]int{}, stored: map[string]string{},
		keys: map[string]map[string]bool{}, ids: map[string]string{}, acked: map[string]bool{}}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(make([]byte, 8<<20)) // 8 MiB of zeros in a few KiB
	zw.Close()
	r.bomb = buf.Bytes()
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.Config.ErrorLog = quietLog
	r.Start()
	t.Cleanup(r.Close)
	return r
}

func (r *soakReceiver) pick() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.rng.IntN(100)
	for _, f := range soakFaults {
		if n < f.weight {
			r.faults[f.name]++
			return f.name
		}
		n -= f.weight
	}
	r.faults["ok"]++
	return "ok"
}

// store records a complete body under its keys; it reports the record id.
func (r *soakReceiver) store(req *http.Request) (string, bool) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return "", false
	}
	var rec struct{ ID string }
	if json.Unmarshal(body, &rec) != nil || rec.ID == "" {
		return "", false
	}
	id := rec.ID
	key, wid := req.Header.Get("Idempotency-Key"), req.Header.Get(webhook.IDHeader)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys[id] == nil {
		r.keys[id] = map[string]bool{}
		r.stored[id] = key
	}
	r.keys[id][key] = true
	if prev, ok := r.ids[key]; ok && prev != wid {
		r.mismatch = append(r.mismatch, key)
	}
	r.ids[key] = wid
	return id, true
}

func (r *soakReceiver) serve(w http.ResponseWriter, req *http.Request) {
	fault := r.pick()
	switch fault {
	case "reset-before-read":
		reset(w)
		return
	case "redirect-307":
		w.Header().Set("Location", "/hook?hop="+fmt.Sprint(r.hops.Add(1)))
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	case "redirect-301":
		w.Header().Set("Location", "/moved")
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	id, ok := r.store(req)
	if !ok {
		return
	}
	switch fault {
	case "reset-after-store":
		reset(w)
	case "stall":
		if wait(req.Context(), time.Second) {
			r.ack(id) // returning writes an implicit 200 to a client still waiting
		}
	case "drip":
		w.WriteHeader(http.StatusOK)
		for range 20 {
			w.Write([]byte(" "))
			http.NewResponseController(w).Flush()
			if !wait(req.Context(), 30*time.Millisecond) {
				return
			}
		}
		r.ack(id) // the whole answer went out: a client that waited that long saw a 200

	case "429", "503":
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(map[string]int{"429": 429, "503": 503}[fault])
	case "bomb":
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusOK)
		w.Write(r.bomb)
	case "late-200":
		if wait(req.Context(), 400*time.Millisecond) {
			r.ack(id) // the client's 200 ms timeout fired late (a loaded machine): it is answered all the same
			w.WriteHeader(http.StatusOK)
		}
	default:
		r.ack(id)
		w.WriteHeader(http.StatusOK)
	}
}

// ack records that id was answered 200.
func (r *soakReceiver) ack(id string) {
	r.mu.Lock()
	r.acked[id] = true
	r.mu.Unlock()
}

// reset closes the connection with a TCP RST.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// wait waits d unless ctx ends first; it reports whether d passed.
func wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// TestSoakPushesUnderFaults pushes records to a receiver that resets,
// stalls, drips, answers 429 and 503 with Retry-After, sends gzip bombs and
// redirects (307, followed with the body, and 301, refused), and cancels
// some runs midway. Nothing that is reported delivered is missing at the
// receiver, no record arrives under two keys, every key keeps its
// webhook-id across retries, and goroutines and descriptors end where they
// began.
func TestSoakPushesUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped with -short")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fdsBefore, goBefore := openFDs(), runtime.NumGoroutine()
	start := time.Now()
	pushes, cancels := 1500, 300
	rcv := newSoakReceiver(t, 10)
	c := testClient(t)
	c.SigningSecret = Secret("whsec_c29hay1zZWNyZXQtZm9yLXRlc3Rz")
	c.MaxResponseBytes = 64 << 10

	outcomes, slowestCancel := runSoak(t, c, rcv.URL, pushes, cancels)
	c.CloseIdleConnections()
	rcv.Close()

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for id, keys := range rcv.keys {
		assert.Len(t, keys, 1, "record %s arrived under several keys", id)
	}
	assert.Empty(t, rcv.mismatch, "a key came with two webhook-ids")
	delivered := 0
	for id, ok := range outcomes.ok {
		if ok {
			delivered++
			assert.True(t, rcv.acked[id], "record %s was reported delivered but never acknowledged", id)
		}
	}
	assert.Less(t, slowestCancel, 2*time.Second, "a canceled run returned late")
	assert.Eventually(t, func() bool {
		c.CloseIdleConnections() // a connection a late dial completed goes idle, then here
		return openFDs() <= fdsBefore+2
	}, 2*time.Second, 20*time.Millisecond, "file descriptors grew: %d before, %d after", fdsBefore, openFDs())
	t.Logf("%d pushes (%d with a cancellation) in %v: %d delivered, outcomes %v, %d attempts; faults %v; "+
		"slowest return after cancel %v; goroutines %d before, %d after; fds %d before, %d after",
		pushes, cancels, time.Since(start).Round(time.Millisecond), delivered, outcomes.kinds, outcomes.attempts,
		rcv.faults, slowestCancel, goBefore, runtime.NumGoroutine(), fdsBefore, openFDs())
}

// soakOutcomes are what the runs returned.
type soakOutcomes struct {
	mu       sync.Mutex
	ok       map[string]bool
	kinds    map[string]int
	attempts int
}

func (o *soakOutcomes) add(id string, res *Result, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	kind := "ok"
	if err != nil {
		var f *Failure
		kind = err.Error()
		if errors.As(err, &f) {
			kind = string(f.Kind)
		}
	}
	o.kinds[kind]++
	o.ok[id] = err == nil
	if res != nil {
		o.attempts += len(res.Attempts)
	}
}

// runSoak makes the pushes from 16 workers; the first cancels of them are
// canceled after a random delay. It returns the outcomes and the longest
// time a canceled run took to return after its cancellation.
func runSoak(t *testing.T, c *Client, url string, pushes, cancels int) (*soakOutcomes, time.Duration) {
	out := &soakOutcomes{ok: map[string]bool{}, kinds: map[string]int{}}
	var slowest atomic.Int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range jobs {
				id := fmt.Sprintf("rec-%04d", i)
				node := PushNode(url+"/hook", "record")
				node.Timeout = Duration(200 * time.Millisecond)
				node.Retry.InitialInterval, node.Retry.MaxInterval = Duration(time.Millisecond), Duration(20*time.Millisecond)
				ctx, cancel := context.WithCancel(context.Background())
				var canceledAt atomic.Int64
				if i < cancels {
					time.AfterFunc(time.Duration(rand.IntN(300))*time.Millisecond, func() {
						canceledAt.Store(time.Now().UnixNano())
						cancel()
					})
				}
				res, err := c.Execute(ctx, node, Values{"record": map[string]any{"id": id, "amount": i}})
				if at := canceledAt.Load(); at != 0 {
					if d := time.Now().UnixNano() - at; d > slowest.Load() {
						slowest.Store(d)
					}
				}
				cancel()
				out.add(id, res, err)
			}
		})
	}
	for i := range pushes {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	require.Len(t, out.ok, pushes)
	return out, time.Duration(slowest.Load())
}
