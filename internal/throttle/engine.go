// Package throttle holds back the requests of one httpstep Client: per-host
// rate limits and concurrency caps, a shared Retry-After pause per host, and
// a per-host circuit breaker. Nothing is shared between Engines.
package throttle

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultMaxPause caps a Retry-After pause when the caller gives no cap.
const DefaultMaxPause = 5 * time.Minute

// Config is what an Engine enforces.
type Config struct {
	Limits  []Limit  // the first matching Limit applies to a host name
	Breaker *Breaker // nil: no circuit breaker
	// Now and Sleep are the clock of the Retry-After pause; nil uses the
	// real one. Sleep waits d or until ctx ends, returning the context's
	// cause then.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Shared, when set, keeps the rate buckets, concurrency slots, pauses
	// and breaker counts where other Engines see them; the Engine's own
	// state then serves only as the fallback when Shared fails, besides
	// its own breaker and pauses. nil: the Engine's own state alone.
	Shared Shared
}

// Engine enforces a Config. It is safe for concurrent use; its per-host
// state lives as long as the Engine.
type Engine struct {
	cfg     Config
	mu      sync.Mutex
	gates   map[string]*gate   // by host name
	origins map[string]*origin // by host and port
}

// New returns an Engine for cfg. The Limits slice is copied.
func New(cfg Config) *Engine {
	cfg.Limits = append([]Limit(nil), cfg.Limits...)
	if cfg.Breaker != nil {
		b := *cfg.Breaker
		cfg.Breaker = &b
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = Sleep
	}
	return &Engine{cfg: cfg, gates: map[string]*gate{}, origins: map[string]*origin{}}
}

// Permit is one admitted request. Call Record once with its outcome and
// Release once when it is no longer in flight (its response body closed).
type Permit struct {
	e       *Engine
	o       *origin
	probe   bool
	breaker bool
	release func()
	once    sync.Once
	freed   sync.Once
	addr    string
	shared  bool // admitted by the Shared store
	// failures is the consecutive failures the Shared store knew of.
	failures int
	Waited   time.Duration // how long Acquire waited
	Degraded bool          // the Shared store failed: the Engine's own limits applied
}

// Record reports the request's outcome to the breaker. Only the first call
// counts.
func (p *Permit) Record(out Outcome) {
	p.once.Do(func() {
		if p.breaker {
			p.o.record(*p.e.cfg.Breaker, p.e.cfg.Now, p.probe, out)
		}
		if p.shared {
			p.e.storeRecord(p, out)
		}
	})
}

// Release frees the request's concurrency slot. Only the first call counts.
func (p *Permit) Release() {
	p.freed.Do(func() {
		if p.release != nil {
			p.release()
		}
	})
}

// Acquire waits until a request to host (name without port) at addr (host
// and port) may be sent: past the host's Retry-After pause, through its
// circuit, and within its concurrency cap and rate. It waits for pauses at
// most DefaultMaxPause in all, however often other requests' answers move
// the pause on.
//
// The error is an *Error when the host is unavailable or ctx's deadline is
// too near, else the context's cause. Either way nothing may be sent.
func (e *Engine) Acquire(ctx context.Context, host, addr string) (*Permit, error) {
	return e.acquireWithin(ctx, host, addr, DefaultMaxPause)
}

// acquireWithin is Acquire waiting for pauses at most maxPause in all (0:
// DefaultMaxPause).
func (e *Engine) acquireWithin(ctx context.Context, host, addr string, maxPause time.Duration) (*Permit, error) {
	p := new(Permit)
	if err := e.acquire(ctx, host, addr, maxPause, p); err != nil {
		return nil, err
	}
	return p, nil
}

// acquire is acquireWithin into a zero Permit p, so that a Ticket can hold
// its Permit without an allocation of its own. The pauses it waits for end
// at the latest maxPause after it starts: a pause is capped like one retry
// wait, whatever the number of callers whose 429s extend it.
func (e *Engine) acquire(ctx context.Context, host, addr string, maxPause time.Duration, p *Permit) error {
	start := e.cfg.Now()
	if maxPause <= 0 {
		maxPause = DefaultMaxPause
	}
	limit := start.Add(maxPause)
	o := e.origin(addr)
	if err := e.checkPause(ctx, o, addr, limit); err != nil {
		return err
	}
	p.e, p.o = e, o
	if b := e.cfg.Breaker; b != nil {
		probe, err := o.admit(ctx, *b, e.cfg.Now, addr)
		if err != nil {
			return err
		}
		p.breaker, p.probe = true, probe
	}
	p.addr = addr
	err := e.enter(ctx, host, addr, limit, p)
	if err == nil {
		err = e.waitPause(ctx, o, addr, limit)
	}
	if err != nil {
		p.Record(Neutral)
		p.Release()
		return e.queueError(ctx, addr, err)
	}
	p.Waited = max(e.cfg.Now().Sub(start), 0)
	return nil
}

// enter takes host's slot and rate: from the Shared store when there is
// one and it answers, else from the local gate.
func (e *Engine) enter(ctx context.Context, host, addr string, limit time.Time, p *Permit) error {
	if e.cfg.Shared != nil {
		err := e.enterShared(ctx, host, addr, limit, p)
		if !errors.Is(err, errDegraded) {
			p.shared = err == nil
			return err
		}
		if p.release != nil {
			p.release()
			p.release = nil
		}
		p.Degraded = true
	}
	release, err := e.gate(host).enter(ctx)
	p.release = release
	return err
}

// limit is the Limit that applies to host, if any.
func (e *Engine) limit(host string) (Limit, bool) {
	return match(e.cfg.Limits, normalize(host))
}

// inert reports whether Record and Release do nothing: no breaker counts
// the outcome and no concurrency slot is held.
func (p *Permit) inert() bool {
	return !p.breaker && p.release == nil
}

// queueError turns a failed wait into an *Error when ctx has not ended (the
// rate limiter refuses to wait past the deadline).
func (e *Engine) queueError(ctx context.Context, addr string, err error) error {
	if _, ok := err.(*Error); ok || ctx.Err() != nil {
		return err
	}
	return &Error{Host: addr, Reason: Queued}
}

// Pause holds every request to addr back for d from now, capped at
// maxPause (0: DefaultMaxPause). A shorter pause never cuts a longer one.
func (e *Engine) Pause(addr string, d, maxPause time.Duration) {
	if maxPause <= 0 {
		maxPause = DefaultMaxPause
	}
	if d <= 0 {
		return
	}
	e.origin(addr).pauseUntil(e.cfg.Now().Add(min(d, maxPause)))
	e.storePause(addr, min(d, maxPause))
}

// pauseEnd is when addr's pause ends for a request that waits for pauses
// until limit at the latest; zero when it is not paused.
func (e *Engine) pauseEnd(o *origin, now, limit time.Time) time.Time {
	until := o.paused(now)
	if until.After(limit) {
		until = limit
	}
	if !until.After(now) {
		return time.Time{}
	}
	return until
}

// checkPause fails at once when addr is paused past ctx's deadline (the
// pause counted until limit at the latest).
func (e *Engine) checkPause(ctx context.Context, o *origin, addr string, limit time.Time) error {
	now := e.cfg.Now()
	until := e.pauseEnd(o, now, limit)
	if until.IsZero() {
		return nil
	}
	if d, ok := ctx.Deadline(); ok && d.Before(until) {
		return &Error{Host: addr, Reason: Paused, Until: until, now: now}
	}
	return nil
}

// waitPause waits out addr's pause, again when it grew meanwhile, until
// limit at the latest.
func (e *Engine) waitPause(ctx context.Context, o *origin, addr string, limit time.Time) error {
	var done time.Time
	for {
		if err := e.checkPause(ctx, o, addr, limit); err != nil {
			return err
		}
		now := e.cfg.Now()
		until := e.pauseEnd(o, now, limit)
		if !until.After(done) {
			return nil
		}
		if err := e.cfg.Sleep(ctx, until.Sub(now)); err != nil {
			return err
		}
		done = until
	}
}

// maxOrigins is how many hosts' health an Engine keeps before it forgets
// the idle ones.
const maxOrigins = 1024

func (e *Engine) origin(addr string) *origin {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.origins[addr]
	if o == nil {
		if len(e.origins) >= maxOrigins {
			e.forgetIdle()
		}
		o = newOrigin()
		e.origins[addr] = o
	}
	return o
}

// forgetIdle drops the hosts with nothing to remember: no failure, nothing
// in flight, no pause. e.mu is held.
func (e *Engine) forgetIdle() {
	now := e.cfg.Now()
	for addr, o := range e.origins {
		if o.idle(now) {
			delete(e.origins, addr)
		}
	}
}

// gate returns host's gate, nil when no Limit applies or it limits nothing.
func (e *Engine) gate(host string) *gate {
	if len(e.cfg.Limits) == 0 {
		return nil
	}
	host = normalize(host)
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.gates[host]
	if !ok {
		if l, found := match(e.cfg.Limits, host); found {
			g = newGate(l)
		}
		e.gates[host] = g
	}
	return g
}

// Sleep waits d, ending at once with the context's cause when ctx ends
// first (or has ended: then it does not wait at all, whatever d). A d of
// zero or less returns at once. It leaves no timer or goroutine behind. It
// is the default Config.Sleep, and the wait of every retry and poll of the
// httpstep package.
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
