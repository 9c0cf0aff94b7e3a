package httpstep

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/httpstep/httpstep/internal/nodespec"
)

// The back-off defaults of a RetryPolicy that leaves a field zero.
const (
	DefaultInitialInterval = time.Second
	DefaultMaxInterval     = 5 * time.Minute
	DefaultMultiplier      = 2.0
)

// RetryPolicy retries failed attempts with exponential back-off and full
// jitter (or equal, or none: see Jitter). A node without one makes exactly
// one attempt.
//
// The wait before retry n (n = 0 after the first attempt) is, with d =
// min(MaxInterval, InitialInterval * Multiplier^n), a random duration in
// [0, d) (full jitter), in [d/2, d) (equal) or d itself (none). A
// Retry-After header on a retryable status lengthens the wait to at least
// what it asks, but never beyond MaxInterval. See [RetryPolicy.Next] for what
// is retried.
type RetryPolicy struct {
	MaxAttempts     int      `json:"maxAttempts"`               // total attempts, the first included; <= 1 means one
	InitialInterval Duration `json:"initialInterval,omitempty"` // first back-off; default 1s
	MaxInterval     Duration `json:"maxInterval,omitempty"`     // cap on one back-off, Retry-After included; default 5m
	Multiplier      float64  `json:"multiplier,omitempty"`      // default 2; 1 keeps the back-off constant
	// RetryOnErrorCode also retries a 2xx answer whose business error code
	// (SuccessRule.ErrorCodePath) is not a success value. Off by default:
	// such an answer usually means the request itself is wrong.
	RetryOnErrorCode bool `json:"retryOnErrorCode,omitempty"`
	// Jitter spreads each back-off d: "full" (the default) waits a random
	// time in [0, d), "equal" in [d/2, d), "none" exactly d (an API with a
	// documented fixed lockout, such as Airtable's 30 s after a 429).
	Jitter string `json:"jitter,omitempty"`
	// StopOnCodes are values at Success.ErrorCodePath that end the retries
	// at once, read from any answer, a failing status's body too: OpenAI's
	// 429 "insufficient_quota" cannot get better, its "rate_limit_exceeded"
	// can.
	StopOnCodes []string `json:"stopOnCodes,omitempty"`
}

// The values of RetryPolicy.Jitter.
const (
	JitterFull  = "full"  // a wait in [0, d): the default
	JitterEqual = "equal" // a wait in [d/2, d)
	JitterNone  = "none"  // exactly d
)

// attempts returns how many attempts the policy allows in all: at least one.
func (p *RetryPolicy) attempts() int {
	if p == nil || p.MaxAttempts < 1 {
		return 1
	}
	return p.MaxAttempts
}

func (p *RetryPolicy) initial() time.Duration { return p.InitialInterval.or(DefaultInitialInterval) }

func (p *RetryPolicy) maxInterval() time.Duration { return p.MaxInterval.or(DefaultMaxInterval) }

// multiplier returns Multiplier, or the default when it is unset or not a
// finite number >= 1 (check reports those).
func (p *RetryPolicy) multiplier() float64 {
	m := p.Multiplier
	if m < 1 || math.IsNaN(m) || math.IsInf(m, 0) {
		return DefaultMultiplier
	}
	return m
}

// ceiling returns min(MaxInterval, InitialInterval * Multiplier^n), the upper
// bound of the jittered wait before retry n. The product is computed in
// floating point and compared before it is converted, so no n overflows.
func (p *RetryPolicy) ceiling(n int) time.Duration {
	maxI := p.maxInterval()
	f := float64(p.initial()) * math.Pow(p.multiplier(), float64(max(n, 0)))
	if math.IsNaN(f) || f >= float64(maxI) {
		return maxI
	}
	return time.Duration(f)
}

// backoff returns the wait before retry n: ceiling(n) spread by the
// policy's jitter with r, the random source's value, clamped into [0, 1].
func (p *RetryPolicy) backoff(n int, r float64) time.Duration {
	c := p.ceiling(n)
	switch p.Jitter {
	case JitterNone:
		return c
	case JitterEqual:
		return c/2 + scaled(c-c/2, r)
	}
	return scaled(c, r)
}

// scaled is r * d, r clamped into [0, 1] (NaN as 0).
func scaled(d time.Duration, r float64) time.Duration {
	switch {
	case !(r > 0):
		return 0
	case r >= 1:
		return d
	}
	return time.Duration(r * float64(d))
}

// maxRetryAttempts bounds RetryPolicy.MaxAttempts, so a typo cannot retry
// a request for days.
const maxRetryAttempts = nodespec.MaxAttempts

// check adds a problem to e for each field a person must correct. It accepts
// a nil policy. Validate calls it for NodeConfig.Retry.
func (p *RetryPolicy) check(e *ConfigError) {
	if p == nil {
		return
	}
	if p.MaxAttempts < 0 || p.MaxAttempts > maxRetryAttempts {
		e.add("retry.maxAttempts", fmt.Sprintf("must be from 0 to %d attempts in all", maxRetryAttempts))
	}
	if p.InitialInterval < 0 {
		e.add("retry.initialInterval", "must not be negative; leave it empty for 1s")
	}
	if p.MaxInterval < 0 {
		e.add("retry.maxInterval", "must not be negative; leave it empty for 5m")
	}
	m := p.Multiplier
	if m != 0 && (m < 1 || math.IsNaN(m) || math.IsInf(m, 0)) {
		e.add("retry.multiplier", "must be a number of at least 1 (1 keeps the wait constant); leave it empty for 2")
	}
	switch p.Jitter {
	case "", JitterFull, JitterEqual, JitterNone:
	default:
		e.add("retry.jitter", fmt.Sprintf("%q is not a jitter: use full, equal or none", p.Jitter))
	}
	if slices.Contains(p.StopOnCodes, "") {
		e.add("retry.stopOnCodes", "an empty code matches nothing: remove it")
	}
	if p.InitialInterval > 0 && p.initial() > p.maxInterval() {
		e.add("retry.initialInterval", fmt.Sprintf("%v is longer than maxInterval %v; shorten it or raise maxInterval", p.initial(), p.maxInterval()))
	}
}

// transientStatus holds the statuses that usually mean "try again later".
var transientStatus = map[int]bool{408: true, 425: true, 429: true, 500: true, 502: true, 503: true, 504: true}

// Next is the retry decision for a host that schedules attempts itself, for
// example from a persistent queue, instead of letting Execute sleep. attempt
// is how many attempts were made so far (1 after the first); res is the
// Result of the last one. Next reports whether to try again and after how
// long, exactly as Execute would decide:
//
//   - a success (res.Failure nil) or a nil res is never retried;
//   - kinds timeout and network are retried;
//   - kind status is retried for every status except 501 (408, 425, 429, 500,
//     502, 503 and 504 are transient; any other status outside the node's
//     success codes is retried because the node asked for retries, so a push
//     answered 201 is tried again);
//   - kind error_code is retried only with RetryOnErrorCode;
//   - an answer whose code at Success.ErrorCodePath is one of StopOnCodes is
//     never retried, whatever its status;
//   - blocked, tls, param, too_large and canceled are never retried;
//   - nothing is retried once attempt reaches MaxAttempts, nor by a nil policy.
//
// The wait is the back-off (full jitter unless Jitter says otherwise),
// raised to a Retry-After header of the response (seconds, decimal seconds
// or an HTTP date) and capped at MaxInterval. The random
// source is math/rand/v2; nothing sleeps.
func (p *RetryPolicy) Next(attempt int, res *Result) (wait time.Duration, retry bool) {
	r := p.decide(defaultRetryEnv, attempt, res)
	return time.Duration(r.Wait), r.Retry
}

// decide is Next with its random source and clock given, returning the
// history record: whether to retry, why, and the wait.
func (p *RetryPolicy) decide(env retryEnv, attempt int, res *Result) RetryRecord {
	if res == nil || res.Failure == nil {
		return RetryRecord{Reason: "succeeded"}
	}
	if stop, ok := p.stopCode(res.Failure); ok {
		return RetryRecord{Reason: stop}
	}
	why, ok := p.retryable(res.Failure)
	if !ok {
		return RetryRecord{Reason: why}
	}
	if p == nil {
		return RetryRecord{Reason: why + ", but the node has no retry policy"}
	}
	n := max(attempt, 1)
	if n >= p.attempts() {
		return RetryRecord{Reason: fmt.Sprintf("%s, but gave up after %d attempt%s", why, n, plural(n))}
	}
	wait, note := p.retryAfter(res, env.dateNow(), p.backoff(n-1, env.rand()))
	return RetryRecord{Retry: true, Reason: why + note, Wait: Duration(wait)}
}

// stopCode reports whether f's answer carried one of StopOnCodes, and says
// so for the history.
func (p *RetryPolicy) stopCode(f *Failure) (string, bool) {
	if p == nil || f.answered.value == "" || !slices.Contains(p.StopOnCodes, f.answered.value) {
		return "", false
	}
	return fmt.Sprintf("%s is %q, one of retry.stopOnCodes: not retried", f.answered.path, f.answered.value), true
}

// retryable says whether a failure of f's kind may be retried, and why.
func (p *RetryPolicy) retryable(f *Failure) (string, bool) {
	switch f.Kind {
	case KindTimeout, KindNetwork:
		return fmt.Sprintf("kind %s is retryable", f.Kind), true
	case KindStatus:
		return statusRetryable(f.StatusCode)
	case KindAuth:
		if f.transient {
			return "the token endpoint may answer next time", true
		}
		return "a refused token request is not retried", false
	case KindErrorCode:
		if p != nil && p.RetryOnErrorCode {
			return "kind error_code is retried: retryOnErrorCode is set", true
		}
		return "kind error_code is retried only with retryOnErrorCode", false
	}
	return fmt.Sprintf("kind %s is never retried", f.Kind), false
}

// statusRetryable says whether a status outside the success codes may be
// retried, and why.
func statusRetryable(code int) (string, bool) {
	switch {
	case code == 501:
		return "status 501 is never retried: the server does not implement the request", false
	case transientStatus[code]:
		return fmt.Sprintf("status %d is retryable", code), true
	}
	return fmt.Sprintf("status %d is not a success code; retried under the node's retry policy", code), true
}

// retryAfter raises wait to the Retry-After header of a status failure,
// capped at MaxInterval, and returns a note for the history. Other kinds and
// an absent header leave wait as it is.
func (p *RetryPolicy) retryAfter(res *Result, now time.Time, wait time.Duration) (time.Duration, string) {
	if res.Failure.Kind != KindStatus {
		return wait, ""
	}
	v := res.Header.Get("Retry-After")
	if v == "" {
		return p.rateLimitReset(res, now, wait)
	}
	ra, ok := parseRetryAfter(v, now)
	if !ok {
		return wait, fmt.Sprintf("; Retry-After %q ignored: neither seconds nor an HTTP date", clip(v, 64))
	}
	if maxI := p.maxInterval(); ra > maxI {
		return maxI, fmt.Sprintf("; Retry-After %v capped to %v", ra, maxI)
	}
	return max(wait, ra), fmt.Sprintf("; Retry-After %v honoured", ra)
}

// rateLimitReset raises wait, for a 429 or 403 whose rate-limit fields say
// no requests remain, to the reset they give, capped at MaxInterval.
func (p *RetryPolicy) rateLimitReset(res *Result, now time.Time, wait time.Duration) (time.Duration, string) {
	d, field, ok := rateLimitWait(res.StatusCode, res.Header, now)
	if !ok {
		return wait, ""
	}
	note := "; " + rateLimitNote(field, d)
	if maxI := p.maxInterval(); d > maxI {
		return maxI, fmt.Sprintf("%s, capped to %v", note, maxI)
	}
	return max(wait, d), note + ": honoured"
}

// plan is decide for Execute: it also gives up when ctx has ended or its
// deadline comes before the wait would end, since the next attempt could not
// run. The record goes into the attempt's history as is.
func (p *RetryPolicy) plan(ctx context.Context, env retryEnv, attempt int, res *Result) RetryRecord {
	r := p.decide(env, attempt, res)
	if !r.Retry {
		return r
	}
	if err := ctx.Err(); err != nil {
		return RetryRecord{Reason: r.Reason + "; stopped: " + err.Error()}
	}
	if left, ok := env.clampToDeadline(ctx, time.Duration(r.Wait)); !ok {
		return RetryRecord{Reason: fmt.Sprintf("%s; stopped: the deadline is %v away, before the next attempt in %v", r.Reason, left, r.Wait)}
	}
	return r
}

// plural returns "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
