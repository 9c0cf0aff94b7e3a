package throttle

import (
	"context"
	"sync"
	"time"
)

// Breaker opens a host's circuit after Failures consecutive failures;
// after Cooldown one probe request goes through, and its success closes the
// circuit again.
type Breaker struct {
	Failures int           // default 5
	Cooldown time.Duration // default 30s
}

// The Breaker defaults.
const (
	DefaultFailures = 5
	DefaultCooldown = 30 * time.Second
)

func (b Breaker) failures() int {
	if b.Failures > 0 {
		return b.Failures
	}
	return DefaultFailures
}

func (b Breaker) cooldown() time.Duration {
	if b.Cooldown > 0 {
		return b.Cooldown
	}
	return DefaultCooldown
}

// Outcome is what became of a request, for the breaker.
type Outcome int

// The outcomes. Neutral is a request the caller gave up on: it says
// nothing about the host.
const (
	Neutral Outcome = iota
	Success
	Failure
)

// origin is the health of one host and port: its circuit and its
// Retry-After pause. Its methods are safe for concurrent use.
//
// A host is trusted after a success. While it is not (before the first
// answer, and from a failure to the next success) its requests go one at a
// time, so a host that is down sees exactly Failures requests however many
// callers there are, then one probe per cooldown.
type origin struct {
	mu        sync.Mutex
	failures  int       // consecutive
	trusted   bool      // a success since the last failure
	inflight  int       // admitted, outcome not yet known
	openUntil time.Time // while failures >= limit: when a probe may go
	probing   bool      // the probe is in flight
	pause     time.Time // Retry-After: nothing is sent before it
	changed   chan struct{}
}

func newOrigin() *origin { return &origin{changed: make(chan struct{})} }

// admit lets one request through the breaker b, waiting while an untrusted
// host has a request in flight. It returns whether the request is the probe,
// or an *Error when the circuit is open, or the context's cause.
func (o *origin) admit(ctx context.Context, b Breaker, now func() time.Time, host string) (probe bool, err error) {
	for {
		o.mu.Lock()
		if o.failures >= b.failures() {
			probe, err := o.tryProbe(now(), b, host)
			o.mu.Unlock()
			return probe, err
		}
		if o.trusted || o.inflight == 0 {
			o.inflight++
			o.mu.Unlock()
			return false, nil
		}
		ch := o.changed
		o.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false, context.Cause(ctx)
		}
	}
}

// tryProbe lets the probe through an open circuit once its cooldown is
// over; o.mu is held.
func (o *origin) tryProbe(now time.Time, b Breaker, host string) (bool, error) {
	if now.Before(o.openUntil) {
		return false, &Error{Host: host, Reason: Open, Until: o.openUntil, Failures: o.failures, now: now}
	}
	if o.probing {
		return false, &Error{Host: host, Reason: Probing, Until: now.Add(b.cooldown()), Failures: o.failures, now: now}
	}
	o.probing = true
	o.inflight++
	return true, nil
}

// record notes the outcome of an admitted request and wakes the waiters.
func (o *origin) record(b Breaker, now func() time.Time, probe bool, out Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inflight--
	if probe {
		o.probing = false
	}
	switch out {
	case Success:
		o.failures, o.trusted = 0, true
	case Failure:
		o.failures++
		o.trusted = false
		if o.failures >= b.failures() {
			o.openUntil = now().Add(b.cooldown())
		}
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

// pauseUntil extends the Retry-After pause to t.
func (o *origin) pauseUntil(t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if t.After(o.pause) {
		o.pause = t
	}
}

// paused returns the end of the pause, zero when there is none.
func (o *origin) paused(now time.Time) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	if now.Before(o.pause) {
		return o.pause
	}
	return time.Time{}
}

// idle reports whether o holds nothing worth keeping.
func (o *origin) idle(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failures == 0 && o.inflight == 0 && !now.Before(o.pause)
}
