package httpstep

import (
	"context"
	"net/http"
	"time"
)

// outcome is what one attempt produced: the response, when one came, the
// failure (nil on success) and the attempt's history record. Attempts return
// outcomes; send and paginate fold them into the Result.
type outcome struct {
	status  int
	header  http.Header
	body    []byte
	tree    []byte // an XML body's JSON tree, which paths read; nil otherwise
	file    *File  // a download's saved body
	failure *Failure
	record  Attempt
	before  []Attempt // earlier exchanges of the attempt: token requests, a refused request before its resend
}

// errAttemptTimeout is the cause of an attempt's context that ended because
// the node's per-attempt timeout passed.
var errAttemptTimeout = errorf("the attempt's timeout passed")

// attempt makes attempt n of request o: one HTTP exchange, bounded by the
// node's timeout, timed, and recorded with its secrets redacted. Its
// events (Logger, Hooks) number it by seq.
//
// The attempt first waits for the Client's throttle engine to admit it,
// bounded by ctx rather than by the timeout, which starts only then.
func (c *Client) attempt(ctx context.Context, o *outgoing, n int, seq historySeq) outcome {
	ctx = c.Hooks.attemptStart(ctx, n)
	out := c.attemptOnce(ctx, o, n)
	c.attemptEnded(ctx, seq, &out)
	return out
}

// attemptOnce is attempt without its events (Logger and Hooks).
func (c *Client) attemptOnce(ctx context.Context, o *outgoing, n int) outcome {
	start := time.Now()
	tctx, ticket, err := c.admit(ctx, o)
	defer ticket.Done()
	var out outcome
	if err != nil {
		out.record.Request = o.record(nil)
		out.failure = classify(ctx, err, o.step.timeout)
	} else {
		ctx, cancel := context.WithTimeoutCause(tctx, o.step.timeout, errAttemptTimeout)
		defer cancel()
		tr := newTrace(time.Now())
		out = c.exchange(tr.context(ctx), o)
		out.record.Timing = tr.close()
	}
	if ticket.Degraded() {
		out.note(noteDegraded)
	}
	a := &out.record
	a.N, a.Start, a.Missing = n, start.UTC(), o.missing
	a.Duration, a.Queued = Duration(time.Since(start)), queued(ticket.Waited())
	for i := range out.before {
		out.before[i].N, out.before[i].Missing = n, o.missing
	}
	if f := out.failure; f != nil {
		o.secrets.failure(f)
		a.Kind, a.Error = f.Kind, f.Message
	}
	return out
}

// exchange sends the request, reads the response and evaluates success.
func (c *Client) exchange(ctx context.Context, o *outgoing) (out outcome) {
	hc, err := c.client(&o.step.node, o.url)
	if err != nil {
		out.record.Request = o.record(nil)
		out.failure = classify(ctx, err, o.step.timeout)
		return out
	}
	if o.cred.appliesTo(o.url) {
		return c.authenticated(ctx, o, hc)
	}
	return c.roundTrip(ctx, o, hc, "")
}

// roundTrip sends the request once with hc and reads the answer;
// authorization, when not empty, is its Authorization header.
func (c *Client) roundTrip(ctx context.Context, o *outgoing, hc *http.Client, authorization string) (out outcome) {
	ctx, hops := withHops(ctx, o)
	hops.hooks = c.Hooks
	req, o, note, err := o.prepare(ctx, c.Hooks, authorization)
	out.note(note)
	out.record.Request = c.requestRecord(o, req)
	defer c.completeRecord(o, req, &out) // with the header notes, when the record is whole
	if err != nil {
		if req != nil && req.Body != nil {
			req.Body.Close()
		}
		out.failure = paramFailure(err)
		return out
	}
	resp, err := hc.Do(req)
	out.record.Redirects = hops.hops
	if err != nil {
		o.secrets.scrubURLError(err)
		out.failure = sendFailure(ctx, err, o.step.timeout)
		out.refusedRedirect(o, hops.answer(resp))
		return out
	}
	c.read(ctx, o, resp, &out)
	return out
}

// prepare builds the request of one exchange as it goes out: the
// credential placed (authorization, when not empty), the headers of the
// Client's InjectTraceContext hook added (unless the node sets
// NoTraceContext), signed by the node's signer and with the
// Client's webhook signature. It returns the outgoing
// whose body the request carries (a body that holds the signature is
// rendered for it) and a note for the history. Nothing is sent; a dry run
// (o.dry) builds the same request with placeholders (see Client.DryRun).
func (o *outgoing) prepare(ctx context.Context, hooks *Hooks, authorization string) (*http.Request, *outgoing, string, error) {
	req, err := o.newRequest(ctx)
	if err == nil && authorization != "" {
		if o.cred != nil && o.cred.kind == AuthToken {
			o.cred.placeToken(req, authorization)
		} else {
			req.Header.Set("Authorization", authorization)
		}
	}
	if err == nil && !o.step.node.NoTraceContext {
		hooks.injectTraceContext(ctx, req)
	}
	var signedBody string
	var rendered bool
	if err == nil && o.signs(req.URL) {
		signedBody, rendered, err = o.signer.signAttempt(req, o)
	}
	var note string
	if err == nil && o.sign != "" {
		note, err = o.signRequest(req)
	}
	if rendered {
		o = o.withBody(signedBody) // the history shows the body this request carries
	}
	return req, o, note, err
}

// read reads the response into out and evaluates the success rule.
func (c *Client) read(ctx context.Context, o *outgoing, resp *http.Response, out *outcome) {
	if o.step.node.streams(resp) {
		c.download(ctx, o, resp, out)
		return
	}
	body, notes, err := readBody(resp, o.maxBytes)
	resp.Body.Close()
	out.status, out.header, out.body = resp.StatusCode, resp.Header, body
	for _, n := range notes {
		out.note(o.secrets.text(n))
	}
	if !c.summarizes(o) {
		out.note(headerNotes("response", resp.Header)...)
	}
	if err != nil {
		out.failure = bodyFailure(ctx, err, o.step.timeout, resp.StatusCode)
	} else {
		out.readXML(resp.Header.Get("Content-Type"), o.maxBytes)
		out.failure = evaluate(&o.step.node.Success, resp.StatusCode, out.doc())
	}
	c.recordResponse(o, resp, body, out)
}

// refusedRedirect records the head of a redirect that was not followed
// (its body was closed unread): the status and headers the attempt got.
func (out *outcome) refusedRedirect(o *outgoing, resp *http.Response) {
	if resp == nil {
		return
	}
	out.status, out.header = resp.StatusCode, resp.Header
	out.record.Response = o.secrets.response(resp, nil)
	out.note(headerNotes("response", resp.Header)...)
	if out.failure.StatusCode == 0 {
		out.failure.StatusCode = resp.StatusCode
	}
}

// note adds a note to the outcome's record.
func (out *outcome) note(texts ...string) {
	for _, text := range texts {
		if text != "" {
			out.record.Notes = append(out.record.Notes, text)
		}
	}
}

// minQueued is the shortest wait for admission the history shows: below it
// the time is the bookkeeping of admission, not waiting for a slot or a pause.
const minQueued = time.Millisecond

// queued is the attempt's wait for admission as the history records it.
func queued(d time.Duration) Duration {
	if d < minQueued {
		return 0
	}
	return Duration(d)
}
