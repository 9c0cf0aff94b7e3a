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
	actx, cancel := context.WithTimeout(ctx, node.timeout())
	defer cancel()
	timing := &TimingRecord{}
	actx = httptrace.WithClientTrace(actx, traceInto(timing, start))
	res.StatusCode, res.Header, res.Body = 0, nil, nil // nothing from an earlier attempt
	res.Failure = c.exchange(actx, ctx, node, p, res, &a)
	a.Duration = Duration(time.Since(start))
	a.Timing = timing
	if res.Failure != nil {
		a.Kind = res.Failure.Kind
		a.Error = p.redact.text(res.Failure.Message)
		res.Failure.Message = a.Error
	}
	return a
}

// exchange sends the request, reads the response and evaluates success.
func (c *Client) exchange(actx, ctx context.Context, node *NodeConfig, p *prepared, res *Result, a *Attempt) *Failure {
	hc, err := c.client(node, p.url)
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

// traceInto records connection phases into t.
func traceInto(t *TimingRecord, start time.Time) *httptrace.ClientTrace {
	var dns, conn, hs time.Time
	since := func(s time.Time) Duration { return Duration(time.Since(s)) }
	return &httptrace.ClientTrace{
		GotConn:              func(i httptrace.GotConnInfo) { t.Reused = i.Reused },
		DNSStart:             func(httptrace.DNSStartInfo) { dns = time.Now() },
		DNSDone:              func(httptrace.DNSDoneInfo) { t.DNS = since(dns) },
		ConnectStart:         func(string, string) { conn = time.Now() },
		ConnectDone:          func(string, string, error) { t.Connect = since(conn) },
		TLSHandshakeStart:    func() { hs = time.Now() },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.TLS = since(hs) },
		GotFirstResponseByte: func() { t.FirstByte = since(start) },
	}
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
