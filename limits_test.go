package httpstep

import (
	"testing"

	"github.com/httpstep/httpstep/internal/throttle"
)

// TestBreakerDefaultsAgree: the Breaker defaults the root documents are the
// ones the throttle engine applies to a Breaker's zero fields. The root
// states them as numbers so that its documentation names no internal
// package.
func TestBreakerDefaultsAgree(t *testing.T) {
	if DefaultBreakerFailures != throttle.DefaultFailures || DefaultBreakerCooldown != throttle.DefaultCooldown {
		t.Fatalf("root %d, %v; engine %d, %v", DefaultBreakerFailures, DefaultBreakerCooldown, throttle.DefaultFailures, throttle.DefaultCooldown)
	}
}
