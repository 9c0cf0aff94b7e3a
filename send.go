package httpstep

import (
	"context"
	"os"
	"time"
)

// run is the spine of every run of step s: render the request, send it
// (every page of a pull, every attempt its retry policy allows), then the
// steps the node asks for: polling a 202 to the final answer (Async) and
// keeping the body as a file (Download). Every Result is assembled here,
// from the outcomes of attempts and the Results of pages and polls.
func (c *Client) run(ctx context.Context, s *Step, params Params) *Result {
	ctx = c.Hooks.runStart(ctx)
	res := c.runStep(ctx, s, params)
	c.runEnded(ctx, res)
	return res
}

// runStep is run without its events (Logger and Hooks).
func (c *Client) runStep(ctx context.Context, s *Step, params Params) *Result {
	o, fail := c.render(s, params)
	if fail != nil {
		return o.failedResult(fail)
	}
	var res *Result
	switch {
	case s.node.Paginate != nil:
		res = c.paginate(ctx, o)
	case s.node.Async != nil:
		res = c.follow(ctx, o)
	default:
		res = c.send(ctx, o, historySeq{})
	}
	if s.node.Download {
		c.keepDownload(o, res)
	}
	return res
}

// send makes the attempts of one request: one, or as many as the node's
// retry policy allows, and folds their outcomes into a Result. Each
// attempt's record says whether another followed, why, and after what wait.
// seq is where its records go in the run's history, for the attempts'
// events.
func (c *Client) send(ctx context.Context, o *outgoing, seq historySeq) *Result {
	res := o.newResult()
	env := c.env()
	policy := o.step.node.Retry
	for n := 1; ; n++ {
		res.fold(c.attempt(ctx, o, n, seq))
		if res.Failure == nil || policy == nil {
			return res
		}
		rec := policy.plan(ctx, env, n, res)
		rec.Reason = o.secrets.text(rec.Reason)
		res.lastAttempt().Retry = &rec
		if !rec.Retry {
			if ctx.Err() != nil { // the decision was cut short: say so, not the last status
				res.Failure = stoppedFailure(ctx, res.Failure, o.step.timeout)
			}
			return res
		}
		if err := env.sleep(ctx, time.Duration(rec.Wait)); err != nil {
			res.Failure = stoppedWaiting(ctx, &rec, err, o.step.timeout)
			return res
		}
	}
}

// env is the Client's retry environment: the real one unless a test set it.
// Client.Now, when set, is the clock of Retry-After dates.
func (c *Client) env() retryEnv {
	env := defaultRetryEnv
	if c.retryEnv != nil {
		env = *c.retryEnv
	}
	if c.Now != nil {
		env.date = c.Now
	}
	return env
}

// newResult is an empty Result for request o's run.
func (o *outgoing) newResult() *Result {
	return &Result{maxRows: o.maxRows, schema: o.step.node.Response, secrets: o.secrets, source: o.url}
}

// failedResult is the Result of a run that failed before sending.
func (o *outgoing) failedResult(f *Failure) *Result {
	o.secrets.failure(f)
	a := Attempt{N: 1, Start: time.Now().UTC(), Request: o.record(nil), Kind: f.Kind, Error: f.Message, Missing: o.missing}
	res := o.newResult()
	res.Failure, res.Attempts = f, []Attempt{a}
	return res
}

// fold takes an attempt's outcome: its response (nothing from an earlier
// attempt survives), its failure and its record.
func (r *Result) fold(out outcome) {
	r.StatusCode, r.Header, r.Body, r.File, r.Failure = out.status, out.header, out.body, out.file, out.failure
	r.tree = out.tree
	r.Attempts = append(append(r.Attempts, out.before...), out.record)
}

// absorb takes the Result of the run's next request (a page, a poll): its
// status, headers, body, file, failure and URL, and its attempt records
// numbered on from those before, marked as poll n (0 for a page). A pull
// replaces the body with its items once it ends.
func (r *Result) absorb(next *Result, poll int) {
	r.StatusCode, r.Header, r.Body, r.File, r.Failure = next.StatusCode, next.Header, next.Body, next.File, next.Failure
	r.tree = next.tree
	r.source = next.source
	base := len(r.Attempts)
	for _, a := range next.Attempts {
		a.N, a.Poll = a.N+base, poll
		r.Attempts = append(r.Attempts, a)
	}
}

// settle makes f (nil for success) the run's outcome and the last attempt's
// verdict, its message scrubbed of s. A failed run keeps no downloaded file.
func (r *Result) settle(f *Failure, s *secrets) {
	r.Failure = f
	if f != nil && r.File != nil {
		os.Remove(r.File.Path)
		r.File = nil
	}
	if len(r.Attempts) == 0 {
		return
	}
	a := r.lastAttempt()
	a.Kind, a.Error = "", ""
	if f != nil {
		s.failure(f)
		a.Kind, a.Error = f.Kind, f.Message
	}
}

// keep makes f, a body read into memory and then saved, the Result's File
// in place of its Body, and records it in the last attempt, where the
// history holds the file's SHA-256, never its content.
func (r *Result) keep(f *File, s *secrets) {
	r.File, r.Body, r.tree = f, nil, nil
	if rec := r.lastAttempt().Response; rec != nil {
		rec.File = f.record(s)
		rec.Body, rec.Truncated = "", false
	}
}

// note adds a note to the last attempt's record.
func (r *Result) note(text string) {
	if text != "" && len(r.Attempts) > 0 {
		a := r.lastAttempt()
		a.Notes = append(a.Notes, text)
	}
}

// lastAttempt returns the record of the last attempt.
func (r *Result) lastAttempt() *Attempt { return &r.Attempts[len(r.Attempts)-1] }
