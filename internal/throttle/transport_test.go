package throttle

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counter is a loopback server that counts requests and the most it had in
// flight at once, answering each with answer after delay.
type counter struct {
	*httptest.Server
	mu       sync.Mutex
	n, now   int
	peak     int
	arrivals []time.Time
}

func newCounter(t *testing.T, delay time.Duration, answer http.HandlerFunc) *counter {
	c := &counter{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.n++
		c.now++
		c.peak = max(c.peak, c.now)
		c.arrivals = append(c.arrivals, time.Now())
		c.mu.Unlock()
		time.Sleep(delay)
		c.mu.Lock()
		c.now--
		c.mu.Unlock()
		if answer != nil {
			answer(w, r)
		}
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *counter) stats() (n, peak int, arrivals []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.peak, append([]time.Time(nil), c.arrivals...)
}

// durationAfter reads Retry-After as a Go duration, so tests can pause for
// less than a second.
func durationAfter(v string, _ time.Time) (time.Duration, bool) {
	d, err := time.ParseDuration(v)
	return d, err == nil
}

// client sends through a Transport of e over a fresh http.Transport.
func client(t *testing.T, e *Engine) *http.Client {
	base := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: &Transport{Engine: e, Next: base, RetryAfter: durationAfter}}
}

func get(ctx context.Context, hc *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// TestMaxConcurrentAtServer: 32 goroutines through MaxConcurrent 4 never
// put a fifth request in flight at the server, and do reach four.
func TestMaxConcurrentAtServer(t *testing.T) {
	srv := newCounter(t, 5*time.Millisecond, nil)
	hc := client(t, New(Config{Limits: []Limit{{Host: "127.0.0.1", MaxConcurrent: 4}}}))
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 4 {
				_, err := get(t.Context(), hc, srv.URL)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	n, peak, _ := srv.stats()
	assert.Equal(t, 128, n)
	assert.Equal(t, 4, peak)
}

// TestSharedPause: a 429 with Retry-After holds back every request to that
// host, not only the one that got it.
func TestSharedPause(t *testing.T) {
	var first atomic.Bool
	srv := newCounter(t, 0, func(w http.ResponseWriter, _ *http.Request) {
		if first.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "300ms")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	hc := client(t, New(Config{}))
	code, err := get(t.Context(), hc, srv.URL)
	require.NoError(t, err)
	require.Equal(t, 429, code)
	_, _, arrivals := srv.stats()
	sent429 := arrivals[0]

	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			code, err := get(t.Context(), hc, srv.URL)
			assert.NoError(t, err)
			assert.Equal(t, 200, code)
		})
	}
	wg.Wait()
	n, _, arrivals := srv.stats()
	assert.Equal(t, 17, n)
	for _, at := range arrivals[1:] {
		assert.GreaterOrEqual(t, at.Sub(sent429), 300*time.Millisecond, "a request arrived during the pause")
	}
}

// TestPausePastDeadline: a request whose deadline comes before the pause
// ends fails at once as unavailable, and nothing is sent.
func TestPausePastDeadline(t *testing.T) {
	srv := newCounter(t, 0, nil)
	e := New(Config{})
	hc := client(t, e)
	_, addr := Addr(srv.Listener.Addr().String(), false)
	e.Pause(addr, time.Hour, 10*time.Second)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := get(ctx, hc, srv.URL)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, Paused, te.Reason)
	assert.True(t, te.Unavailable())
	assert.InDelta(t, 10*time.Second, time.Until(te.Until), float64(time.Second), "the pause is capped")
	assert.Contains(t, te.Error(), "Retry-After")
	assert.Contains(t, te.Error(), "UTC (in 10s)")
	assert.Less(t, time.Since(start), 100*time.Millisecond)
	n, _, _ := srv.stats()
	assert.Zero(t, n)
}

// TestPauseCanceled: a waiter canceled during the pause gets the context's
// error, and nothing is sent.
func TestPauseCanceled(t *testing.T) {
	srv := newCounter(t, 0, nil)
	e := New(Config{})
	hc := client(t, e)
	_, addr := Addr(srv.Listener.Addr().String(), false)
	e.Pause(addr, time.Hour, 0)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err := get(ctx, hc, srv.URL)
	require.ErrorIs(t, err, context.Canceled)
	n, _, _ := srv.stats()
	assert.Zero(t, n)
}

// resetter is a loopback listener that resets every connection it
// accepts, and counts them.
type resetter struct {
	ln   net.Listener
	n    atomic.Int64
	done chan struct{}
}

func newResetter(t *testing.T) *resetter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &resetter{ln: ln, done: make(chan struct{})}
	go r.serve()
	t.Cleanup(func() { ln.Close(); <-r.done })
	return r
}

func (r *resetter) serve() {
	defer close(r.done)
	for {
		conn, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.n.Add(1)
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}
}

// hammer has callers goroutines send one request each, at once, and
// returns the errors that were the engine's own.
func hammer(t *testing.T, hc *http.Client, url string, callers int) []*Error {
	var mu sync.Mutex
	var held []*Error
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			_, err := get(t.Context(), hc, url)
			var te *Error
			if errors.As(err, &te) {
				mu.Lock()
				held = append(held, te)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return held
}

// TestBreakerExactCounts: a host that resets every connection sees exactly
// Failures requests, then one probe per cooldown, however many callers
// there are.
func TestBreakerExactCounts(t *testing.T) {
	for _, callers := range []int{1, 16} {
		srv := newResetter(t)
		cooldown := 150 * time.Millisecond
		hc := client(t, New(Config{Breaker: &Breaker{Failures: 3, Cooldown: cooldown}}))
		url := "http://" + srv.ln.Addr().String()

		for range 4 { // more rounds than Failures: the circuit opens
			hammer(t, hc, url, callers)
		}
		assert.EqualValues(t, 3, srv.n.Load(), "%d callers: Failures requests", callers)
		held := hammer(t, hc, url, callers)
		require.Len(t, held, callers, "the open circuit sends nothing")
		assert.Equal(t, Open, held[0].Reason)
		assert.Contains(t, held[0].Error(), "failed 3 times in a row")
		assert.Contains(t, held[0].Error(), "tried again at")

		for probe := 1; probe <= 2; probe++ {
			time.Sleep(cooldown + 20*time.Millisecond)
			hammer(t, hc, url, callers)
			assert.EqualValues(t, 3+probe, srv.n.Load(), "%d callers: one probe per cooldown", callers)
		}
	}
}

// TestBreakerProbeCloses: after the cooldown one probe goes; its success
// closes the circuit and everyone goes again.
func TestBreakerProbeCloses(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	srv := newCounter(t, 20*time.Millisecond, func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	hc := client(t, New(Config{Breaker: &Breaker{Failures: 2, Cooldown: 100 * time.Millisecond}}))
	hammer(t, hc, srv.URL, 8)
	hammer(t, hc, srv.URL, 8)
	n, _, _ := srv.stats()
	require.Equal(t, 2, n, "untrusted host: one at a time, so exactly Failures requests")

	down.Store(false)
	time.Sleep(120 * time.Millisecond)
	held := hammer(t, hc, srv.URL, 8)
	require.Len(t, held, 7, "one probe, the others held while it is in flight")
	assert.Equal(t, Probing, held[0].Reason)
	assert.Contains(t, held[0].Error(), "one trial request")
	assert.Empty(t, hammer(t, hc, srv.URL, 8), "the probe's success closed the circuit")
	n, peak, _ := srv.stats()
	assert.Equal(t, 11, n)
	assert.Greater(t, peak, 1, "a trusted host takes requests in parallel")
}

// TestCanceledIsNeutral: requests the caller gave up on do not open the
// circuit.
func TestCanceledIsNeutral(t *testing.T) {
	srv := newCounter(t, time.Second, nil)
	hc := client(t, New(Config{Breaker: &Breaker{Failures: 1, Cooldown: time.Hour}}))
	for range 3 { // whatever the cause the caller gives
		ctx, cancel := context.WithCancelCause(t.Context())
		time.AfterFunc(20*time.Millisecond, func() { cancel(errors.New("the row is no longer wanted")) })
		_, err := get(ctx, hc, srv.URL)
		require.ErrorContains(t, err, "no longer wanted")
	}
	srv.CloseClientConnections()
	n, _, _ := srv.stats()
	assert.Equal(t, 3, n, "each canceled request was sent; none opened the circuit")
}

// TestTicketWaitBoundByRun: an attempt waits for its slot on the run's
// context, reports the wait, and the round trip uses the ticket's permit
// rather than queueing again.
func TestTicketWaitBoundByRun(t *testing.T) {
	srv := newCounter(t, 0, nil)
	e := New(Config{Limits: []Limit{{MaxConcurrent: 1}}})
	hc := client(t, e)
	hold, err := e.Acquire(t.Context(), "127.0.0.1", "127.0.0.1:1")
	require.NoError(t, err)
	time.AfterFunc(80*time.Millisecond, hold.Release)

	ctx, tk, err := e.Admit(t.Context(), srv.Listener.Addr().String(), false, 0)
	require.NoError(t, err)
	defer tk.Done()
	assert.GreaterOrEqual(t, tk.Waited(), 70*time.Millisecond)
	actx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	code, err := get(actx, hc, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 200, code)
	tk.Done()
	p, err := e.Acquire(t.Context(), "127.0.0.1", "127.0.0.1:1")
	require.NoError(t, err, "the slot was given back once")
	p.Release()
}

// TestTicketPauseWithoutLimits: with no Limits and no Breaker, a Retry-After
// met through an admitted attempt still pauses the host, capped by the
// ticket's maxPause, and the next admission waits it out. The ticket's
// context behaves as its parent's (deadline, cancellation, values).
func TestTicketPauseWithoutLimits(t *testing.T) {
	srv := newCounter(t, 0, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "10s")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	e := New(Config{})
	hc := client(t, e)
	type key struct{}
	parent, cancel := context.WithTimeout(context.WithValue(t.Context(), key{}, "v"), 5*time.Second)
	defer cancel()
	ctx, tk, err := e.Admit(parent, srv.Listener.Addr().String(), false, 150*time.Millisecond)
	require.NoError(t, err)
	pd, _ := parent.Deadline()
	d, ok := ctx.Deadline()
	assert.True(t, ok)
	assert.Equal(t, pd, d)
	assert.Equal(t, "v", ctx.Value(key{}))
	actx, acancel := context.WithCancel(ctx)
	defer acancel()
	code, err := get(actx, hc, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 503, code)
	tk.Done()

	_, tk2, err := e.Admit(t.Context(), srv.Listener.Addr().String(), false, 0)
	require.NoError(t, err)
	defer tk2.Done()
	assert.GreaterOrEqual(t, tk2.Waited(), 100*time.Millisecond, "the pause applied")
	assert.Less(t, tk2.Waited(), 5*time.Second, "the pause was capped by the ticket's maxPause")

	cancel()
	select {
	case <-actx.Done():
	case <-time.After(time.Second):
		t.Fatal("a context made from the ticket's did not end with its parent")
	}
	assert.ErrorIs(t, context.Cause(actx), context.Canceled)
}

// TestTransportClosesIdle: an http.Client over a Transport closes the idle
// connections of the transport under it; the server sees its keep-alive
// connection close.
func TestTransportClosesIdle(t *testing.T) {
	var open atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	hc := client(t, New(Config{}))
	_, err := get(context.Background(), hc, srv.URL)
	require.NoError(t, err)
	require.EqualValues(t, 1, open.Load(), "the keep-alive connection stays open after the answer")
	hc.CloseIdleConnections()
	require.Eventually(t, func() bool { return open.Load() == 0 }, time.Second, 5*time.Millisecond)
}

// TestRateLimitPause: a 403 whose RateLimit hook says no requests remain
// pauses the host like a Retry-After; a 403 the hook says nothing of, and
// a 500, do not.
func TestRateLimitPause(t *testing.T) {
	var code atomic.Int32
	code.Store(http.StatusForbidden)
	srv := newCounter(t, 0, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Limited", "yes")
		w.WriteHeader(int(code.Load()))
	})
	e := New(Config{})
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	hook := func(status int, h http.Header, _ time.Time) (time.Duration, bool) {
		return time.Hour, h.Get("X-Limited") == "yes" && status == http.StatusForbidden
	}
	hc := &http.Client{Transport: &Transport{Engine: e, Next: base, RetryAfter: durationAfter, RateLimit: hook}}
	_, err := get(t.Context(), hc, srv.URL)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err = get(ctx, hc, srv.URL)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, Paused, te.Reason)
	n, _, _ := srv.stats()
	assert.Equal(t, 1, n)

	other := New(Config{})
	code.Store(http.StatusInternalServerError)
	hc = &http.Client{Transport: &Transport{Engine: other, Next: base, RetryAfter: durationAfter, RateLimit: hook}}
	for range 2 {
		_, err = get(t.Context(), hc, srv.URL)
		require.NoError(t, err)
	}
	n, _, _ = srv.stats()
	assert.Equal(t, 3, n, "a 500 pauses nothing")
}
