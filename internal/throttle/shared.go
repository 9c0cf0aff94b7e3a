package throttle

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Shared is state an Engine keeps outside itself, so that Engines in many
// processes act as one: the rate buckets and concurrency slots of hosts,
// their Retry-After pauses and their breaker counts. Durations are counted
// on the store's clock, so the processes' clocks need not agree. Every
// method must be safe for concurrent use.
//
// A call that fails (the store is down or slower than StoreTimeout) makes
// the request fall back to the Engine's own state: its local bucket, cap,
// pause and breaker; the Permit says so (Degraded).
type Shared interface {
	// Admit reads addr's pause and circuit and, when neither holds
	// requests back and perSecond > 0, takes one request from host's
	// bucket (perSecond, burst): HostState.Wait is how long it must wait
	// before it goes. It is the one call of a request that needs no slot.
	Admit(ctx context.Context, host, addr string, perSecond float64, burst int) (HostState, error)
	// Acquire takes one of host's max slots for lease; ok is false when
	// all are taken. A slot is free again on Release or once its lease
	// expires, so a process that dies leaks nothing for longer.
	Acquire(ctx context.Context, host string, max int, lease time.Duration) (id string, ok bool, err error)
	// Release frees the slot id of host.
	Release(ctx context.Context, host, id string) error
	// Pause holds addr back for d from now; a shorter pause never cuts a
	// longer one.
	Pause(ctx context.Context, addr string, d time.Duration) error
	// Record notes an outcome of addr: a failure adds one to its
	// consecutive failures and, when they reach failures, opens its circuit
	// for cooldown; a success sets them to zero and closes it.
	Record(ctx context.Context, addr string, failed bool, failures int, cooldown time.Duration) error
}

// HostState is what a Shared store knows of a host when Admit asks.
type HostState struct {
	Taken    bool          // a request was taken from the bucket
	Wait     time.Duration // Taken: how long the request waits before it goes
	Paused   time.Duration // the pause left; 0: none
	Open     time.Duration // the open circuit's time left; 0: closed (or probing)
	Failures int           // consecutive failures
}

// StoreTimeout bounds each call to a Shared store.
const StoreTimeout = 2 * time.Second

// SlotLease is how long a shared concurrency slot stays taken without a
// Release: a request in flight longer than it stops counting against the
// cap.
const SlotLease = time.Minute

// errDegraded marks a shared store's failure, for the fallback.
var errDegraded = errors.New("shared state unavailable")

// storeCtx bounds one call to the shared store, keeping ctx's values.
func storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, StoreTimeout)
}

// enterShared takes host's shared slot and rate for a request to addr,
// waiting out the fleet's pause of addr; a failure of the store is
// errDegraded (the caller falls back to the local gate). Pauses are
// waited for until limit at the latest; then the request goes.
func (e *Engine) enterShared(ctx context.Context, host, addr string, limit time.Time, p *Permit) error {
	l, _ := e.limit(host)
	if l.MaxConcurrent > 0 {
		id, err := e.sharedSlot(ctx, host, l.MaxConcurrent)
		if err != nil {
			return err
		}
		p.release = func() { e.storeRelease(host, id) }
	}
	for {
		st, err := e.sharedAdmit(ctx, host, addr, l.PerSecond, l.Burst)
		if err != nil {
			return err
		}
		p.failures = st.Failures
		if err := e.sharedRefusal(ctx, addr, st); err != nil {
			return err
		}
		if st.Paused > 0 {
			left := limit.Sub(e.cfg.Now())
			if left <= 0 {
				return nil
			}
			if err := e.cfg.Sleep(ctx, min(st.Paused, left)); err != nil {
				return err
			}
			continue
		}
		if !st.Taken || st.Wait <= 0 {
			return nil
		}
		if err := e.waitRate(ctx, addr, st.Wait); err != nil {
			return err
		}
		// A pause set while this request waited for the rate holds it back
		// too; after the pause it takes from the bucket again.
		if st, err = e.sharedAdmit(ctx, host, addr, 0, 0); err != nil || st.Paused <= 0 || !e.cfg.Now().Before(limit) {
			return err
		}
	}
}

// sharedRefusal is the *Error of a shared state that holds the request
// back for good: an open circuit, or a pause past ctx's deadline.
func (e *Engine) sharedRefusal(ctx context.Context, addr string, st HostState) error {
	now := e.cfg.Now()
	if st.Open > 0 && e.cfg.Breaker != nil {
		return &Error{Host: addr, Reason: Open, Until: now.Add(st.Open), Failures: st.Failures, now: now}
	}
	if d, ok := ctx.Deadline(); ok && st.Paused > 0 && d.Before(now.Add(st.Paused)) {
		return &Error{Host: addr, Reason: Paused, Until: now.Add(st.Paused), now: now}
	}
	return nil
}

// waitRate waits d for the bucket, failing at once when ctx's deadline
// comes first.
func (e *Engine) waitRate(ctx context.Context, addr string, d time.Duration) error {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return &Error{Host: addr, Reason: Queued}
	}
	return Sleep(ctx, d)
}

// sharedAdmit is one bounded Admit call.
func (e *Engine) sharedAdmit(ctx context.Context, host, addr string, perSecond float64, burst int) (HostState, error) {
	sctx, cancel := storeCtx(ctx)
	defer cancel()
	st, err := e.cfg.Shared.Admit(sctx, host, addr, perSecond, burst)
	if err != nil {
		return st, e.storeError(ctx, err)
	}
	return st, nil
}

// storeError is errDegraded for a store failure, or the context's cause
// when ctx itself ended.
func (e *Engine) storeError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return errors.Join(errDegraded, err)
}

// sharedSlot waits for one of host's max shared slots, polling from 5 to
// 100 ms apart, jittered, until ctx ends.
func (e *Engine) sharedSlot(ctx context.Context, host string, max int) (string, error) {
	backoff := 5 * time.Millisecond
	for {
		sctx, cancel := storeCtx(ctx)
		id, ok, err := e.cfg.Shared.Acquire(sctx, host, max, SlotLease)
		cancel()
		if err != nil {
			return "", e.storeError(ctx, err)
		}
		if ok {
			return id, nil
		}
		if err := Sleep(ctx, backoff/2+rand.N(backoff)); err != nil {
			return "", err
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// storeRelease frees a shared slot; its lease ends it should the store
// not answer.
func (e *Engine) storeRelease(host, id string) {
	ctx, cancel := storeCtx(context.Background())
	defer cancel()
	_ = e.cfg.Shared.Release(ctx, host, id)
}

// storeRecord tells the shared store a request's outcome when it changes
// what the fleet knows: every failure, and a success after failures.
func (e *Engine) storeRecord(p *Permit, out Outcome) {
	b := e.cfg.Breaker
	if b == nil || !p.shared || out == Neutral || (out == Success && p.failures == 0) {
		return
	}
	ctx, cancel := storeCtx(context.Background())
	defer cancel()
	_ = e.cfg.Shared.Record(ctx, p.addr, out == Failure, b.failures(), b.cooldown())
}

// storePause sets the fleet's pause of addr.
func (e *Engine) storePause(addr string, d time.Duration) {
	if e.cfg.Shared == nil {
		return
	}
	ctx, cancel := storeCtx(context.Background())
	defer cancel()
	_ = e.cfg.Shared.Pause(ctx, addr, d)
}
