package httpstep

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Async makes a node follow "202 Accepted" to the final answer: report
// generators, exports and AI jobs that answer 202 with a status URL and
// expect the caller to poll.
//
// After a 202 the node polls with GET: the Location header of the 202, else
// the URL at URLPath in its body (a relative URL resolves against the URL
// that answered). A poll that answers 202 with a Location of its own moves
// the polling there. Between polls it waits the server's Retry-After (at
// least 1s), else Interval, never past MaxWait. Redirects (a 303 to the
// result) are followed like any redirect, through the SSRF guard.
//
// Polling ends when a poll answers anything but 202 — or, with StatusPath
// set, when the value there is one of DoneValues or FailedValues; a 2xx
// poll whose body has no value at StatusPath also ends it (it is the
// result itself). The final response is then judged by the node's success
// rule; a value in FailedValues fails with kind error_code and that value as
// the Code. Past MaxWait the node fails with kind timeout, naming the last
// status seen; a canceled context stops the wait at once (kind canceled).
//
// Every poll is an attempt record. Polls to the same origin (scheme, host
// and port) as the request carry its headers, credentials included; a
// status URL on another origin gets no credentials and goes through the
// SSRF guard like any destination. Without Async a 202 is an ordinary
// response.
type Async struct {
	Interval     Duration `json:"interval,omitempty"`     // between polls when the server sends no Retry-After; default 5s, at least 100ms
	MaxWait      Duration `json:"maxWait,omitempty"`      // the whole wait; default 10m; past it, kind timeout
	URLPath      string   `json:"urlPath,omitempty"`      // gjson path of the status URL in the 202 body, when there is no Location header
	StatusPath   string   `json:"statusPath,omitempty"`   // gjson path of a status in each poll's body
	DoneValues   []string `json:"doneValues,omitempty"`   // values at StatusPath that end the polling
	FailedValues []string `json:"failedValues,omitempty"` // values at StatusPath that end the polling with a failure
}

// Defaults and bounds of Async.
const (
	DefaultPollInterval = 5 * time.Second  // Async.Interval when unset
	DefaultMaxWait      = 10 * time.Minute // Async.MaxWait when unset
	MinPollInterval     = 100 * time.Millisecond
	// minRetryAfter is the shortest wait a server's Retry-After may ask for,
	// so "Retry-After: 0" cannot make the node poll in a tight loop.
	minRetryAfter = time.Second
)

func (a *Async) interval() time.Duration { return a.Interval.or(DefaultPollInterval) }
func (a *Async) maxWait() time.Duration  { return a.MaxWait.or(DefaultMaxWait) }

// validateLongRunning checks the async and download settings of the node.
func (n *NodeConfig) validateLongRunning(e *ConfigError) {
	if a := n.Async; a != nil {
		a.check(e)
		if n.Paginate != nil {
			e.add("async", "a node either follows 202 Accepted or paginates, not both")
		}
	}
	n.validateDownload(e)
}

func (a *Async) check(e *ConfigError) {
	if a.Interval < 0 || (a.Interval > 0 && time.Duration(a.Interval) < MinPollInterval) {
		e.add("async.interval", fmt.Sprintf("must be at least %v; leave it empty for %v", MinPollInterval, DefaultPollInterval))
	}
	if a.MaxWait < 0 {
		e.add("async.maxWait", fmt.Sprintf("must not be negative; leave it empty for %v", DefaultMaxWait))
	}
	if a.Interval > 0 && a.interval() > a.maxWait() {
		e.add("async.interval", fmt.Sprintf("%v is longer than maxWait %v; shorten it or raise maxWait", a.interval(), a.maxWait()))
	}
	if a.StatusPath != "" && len(a.DoneValues) == 0 && len(a.FailedValues) == 0 {
		e.add("async.doneValues", "list the values of "+a.StatusPath+" that mean the job is done, e.g. [\"succeeded\"]")
	}
	if a.StatusPath == "" && (len(a.DoneValues) > 0 || len(a.FailedValues) > 0) {
		e.add("async.statusPath", "say where the job's status is in each poll's answer, e.g. \"status\"")
	}
	for _, v := range a.DoneValues {
		if slices.Contains(a.FailedValues, v) {
			e.add("async.failedValues", fmt.Sprintf("%q is both a done and a failed value; keep it in one list", v))
		}
	}
}

// pollState is what one response means for the polling.
type pollState int

const (
	pollAgain  pollState = iota // still running: wait and poll again
	pollDone                    // the final response: judge it by the success rule
	pollFailed                  // the status says the job failed
)

// judge decides what a response means for the polling, and returns the
// status value seen at StatusPath ("" when none).
func (a *Async) judge(status int, body []byte) (pollState, string) {
	var v gjson.Result
	if a.StatusPath != "" {
		v = gjson.GetBytes(body, a.StatusPath)
	}
	switch {
	case v.Exists() && status >= 200 && status <= 299 && slices.Contains(a.FailedValues, v.String()):
		return pollFailed, v.String()
	case v.Exists() && status >= 200 && status <= 299 && slices.Contains(a.DoneValues, v.String()):
		return pollDone, v.String()
	case status == http.StatusAccepted:
		return pollAgain, v.String()
	case v.Exists() && status >= 200 && status <= 299:
		return pollAgain, v.String()
	}
	return pollDone, v.String()
}

// statusURL is where to poll next: the response's Location, else the URL at
// URLPath in its body, resolved against base (the URL that answered); prev
// when the response names neither. Only absolute http and https URLs are
// polled.
func (a *Async) statusURL(base *url.URL, h http.Header, body []byte, prev *url.URL) (*url.URL, error) {
	ref := strings.TrimSpace(h.Get("Location"))
	if ref == "" && a.URLPath != "" {
		ref = strings.TrimSpace(gjson.GetBytes(body, a.URLPath).String())
	}
	if ref == "" {
		if prev != nil {
			return prev, nil
		}
		return nil, &noStatusURLError{path: a.URLPath}
	}
	u, err := base.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &badStatusURLError{}
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// pollWait is how long to wait before the next poll: the server's
// Retry-After (at least minRetryAfter) or the interval, and never past the
// deadline.
func (a *Async) pollWait(h http.Header, now, deadline time.Time) time.Duration {
	wait := a.interval()
	if d, ok := ParseRetryAfter(h.Get("Retry-After"), now); ok {
		wait = max(d, minRetryAfter)
	}
	return max(min(wait, deadline.Sub(now)), 0)
}

// sameOrigin reports whether a and b share scheme, host and port (default
// ports made explicit), so a poll may carry the request's credentials.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// noStatusURLError is a 202 that says nowhere where to poll.
type noStatusURLError struct{ path string }

func (e *noStatusURLError) Error() string {
	if e.path == "" {
		return "httpstep: the API answered 202 Accepted without a Location header, so there is nothing to poll; set async.urlPath to where its answer gives the status URL"
	}
	return fmt.Sprintf("httpstep: the API answered 202 Accepted without a Location header and without a URL at %s; check async.urlPath against the API's answer", e.path)
}

// badStatusURLError is a status URL that is not an http or https URL. The
// URL itself is left out: it may carry a token.
type badStatusURLError struct{}

func (e *badStatusURLError) Error() string {
	return "httpstep: the API's status URL is not an http or https URL, so it is not polled; check the API's 202 answer"
}
