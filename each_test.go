package httpstep

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rows yields n parameter sets {"n": i}, counting how many were read.
func rows(n int, read *atomic.Int64) iter.Seq[Params] {
	return func(yield func(Params) bool) {
		for i := range n {
			if read != nil {
				read.Add(1)
			}
			if !yield(Values{"n": i}) {
				return
			}
		}
	}
}

// echoN answers {"n": <the n query parameter>}, or status 500 for the n
// in fail.
func echoN(fail int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := r.URL.Query().Get("n")
		if n == strconv.Itoa(fail) {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `{"n":%s}`, n)
	}
}

func mustCompile(t testing.TB, node *NodeConfig) *Step {
	t.Helper()
	s, err := node.Compile()
	require.NoError(t, err)
	return s
}

// TestEachManyRows: 10,000 rows at concurrency 16 against a server of
// random latency come back in input order, with never more than 16 in
// flight and no more than 16 rows started but not yet delivered; the heap
// stays bounded.
func TestEachManyRows(t *testing.T) {
	leakCheck(t)
	srv := newFlight(t, func() time.Duration { return time.Duration(rand.IntN(2000)) * time.Microsecond }, echoN(-1))
	c := testClient(t)
	s := mustCompile(t, &NodeConfig{URL: srv.URL + "/?n={{n}}"})
	const total, conc = 10000, 16
	var read atomic.Int64
	var maxHeap uint64
	next := 0
	err := c.Each(t.Context(), s, rows(total, &read), conc, func(i int, res *Result, err error) bool {
		require.NoError(t, err)
		require.Equal(t, next, i, "input order")
		require.Equal(t, int64(i), res.Get("n").Int())
		assert.LessOrEqual(t, read.Load()-int64(i), int64(conc), "rows read but not delivered")
		if i%500 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapAlloc)
		}
		next++
		return true
	})
	require.NoError(t, err)
	assert.Equal(t, total, next)
	n, peak, _ := srv.stats()
	assert.Equal(t, total, n)
	assert.LessOrEqual(t, peak, conc)
	assert.Greater(t, peak, 1)
	t.Logf("heap high-water mark over %d rows: %.1f MiB (sampled every 500 rows)", total, float64(maxHeap)/(1<<20))
	assert.Less(t, maxHeap, uint64(64<<20))
}

// TestEachStops: fn returning false stops Each with nil; nothing new is
// sent after it.
func TestEachStops(t *testing.T) {
	leakCheck(t)
	srv := newFlight(t, nil, echoN(-1))
	c := testClient(t)
	s := mustCompile(t, &NodeConfig{URL: srv.URL + "/?n={{n}}"})
	var read atomic.Int64
	var got []int
	err := c.Each(t.Context(), s, rows(1000, &read), 4, func(i int, _ *Result, _ error) bool {
		got = append(got, i)
		return i < 49
	})
	require.NoError(t, err)
	assert.Len(t, got, 50)
	n, _, _ := srv.stats()
	assert.LessOrEqual(t, n, 50+4)
	assert.LessOrEqual(t, read.Load(), int64(50+4))
}

// TestEachPolicies: under terminate the first failure reaches fn as err
// and stops Each, which returns it; under continue failed rows reach fn as
// a Result with Failure and a nil err, and Each goes on.
func TestEachPolicies(t *testing.T) {
	leakCheck(t)
	srv := newFlight(t, nil, echoN(30))
	c := testClient(t)

	var last int
	s := mustCompile(t, &NodeConfig{URL: srv.URL + "/?n={{n}}"})
	err := c.Each(t.Context(), s, rows(100, nil), 8, func(i int, res *Result, err error) bool {
		last = i
		if i == 30 {
			var f *Failure
			assert.ErrorAs(t, err, &f)
			assert.Equal(t, 500, res.StatusCode)
		} else {
			assert.NoError(t, err)
		}
		return true
	})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, 500, f.StatusCode)
	assert.Equal(t, 30, last, "nothing after the failed row is delivered")

	s = mustCompile(t, &NodeConfig{URL: srv.URL + "/?n={{n}}", OnFailure: Continue})
	failed, count := 0, 0
	err = c.Each(t.Context(), s, rows(100, nil), 8, func(i int, res *Result, err error) bool {
		count++
		assert.NoError(t, err)
		if res.Failure != nil {
			failed++
			assert.Equal(t, 30, i)
			_, ok := res.Lookup("n")
			assert.False(t, ok, "a failed row's Result holds no data")
		}
		return true
	})
	require.NoError(t, err)
	assert.Equal(t, 100, count)
	assert.Equal(t, 1, failed)
}

// TestEachCancel: canceling mid-way returns the context's error within
// 100 ms, though rows in flight are still waiting for the server, and
// leaves no goroutine behind.
func TestEachCancel(t *testing.T) {
	leakCheck(t)
	release := make(chan struct{})
	srv := newFlight(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("n") >= "2" && len(r.URL.Query().Get("n")) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.Write([]byte(`{}`))
	})
	defer close(release)
	c := testClient(t)
	s := mustCompile(t, &NodeConfig{URL: srv.URL + "/?n={{n}}"})
	ctx, cancel := context.WithCancel(t.Context())
	var canceledAt time.Time
	var delivered atomic.Int64
	errc := make(chan error, 1)
	go func() {
		errc <- c.Each(ctx, s, rows(1000, nil), 8, func(int, *Result, error) bool {
			delivered.Add(1)
			return true
		})
	}()
	// Rows 0 and 1 answer at once; wait until fn has had both (under -race
	// the server can see all eight requests before row 0 is delivered).
	require.Eventually(t, func() bool { n, _, _ := srv.stats(); return n >= 8 && delivered.Load() == 2 }, 5*time.Second, time.Millisecond)
	canceledAt = time.Now()
	cancel()
	err := <-errc
	assert.Less(t, time.Since(canceledAt), 100*time.Millisecond)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int64(2), delivered.Load(), "nothing delivered after the cancellation")
}

// TestEachDefaultsAndLimits: concurrency 0 means one at a time, and the
// Client's Limits cap Each's concurrency.
func TestEachDefaultsAndLimits(t *testing.T) {
	srv := newFlight(t, func() time.Duration { return 2 * time.Millisecond }, nil)
	c := testClient(t)
	s := mustCompile(t, &NodeConfig{URL: srv.URL})
	require.NoError(t, c.Each(t.Context(), s, rows(20, nil), 0, func(int, *Result, error) bool { return true }))
	_, peak, _ := srv.stats()
	assert.Equal(t, 1, peak)

	srv = newFlight(t, func() time.Duration { return 2 * time.Millisecond }, nil)
	c = testClient(t)
	c.Limits = []Limit{{MaxConcurrent: 3}}
	s = mustCompile(t, &NodeConfig{URL: srv.URL})
	require.NoError(t, c.Each(t.Context(), s, rows(60, nil), 16, func(int, *Result, error) bool { return true }))
	_, peak, _ = srv.stats()
	assert.Equal(t, 3, peak)
}

// TestEachNilArguments: a nil step, sequence or function is an error, not
// a panic.
func TestEachNilArguments(t *testing.T) {
	s := mustCompile(t, &NodeConfig{URL: "http://127.0.0.1:1"})
	fn := func(int, *Result, error) bool { return true }
	var ee *eachError
	assert.ErrorAs(t, DefaultClient.Each(t.Context(), nil, rows(1, nil), 1, fn), &ee)
	assert.ErrorAs(t, DefaultClient.Each(t.Context(), s, nil, 1, fn), &ee)
	assert.ErrorAs(t, DefaultClient.Each(t.Context(), s, rows(1, nil), 1, nil), &ee)
	assert.True(t, errors.As(DefaultClient.Each(t.Context(), s, nil, 1, fn), &ee))
	assert.Contains(t, ee.Error(), "httpstep: Each needs")
}

// TestEachSlowConsumer: while fn is slow, Each reads no more than
// concurrency rows ahead of the one it delivers: rows do not pile up.
func TestEachSlowConsumer(t *testing.T) {
	srv := newFlight(t, nil, echoN(-1))
	c := testClient(t)
	s := mustCompile(t, &NodeConfig{URL: srv.URL + "/?n={{n}}"})
	var read atomic.Int64
	err := c.Each(t.Context(), s, rows(30, &read), 3, func(i int, _ *Result, _ error) bool {
		time.Sleep(2 * time.Millisecond)
		assert.LessOrEqual(t, read.Load(), int64(i+3), "row %d", i)
		return true
	})
	require.NoError(t, err)
}

// TestEachFirstFailureInOrder: under terminate, of two failed rows the
// first in input order is the one Each returns, whichever answered first,
// and fn sees no row after it.
func TestEachFirstFailureInOrder(t *testing.T) {
	srv := newFlight(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if n := r.URL.Query().Get("n"); n == "3" || n == "5" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		fmt.Fprintf(w, `{"n":%s}`, r.URL.Query().Get("n"))
	})
	c := testClient(t)
	s := mustCompile(t, &NodeConfig{URL: srv.URL + "/?n={{n}}"})
	var calls []int
	err := c.Each(t.Context(), s, rows(20, nil), 3, func(i int, _ *Result, err error) bool {
		calls = append(calls, i)
		if i == 3 {
			assert.Error(t, err)
		}
		return true
	})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindStatus, f.Kind)
	assert.Equal(t, []int{0, 1, 2, 3}, calls)
}
