//go:build postgres

package durable

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// arrivals is a loopback API that records when each request arrived and
// answers with answer (200 when it returns 0).
type arrivals struct {
	*httptest.Server
	mu    sync.Mutex
	times []time.Time
}

func newArrivals(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request) int) *arrivals {
	a := &arrivals{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.times = append(a.times, time.Now())
		n := len(a.times)
		a.mu.Unlock()
		if status := answer(n, w, r); status != 0 {
			w.WriteHeader(status)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *arrivals) all() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.times...)
}

// busiestSecond is the most requests that arrived within any 1 s window.
func busiestSecond(times []time.Time) int {
	best := 0
	for i, t0 := range times {
		n := 0
		for _, t := range times[i:] {
			if t.Sub(t0) < time.Second {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// spawnFleet starts n worker processes whose Clients have limits.
func spawnFleet(t *testing.T, db pgDB, n int, limits []httpstep.Limit) {
	raw, err := json.Marshal(limits)
	require.NoError(t, err)
	for range n {
		spawnWorker(t, db, DefaultRescueAfter, fleetEnv+"="+string(raw))
	}
}

// enqueueAll enqueues n deliveries of node and waits for all of them.
func enqueueAll(t *testing.T, q *Queue, node *httpstep.NodeConfig, n int, within time.Duration) []*Delivery {
	ids := make([]int64, n)
	for i := range ids {
		id, err := q.Enqueue(context.Background(), node, order)
		require.NoError(t, err)
		ids[i] = id
	}
	var out []*Delivery
	for _, id := range ids {
		out = append(out, waitState(t, q, id, StateDelivered, within))
	}
	return out
}

const fleetRate = 20

// TestFleetSharesOneRate: three processes with Limits of 20/s each send 20/s
// together, not 60.
func TestFleetSharesOneRate(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		api := newArrivals(t, func(int, http.ResponseWriter, *http.Request) int { return 0 })
		spawnFleet(t, db, 3, []httpstep.Limit{{PerSecond: fleetRate}})
		q := db.open(t, fastConfig())
		start := time.Now()
		enqueueAll(t, q, fastPush(api.URL, 3), 4*fleetRate, 30*time.Second)
		times := api.all()
		busiest := busiestSecond(times)
		rate := float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
		t.Logf("%d requests from 3 processes in %v: busiest second %d, %.1f/s on average (limit %d/s)",
			len(times), time.Since(start).Round(100*time.Millisecond), busiest, rate, fleetRate)
		assert.LessOrEqual(t, busiest, fleetRate*11/10, "requests in the busiest second")
		assert.Less(t, rate, 1.1*fleetRate)
	})
}

// TestFleetSharesOnePause: a 429 with Retry-After: 2 told to one process
// holds back all three.
func TestFleetSharesOnePause(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		var told time.Time
		var mu sync.Mutex
		api := newArrivals(t, func(n int, w http.ResponseWriter, _ *http.Request) int {
			if n != 15 {
				return 0
			}
			mu.Lock()
			told = time.Now()
			mu.Unlock()
			w.Header().Set("Retry-After", "2")
			return http.StatusTooManyRequests
		})
		spawnFleet(t, db, 3, []httpstep.Limit{{PerSecond: 50}})
		q := db.open(t, fastConfig())
		node := fastPush(api.URL, 3)
		node.Retry.MaxInterval = httpstep.Duration(5 * time.Second) // lets the pause be 2s
		enqueueAll(t, q, node, 60, 30*time.Second)
		mu.Lock()
		defer mu.Unlock()
		require.False(t, told.IsZero())
		const inFlight = 100 * time.Millisecond // admitted before the pause was stored
		var during []time.Duration
		for _, at := range api.all() {
			if d := at.Sub(told); d > inFlight && d < 2*time.Second-inFlight {
				during = append(during, d)
			}
		}
		t.Logf("requests during the shared 2s pause: %d %v", len(during), during)
		assert.Empty(t, during, "requests during the pause, after those in flight")
	})
}

// tokenServer is an OAuth2 server whose refresh tokens rotate: each may be
// used once, and its access tokens live 12 s (2 s past the cache's 10 s
// leeway, so the fleet refreshes every 2 s).
type tokenServer struct {
	*httptest.Server
	mu       sync.Mutex
	refresh  string          // the one refresh token that works
	access   map[string]bool // tokens issued
	n        int
	refused  int // invalid_grant answers
	refreshs int
}

func newTokenServer(t *testing.T) *tokenServer {
	s := &tokenServer{refresh: "rt-0", access: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path != "/token" {
		if !s.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
			w.WriteHeader(http.StatusUnauthorized)
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.PostFormValue("refresh_token") != s.refresh {
		s.refused++
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_grant"}`)
		return
	}
	s.n++
	s.refreshs++
	s.refresh = fmt.Sprintf("rt-%d", s.n)
	access := fmt.Sprintf("at-%d", s.n)
	s.access[access] = true
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":12,"refresh_token":%q}`, access, s.refresh)
}

// TestFleetRefreshesOnce: three processes on a rotating refresh token use
// each refresh token once; none is refused.
func TestFleetRefreshesOnce(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		srv := newTokenServer(t)
		spawnFleet(t, db, 3, []httpstep.Limit{{PerSecond: fleetRate}})
		q := db.open(t, fastConfig())
		node := fastPush(srv.URL+"/api", 3)
		node.Auth = &httpstep.Auth{Type: httpstep.AuthOAuth2, OAuth2: &httpstep.OAuth2{
			Grant: httpstep.GrantRefreshToken, TokenURL: srv.URL + "/token", ClientID: "fleet", RefreshToken: "rt-0",
		}}
		ds := enqueueAll(t, q, node, 3*fleetRate, 30*time.Second)
		srv.mu.Lock()
		defer srv.mu.Unlock()
		t.Logf("%d deliveries, %d refreshes, %d refused", len(ds), srv.refreshs, srv.refused)
		assert.Zero(t, srv.refused, "invalid_grant answers")
		assert.GreaterOrEqual(t, srv.refreshs, 1)
	})
}

// TestKilledProcessFreesSlots: a process killed holding all of a host's
// MaxConcurrent slots holds them until their leases expire, not longer:
// another process's request waits for the expiry, then goes.
func TestKilledProcessFreesSlots(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		const lease = 2 * time.Second // the Client's is SlotLease, a minute
		hold := make(chan struct{})
		api := newArrivals(t, func(_ int, _ http.ResponseWriter, r *http.Request) int {
			if r.URL.Path == "/hold" {
				select {
				case <-hold:
				case <-r.Context().Done(): // the killed process's connection
				}
			}
			return 0
		})
		t.Cleanup(func() { close(hold) }) // before api.Close, which waits for the held handlers
		limits := []httpstep.Limit{{MaxConcurrent: 2}}
		raw, err := json.Marshal(limits)
		require.NoError(t, err)
		doomed := spawnWorker(t, db, DefaultRescueAfter, fleetEnv+"="+string(raw), leaseEnv+"="+lease.String())
		cfg := fastConfig()
		cfg.Client.Limits = limits
		cfg.Client.State = &pgState{pool: poolOn(t, db.dsn, db.schema), lease: lease}
		q := db.open(t, cfg)
		held := fastPush(api.URL+"/hold", 1)
		held.Timeout = httpstep.Duration(30 * time.Second)
		for range 2 {
			_, err := q.Enqueue(context.Background(), held, order)
			require.NoError(t, err)
		}
		require.Eventually(t, func() bool { return len(api.all()) == 2 }, 10*time.Second, 5*time.Millisecond)
		taken := api.all()[1] // the second slot was taken a little before
		doomed.kill()
		killed := time.Now()
		startT(t, q)
		d := enqueueAll(t, q, fastPush(api.URL+"/free", 1), 1, 10*time.Second)[0]
		times := api.all()
		require.Len(t, times, 3)
		t.Logf("killed holding 2 of 2 slots (lease %v): the next request went %v after the kill, %v after the last slot was taken",
			lease, times[2].Sub(killed).Round(10*time.Millisecond), times[2].Sub(taken).Round(10*time.Millisecond))
		assert.GreaterOrEqual(t, times[2].Sub(taken), lease-500*time.Millisecond, "went while the dead process's leases held")
		assert.Less(t, times[2].Sub(taken), lease+time.Second, "waited past the leases' expiry")
		assert.Equal(t, StateDelivered, d.State)
	})
}

// TestFleetSendsOneProbe: after an open circuit's cooldown one probe goes
// for the whole fleet, not one per process: with the API down, requests
// from three processes reach it at most once per cooldown once the
// circuit has opened.
func TestFleetSendsOneProbe(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		const cooldown = time.Second
		const slow = 300 * time.Millisecond // a probe in flight that long
		api := newArrivals(t, func(int, http.ResponseWriter, *http.Request) int {
			time.Sleep(slow)
			return http.StatusServiceUnavailable
		})
		raw, err := json.Marshal(httpstep.Breaker{Failures: 2, Cooldown: httpstep.Duration(cooldown)})
		require.NoError(t, err)
		for range 3 {
			spawnWorker(t, db, DefaultRescueAfter, breakerEnv+"="+string(raw))
		}
		q := db.open(t, fastConfig())
		node := fastPush(api.URL, 1)
		var ids []int64
		for i := range 200 { // 50/s for 4 s, 5 at once: every process keeps trying
			id, err := q.Enqueue(context.Background(), node, order)
			require.NoError(t, err)
			ids = append(ids, id)
			if i%5 == 4 {
				time.Sleep(100 * time.Millisecond)
			}
		}
		for _, id := range ids {
			waitState(t, q, id, StateFailed, 10*time.Second)
		}
		times := api.all()
		require.NotEmpty(t, times)
		const inFlight = slow + 200*time.Millisecond // sent before the circuit opened
		var gaps []time.Duration
		for i := 1; i < len(times); i++ {
			if times[i].Sub(times[0]) > inFlight {
				gaps = append(gaps, times[i].Sub(times[i-1]).Round(10*time.Millisecond))
			}
		}
		t.Logf("%d requests reached the API; after the opening, apart by %v", len(times), gaps)
		assert.GreaterOrEqual(t, len(gaps), 2, "probes after the cooldowns")
		for _, g := range gaps {
			assert.GreaterOrEqual(t, g, cooldown-200*time.Millisecond, "two probes within one cooldown")
		}
	})
}
