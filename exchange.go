package httpstep

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"
)

// send makes the attempts of one request: one, or as many as the node's
// retry policy allows. Each attempt's record says whether another followed,
// why, and after what wait.
func (c *Client) send(ctx context.Context, node *NodeConfig, p *prepared) *Result {
	res := &Result{maxRows: c.MaxRows, schema: node.Response}
	env := c.env()
	for n := 1; ; n++ {
		a := c.attempt(ctx, node, p, n, res)
		res.Attempts = append(res.Attempts, a)
		if res.Failure == nil || node.Retry == nil {
			return res
		}
		rec := node.Retry.plan(ctx, env, n, res)
		rec.Reason = p.redact.text(rec.Reason)
		res.Attempts[len(res.Attempts)-1].Retry = &rec
		if !rec.Retry {
			return res
		}
		if err := env.sleep(ctx, time.Duration(rec.Wait)); err != nil {
			res.Failure = stoppedWaiting(ctx, node, &rec, err)
			return res
		}
	}
}

// stoppedWaiting is the failure of a run whose context ended during the
// wait before a retry; it rewrites rec so the history promises no attempt
// that never came.
func stoppedWaiting(ctx context.Context, node *NodeConfig, rec *RetryRecord, err error) *Failure {
	rec.Reason += fmt.Sprintf("; stopped during the %v wait: %v", rec.Wait, err)
	rec.Retry, rec.Wait = false, 0
	f := classify(ctx, nil, err, node.timeout())
	switch f.Kind {
	case KindCanceled:
		f.Message = "the run was canceled while waiting to retry"
	case KindTimeout:
		f.Message = "the run's deadline passed while waiting to retry"
	}
	return f
}

// env is the Client's retry environment: the real one unless a test set it.
func (c *Client) env() retryEnv {
	if c.retryEnv != nil {
		return *c.retryEnv
	}
	return defaultRetryEnv
}

// attempt makes one HTTP exchange and stores its outcome in res.
func (c *Client) attempt(ctx context.Context, node *NodeConfig, p *prepared, n int, res *Result) Attempt {
	start := time.Now()
	a := Attempt{N: n, Start: start.UTC(), Missing: p.missing}
	res.StatusCode, res.Header, res.Body = 0, nil, nil // nothing from an earlier attempt
	tctx, ticket, err := c.admit(ctx, node, p)
	defer ticket.Done()
	if err != nil {
		a.Request = p.record(nil)
		res.Failure = classify(ctx, nil, err, node.timeout())
		return p.finish(a, start, res)
	}
	actx, cancel := context.WithTimeout(tctx, node.timeout())
	defer cancel()
	var ph phases
	actx = httptrace.WithClientTrace(actx, ph.trace(time.Now()))
	res.Failure = c.exchange(actx, ctx, node, p, res, &a)
	a.Timing, a.Queued = ph.snapshot(), Duration(ticket.Waited())
	return p.finish(a, start, res)
}

// finish completes the record of an attempt that began at start.
func (p *prepared) finish(a Attempt, start time.Time, res *Result) Attempt {
	a.Duration = Duration(time.Since(start))
	if res.Failure != nil {
		a.Kind = res.Failure.Kind
		a.Error = p.redact.text(res.Failure.Message)
		res.Failure.Message = a.Error
	}
	return a
}

// exchange sends the request, reads the response and evaluates success.
func (c *Client) exchange(actx, ctx context.Context, node *NodeConfig, p *prepared, res *Result, a *Attempt) *Failure {
	hc, err := c.client(actx, node, p.url)
	if err != nil {
		a.Request = p.record(nil)
		return classify(ctx, actx, err, node.timeout())
	}
	req, err := p.request(actx)
	if err == nil && p.sign != "" {
		err = p.signRequest(req, a)
	}
	a.Request = p.record(req)
	if err != nil {
		if req != nil && req.Body != nil {
			req.Body.Close()
		}
		return paramFailure(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		p.scrubURLError(err)
		if f := attachmentFailure(err); f != nil {
			return f
		}
		return classify(ctx, actx, err, node.timeout())
	}
	body, notes, err := readBody(resp, c.maxResponseBytes())
	resp.Body.Close()
	res.StatusCode, res.Header, res.Body = resp.StatusCode, resp.Header, body
	for _, n := range notes {
		a.Notes = append(a.Notes, p.redact.text(n))
	}
	a.Response = p.redact.response(resp, body)
	if err != nil {
		return classifyBody(ctx, actx, err, node.timeout(), resp.StatusCode)
	}
	return evaluate(&node.Success, resp.StatusCode, body)
}

// phases records the connection phases of one attempt. A dial the
// transport started for this request may finish after the request went out
// on another connection, so the callbacks can run after the attempt is
// over: they lock, and the attempt keeps a snapshot.
type phases struct {
	mu            sync.Mutex
	rec           TimingRecord
	dns, conn, hs time.Time
}

// trace returns the callbacks that fill p; start is when the attempt began.
func (p *phases) trace(start time.Time) *httptrace.ClientTrace {
	at := func(f func()) { p.mu.Lock(); f(); p.mu.Unlock() }
	since := func(s time.Time) Duration { return Duration(time.Since(s)) }
	return &httptrace.ClientTrace{
		GotConn:              func(i httptrace.GotConnInfo) { at(func() { p.rec.Reused = i.Reused }) },
		DNSStart:             func(httptrace.DNSStartInfo) { at(func() { p.dns = time.Now() }) },
		DNSDone:              func(httptrace.DNSDoneInfo) { at(func() { p.rec.DNS = since(p.dns) }) },
		ConnectStart:         func(string, string) { at(func() { p.conn = time.Now() }) },
		ConnectDone:          func(string, string, error) { at(func() { p.rec.Connect = since(p.conn) }) },
		TLSHandshakeStart:    func() { at(func() { p.hs = time.Now() }) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { at(func() { p.rec.TLS = since(p.hs) }) },
		GotFirstResponseByte: func() { at(func() { p.rec.FirstByte = since(start) }) },
	}
}

// snapshot returns the phases recorded so far.
func (p *phases) snapshot() *TimingRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	rec := p.rec
	return &rec
}

// request builds the attempt's *http.Request, opening the body afresh.
func (p *prepared) request(ctx context.Context) (*http.Request, error) {
	if len(p.credHeaders) > 0 {
		ctx = context.WithValue(ctx, credHeadersKey{}, p.credHeaders)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, "", nil)
	if err != nil {
		return nil, err
	}
	req.URL, req.Host = p.url, ""
	req.Header = p.header.Clone()
	if p.body == nil {
		return req, nil
	}
	body, length, err := p.body.open()
	if err != nil {
		return req, err
	}
	req.Body, req.ContentLength = body, length
	if length == 0 {
		req.Body = http.NoBody
		body.Close()
	}
	req.GetBody = func() (io.ReadCloser, error) {
		rc, _, err := p.body.open()
		return rc, err
	}
	return req, nil
}

// signRequest adds the Standard Webhooks headers: the id is stable across
// attempts, the timestamp is this attempt's. A streamed body (attachments)
// is not signed, since signing would mean reading it whole.
func (p *prepared) signRequest(req *http.Request, a *Attempt) error {
	if p.body != nil && p.body.parts != nil {
		a.Notes = append(a.Notes, "not signed: a body with attachments is streamed, not held in memory")
		return nil
	}
	var body []byte
	if p.body != nil {
		body = p.body.data
	}
	return signHeaders(req.Header, p.sign, p.msgID, time.Now(), body)
}

// scrubURLError redacts the URL that net/http puts in its errors, so that
// Failure.Err and its chain carry no secret either.
func (p *prepared) scrubURLError(err error) {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return
	}
	if u, perr := url.Parse(ue.URL); perr == nil {
		ue.URL = p.redact.url(u)
	} else {
		ue.URL = p.redact.text(redactQuery(ue.URL))
	}
}
