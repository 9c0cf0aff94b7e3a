package durable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/internal/callbackurl"
	"github.com/httpstep/httpstep/webhook"
)

// worker makes one HTTP attempt per River job attempt and keeps the
// delivery's history in the job's recorded output.
type worker struct {
	river.WorkerDefaults[deliveryArgs]
	q     *Queue
	waits sync.Map // job id → time.Time of the next attempt, from Work to NextRetry
}

// Timeout bounds one attempt: the node's timeout plus the margin for
// resolving values.
func (w *worker) Timeout(job *river.Job[deliveryArgs]) time.Duration {
	return nodeTimeout(job.Args.Node) + attemptMargin
}

// NextRetry returns the time Work chose from the node's RetryPolicy. A job
// River rescued from a dead process has none: it gets the policy's back-off
// for a timeout.
func (w *worker) NextRetry(job *river.Job[deliveryArgs]) time.Time {
	now := time.Now()
	if t, ok := w.waits.LoadAndDelete(job.ID); ok {
		return later(t.(time.Time), now)
	}
	wait, _ := policy(job).Next(job.Attempt, lost)
	return now.Add(wait)
}

// policy is the retry policy of a job's node; nil when it has none.
func policy(job *river.Job[deliveryArgs]) *httpstep.RetryPolicy {
	if job.Args.Node == nil {
		return nil
	}
	return job.Args.Node.Retry
}

// errNoStoredNode cancels a job whose arguments hold no node: written by
// something other than Enqueue.
var errNoStoredNode = errors.New("httpstep: durable: the job holds no node; it was not written by Enqueue")

// lost is the Result of an attempt whose outcome is unknown.
var lost = &httpstep.Result{Failure: &httpstep.Failure{Kind: httpstep.KindTimeout}}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Work makes the job's next HTTP attempt and records it.
func (w *worker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	if job.Args.Node == nil {
		return river.JobCancel(errNoStoredNode)
	}
	prev, err := history(job.JobRow.Output())
	if err != nil {
		return river.JobCancel(err)
	}
	prev = append(prev, lostAttempts(job, prev)...)
	sendCtx, token := ctx, ""
	if job.Args.Node.Callback != nil {
		var u string
		token, u = newToken(w.q.cfg.CallbackURL)
		sendCtx = callbackurl.With(ctx, u)
	}
	res, err := w.send(sendCtx, &job.Args)
	out := outcomeOf(ctx, job, res, err)
	for i := range out.attempts {
		out.attempts[i].N = len(prev) + i + 1
	}
	all := append(prev, out.attempts...)
	if err := river.RecordOutput(ctx, all); err != nil {
		return err
	}
	if out.err == nil && token != "" {
		// The API has the URL: park even when the queue is stopping, or
		// the retry would send the request again.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), attemptMargin)
		defer cancel()
		return w.q.park(pctx, job, token, all)
	}
	if out.wait >= 0 && out.err != nil {
		w.waits.Store(job.ID, time.Now().Add(out.wait))
	}
	return out.err
}

// send resolves the job's values and makes one attempt of its node.
func (w *worker) send(ctx context.Context, a *deliveryArgs) (*httpstep.Result, error) {
	values, err := w.q.resolver().values(ctx, a)
	if err != nil {
		return nil, err
	}
	step, err := sendNode(a).Compile()
	if err != nil {
		return nil, err
	}
	return w.q.cfg.Client.Run(ctx, step, values)
}

// sendNode is the job's node as one attempt: no retries (River makes them)
// and the delivery's identity as headers of its own, which the core keeps.
func sendNode(a *deliveryArgs) *httpstep.NodeConfig {
	n := *a.Node
	n.Retry = nil
	n.Headers = append([]httpstep.KeyValue(nil), a.Node.Headers...)
	h := http.Header{}
	for _, kv := range n.Headers {
		h.Add(kv.Key, kv.Value)
	}
	if h.Get("Idempotency-Key") == "" {
		n.Headers = append(n.Headers, httpstep.KeyValue{Key: "Idempotency-Key", Value: a.IdempotencyKey})
	}
	if h.Get(webhook.IDHeader) == "" {
		n.Headers = append(n.Headers, httpstep.KeyValue{Key: webhook.IDHeader, Value: a.WebhookID})
	}
	return &n
}

// history decodes the attempts recorded so far.
func history(output []byte) ([]httpstep.Attempt, error) {
	var prev []httpstep.Attempt
	if len(output) == 0 {
		return prev, nil
	}
	if err := json.Unmarshal(output, &prev); err != nil {
		return nil, fmt.Errorf("httpstep: durable: the delivery's history does not decode: %w", err)
	}
	return prev, nil
}

// lostAttempts returns a record for each earlier job attempt that left none
// because its process died mid-attempt and River rescued the job. A job
// attempt that failed leaves exactly one record with a Retry decision (the
// node runs with Retry nil, so the core sets none), which is how they are
// counted.
func lostAttempts(job *river.Job[deliveryArgs], prev []httpstep.Attempt) []httpstep.Attempt {
	decided := 0
	for _, a := range prev {
		if a.Retry != nil {
			decided++
		}
	}
	var lost []httpstep.Attempt
	var at time.Time // when River took the job back: the best time known
	if n := len(job.Errors); n > 0 {
		at = job.Errors[n-1].At.UTC()
	}
	for i := range job.Attempt - 1 - decided {
		lost = append(lost, httpstep.Attempt{
			N:     len(prev) + i + 1,
			Start: at,
			Kind:  httpstep.KindTimeout,
			Error: "the outcome is unknown: the process making this attempt stopped before recording it, and River took the delivery back after Config.RescueAfter; the receiver may have got the request",
			Retry: &httpstep.RetryRecord{Retry: true, Reason: "rescued by River"},
		})
	}
	return lost
}
