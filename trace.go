package httpstep

import (
	"context"
	"crypto/tls"
	"net"
	"net/http/httptrace"
	"sync"
	"time"
)

// trace records the connection phases of one attempt. net/http may call its
// hooks from other goroutines, and keeps dialling after an attempt timed
// out or was canceled, so the hooks write under a lock, and once close has
// taken the record, hooks that fire late are ignored: a Result never
// changes after it was returned.
type trace struct {
	mu     sync.Mutex
	start  time.Time
	rec    TimingRecord
	marks  [3]time.Duration // starts of DNS, connect and TLS, since start (8 bytes each, not a time.Time's 24)
	marked uint8            // a bit per phase whose start is in marks
	closed bool
	hooked httptrace.ClientTrace      // built in the same allocation as the trace
	ctx    ctxValue[traceKey, *trace] // the request's context carrying the trace, likewise
}

// The phases whose start a trace marks.
const (
	phaseDNS = iota
	phaseConnect
	phaseTLS
)

func newTrace(start time.Time) *trace {
	return &trace{start: start}
}

// traceKey carries an attempt's *trace in its context, for the dialers.
type traceKey struct{}

// context returns ctx carrying t and the httptrace hooks of the request's
// own phases (connection reuse, TLS, first byte). The DNS and connect hooks
// are added by tracedDial to a dial's context only: with them in the
// request's context, net/http builds its net-level trace for every request,
// a connection reused or not (7 allocations).
func (t *trace) context(ctx context.Context) context.Context {
	t.hooked = httptrace.ClientTrace{
		GotConn:              t.gotConn,
		TLSHandshakeStart:    func() { t.mark(phaseTLS) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.done(phaseTLS) },
		GotFirstResponseByte: t.firstByte,
	}
	t.ctx = ctxValue[traceKey, *trace]{Context: ctx, v: t}
	return httptrace.WithClientTrace(&t.ctx, &t.hooked)
}

// netHooks returns the hooks of the name resolution and connect phases.
func (t *trace) netHooks() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:     func(httptrace.DNSStartInfo) { t.mark(phaseDNS) },
		DNSDone:      func(httptrace.DNSDoneInfo) { t.done(phaseDNS) },
		ConnectStart: func(string, string) { t.mark(phaseConnect) },
		ConnectDone:  func(string, string, error) { t.done(phaseConnect) },
	}
}

// dialFunc is the type of http.Transport's DialContext and DialTLSContext.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// tracedDial wraps dial so that it times the name resolution and connect
// phases for the attempt whose request asked for the connection (net/http
// dials on a context that keeps the request's values): the same net-level
// hooks as before, paid for only when a connection is dialled.
//
// The dial also ends when that attempt ends: net/http dials on a context
// without the request's cancellation, so that a connection a canceled
// request asked for can serve the next, but a dial or TLS handshake that
// stalls must not outlive the attempt that started it by the dial or
// handshake timeout. A connection made in time stays in the pool.
func tracedDial(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, done := attemptBound(ctx)
		defer done()
		return dial(netTraced(ctx), network, addr)
	}
}

// attemptBound returns ctx ended also when the attempt whose trace it
// carries ends, and the function that releases it; a ctx without a trace
// is returned as it is.
func attemptBound(ctx context.Context) (context.Context, func()) {
	t, ok := ctx.Value(traceKey{}).(*trace)
	if !ok {
		return ctx, func() {}
	}
	attempt := t.ctx.Context
	bound, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(attempt, func() { cancel(context.Cause(attempt)) })
	return bound, func() {
		stop()
		cancel(nil)
	}
}

// netTraced returns ctx with the DNS and connect hooks of the attempt trace
// it carries, for a resolution or dial made outside the request's own
// phases (a dial, the origin's check before an HTTP proxy). A ctx without a
// trace is returned as it is.
func netTraced(ctx context.Context) context.Context {
	if t, ok := ctx.Value(traceKey{}).(*trace); ok {
		return httptrace.WithClientTrace(ctx, t.netHooks())
	}
	return ctx
}
func (t *trace) mark(phase int) {
	t.mu.Lock()
	t.marks[phase] = time.Since(t.start)
	t.marked |= 1 << phase
	t.mu.Unlock()
}

func (t *trace) done(phase int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.marked&(1<<phase) == 0 {
		return
	}
	d := Duration(time.Since(t.start) - t.marks[phase])
	switch phase {
	case phaseDNS:
		t.rec.DNS = d
	case phaseConnect:
		t.rec.Connect = d
	case phaseTLS:
		t.rec.TLS = d
	}
}

func (t *trace) gotConn(i httptrace.GotConnInfo) {
	t.mu.Lock()
	if !t.closed {
		t.rec.Reused = i.Reused
	}
	t.mu.Unlock()
}

func (t *trace) firstByte() {
	t.mu.Lock()
	if !t.closed {
		t.rec.FirstByte = Duration(time.Since(t.start))
	}
	t.mu.Unlock()
}

// close returns the record and ignores every hook from now on.
func (t *trace) close() *TimingRecord {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return &t.rec // hooks no longer write to it
}
