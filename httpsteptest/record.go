package httpsteptest

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"strings"

	"github.com/httpstep/httpstep/internal/redaction"
)

// recorder is a Cassette's round tripper in Record: it sends through next
// and keeps each exchange, raw until the cassette is saved.
type recorder struct {
	c    *Cassette
	next http.RoundTripper
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	reqBody, err := readBody(req.Body)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	if req.Body != nil {
		out.Body = io.NopCloser(bytes.NewReader(reqBody))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	resp, err := r.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	respBody, err := readBody(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		return nil, err
	}
	e := &exchange{run: redaction.Of(req.Context()), u: req.URL}
	e.Request.Method, e.Request.Header, e.Request.body = req.Method, req.Header.Clone(), newBody(reqBody)
	e.Response.Status, e.Response.Header = resp.StatusCode, resp.Header.Clone()
	e.Response.body = newBody(decoded(e.Response.Header, respBody))
	r.c.mu.Lock()
	r.c.exchanges = append(r.c.exchanges, e)
	r.c.mu.Unlock()
	return resp, nil
}

// decoded undoes a gzip or deflate content coding of b (the Client asks
// for gzip itself, so net/http leaves it on), removing Content-Encoding
// from h, so that the cassette holds text it can redact. A body it cannot
// decode is returned as it is.
func decoded(h http.Header, b []byte) []byte {
	var r io.ReadCloser
	var err error
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))) {
	case "gzip", "x-gzip":
		r, err = gzip.NewReader(bytes.NewReader(b))
	case "deflate":
		r, err = zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			r, err = flate.NewReader(bytes.NewReader(b)), nil
		}
	default:
		return b
	}
	if err != nil {
		return b
	}
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		return b
	}
	h.Del("Content-Encoding")
	return out
}

// CloseIdleConnections passes the call on, so the Client's pool is still
// reached through the cassette.
func (r recorder) CloseIdleConnections() {
	if ci, ok := r.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// redact scrubs e for the disk: its own run's redaction (credential
// headers, token-like parameters, the run's secrets), then every other
// recorded run's secrets, so that a token one run was handed is scrubbed
// from the token request that fetched it.
func (e *exchange) redact(runs []redaction.Run) {
	scrub := func(s string) string {
		for _, r := range runs {
			s = r.Text(s)
		}
		return s
	}
	e.Request.URL = scrub(e.run.URL(e.u))
	e.Request.Header = scrubHeader(e.run.Header(e.Request.Header), scrub)
	if isForm(e.Request.Header) {
		e.Request.Text = e.run.Query(e.Request.Text)
	}
	e.Request.Text = scrub(e.run.Text(e.Request.Text))
	e.Response.Header = scrubHeader(e.run.Header(e.Response.Header), scrub)
	e.Response.Header.Del("Content-Length") // the body's length may change; replay counts it again
	e.Response.Text = scrub(e.run.Text(e.Response.Text))
}

// scrubHeader applies scrub to every value of h, in place.
func scrubHeader(h http.Header, scrub func(string) string) http.Header {
	for _, vs := range h {
		for i, v := range vs {
			vs[i] = scrub(v)
		}
	}
	return h
}
