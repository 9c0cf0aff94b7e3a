package httpstep

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/httpstep/httpstep/internal/throttle"
)

// Limit caps the requests a Client sends to the hosts it matches: retries,
// pages, polls, redirects and token requests included. Each matching host
// has its own bucket and cap; Limits never apply across Clients.
//
// Host is matched against the URL's host name, the port ignored, case
// insensitively: "api.example.com" exactly, "*.example.com" any subdomain
// (not example.com itself), "" every host. Of a Client's Limits the first
// that matches applies. Waiting for a slot or a token is bounded by the
// run's context, not by the node's per-attempt timeout; the time waited is
// the attempt's Queued. When the context's deadline comes before the rate
// would let the request go, the attempt fails at once with kind timeout.
type Limit struct {
	Host          string  `json:"host,omitempty"`          // "api.example.com", "*.example.com"; "" = every host
	PerSecond     float64 `json:"perSecond,omitempty"`     // sustained request rate; 0 = no rate limit
	Burst         int     `json:"burst,omitempty"`         // requests that may go at once above the rate; default 1
	MaxConcurrent int     `json:"maxConcurrent,omitempty"` // requests in flight at once; 0 = no cap
}

// Breaker is a per-host circuit breaker. After Failures consecutive
// failures of a host (network errors, timeouts, 5xx and 429 answers) its
// circuit opens: requests to it fail at once with kind unavailable and a
// message saying when it will be tried again. After Cooldown one probe
// request goes through; its success closes the circuit, its failure opens
// it for another Cooldown.
//
// A host is told apart by name and port. Until it has answered with
// success (at first, and from a failure to the next success) its requests
// go one at a time, so a host that is down sees exactly Failures requests
// however many callers there are. A request the caller canceled counts for
// nothing; neither does a destination refused by the SSRF guard or a TLS
// failure. A Client's breaker is its own, safe for concurrent use.
type Breaker struct {
	Failures int      `json:"failures,omitempty"` // consecutive failures that open a host's circuit; default 5
	Cooldown Duration `json:"cooldown,omitempty"` // open time before one probe request is let through; default 30s
}

// The Breaker defaults: what a Breaker's zero fields mean (the throttle
// engine applies the same ones; TestBreakerDefaultsAgree holds them equal).
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 30 * time.Second
)

// throttleConfig is the engine configuration of c's Limits and Breaker,
// on the clock of env. A test's env skips the pause as it skips back-offs.
func (c *Client) throttleConfig(env retryEnv) throttle.Config {
	cfg := throttle.Config{Now: env.now, Sleep: throttle.Sleep}
	if c.retryEnv != nil {
		cfg.Sleep = func(ctx context.Context, _ time.Duration) error { return context.Cause(ctx) }
	}
	for _, l := range c.Limits {
		cfg.Limits = append(cfg.Limits, throttle.Limit(l))
	}
	if c.State != nil {
		cfg.Shared = sharedState{c.State}
	}
	if b := c.Breaker; b != nil {
		cfg.Breaker = &throttle.Breaker{Failures: b.Failures, Cooldown: time.Duration(b.Cooldown)}
	}
	return cfg
}

// engine returns the Client's throttle engine, built on first use from its
// Limits and Breaker. c.mu is held.
func (c *Client) engineLocked() *throttle.Engine {
	if c.throttle == nil {
		c.throttle = throttle.New(c.throttleConfig(c.env()))
	}
	return c.throttle
}

// engine is engineLocked for callers that do not hold c.mu.
func (c *Client) engine() *throttle.Engine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.engineLocked()
}

// retryAfterOnClock reads a Retry-After value against the Client's clock
// (Now): an HTTP date is a moment of that clock, the engine's own is not.
func (c *Client) retryAfterOnClock(v string, _ time.Time) (time.Duration, bool) {
	return parseRetryAfter(v, c.now())
}

// throttled wraps rt so every request it sends passes the engine.
func (c *Client) throttled(rt http.RoundTripper) http.RoundTripper {
	return &throttle.Transport{Engine: c.engineLocked(), Next: rt, RetryAfter: c.retryAfterOnClock,
		RateLimit: c.rateLimitOnClock, Neutral: healthNeutral}
}

// rateLimitOnClock reads a rate-limit reset on the Client's clock, as
// retryAfterOnClock reads a Retry-After date.
func (c *Client) rateLimitOnClock(status int, h http.Header, _ time.Time) (time.Duration, bool) {
	d, _, ok := rateLimitWait(status, h, c.now())
	return d, ok
}

// healthNeutral reports transport errors that say nothing about a host's
// health, so the breaker does not count them: a destination the SSRF
// guard refused, and TLS failures (a configuration matter).
func healthNeutral(err error) bool {
	var blocked *BlockedError
	return errors.As(err, &blocked) || isTLS(err)
}

// admit waits, bounded by ctx, until the host of o may be sent another
// request, and returns the context for the attempt carrying that
// admission. It waits for the host's Retry-After pauses at most the node's
// maxInterval in all, as for one retry wait, however many other callers'
// 429s move the pause on meanwhile. The Ticket's Done must be called when the attempt is over.
func (c *Client) admit(ctx context.Context, o *outgoing) (context.Context, *throttle.Ticket, error) {
	maxPause := DefaultMaxInterval
	if r := o.step.node.Retry; r != nil {
		maxPause = r.maxInterval()
	}
	return c.engine().Admit(ctx, o.url.Host, strings.EqualFold(o.url.Scheme, "https"), maxPause)
}
