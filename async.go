package httpstep

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/httpstep/httpstep/webhook"
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
// A poll that fails (network, timeout, a status outside the rule) is
// retried under the node's retry policy like any request, and then ends
// the run with that failure.
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
	PollURL      string   `json:"pollUrl,omitempty"`      // template of the status URL when neither Location nor URLPath gives one; {{$response.PATH}} reads the first answer

	holdJSON bool // the node checks a business code: read JSON answers into memory, even when downloading
}

// Defaults and bounds of Async.
const (
	DefaultPollInterval = 5 * time.Second  // Async.Interval when unset
	DefaultMaxWait      = 10 * time.Minute // Async.MaxWait when unset
	// minPollInterval is the shortest Async.Interval Validate accepts; its
	// message states the bound, which is all a node editor needs of it.
	minPollInterval = 100 * time.Millisecond
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
	if a.Interval < 0 || (a.Interval > 0 && time.Duration(a.Interval) < minPollInterval) {
		e.add("async.interval", fmt.Sprintf("must be at least %v; leave it empty for %v", minPollInterval, DefaultPollInterval))
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
	if a.PollURL != "" {
		if _, err := parseTemplate(a.PollURL); err != nil {
			e.add("async.pollUrl", messageOf(err))
		}
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
		v = pathGet(body, a.StatusPath)
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
// when the response names neither; for the first answer, PollURL completed
// with its body (parts, rendered with the request). Only absolute http and
// https URLs are polled.
func (a *Async) statusURL(base *url.URL, h http.Header, body []byte, prev *url.URL, parts []pollPart) (*url.URL, error) {
	ref := strings.TrimSpace(h.Get("Location"))
	if ref == "" && a.URLPath != "" {
		ref = strings.TrimSpace(pathGet(body, a.URLPath).String())
	}
	switch {
	case ref != "":
	case prev != nil:
		return prev, nil
	case parts != nil:
		var err error
		if ref, err = pollTarget(parts, body); err != nil {
			return nil, err
		}
	default:
		return nil, noStatusURL(a.URLPath)
	}
	u, err := base.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errorf("the API's status URL is not an http or https URL, so it is not polled; check the API's 202 answer")
	}
	u.Fragment, u.RawFragment = "", ""
	normalizeHost(u)
	return u, nil
}

// noStatusURL is the error of a 202 that says nowhere where to poll.
func noStatusURL(path string) error {
	if path == "" {
		return errorf("the API's answer has no Location header, so there is nothing to poll; set async.urlPath to where its answer gives the status URL, or async.pollUrl to build it")
	}
	return errorf("the API's answer has no Location header and no URL at %s; check async.urlPath against the API's answer, or set async.pollUrl to build it", path)
}

// pollWait is how long to wait before the next poll: the server's
// Retry-After (at least minRetryAfter) or the interval, and never past the
// deadline.
func (a *Async) pollWait(h http.Header, now, deadline time.Time) time.Duration {
	wait := a.interval()
	if d, ok := parseRetryAfter(h.Get("Retry-After"), now); ok {
		wait = max(d, minRetryAfter)
	}
	return max(min(wait, deadline.Sub(now)), 0)
}

// follow is the step of an async node: it sends request o, then, when the
// answer is 202, polls to the final answer, which it judges by the node's
// own success rule.
func (c *Client) follow(ctx context.Context, o *outgoing) *Result {
	loose := o.accepting()
	res := c.send(ctx, loose, historySeq{})
	judge := res.Failure == nil || res.Failure.Kind == KindStatus
	if res.Failure != nil {
		return o.settleFinal(res, judge)
	}
	a := o.step.node.Async
	switch state, v := a.first(res.StatusCode, res.doc()); state {
	case pollAgain:
		judge = c.poll(ctx, o, loose, res)
	case pollFailed:
		res.settle(jobFailed(&o.step.node, res.StatusCode, res.doc(), v), o.secrets)
		return res
	}
	return o.settleFinal(res, judge)
}

// settleFinal judges the final answer by the node's own success rule, unless
// polling settled it already.
func (o *outgoing) settleFinal(res *Result, judge bool) *Result {
	if judge {
		res.settle(evaluate(o.step.node.fileRule(res.File != nil), res.StatusCode, res.doc()), o.secrets)
	}
	return res
}

// first decides what the first answer means: a 202 starts the polling;
// with StatusPath set, so does a 2xx whose status is in neither DoneValues
// nor FailedValues (long-running operations answering 200 {"done":
// false}), and a failed value ends the job at once. Anything else is the
// final answer.
func (a *Async) first(status int, body []byte) (pollState, string) {
	if status == http.StatusAccepted {
		return pollAgain, ""
	}
	if a.StatusPath == "" || status < 200 || status > 299 {
		return pollDone, ""
	}
	return a.judge(status, body)
}

// accepting returns o under a step whose success rule accepts 202 and
// checks no business code, so a job that is still running never looks
// failed; the final answer is judged afterwards. The request and its polls
// are sent this way, each retried under the node's policy. A JSON answer is
// still read into memory when the node checks a business code.
func (o *outgoing) accepting() *outgoing {
	s := *o.step
	n := &s.node
	n.Success = SuccessRule{Codes: o.step.node.Success.Codes}
	if len(n.Success.Codes) > 0 && !slices.Contains(n.Success.Codes, http.StatusAccepted) {
		n.Success.Codes = append(slices.Clip(n.Success.Codes), http.StatusAccepted)
	}
	a := *n.Async
	a.holdJSON = o.step.node.Success.ErrorCodePath != ""
	n.Async = &a
	c := *o
	c.step = &s
	return &c
}

// fileRule is the success rule of a final answer: a saved file has no
// business code to check, only its status.
func (n *NodeConfig) fileRule(file bool) *SuccessRule {
	if !file {
		return &n.Success
	}
	r := n.Success
	r.ErrorCodePath, r.SuccessValues = "", nil
	return &r
}

// poll follows the job that res (a 202 to first) started until it ends,
// adding one attempt record per poll to res and leaving the final answer in
// it. It reports whether that answer is still to be judged by the success
// rule (false when poll settled the outcome itself).
func (c *Client) poll(ctx context.Context, first, loose *outgoing, res *Result) bool {
	a := first.step.node.Async
	deadline := time.Now().Add(a.maxWait())
	u, err := a.statusURL(first.url, res.Header, res.doc(), nil, first.pollParts)
	last := statusSeen(res.StatusCode, "")
	for n := 1; ; n++ {
		if err != nil {
			res.settle(noStatusURLFailure(err, res.StatusCode), first.secrets)
			return false
		}
		if !time.Now().Before(deadline) {
			res.settle(maxWaitFailure(a.maxWait(), last, res.StatusCode), first.secrets)
			return false
		}
		now := c.now() // a Retry-After date is read on the Client's clock, the deadline stays on the real one
		if err := c.env().sleep(ctx, a.pollWait(res.Header, now, now.Add(time.Until(deadline)))); err != nil {
			res.settle(stoppedPolling(ctx, last, err, first.step.timeout), first.secrets)
			return false
		}
		pctx := c.Hooks.pollStart(ctx, n)
		got := c.send(pctx, loose.forPoll(first, u), historySeq{before: len(res.Attempts), poll: n})
		c.Hooks.pollDone(pctx, got)
		res.absorb(got, n)
		if res.Failure != nil {
			return res.Failure.Kind == KindStatus
		}
		state, v := a.judge(res.StatusCode, res.doc())
		last = statusSeen(res.StatusCode, v)
		switch state {
		case pollDone:
			return true
		case pollFailed:
			res.settle(jobFailed(&first.step.node, res.StatusCode, res.doc(), v), first.secrets)
			return false
		}
		u, err = a.statusURL(u, res.Header, res.doc(), u, nil)
	}
}

// pollDrops are the request headers a poll leaves out: it is a GET without
// body, signature or Idempotency-Key.
var pollDrops = []string{"Content-Type", "Content-Length", idempotencyHeader, webhook.IDHeader, "Webhook-Timestamp", "Webhook-Signature"}

// forPoll returns the poll of status URL u: a GET with first's headers,
// less those in pollDrops, and without credentials (through first's
// secrets) when u is on another origin than first.
func (o *outgoing) forPoll(first *outgoing, u *url.URL) *outgoing {
	p := *o
	p.method, p.url, p.body, p.sign, p.id = http.MethodGet, u, nil, "", identity{}
	p.header = first.secrets.forURL(first.header, first.url, u).Clone()
	for _, k := range pollDrops {
		p.header.Del(k)
	}
	return &p
}

// statusSeen describes the last answer of a job for a failure message.
func statusSeen(code int, value string) string {
	if value != "" {
		return fmt.Sprintf("%q (HTTP %d)", value, code)
	}
	return fmt.Sprintf("HTTP %d", code)
}
