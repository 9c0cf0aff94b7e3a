package durable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/httpstep/httpstep"
)

// outcome is what one job attempt leaves: its history records, the error
// for River (nil when delivered, river.JobCancel when not worth retrying)
// and, for a retry, the wait before the next attempt.
type outcome struct {
	attempts []httpstep.Attempt
	err      error
	wait     time.Duration
}

// outcomeOf turns an attempt's result into the job's outcome. res is nil
// when nothing was sent: the values could not be resolved or the node is
// invalid (err says why).
func outcomeOf(ctx context.Context, job *river.Job[deliveryArgs], res *httpstep.Result, err error) outcome {
	if res == nil {
		return unsent(job, err)
	}
	out := outcome{attempts: res.Attempts}
	if res.Failure == nil {
		return out
	}
	decided := res
	if res.Failure.Kind == httpstep.KindCanceled && ctx.Err() != nil {
		decided = lost // the queue is stopping: the attempt is retried, here or elsewhere
	}
	return decide(job, decided, res.Failure, out)
}

// unsent is the outcome of an attempt that sent nothing: the values could
// not be resolved or the node does not compile. A resolver's error is
// retried (its store may be down); any other cancels the delivery.
func unsent(job *river.Job[deliveryArgs], err error) outcome {
	a := httpstep.Attempt{
		Start:   time.Now().UTC(),
		Request: httpstep.RequestRecord{Method: job.Args.Node.Method}, // the URL as typed may hold credentials
		Kind:    httpstep.KindParam,
		Error:   err.Error(),
	}
	f := &httpstep.Failure{Kind: httpstep.KindParam, Message: err.Error(), Err: err}
	out := outcome{attempts: []httpstep.Attempt{a}}
	var re *ResolveError
	if errors.As(err, &re) {
		return decide(job, lost, f, out)
	}
	return decide(job, &httpstep.Result{Failure: f}, f, out)
}

// decide applies the node's RetryPolicy to a failed attempt, as Execute
// would in process, and notes the decision on its last record.
func decide(job *river.Job[deliveryArgs], res *httpstep.Result, f *httpstep.Failure, out outcome) outcome {
	wait, retry := policy(job).Next(job.Attempt, res)
	rec := &httpstep.RetryRecord{}
	switch {
	case retry:
		rec.Retry, rec.Wait = true, httpstep.Duration(wait)
		rec.Reason = fmt.Sprintf("kind %s: the queue tries again in %v", f.Kind, wait.Round(time.Millisecond))
		out.err, out.wait = f, wait
	case job.Attempt >= job.MaxAttempts:
		rec.Reason = fmt.Sprintf("kind %s: gave up after %d attempts", f.Kind, job.Attempt)
		out.err, out.wait = f, -1
	default:
		rec.Reason = fmt.Sprintf("kind %s is not retried: the delivery is cancelled", f.Kind)
		out.err, out.wait = river.JobCancel(f), -1
	}
	if n := len(out.attempts); n > 0 {
		out.attempts[n-1].Retry = rec
	}
	return out
}
