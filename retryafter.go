package httpstep

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// parseRetryAfter reads a Retry-After header value (RFC 9110, section 10.2.3)
// as a wait from now. The value is either delta-seconds, a non-negative
// decimal integer, or an HTTP date in any of the three forms http.ParseTime
// accepts (IMF-fixdate, RFC 850, ANSI C asctime). Surrounding spaces are
// ignored. Decimal seconds ("2.0", "1.5"), which some APIs send (Shopify),
// are read too: to the nanosecond, a finer fraction rounded up, so the wait
// is never shorter than asked.
//
// A number too large for a time.Duration saturates at the largest one; a date
// in the past gives 0. An empty value, a sign, a bare "." and anything else
// gives false. The result is never negative; callers cap it themselves
// ([RetryPolicy] caps it at MaxInterval).
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
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

// parseDeltaSeconds reads ASCII digits, optionally with a fraction after
// one ".", as seconds, saturating at the largest time.Duration instead of
// overflowing. Fraction digits past the ninth round the result up by one
// nanosecond when any of them is not 0.
func parseDeltaSeconds(v string) (time.Duration, bool) {
	whole, frac, dotted := strings.Cut(v, ".")
	if !digits(whole) || (dotted && !digits(frac)) {
		return 0, false
	}
	const limit = math.MaxInt64 / int64(time.Second)
	var secs int64
	for i := 0; i < len(whole) && secs <= limit; i++ {
		secs = secs*10 + int64(whole[i]-'0')
	}
	if secs > limit {
		return math.MaxInt64, true
	}
	ns := fractionNanos(frac)
	if secs == limit && ns > math.MaxInt64%int64(time.Second) {
		return math.MaxInt64, true
	}
	return time.Duration(secs)*time.Second + time.Duration(ns), true
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// fractionNanos reads the digits after a decimal point as nanoseconds,
// rounding up past the ninth digit.
func fractionNanos(frac string) int64 {
	var ns int64
	for i := range 9 {
		ns *= 10
		if i < len(frac) {
			ns += int64(frac[i] - '0')
		}
	}
	if len(frac) > 9 && strings.Trim(frac[9:], "0") != "" {
		ns++
	}
	return ns
}
