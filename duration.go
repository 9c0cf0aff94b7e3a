package httpstep

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads from JSON as a "1.5s"-style string
// or a number of milliseconds, and is written as a string.
type Duration time.Duration

// MarshalJSON writes d as a Go duration string such as "10s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "10s", "1m30s", "10000" (milliseconds as text) or a
// number of milliseconds (fractions allowed).
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*d = 0
			return nil
		}
		if v, err := time.ParseDuration(s); err == nil {
			*d = Duration(v)
			return nil
		}
	}
	ms, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(ms) {
		return errorf("duration %s: write it as \"10s\" or as a number of milliseconds", string(b))
	}
	if math.Abs(ms) > float64(math.MaxInt64/int64(time.Millisecond)) {
		return errorf("duration %s is too long: write at most a few hours", string(b))
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// or returns d, or def when d is not positive (unset).
func (d Duration) or(def time.Duration) time.Duration {
	if d > 0 {
		return time.Duration(d)
	}
	return def
}

// String returns the duration in Go notation, e.g. "10s".
func (d Duration) String() string { return time.Duration(d).String() }
