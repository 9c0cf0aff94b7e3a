package httpstep

import (
	"context"
	"time"
)

// send makes the attempts of one request: one, or as many as the node's
// retry policy allows, and folds their outcomes into a Result. Each
// attempt's record says whether another followed, why, and after what wait.
func (c *Client) send(ctx context.Context, o *outgoing) *Result {
	res := o.newResult()
	env := c.env()
	policy := o.step.node.Retry
	for n := 1; ; n++ {
		res.fold(c.attempt(ctx, o, n))
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

// fold takes an attempt's outcome: its response (nothing from an earlier
// attempt survives), its failure and its record.
func (r *Result) fold(out outcome) {
	r.StatusCode, r.Header, r.Body, r.File, r.Failure = out.status, out.header, out.body, out.file, out.failure
	r.Attempts = append(append(r.Attempts, out.before...), out.record)
}

// lastAttempt returns the record of the last attempt.
func (r *Result) lastAttempt() *Attempt { return &r.Attempts[len(r.Attempts)-1] }

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
