package httpstep_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// peakOf runs n concurrent Executes of a 20 ms request to url and returns
// the most requests the server had in flight at once.
func peakOf(t *testing.T, c *httpstep.Client, n int) int64 {
	var inflight, peak atomic.Int64
	srv := echoServer(t, &inflight, &peak)
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/?sleep=20"
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Execute(context.Background(), &httpstep.NodeConfig{URL: url}, nil)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	c.CloseIdleConnections()
	return peak.Load()
}

// TestReviewLimitMatching: a Limit matches the host name whatever the port,
// the first match applies, and "" matches every host.
func TestReviewLimitMatching(t *testing.T) {
	one := httpstep.Limit{MaxConcurrent: 1}
	for name, limits := range map[string][]httpstep.Limit{
		"name, port ignored": {{Host: "localhost", MaxConcurrent: 1}},
		"case ignored":       {{Host: "LOCALHOST", MaxConcurrent: 1}},
		"first match":        {{Host: "localhost", MaxConcurrent: 1}, {Host: "", MaxConcurrent: 100}},
		"empty is every":     {{Host: "other.example", MaxConcurrent: 100}, one},
	} {
		t.Run(name, func(t *testing.T) {
			c := &httpstep.Client{AllowPrivate: true, Limits: limits}
			assert.Equal(t, int64(1), peakOf(t, c, 6))
		})
	}
	t.Run("first match even when looser", func(t *testing.T) {
		c := &httpstep.Client{AllowPrivate: true, Limits: []httpstep.Limit{{Host: "localhost"}, one}}
		assert.Greater(t, peakOf(t, c, 6), int64(1))
	})
}

// TestReviewRetryAfterPauseCapped: a 429 with a long Retry-After pauses the
// host only as long as the node's maxInterval, and a request whose context
// ends inside the pause is kind unavailable with nothing sent.
func TestReviewRetryAfterPauseCapped(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(429)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := &httpstep.Client{AllowPrivate: true}
	defer c.CloseIdleConnections()
	node := &httpstep.NodeConfig{URL: srv.URL, Retry: &httpstep.RetryPolicy{MaxAttempts: 2,
		InitialInterval: httpstep.Duration(10 * time.Millisecond), MaxInterval: httpstep.Duration(300 * time.Millisecond)}}
	start := time.Now()
	_, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, int64(2), hits.Load())

	hits.Store(0)
	long := *node
	long.Retry = &httpstep.RetryPolicy{MaxAttempts: 1, MaxInterval: httpstep.Duration(10 * time.Second)}
	res, _ := c.Execute(context.Background(), &long, nil) // 429 Retry-After 30: pause capped at 10s
	require.Equal(t, 429, res.StatusCode)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err = c.Execute(ctx, &long, nil)
	require.Error(t, err)
	assert.Equal(t, httpstep.KindUnavailable, res.Failure.Kind)
	assert.Equal(t, int64(1), hits.Load(), "nothing sent during the pause")
}

// TestReviewBreaker: Failures consecutive failures open the circuit; then
// requests fail at once as unavailable; after Cooldown one probe goes.
func TestReviewBreaker(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(20 * time.Millisecond)
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c := &httpstep.Client{AllowPrivate: true, Breaker: &httpstep.Breaker{Failures: 3, Cooldown: httpstep.Duration(300 * time.Millisecond)}}
	defer c.CloseIdleConnections()
	node := &httpstep.NodeConfig{URL: srv.URL}
	for i := range 8 {
		res, err := c.Execute(context.Background(), node, nil)
		require.Error(t, err)
		if i >= 3 {
			assert.Equal(t, httpstep.KindUnavailable, res.Failure.Kind)
			for _, a := range res.Attempts {
				assert.Nil(t, a.Response)
			}
		}
	}
	assert.Equal(t, int64(3), hits.Load())
	time.Sleep(350 * time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = c.Execute(context.Background(), node, nil) }()
	}
	wg.Wait()
	assert.Equal(t, int64(4), hits.Load(), "one probe after the cooldown")
}

// TestReviewBreakerCounts429And503Pause: 429s count as failures for the
// breaker, a success in between resets the count, and a 503 with
// Retry-After pauses the host for other requests too.
func TestReviewBreakerCounts429And503Pause(t *testing.T) {
	var hits atomic.Int64
	var code atomic.Int64
	code.Store(429)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Query().Get("ok") == "1" {
			return
		}
		if code.Load() == 503 {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(int(code.Load()))
	}))
	defer srv.Close()
	c := &httpstep.Client{AllowPrivate: true, Breaker: &httpstep.Breaker{Failures: 2, Cooldown: httpstep.Duration(time.Minute)}}
	defer c.CloseIdleConnections()
	ctx := context.Background()
	fail := &httpstep.NodeConfig{URL: srv.URL + "/"}
	ok := &httpstep.NodeConfig{URL: srv.URL + "/?ok=1"}
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
	assert.Equal(t, httpstep.KindUnavailable, res.Failure.Kind, "two 429s in a row open it")
	assert.Equal(t, int64(6), hits.Load())

	c2 := &httpstep.Client{AllowPrivate: true}
	defer c2.CloseIdleConnections()
	code.Store(503)
	hits.Store(0)
	_, _ = c2.Execute(ctx, fail, nil)
	start := time.Now()
	_, err = c2.Execute(ctx, ok, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 800*time.Millisecond, "the 503's Retry-After paused the host")
}
