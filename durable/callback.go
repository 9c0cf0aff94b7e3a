package durable

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/httpstep/httpstep"
)

// StateWaiting is the state of a callback delivery whose request succeeded
// and which waits for the API to call its URL (Delivery.Next is then the
// deadline).
const StateWaiting = "waiting"

// Job kinds of a callback's timeout and of the sweep of finished callbacks.
const (
	timeoutKind = "httpstep_callback_timeout"
	sweepKind   = "httpstep_callback_sweep"
)

// sweepEvery is how often the leader deletes finished callbacks past their
// retention.
const sweepEvery = time.Hour

// River's retention defaults, which finished callbacks follow too when
// Config.Retention is 0: delivered 24h, failed 7 days.
const (
	doneRetention    = 24 * time.Hour
	timeoutRetention = 7 * 24 * time.Hour
)

// tokenBytes is the size of a callback token: 256 random bits.
const tokenBytes = 32

// tokenLen is the length of a token in base64url without padding.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// CallbackURLError is returned by Open for a Config.CallbackURL that is not
// an absolute http or https URL, and by Enqueue for a callback node when
// Config.CallbackURL is empty.
type CallbackURLError struct {
	URL    string
	Reason string
}

func (e *CallbackURLError) Error() string {
	if e.URL == "" {
		return "httpstep: durable: " + e.Reason
	}
	return fmt.Sprintf("httpstep: durable: Config.CallbackURL %q %s", e.URL, e.Reason)
}

// checkCallbackURL validates a Config.CallbackURL; empty is valid (the
// Queue then refuses callback nodes).
func checkCallbackURL(base string) error {
	if base == "" {
		return nil
	}
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return &CallbackURLError{URL: base, Reason: "does not parse: " + err.Error()}
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return &CallbackURLError{URL: base, Reason: "must be an absolute http or https URL: the public address where the host mounts Queue.CallbackHandler"}
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return &CallbackURLError{URL: base, Reason: "must have no query, fragment or credentials: the token is appended as the last path segment"}
	}
	return nil
}

// checkCallback refuses a callback node the Queue cannot wait for: no
// Config.CallbackURL, or a callback.secret whose value is not a Secret
// (which is resolved when the call arrives, never stored).
func (q *Queue) checkCallback(node *httpstep.NodeConfig, secrets [][]string) error {
	c := node.Callback
	if c == nil {
		return nil
	}
	if q.cfg.CallbackURL == "" {
		return &CallbackURLError{Reason: "the node waits for a call back and Config.CallbackURL is empty: set it to the public URL where the host mounts Queue.CallbackHandler"}
	}
	r := secretRef(c)
	if r == "" {
		return nil
	}
	for _, p := range secrets {
		if ref(p) == r {
			return nil
		}
	}
	return &ValueError{Ref: r, Reason: "is callback.secret and must be an httpstep.Secret among the values: the queue resolves it through Config.Secrets when the call arrives"}
}

// secretRef is the ref callback.secret names ("{{org.cbSecret}}" gives
// "org.cbSecret"); Validate has checked it is one placeholder.
func secretRef(c *httpstep.Callback) string {
	s := strings.TrimSpace(c.Secret)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{{"), "}}")
	return strings.TrimSpace(s)
}

// callbackTimeout is the node's wait, its default applied.
func callbackTimeout(c *httpstep.Callback) time.Duration {
	if c.Timeout > 0 {
		return time.Duration(c.Timeout)
	}
	return httpstep.DefaultCallbackTimeout
}

// newToken returns a fresh token and the URL it makes under base.
func newToken(base string) (token, u string) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, strings.TrimSuffix(base, "/") + "/" + token
}

// tokenHash is what the table stores of a token.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// park moves a delivery whose request succeeded into httpstep_callback,
// schedules its timeout and completes its River job, all in one
// transaction of the job's store: from then on no worker, goroutine or
// lock holds it, and a restart loses nothing.
func (q *Queue) park(ctx context.Context, job *river.Job[deliveryArgs], token string, attempts []httpstep.Attempt) error {
	hist, err := json.Marshal(attempts)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	c := job.Args.Node.Callback
	p := &parked{
		tokenHash: tokenHash(token), jobID: job.ID, jobCreated: job.CreatedAt,
		parkedAt: now, deadline: now.Add(callbackTimeout(c)),
		history: string(hist), secretRef: secretRef(c),
	}
	timeout := timeoutArgs{TokenHash: p.tokenHash, Delivery: job.ID}
	opts := &river.InsertOpts{Queue: queueName, ScheduledAt: p.deadline}
	return q.backend.park(ctx, job, p, timeout, opts)
}

// parkStore is how a driver's backend parks: a transaction of its store,
// and the completion of a River job in it.
type parkStore[TTx any] struct {
	begin    func(ctx context.Context) (TTx, sqlExec, error)
	end      func(ctx context.Context, tx TTx, commit bool) error
	complete func(ctx context.Context, tx TTx, job *river.Job[deliveryArgs]) error
}

// park is Queue.park's work in one transaction: the row, the timeout job
// and the completion of the delivery's job.
func (b *riverBackend[TTx]) park(ctx context.Context, job *river.Job[deliveryArgs], p *parked, timeout timeoutArgs, opts *river.InsertOpts) error {
	tx, ex, err := b.parks.begin(ctx)
	if err != nil {
		return fmt.Errorf("httpstep: durable: parking the delivery: %w", err)
	}
	res, err := b.client.InsertTx(ctx, tx, timeout, opts)
	if err == nil {
		p.timeoutJob = res.Job.ID
		err = insertParked(ctx, ex, p)
	}
	if err == nil {
		err = b.parks.complete(ctx, tx, job)
	}
	if err != nil {
		err = fmt.Errorf("httpstep: durable: parking the delivery: %w", err)
	}
	return errors.Join(err, b.parks.end(ctx, tx, err == nil))
}

// deleteJob deletes a job that is not running.
func (b *riverBackend[TTx]) deleteJob(ctx context.Context, id int64) error {
	_, err := b.client.JobDelete(ctx, id)
	return err
}

// timeoutArgs is the River job that fails a waiting delivery at its
// deadline, unless the call came first.
type timeoutArgs struct {
	TokenHash []byte `json:"tokenHash"`
	Delivery  int64  `json:"delivery"`
}

// Kind implements river.JobArgs.
func (timeoutArgs) Kind() string { return timeoutKind }

// timeoutWorker works the timeout jobs.
type timeoutWorker struct {
	river.WorkerDefaults[timeoutArgs]
	q *Queue
}

// Work fails the delivery with kind timeout if it still waits.
func (w *timeoutWorker) Work(ctx context.Context, job *river.Job[timeoutArgs]) error {
	now := time.Now().UTC()
	p, ok, err := parkedBy(ctx, w.q.sql, "token_hash", job.Args.TokenHash)
	if err != nil || !ok || p.state != parkWaiting {
		return err
	}
	wait := p.deadline.Sub(p.parkedAt).Round(time.Second)
	rec := httpstep.Attempt{
		Start: now, Callback: true, Kind: httpstep.KindTimeout,
		Request: httpstep.RequestRecord{URL: w.q.redactedCallbackURL()},
		Error:   fmt.Sprintf("the API did not call back within callback.timeout (%v): check the job on the API's side, or raise callback.timeout", wait),
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = expireParked(ctx, w.q.sql, job.Args.TokenHash, now, string(b))
	return err
}

// sweepArgs is the periodic job that deletes finished callbacks past
// their retention.
type sweepArgs struct{}

// Kind implements river.JobArgs.
func (sweepArgs) Kind() string { return sweepKind }

// sweepWorker works the sweep jobs.
type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	q *Queue
}

// Work deletes the finished callbacks past their retention.
func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	_, err := w.q.sweep(ctx, time.Now())
	return err
}

// sweep deletes the callbacks that finished before now minus their
// retention and returns how many.
func (q *Queue) sweep(ctx context.Context, now time.Time) (int64, error) {
	done, failed := doneRetention, timeoutRetention
	if q.cfg.Retention > 0 {
		done, failed = q.cfg.Retention, q.cfg.Retention
	}
	return sweepParked(ctx, q.sql, now.Add(-done), now.Add(-failed))
}

// periodicSweep is the River periodic job of the sweep.
func periodicSweep() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(sweepEvery),
		func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, &river.InsertOpts{Queue: queueName} },
		nil)
}

// redactedCallbackURL is how the history shows a callback URL: the base,
// the token redacted.
func (q *Queue) redactedCallbackURL() string {
	return strings.TrimSuffix(q.cfg.CallbackURL, "/") + "/[REDACTED]"
}

// parkedOrNot returns the delivery of job id from its httpstep_callback
// row, when it has one that belongs to this job (job is nil when River
// holds none): the row outlives the River job, which completes when the
// delivery parks and may be deleted after its retention while the
// delivery still waits.
func (q *Queue) parkedOrNot(ctx context.Context, id int64, job *rivertype.JobRow) (*Delivery, bool, error) {
	p, ok, err := parkedBy(ctx, q.sql, "job_id", id)
	if err != nil || !ok {
		return nil, false, err
	}
	if job != nil && micros(job.CreatedAt) != micros(p.jobCreated) {
		return nil, false, nil // a row of an older job of the same id (SQLite reuses ids)
	}
	d, err := p.delivery(id, q.maxBody())
	return d, err == nil, err
}

// delivery is the Delivery a row stands for. The call's body is read as
// an answer is (httpstep.CallbackResult), bounded by limit; what that
// noticed is in the call's record.
func (p *parked) delivery(id int64, limit int64) (*Delivery, error) {
	attempts, err := history([]byte(p.history))
	if err != nil {
		return nil, err
	}
	if p.call != "" {
		var rec httpstep.Attempt
		if err := json.Unmarshal([]byte(p.call), &rec); err != nil {
			return nil, fmt.Errorf("httpstep: durable: the callback's record does not decode: %w", err)
		}
		rec.N = len(attempts) + 1
		if p.duplicates > 0 {
			rec.Notes = append(rec.Notes, fmt.Sprintf("the API called this URL %d more time(s), the last at %s; each was answered 409 and not applied", p.duplicates, p.duplicateAt.Format(time.RFC3339)))
		}
		attempts = append(attempts, rec)
	}
	d := &Delivery{ID: id, Attempts: attempts}
	switch p.state {
	case parkWaiting:
		d.State, d.Next = StateWaiting, p.deadline
	case parkDone:
		d.State = StateDelivered
		res, notes := httpstep.CallbackResult(p.contentType, p.body, limit)
		if n := len(attempts); n > 0 && p.call != "" {
			attempts[n-1].Notes = append(attempts[n-1].Notes, notes...)
		}
		res.Attempts = attempts
		d.Result = res
	default:
		last := attempts[len(attempts)-1]
		d.State = StateFailed
		d.Failure = &httpstep.Failure{Kind: last.Kind, Message: last.Error}
		d.Result = &httpstep.Result{Failure: d.Failure, Attempts: attempts}
	}
	return d, nil
}
