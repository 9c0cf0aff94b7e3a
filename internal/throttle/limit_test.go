package throttle

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimitMatches(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"", "anything.example", true},
		{"api.example.com", "api.example.com", true},
		{"api.example.com", "API.Example.COM.", true},
		{"api.example.com", "example.com", false},
		{"api.example.com", "xapi.example.com", false},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "a.b.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "badexample.com", false},
		{"*.example.com", ".example.com", false},
		{"127.0.0.1", "127.0.0.1", true},
		{"::1", "::1", true},
		{"[::1]", "::1", true},
		{"api.example.com:8443", "api.example.com", true},
		{"[::1]:443", "::1", true},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Limit{Host: tc.pattern}.Matches(tc.host), "%q matches %q", tc.pattern, tc.host)
	}
}

// TestFirstLimitWins: the first matching Limit applies, later ones are not
// consulted.
func TestFirstLimitWins(t *testing.T) {
	l, ok := match([]Limit{{Host: "*.example.com", MaxConcurrent: 1}, {Host: "a.example.com", MaxConcurrent: 9}, {MaxConcurrent: 3}}, "a.example.com")
	require.True(t, ok)
	assert.Equal(t, 1, l.MaxConcurrent)
	l, ok = match([]Limit{{Host: "*.example.com", MaxConcurrent: 1}, {MaxConcurrent: 3}}, "other.test")
	require.True(t, ok)
	assert.Equal(t, 3, l.MaxConcurrent)
	_, ok = match([]Limit{{Host: "a.test"}}, "b.test")
	assert.False(t, ok)
}

// TestEachHostOwnCap: one Limit for every host still gives each host its
// own cap; the port does not make another host.
func TestEachHostOwnCap(t *testing.T) {
	e := New(Config{Limits: []Limit{{MaxConcurrent: 1}}})
	a, err := e.Acquire(t.Context(), "a.test", "a.test:443")
	require.NoError(t, err)
	b, err := e.Acquire(t.Context(), "b.test", "b.test:443")
	require.NoError(t, err, "another host has its own slot")

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = e.Acquire(ctx, "a.test", "a.test:8443")
	require.ErrorIs(t, err, context.DeadlineExceeded, "a.test's one slot is taken, whatever the port")

	a.Release()
	a2, err := e.Acquire(t.Context(), "a.test", "a.test:8443")
	require.NoError(t, err, "the released slot is free again")
	a2.Release()
	b.Release()
}

// TestRateSpacing: past the burst, requests are spaced by the rate.
func TestRateSpacing(t *testing.T) {
	e := New(Config{Limits: []Limit{{Host: "a.test", PerSecond: 100, Burst: 10}}})
	start := time.Now()
	for range 30 {
		p, err := e.Acquire(t.Context(), "a.test", "a.test:443")
		require.NoError(t, err)
		p.Release()
	}
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 190*time.Millisecond, "20 requests past the burst of 10 at 100/s")
	assert.Less(t, took, time.Second)

	start = time.Now()
	p, err := e.Acquire(t.Context(), "b.test", "b.test:443")
	require.NoError(t, err)
	p.Release()
	assert.Less(t, time.Since(start), 50*time.Millisecond, "a host no Limit matches is not held back")
}

// TestQueuedPastDeadline: when the rate cannot let a request go before
// the deadline, Acquire says so at once instead of waiting in vain.
func TestQueuedPastDeadline(t *testing.T) {
	e := New(Config{Limits: []Limit{{PerSecond: 0.5}}})
	p, err := e.Acquire(t.Context(), "a.test", "a.test:443")
	require.NoError(t, err)
	p.Release()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	start := time.Now()
	_, err = e.Acquire(ctx, "a.test", "a.test:443")
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, Queued, te.Reason)
	assert.False(t, te.Unavailable())
	assert.Contains(t, te.Error(), "rate limit of a.test:443")
	assert.Less(t, time.Since(start), 100*time.Millisecond)
}

// TestCanceledWhileQueued: a waiter whose context is canceled leaves the
// queue with the context's error and holds no slot.
func TestCanceledWhileQueued(t *testing.T) {
	e := New(Config{Limits: []Limit{{MaxConcurrent: 1}}})
	p, err := e.Acquire(t.Context(), "a.test", "a.test:443")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err = e.Acquire(ctx, "a.test", "a.test:443")
	require.ErrorIs(t, err, context.Canceled)
	p.Release()
	p.Release() // twice is harmless
	p2, err := e.Acquire(t.Context(), "a.test", "a.test:443")
	require.NoError(t, err)
	p2.Release()
}

// TestAddr: the host name is normalised and the port defaults by scheme;
// the addr is always what net.JoinHostPort writes, also when it is the
// host part as given (and then allocates nothing).
func TestAddr(t *testing.T) {
	for _, tc := range []struct {
		in         string
		https      bool
		host, addr string
	}{
		{"api.test:8080", false, "api.test", "api.test:8080"},
		{"API.Test:8080", false, "api.test", "api.test:8080"},
		{"api.test.:443", true, "api.test", "api.test:443"},
		{"api.test", false, "api.test", "api.test:80"},
		{"api.test", true, "api.test", "api.test:443"},
		{"[::1]:8443", true, "::1", "[::1]:8443"},
		{"[::1]", true, "::1", "[::1]:443"},
		{"[api.test]:80", false, "api.test", "api.test:80"},
		{"127.0.0.1:9", false, "127.0.0.1", "127.0.0.1:9"},
	} {
		host, addr := Addr(tc.in, tc.https)
		assert.Equal(t, tc.host, host, tc.in)
		assert.Equal(t, tc.addr, addr, tc.in)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { Addr("127.0.0.1:9", false) }))
}

// TestPauseWaitCapped: while a request waits out a host's pause, other
// requests' 429s keep moving the pause on; the request waits maxPause in
// all and then goes, as a retry wait is capped, however long the storm.
func TestPauseWaitCapped(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	var e *Engine
	sleeps := 0
	e = New(Config{
		Now: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			now = now.Add(d)
			sleeps++
			e.Pause("a.test:443", time.Second, time.Second) // another caller's 429 meanwhile
			return nil
		},
	})
	e.Pause("a.test:443", time.Second, time.Second)
	start := now
	p, err := e.acquireWithin(t.Context(), "a.test", "a.test:443", 2*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, now.Sub(start), "waited maxPause, not the storm")
	assert.Equal(t, 2*time.Second, p.Waited)
	assert.Equal(t, 2, sleeps)
}
