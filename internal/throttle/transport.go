package throttle

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Ticket carries an admitted request into the round trip, so the wait for
// admission can be bounded by the run's context while the attempt's own
// timeout starts only once it is admitted. It also adds up the time this
// attempt waited, redirect hops included.
type Ticket struct {
	ctx      carrier // the attempt's context, carrying this Ticket
	permit   Permit
	hostport string // the URL host part admitted, and its scheme
	https    bool
	host     string // Addr of hostport, computed once for the round trip
	addr     string
	maxPause time.Duration
	claimed  atomic.Bool
	waited   atomic.Int64
}

type ticketKey struct{}

// carrier is a context carrying a Ticket: context.WithValue without an
// allocation of its own, since it lives inside the Ticket.
type carrier struct {
	context.Context
	t *Ticket
}

// Value implements context.Context.
func (c *carrier) Value(key any) any {
	if key == (ticketKey{}) {
		return c.t
	}
	return c.Context.Value(key)
}

// Admit acquires a permit for a request to u's host and returns a context
// carrying it, for the attempt's request. maxPause caps a Retry-After pause
// its response sets (0: DefaultMaxPause). Call Done on the Ticket when the
// attempt is over.
func (e *Engine) Admit(ctx context.Context, hostport string, https bool, maxPause time.Duration) (context.Context, *Ticket, error) {
	t := &Ticket{hostport: hostport, https: https, maxPause: maxPause}
	t.host, t.addr = Addr(hostport, https)
	if err := e.acquire(ctx, t.host, t.addr, maxPause, &t.permit); err != nil {
		return ctx, nil, err
	}
	t.waited.Store(int64(t.permit.Waited))
	t.ctx = carrier{Context: ctx, t: t}
	return &t.ctx, t, nil
}

// Waited is how long the attempt waited for admission, redirect hops
// included.
func (t *Ticket) Waited() time.Duration {
	if t == nil {
		return 0
	}
	return time.Duration(t.waited.Load())
}

// Done releases the permit if the round trip has not (it never ran, or its
// body was not closed). It is safe to call more than once and on nil.
func (t *Ticket) Done() {
	if t == nil {
		return
	}
	t.permit.Record(Neutral)
	t.permit.Release()
}

// pauseCap is how long a request of the ticket's attempt waits for pauses:
// its maxPause, DefaultMaxPause without a ticket.
func (t *Ticket) pauseCap() time.Duration {
	if t == nil {
		return DefaultMaxPause
	}
	return t.maxPause
}

// claim hands the ticket's permit to the first round trip to addr.
func (t *Ticket) claim(addr string) *Permit {
	if t == nil || t.addr != addr || !t.claimed.CompareAndSwap(false, true) {
		return nil
	}
	return &t.permit
}

// addrOf is Addr of a request's URL host part, taken from the Ticket when
// it is the host part admitted.
func (t *Ticket) addrOf(hostport string, https bool) (host, addr string) {
	if t != nil && t.hostport == hostport && t.https == https {
		return t.host, t.addr
	}
	return Addr(hostport, https)
}

// Addr returns the host name (lowercase, no port) and the host and port of
// a URL's host part, the port defaulting by scheme.
func Addr(hostport string, https bool) (host, addr string) {
	name, port, err := net.SplitHostPort(hostport)
	if err != nil {
		name, port = strings.Trim(hostport, "[]"), "80"
		if https {
			port = "443"
		}
	}
	host = normalize(name)
	if err == nil && host == name && strings.Contains(host, ":") == strings.HasPrefix(hostport, "[") {
		return host, hostport // already what net.JoinHostPort would write
	}
	return host, net.JoinHostPort(host, port)
}

// Transport sends every request through its Engine: the request's Ticket
// when it has one for this host, else a permit acquired here, bounded by
// the request's context. Responses feed the breaker and the pause.
type Transport struct {
	Engine *Engine
	Next   http.RoundTripper
	// RetryAfter reads a Retry-After value as a wait from now.
	RetryAfter func(value string, now time.Time) (time.Duration, bool)
	// RateLimit reads, for a 429 or 403 without Retry-After, rate-limit
	// header fields that say no requests remain, as a wait from now; nil
	// reads none.
	RateLimit func(status int, h http.Header, now time.Time) (time.Duration, bool)
	// Neutral reports transport errors that say nothing about the host's
	// health (a destination refused locally, say); nil: none. A request
	// the caller canceled is always neutral.
	Neutral func(error) bool
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	tk, _ := ctx.Value(ticketKey{}).(*Ticket)
	host, addr := tk.addrOf(req.URL.Host, req.URL.Scheme == "https")
	p := tk.claim(addr)
	if p == nil {
		var err error
		if p, err = t.Engine.acquireWithin(ctx, host, addr, tk.pauseCap()); err != nil {
			closeBody(req)
			return nil, err
		}
		if tk != nil {
			tk.waited.Add(int64(p.Waited))
		}
	}
	resp, err := t.Next.RoundTrip(req)
	p.Record(t.outcome(ctx, resp, err))
	if err != nil {
		p.Release()
		return nil, err
	}
	t.pause(resp, addr, tk)
	if !p.inert() {
		resp.Body = &releaseBody{ReadCloser: resp.Body, release: p.Release}
	}
	return resp, nil
}

// CloseIdleConnections passes the call on to Next when it has idle
// connections to close, as *http.Transport has.
func (t *Transport) CloseIdleConnections() {
	if ci, ok := t.Next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// outcome classifies a round trip for the breaker: network errors,
// timeouts, 5xx and 429 are failures; a request canceled (not timed out)
// says nothing about the host.
func (t *Transport) outcome(ctx context.Context, resp *http.Response, err error) Outcome {
	switch {
	case err != nil && errors.Is(ctx.Err(), context.Canceled):
		return Neutral
	case err != nil && t.Neutral != nil && t.Neutral(err):
		return Neutral
	case err != nil, resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests:
		return Failure
	}
	return Success
}

// pause sets the host's pause from a 429 or 503 with Retry-After, or a 429
// or 403 whose rate-limit fields say no requests remain until a reset.
func (t *Transport) pause(resp *http.Response, addr string, tk *Ticket) {
	d, ok := t.asked(resp)
	if !ok {
		return
	}
	var maxPause time.Duration
	if tk != nil {
		maxPause = tk.maxPause
	}
	t.Engine.Pause(addr, d, maxPause)
}

// asked is how long resp asks its host to be left alone, if it asks.
func (t *Transport) asked(resp *http.Response) (time.Duration, bool) {
	now := t.Engine.cfg.Now()
	status := resp.StatusCode
	if v := resp.Header.Get("Retry-After"); v != "" && t.RetryAfter != nil &&
		(status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		if d, ok := t.RetryAfter(v, now); ok {
			return d, true
		}
	}
	if t.RateLimit != nil && (status == http.StatusTooManyRequests || status == http.StatusForbidden) {
		return t.RateLimit(status, resp.Header, now)
	}
	return 0, false
}

// closeBody closes a request body that will not be sent, as a RoundTripper
// must.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// releaseBody frees the request's slot when the body is read to its end or
// closed.
type releaseBody struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

func (b *releaseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// Carry returns dst carrying the Ticket of src, if src has one, so that a
// request made for the same attempt on another context (a token request,
// which must not carry the attempt's other values) uses the attempt's
// admission instead of waiting behind it for the same host.
func Carry(dst, src context.Context) context.Context {
	if t, ok := src.Value(ticketKey{}).(*Ticket); ok {
		return context.WithValue(dst, ticketKey{}, t)
	}
	return dst
}

// Degraded reports whether the Shared store failed while admitting the
// attempt, so the process's own limits applied instead.
func (t *Ticket) Degraded() bool {
	return t != nil && t.permit.Degraded
}
