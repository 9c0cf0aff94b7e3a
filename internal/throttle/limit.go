package throttle

import (
	"context"
	"net"
	"strings"

	"golang.org/x/time/rate"
)

// Limit caps the requests to the hosts it matches: a token bucket of
// PerSecond with Burst, and at most MaxConcurrent in flight. Each matching
// host has its own bucket and cap.
type Limit struct {
	Host          string  // "api.example.com", "*.example.com" (subdomains only); "" = every host
	PerSecond     float64 // sustained rate; 0 = no rate limit
	Burst         int     // requests that may go at once above the rate; default 1
	MaxConcurrent int     // requests in flight at once; 0 = no cap
}

// Matches reports whether the limit applies to host, a host name without
// port. Names compare case-insensitively, a trailing dot ignored.
// A port in the pattern is ignored, as it is in host.
func (l Limit) Matches(host string) bool {
	pat, host := normalize(stripPort(l.Host)), normalize(host)
	switch {
	case pat == "":
		return true
	case strings.HasPrefix(pat, "*."):
		return strings.HasSuffix(host, pat[1:]) && len(host) > len(pat)-1
	}
	return pat == host
}

// stripPort drops a port from "host:port" or "[v6]:port", and the
// brackets from "[v6]".
func stripPort(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// normalize lowercases a host name and drops a trailing dot.
func normalize(host string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
}

// match returns the first limit that applies to host.
func match(limits []Limit, host string) (Limit, bool) {
	for _, l := range limits {
		if l.Matches(host) {
			return l, true
		}
	}
	return Limit{}, false
}

// gate is one host's bucket and cap; a nil field does not limit.
type gate struct {
	rate  *rate.Limiter
	slots chan struct{}
}

// newGate builds the gate for l, nil when l limits nothing.
func newGate(l Limit) *gate {
	g := &gate{}
	if l.PerSecond > 0 {
		g.rate = rate.NewLimiter(rate.Limit(l.PerSecond), max(l.Burst, 1))
	}
	if l.MaxConcurrent > 0 {
		g.slots = make(chan struct{}, l.MaxConcurrent)
	}
	if g.rate == nil && g.slots == nil {
		return nil
	}
	return g
}

// enter takes a slot, then a token. It returns a function that gives the
// slot back (nil when there is no slot to give back), or an error when ctx
// ends (or its deadline would pass) first.
func (g *gate) enter(ctx context.Context) (release func(), err error) {
	if g == nil {
		return nil, nil
	}
	if g.slots != nil {
		select {
		case g.slots <- struct{}{}:
			release = func() { <-g.slots }
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	if g.rate != nil {
		if err := g.rate.Wait(ctx); err != nil {
			if release != nil {
				release()
			}
			return nil, err
		}
	}
	return release, nil
}
