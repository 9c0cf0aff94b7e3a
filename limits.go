package httpstep

import (
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

// The Breaker defaults.
const (
	DefaultBreakerFailures = throttle.DefaultFailures
	DefaultBreakerCooldown = throttle.DefaultCooldown
)

// throttleConfig is the engine configuration of c's Limits and Breaker.
func (c *Client) throttleConfig(env retryEnv) throttle.Config {
	cfg := throttle.Config{Now: env.now}
	for _, l := range c.Limits {
		cfg.Limits = append(cfg.Limits, throttle.Limit(l))
	}
	if b := c.Breaker; b != nil {
		cfg.Breaker = &throttle.Breaker{Failures: b.Failures, Cooldown: time.Duration(b.Cooldown)}
	}
	return cfg
}
