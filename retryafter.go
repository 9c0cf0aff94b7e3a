package httpstep

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// ParseRetryAfter reads a Retry-After header value (RFC 9110, section 10.2.3)
// as a wait from now. The value is either delta-seconds, a non-negative
// decimal integer, or an HTTP date in any of the three forms http.ParseTime
// accepts (IMF-fixdate, RFC 850, ANSI C asctime). Surrounding spaces are
// ignored.
//
// A number too large for a time.Duration saturates at the largest one; a date
// in the past gives 0. An empty value, a sign, a fraction or anything else
// gives false. The result is never negative; callers cap it themselves
// ([RetryPolicy] caps it at MaxInterval).
func ParseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if d, ok := parseDeltaSeconds(v); ok {
		return d, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// parseDeltaSeconds reads a string of ASCII digits as seconds, saturating at
// the largest time.Duration instead of overflowing.
func parseDeltaSeconds(v string) (time.Duration, bool) {
	const limit = math.MaxInt64 / int64(time.Second)
	var secs int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if secs <= limit {
			secs = secs*10 + int64(c-'0')
		}
	}
	if secs > limit {
		return math.MaxInt64, true
	}
	return time.Duration(secs) * time.Second, true
}
