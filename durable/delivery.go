package durable

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/httpstep/httpstep"
)

// The states of a Delivery.
const (
	StatePending   = "pending"   // waiting for its first or next attempt, or being attempted
	StateDelivered = "delivered" // an attempt succeeded
	StateFailed    = "failed"    // out of attempts, cancelled by a failure not worth retrying, or no call back in time
)

// Delivery is the state and history of one delivery.
type Delivery struct {
	ID       int64
	State    string             // "pending" | "waiting" | "delivered" | "failed"
	Attempts []httpstep.Attempt // every attempt so far, across restarts; N counts 1..k; a callback's call is the last, with Callback set
	Failure  *httpstep.Failure  // the last failure, when State is "failed"
	Next     time.Time          // pending: when the next attempt is due; waiting: the callback's deadline
	// Result is the final answer of a callback node: the body of the
	// API's call and its Content-Type (StatusCode 200, what the queue
	// answered), or the timeout's Failure. Lookup and Rows read it as
	// they read a response: its charset converted, an XML body through
	// its JSON tree (httpstep.CallbackResult). Nil for other nodes and
	// while waiting.
	Result *httpstep.Result
}

// Delivery returns the delivery with the given id, as stored now; an id the
// queue does not hold is an *UnknownDeliveryError. It works whether or not
// the Queue was started: another process may be doing the work.
func (q *Queue) Delivery(ctx context.Context, id int64) (*Delivery, error) {
	job, err := q.backend.get(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) || err == nil && job.State == rivertype.JobStateCompleted {
		if d, ok, err := q.parkedOrNot(ctx, id, job); ok || err != nil {
			return d, err
		}
	}
	if errors.Is(err, rivertype.ErrNotFound) || err == nil && job.Kind != jobKind {
		return nil, &UnknownDeliveryError{ID: id}
	}
	if err != nil {
		return nil, err
	}
	attempts, err := history(job.Output())
	if err != nil {
		return nil, err
	}
	d := &Delivery{ID: id, State: stateOf(job.State), Attempts: attempts}
	switch d.State {
	case StatePending:
		d.Next = job.ScheduledAt
	case StateFailed:
		d.Failure = lastFailure(job, attempts)
	}
	return d, nil
}

// stateOf maps River's job states onto a delivery's three.
func stateOf(s rivertype.JobState) string {
	switch s {
	case rivertype.JobStateCompleted:
		return StateDelivered
	case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		return StateFailed
	}
	return StatePending
}

// lastFailure is the failure of the last attempt, or River's last error
// when the job ended without one (its process died on the last attempt).
func lastFailure(job *rivertype.JobRow, attempts []httpstep.Attempt) *httpstep.Failure {
	if n := len(attempts); n > 0 && attempts[n-1].Kind != "" {
		a := attempts[n-1]
		f := &httpstep.Failure{Kind: a.Kind, Message: a.Error}
		if a.Response != nil {
			f.StatusCode = a.Response.Status
		}
		return f
	}
	msg := "the queue gave up on the delivery"
	if n := len(job.Errors); n > 0 {
		msg += ": " + job.Errors[n-1].Error
	}
	return &httpstep.Failure{Kind: httpstep.KindCanceled, Message: msg}
}
