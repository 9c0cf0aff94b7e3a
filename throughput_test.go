package httpstep

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flight is a loopback server that counts requests, the most it had in
// flight at once and when each arrived; each waits delay(), then answer
// (200 {"ok":true} when nil) replies.
type flight struct {
	*httptest.Server
	mu       sync.Mutex
	now      int
	peak     int
	arrivals []time.Time
	delay    func() time.Duration
	answer   http.HandlerFunc
}

func newFlight(t testing.TB, delay func() time.Duration, answer http.HandlerFunc) *flight {
	f := &flight{delay: delay, answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	f.Config.ErrorLog = quietLog
	t.Cleanup(f.Close)
	return f
}

func (f *flight) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.now++
	f.peak = max(f.peak, f.now)
	f.arrivals = append(f.arrivals, time.Now())
	f.mu.Unlock()
	if f.delay != nil {
		time.Sleep(f.delay())
	}
	f.mu.Lock()
	f.now--
	f.mu.Unlock()
	if f.answer != nil {
		f.answer(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"ok":true}`))
}

func (f *flight) stats() (n, peak int, arrivals []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.arrivals), f.peak, append([]time.Time(nil), f.arrivals...)
}

// firstBusy answers the first request with status and a Retry-After,
// every later one with 200 {}.
func firstBusy(status int, retryAfter string) http.HandlerFunc {
	var first atomic.Bool
	return func(w http.ResponseWriter, _ *http.Request) {
		if first.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(status)
			return
		}
		w.Write([]byte(`{}`))
	}
}

// parallel runs n calls of fn over workers goroutines.
func parallel(workers, n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// TestLimitRate: 200 requests through PerSecond 100, Burst 10 take about
// 1.9 s: the burst at once, then one every 10 ms. The upper bound leaves a
// loaded machine room (2.54 s was seen under a load of 14) and still fails
// a limiter that runs at half the rate (3.8 s).
func TestLimitRate(t *testing.T) {
	srv := newFlight(t, nil, nil)
	c := testClient(t)
	c.Limits = []Limit{{Host: "127.0.0.1", PerSecond: 100, Burst: 10}}
	node := &NodeConfig{URL: srv.URL}
	start := time.Now()
	parallel(8, 200, func(int) {
		_, err := c.Execute(t.Context(), node, nil)
		assert.NoError(t, err)
	})
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 1800*time.Millisecond)
	assert.LessOrEqual(t, took, 3500*time.Millisecond)
	n, _, _ := srv.stats()
	assert.Equal(t, 200, n)
}

// TestLimitMaxConcurrent: MaxConcurrent 4 never puts a fifth request in
// flight at the server under 32 goroutines, and waits show as Queued.
func TestLimitMaxConcurrent(t *testing.T) {
	srv := newFlight(t, func() time.Duration { return 5 * time.Millisecond }, nil)
	c := testClient(t)
	c.Limits = []Limit{{Host: "*.example.com", MaxConcurrent: 1}, {MaxConcurrent: 4}}
	node := &NodeConfig{URL: srv.URL}
	var queued atomic.Int64
	parallel(32, 128, func(int) {
		res, err := c.Execute(t.Context(), node, nil)
		if assert.NoError(t, err) && res.Attempts[0].Queued > 0 {
			queued.Add(1)
		}
	})
	n, peak, _ := srv.stats()
	assert.Equal(t, 128, n)
	assert.Equal(t, 4, peak)
	assert.Positive(t, queued.Load(), "some attempts record the time they queued")
}

// TestSharedBackPressure: one 429 with Retry-After: 1 keeps every Execute
// of the Client away from that host for the second.
func TestSharedBackPressure(t *testing.T) {
	srv := newFlight(t, nil, firstBusy(http.StatusTooManyRequests, "1"))
	c := testClient(t)
	node := &NodeConfig{URL: srv.URL}
	_, err := c.Execute(t.Context(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	require.Equal(t, 429, f.StatusCode)

	parallel(16, 16, func(int) {
		res, err := c.Execute(t.Context(), node, nil)
		if assert.NoError(t, err) {
			assert.Greater(t, res.Attempts[0].Queued, Duration(800*time.Millisecond))
		}
	})
	n, _, arrivals := srv.stats()
	require.Equal(t, 17, n)
	for _, at := range arrivals[1:] {
		assert.GreaterOrEqual(t, at.Sub(arrivals[0]), time.Second, "a request arrived during the Retry-After pause")
	}
}

// TestPauseOutlastsContext: a run whose deadline comes before the pause
// ends fails at once with kind unavailable; nothing is sent. The pause is
// capped by the node's maxInterval.
func TestPauseOutlastsContext(t *testing.T) {
	srv := newFlight(t, nil, firstBusy(http.StatusServiceUnavailable, "3600"))
	c := testClient(t)
	node := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 1, MaxInterval: Duration(30 * time.Second)}}
	_, err := c.Execute(t.Context(), node, nil)
	require.Error(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	res, err := c.Execute(ctx, node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Less(t, time.Since(start), 200*time.Millisecond)
	assert.Equal(t, KindUnavailable, f.Kind)
	assert.Contains(t, f.Message, "Retry-After")
	assert.Contains(t, f.Message, "(in 30s)", "capped at the node's maxInterval")
	assert.Nil(t, res.Attempts[0].Response)
	assert.Equal(t, KindUnavailable, res.Attempts[0].Kind)
	n, _, _ := srv.stats()
	assert.Equal(t, 1, n, "nothing was sent")
}

// resetServer is a loopback listener that resets every connection it
// accepts, and counts them.
func resetServer(t *testing.T) (url string, count *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	count = new(atomic.Int64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			count.Add(1)
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String(), count
}

// TestBreakerExactlyFailures: a server that resets connections sees
// exactly Failures requests, then one probe per cooldown, whatever the
// number of callers; the others fail at once with kind unavailable.
func TestBreakerExactlyFailures(t *testing.T) {
	for _, callers := range []int{1, 16} {
		url, count := resetServer(t)
		c := testClient(t)
		const cooldown = 200 * time.Millisecond
		c.Breaker = &Breaker{Failures: 3, Cooldown: Duration(cooldown)}
		node := &NodeConfig{URL: url, OnFailure: Continue}
		var mu sync.Mutex
		kinds := map[FailureKind]int{}
		round := func() {
			parallel(callers, callers, func(int) {
				res, err := c.Execute(t.Context(), node, nil)
				require.NoError(t, err)
				mu.Lock()
				kinds[res.Failure.Kind]++
				mu.Unlock()
				if res.Failure.Kind == KindUnavailable {
					assert.Contains(t, res.Failure.Message, "tried again at")
				}
			})
		}
		for range 4 {
			round()
		}
		assert.EqualValues(t, 3, count.Load(), "%d callers", callers)
		assert.Equal(t, 3, kinds[KindNetwork], "%d callers", callers)
		assert.Equal(t, 4*callers-3, kinds[KindUnavailable], "%d callers", callers)
		for probe := int64(1); probe <= 2; probe++ {
			time.Sleep(cooldown + 30*time.Millisecond)
			round()
			assert.Equal(t, 3+probe, count.Load(), "%d callers: one probe per cooldown", callers)
		}
	}
}

// TestUnavailableNotRetried: an open circuit is not retried by the node's
// retry policy; it answers at once.
func TestUnavailableNotRetried(t *testing.T) {
	url, count := resetServer(t)
	c := testClient(t)
	c.Breaker = &Breaker{Failures: 2, Cooldown: Duration(time.Hour)}
	stubEnv(c, 0, nil)
	res, err := c.Execute(t.Context(), &NodeConfig{URL: url, Retry: &RetryPolicy{MaxAttempts: 5}}, nil)
	require.Error(t, err)
	assert.Equal(t, []FailureKind{KindNetwork, KindNetwork, KindUnavailable}, kinds(res))
	assert.EqualValues(t, 2, count.Load())
	assert.Contains(t, res.Attempts[2].Retry.Reason, "never retried")
}

// TestRedirectHopHeld: a redirect to another host passes the throttle
// too: a hop to a host paused past the attempt fails as unavailable, and
// that host sees nothing.
func TestRedirectHopHeld(t *testing.T) {
	target := newFlight(t, nil, firstBusy(http.StatusTooManyRequests, "3600"))
	start := newFlight(t, nil, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	})
	c := testClient(t)
	_, err := c.Execute(t.Context(), &NodeConfig{URL: target.URL}, nil)
	require.Error(t, err, "the 429 pauses the target for DefaultMaxInterval")

	res, err := c.Execute(t.Context(), &NodeConfig{URL: start.URL, Timeout: Duration(2 * time.Second)}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindUnavailable, f.Kind)
	assert.Contains(t, f.Message, "Retry-After")
	assert.Len(t, res.Attempts, 1)
	n, _, _ := target.stats()
	assert.Equal(t, 1, n, "the redirect did not reach the paused host")
	n, _, _ = start.stats()
	assert.Equal(t, 1, n)
}

// TestRedirectSameHostOneSlot: a redirect to the same host under
// MaxConcurrent 1 frees the first hop's slot before the second takes one.
func TestRedirectSameHostOneSlot(t *testing.T) {
	srv := newFlight(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/end", http.StatusFound)
			return
		}
		w.Write([]byte(`{"done":true}`))
	})
	c := testClient(t)
	c.Limits = []Limit{{MaxConcurrent: 1}}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	res, err := c.Execute(ctx, &NodeConfig{URL: srv.URL + "/start"}, nil)
	require.NoError(t, err)
	assert.True(t, res.Get("done").Bool())
}

// peakOf runs n concurrent Executes of a 20 ms request to a new server,
// addressed as localhost, and returns the most it had in flight at once.
func peakOf(t *testing.T, c *Client, n int) int {
	srv := newFlight(t, func() time.Duration { return 20 * time.Millisecond }, nil)
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	parallel(n, n, func(int) {
		_, err := c.Execute(context.Background(), &NodeConfig{URL: url}, nil)
		assert.NoError(t, err)
	})
	c.CloseIdleConnections()
	_, peak, _ := srv.stats()
	return peak
}

// TestLimitMatching: a Limit matches the host name whatever the port and
// the case, the first match applies (even when looser), and "" matches
// every host.
func TestLimitMatching(t *testing.T) {
	one := Limit{MaxConcurrent: 1}
	for name, limits := range map[string][]Limit{
		"name, port ignored": {{Host: "localhost", MaxConcurrent: 1}},
		"case ignored":       {{Host: "LOCALHOST", MaxConcurrent: 1}},
		"first match":        {{Host: "localhost", MaxConcurrent: 1}, {Host: "", MaxConcurrent: 100}},
		"empty is every":     {{Host: "other.example", MaxConcurrent: 100}, one},
	} {
		t.Run(name, func(t *testing.T) {
			c := testClient(t)
			c.Limits = limits
			assert.Equal(t, 1, peakOf(t, c, 6))
		})
	}
	t.Run("first match even when looser", func(t *testing.T) {
		c := testClient(t)
		c.Limits = []Limit{{Host: "localhost"}, one}
		assert.Greater(t, peakOf(t, c, 6), 1)
	})
}

// TestRetryAfterPauseCapped: a 429 with a long Retry-After pauses the host
// only as long as the node's maxInterval, so the retry comes soon; and a
// request whose context ends inside the pause is kind unavailable with
// nothing sent.
func TestRetryAfterPauseCapped(t *testing.T) {
	srv := newFlight(t, nil, firstBusy(http.StatusTooManyRequests, "30"))
	c := testClient(t)
	node := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 2,
		InitialInterval: Duration(10 * time.Millisecond), MaxInterval: Duration(300 * time.Millisecond)}}
	start := time.Now()
	_, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 3*time.Second)
	n, _, _ := srv.stats()
	assert.Equal(t, 2, n)

	srv = newFlight(t, nil, firstBusy(http.StatusTooManyRequests, "30"))
	long := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 1, MaxInterval: Duration(10 * time.Second)}}
	res, _ := c.Execute(context.Background(), long, nil) // 429 Retry-After 30: pause capped at 10s
	require.Equal(t, 429, res.StatusCode)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err = c.Execute(ctx, long, nil)
	require.Error(t, err)
	assert.Equal(t, KindUnavailable, res.Failure.Kind)
	n, _, _ = srv.stats()
	assert.Equal(t, 1, n, "nothing sent during the pause")
}

// TestBreakerOpensOnStatus: Failures consecutive 503s open the circuit;
// then requests fail at once as unavailable with no response; after
// Cooldown one probe goes, however many callers there are.
func TestBreakerOpensOnStatus(t *testing.T) {
	srv := newFlight(t, func() time.Duration { return 20 * time.Millisecond }, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := testClient(t)
	c.Breaker = &Breaker{Failures: 3, Cooldown: Duration(300 * time.Millisecond)}
	node := &NodeConfig{URL: srv.URL}
	for i := range 8 {
		res, err := c.Execute(context.Background(), node, nil)
		require.Error(t, err)
		if i >= 3 {
			assert.Equal(t, KindUnavailable, res.Failure.Kind)
			for _, a := range res.Attempts {
				assert.Nil(t, a.Response)
			}
		}
	}
	n, _, _ := srv.stats()
	assert.Equal(t, 3, n)
	time.Sleep(350 * time.Millisecond)
	parallel(8, 8, func(int) { _, _ = c.Execute(context.Background(), node, nil) })
	n, _, _ = srv.stats()
	assert.Equal(t, 4, n, "one probe after the cooldown")
}

// TestBreakerCounts429sAnd503Pauses: 429s count as failures for the
// breaker, a success in between resets the count, and a 503 with
// Retry-After pauses the host for other requests too.
func TestBreakerCounts429sAnd503Pauses(t *testing.T) {
	var code atomic.Int64
	code.Store(429)
	srv := newFlight(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ok") == "1" {
			return
		}
		if code.Load() == 503 {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(int(code.Load()))
	})
	c := testClient(t)
	c.Breaker = &Breaker{Failures: 2, Cooldown: Duration(time.Minute)}
	ctx := context.Background()
	fail := &NodeConfig{URL: srv.URL + "/"}
	ok := &NodeConfig{URL: srv.URL + "/?ok=1"}
	_, _ = c.Execute(ctx, fail, nil)
	_, err := c.Execute(ctx, ok, nil) // resets the count
	require.NoError(t, err)
	_, _ = c.Execute(ctx, fail, nil)
	_, err = c.Execute(ctx, ok, nil)
	require.NoError(t, err, "one failure after a success does not open the circuit")
	_, _ = c.Execute(ctx, fail, nil)
	_, _ = c.Execute(ctx, fail, nil)
	res, err := c.Execute(ctx, ok, nil)
	require.Error(t, err)
	assert.Equal(t, KindUnavailable, res.Failure.Kind, "two 429s in a row open it")
	n, _, _ := srv.stats()
	assert.Equal(t, 6, n)

	c2 := testClient(t)
	code.Store(503)
	_, _ = c2.Execute(ctx, fail, nil)
	start := time.Now()
	_, err = c2.Execute(ctx, ok, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 800*time.Millisecond, "the 503's Retry-After paused the host")
}

// TestPauseCappedUnderStorm: sixty callers against a host that answers
// every request 429 with Retry-After for a while. Each answer moves the
// host's shared pause on, so a caller that waited out one pause woke to
// the next: one attempt's queued time reached 5 s under a 2 s maxInterval.
// A caller waits at most maxInterval for pauses, whoever set them, as for
// one retry wait.
func TestPauseCappedUnderStorm(t *testing.T) {
	const maxInterval = 600 * time.Millisecond
	var stormEnd atomic.Int64
	srv := newFlight(t, nil, func(w http.ResponseWriter, _ *http.Request) {
		stormEnd.CompareAndSwap(0, time.Now().Add(3*time.Second).UnixNano())
		if time.Now().UnixNano() < stormEnd.Load() {
			w.Header().Set("Retry-After", "0.5")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{}`))
	})
	c := testClient(t)
	node := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 20,
		InitialInterval: Duration(50 * time.Millisecond), MaxInterval: Duration(maxInterval)}}
	var mu sync.Mutex
	var longest time.Duration
	start := time.Now()
	parallel(60, 60, func(int) {
		res, err := c.Execute(context.Background(), node, nil)
		assert.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		for _, a := range res.Attempts {
			longest = max(longest, time.Duration(a.Queued))
		}
	})
	t.Logf("60 callers through a 3 s storm of 429 Retry-After 0.5, maxInterval %v: %v in all, longest queued %v",
		maxInterval, time.Since(start).Round(time.Millisecond), longest.Round(time.Millisecond))
	assert.LessOrEqual(t, longest, maxInterval+150*time.Millisecond, "a pause is capped at maxInterval")
}
