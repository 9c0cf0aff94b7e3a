package httpstep

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rateLimitFamilies are the header pairs APIs use to say how many requests
// remain and when the window resets: GitHub's and most others' X-RateLimit-,
// Twitter's X-Rate-Limit-, and the IETF draft's RateLimit-.
var rateLimitFamilies = [][2]string{
	{"X-Ratelimit-Remaining", "X-Ratelimit-Reset"},
	{"X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"},
	{"Ratelimit-Remaining", "Ratelimit-Reset"},
}

// rateLimitWait reads, for a 429 or 403 answer, the rate-limit fields that
// say no requests remain, and returns the wait until the window resets
// from now, with the field that said so for the history. Read: the pairs
// of rateLimitFamilies, their suffixed forms (x-ratelimit-remaining-requests
// with x-ratelimit-reset-requests, as OpenAI sends per resource), and the
// IETF RateLimit field (r= remaining, t= seconds to reset, one list item
// per policy). Of several exhausted limits the longest wait wins. A reset
// is epoch seconds above 10^9 (milliseconds above 10^12), else delta
// seconds (decimals allowed); "6m0s" and "1.5s" are Go durations. A reset
// in the past waits 0. false: the answer says nothing (or not that none
// remain), or its reset cannot be read.
func rateLimitWait(status int, h http.Header, now time.Time) (time.Duration, string, bool) {
	if status != http.StatusTooManyRequests && status != http.StatusForbidden {
		return 0, "", false
	}
	var wait time.Duration
	var field string
	found := false
	take := func(d time.Duration, name string) {
		if !found || d > wait {
			wait, field, found = d, name, true
		}
	}
	for name, vs := range h {
		if len(vs) == 0 {
			continue
		}
		if reset, ok := resetFieldOf(name); ok && exhausted(vs[0]) {
			if d, ok := parseReset(h.Get(reset), now); ok {
				take(d, strings.ToLower(name))
			}
		}
	}
	if d, ok := ietfRateLimit(h.Values("Ratelimit")); ok {
		take(d, "RateLimit")
	}
	return wait, field, found
}

// resetFieldOf returns the reset field that pairs with a remaining field
// name (canonical form), suffix and all: X-Ratelimit-Remaining-Requests
// pairs with X-Ratelimit-Reset-Requests.
func resetFieldOf(name string) (string, bool) {
	for _, f := range rateLimitFamilies {
		if rest, ok := strings.CutPrefix(name, f[0]); ok && (rest == "" || rest[0] == '-') {
			return f[1] + rest, true
		}
	}
	return "", false
}

// exhausted reports whether a remaining value says no requests remain.
func exhausted(v string) bool {
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return err == nil && n <= 0
}

// parseReset reads a reset value as a wait from now.
func parseReset(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if d, err := time.ParseDuration(v); err == nil && strings.ContainsAny(v, "hmsµun") {
		return max(d, 0), d >= 0
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, false
	}
	switch {
	case n > 1e12:
		return max(time.UnixMilli(int64(n)).Sub(now), 0), true
	case n > 1e9:
		return max(time.Unix(int64(n), 0).Sub(now), 0), true
	}
	return parseRetryAfter(v, now)
}

// ietfRateLimit reads the IETF RateLimit field: list items such as
// "default";r=0;t=30, whose r is the quota remaining and t the seconds
// until it resets. The longest wait of an exhausted item wins.
func ietfRateLimit(values []string) (time.Duration, bool) {
	var wait time.Duration
	found := false
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			var r, t string
			for _, p := range strings.Split(item, ";")[1:] {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				switch strings.ToLower(k) {
				case "r":
					r = val
				case "t":
					t = val
				}
			}
			if !exhausted(r) {
				continue
			}
			if d, ok := parseDeltaSeconds(strings.TrimSpace(t)); ok && (!found || d > wait) {
				wait, found = d, true
			}
		}
	}
	return wait, found
}

// rateLimitNote says in the history what a rate-limit wait was read from.
func rateLimitNote(field string, d time.Duration) string {
	if field == "RateLimit" {
		return fmt.Sprintf("the RateLimit field says no requests remain for %v", d)
	}
	return fmt.Sprintf("%s is 0, the limit resets in %v", field, d)
}
