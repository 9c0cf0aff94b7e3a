package httpstep

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/httpstep/httpstep/internal/throttle"
)

// retryEnv holds what a retry decision and wait depend on besides the policy
// and the result, so tests can fix them.
type retryEnv struct {
	rand  func() float64                                   // uniform in [0, 1)
	now   func() time.Time                                 // for deadlines, and Retry-After dates unless date is set
	date  func() time.Time                                 // the Client's clock (Client.Now) for Retry-After dates; nil uses now
	sleep func(ctx context.Context, d time.Duration) error // waits d or until ctx ends
}

// defaultRetryEnv uses math/rand/v2, the wall clock and a real timer
// (throttle.Sleep, the one wait of the package).
var defaultRetryEnv = retryEnv{rand: rand.Float64, now: time.Now, sleep: throttle.Sleep}

// dateNow is the moment a Retry-After date is read against.
func (env retryEnv) dateNow() time.Time {
	if env.date != nil {
		return env.date()
	}
	return env.now()
}

// clampToDeadline returns wait, or the time left before ctx's deadline when
// that is shorter; ok is false when the deadline comes before wait ends, so
// waiting is pointless. A context without deadline always fits.
func (env retryEnv) clampToDeadline(ctx context.Context, wait time.Duration) (time.Duration, bool) {
	d, has := ctx.Deadline()
	if !has {
		return wait, true
	}
	left := max(d.Sub(env.now()), 0)
	if wait < left {
		return wait, true
	}
	return left, false
}
