package httpstep

// RetryPolicy retries failed attempts with exponential back-off and full
// jitter. A node without one makes exactly one attempt.
type RetryPolicy struct {
	MaxAttempts     int      `json:"maxAttempts"`               // total attempts, the first included
	InitialInterval Duration `json:"initialInterval,omitempty"` // first back-off; default 1s
	MaxInterval     Duration `json:"maxInterval,omitempty"`     // cap on one back-off, Retry-After included; default 5m
	Multiplier      float64  `json:"multiplier,omitempty"`      // default 2
}

// PushPolicy returns the product's policy for a push to a notification URL:
// 10 attempts in all, back-off from 1s doubling up to 5m.
func PushPolicy() *RetryPolicy {
	return &RetryPolicy{MaxAttempts: 10}
}
