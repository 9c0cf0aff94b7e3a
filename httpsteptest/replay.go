package httpsteptest

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/httpstep/httpstep/internal/redaction"
)

// player is a Cassette's round tripper in Replay: it answers from the
// cassette and never dials.
type player struct{ c *Cassette }

func (p player) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil { // as a transport does: a canceled request is not sent
		return nil, err
	}
	b, err := readBody(req.Body)
	if err != nil {
		return nil, err
	}
	run := redaction.Of(req.Context())
	got := newBody(b)
	if isForm(req.Header) {
		got.Text = run.Query(got.Text)
	}
	got.Text = run.Text(got.Text)
	e, err := p.c.take(req.Method, run.URL(req.URL), got)
	if err != nil {
		p.c.t.Errorf("%v", err)
		return nil, err
	}
	return e.response(req)
}

// response is e's recorded response, as net/http would hand it over.
func (e *exchange) response(req *http.Request) (*http.Response, error) {
	b, err := e.Response.bytes()
	if err != nil {
		return nil, err
	}
	h := e.Response.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Del("Content-Length")
	return &http.Response{
		Status: strconv.Itoa(e.Response.Status) + " " + http.StatusText(e.Response.Status), StatusCode: e.Response.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b)), Request: req,
	}, nil
}

// take marks as replayed, and returns, the first exchange not yet replayed
// that matches the request; an *UnrecordedError when none does.
func (c *Cassette) take(method, url string, b body) (*exchange, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var used *exchange
	for _, e := range c.exchanges {
		if e.Request.Method == method && matches(e.Request.URL, url) && bodyMatches(e.Request.body, b) {
			if !e.replayed {
				e.replayed = true
				return e, nil
			}
			if used == nil {
				used = e
			}
		}
	}
	err := &UnrecordedError{Method: method, URL: url, Cassette: c.path}
	if used != nil {
		err.Closest, err.Why = used.Request.Method+" "+used.Request.URL, "already replayed: the run sent it more often than when it was recorded"
	} else if e := c.closest(method, url, b); e != nil {
		err.Closest, err.Why = e.Request.Method+" "+e.Request.URL, e.difference(method, url, b)
	}
	return nil, err
}

// closest is the recorded exchange most like the request: the same method
// first, then the longest common start of the URL, then the same body.
func (c *Cassette) closest(method, url string, b body) *exchange {
	var best *exchange
	bestScore := -1
	for _, e := range c.exchanges {
		score := 4 * commonPrefix(e.Request.URL, url)
		if e.Request.Method == method {
			score += 1 << 30
		}
		if bodyMatches(e.Request.body, b) {
			score++
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	return best
}

// difference says how the request differs from e.
func (e *exchange) difference(method, url string, b body) string {
	switch {
	case e.Request.Method != method:
		return "another method"
	case !matches(e.Request.URL, url):
		return "another URL"
	case !bodyMatches(e.Request.body, b):
		return "another body"
	}
	return ""
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// bodyMatches reports whether a request body matches a recorded one.
func bodyMatches(recorded, got body) bool {
	if recorded.Base64 != "" || got.Base64 != "" {
		return recorded.Base64 == got.Base64
	}
	return matches(recorded.Text, got.Text)
}

// matches reports whether got matches recorded text, in which each
// "[REDACTED]" stands for any value of one character or more (the
// replayed run may use other secrets than the recorded one).
func matches(recorded, got string) bool {
	parts := strings.Split(recorded, redaction.Marker)
	if len(parts) == 1 {
		return recorded == got
	}
	first, last := parts[0], parts[len(parts)-1]
	if !strings.HasPrefix(got, first) {
		return false
	}
	rest := got[len(first):]
	for _, p := range parts[1 : len(parts)-1] {
		if len(rest) < 1 {
			return false
		}
		i := strings.Index(rest[1:], p) // a value is at least one character
		if i < 0 {
			return false
		}
		rest = rest[1+i+len(p):]
	}
	return len(rest) > len(last) && strings.HasSuffix(rest, last)
}
