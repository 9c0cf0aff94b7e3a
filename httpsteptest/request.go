package httpsteptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// Request is a request as a [Server] received it.
type Request struct {
	N        int         // its place in the order of arrival, from 1
	Method   string      // as sent
	Host     string      // the Host header
	Path     string      // the path, unescaped
	RawQuery string      // the query as sent, without "?"
	Query    url.Values  // the query, parsed
	Header   http.Header // the headers as received
	Body     []byte      // the whole body
	Pattern  string      // the route that answered it; "" when none did
}

// String names r for a message: "#2 GET /v1/orders?page=2".
func (r Request) String() string {
	s := fmt.Sprintf("#%d %s %s", r.N, r.Method, r.Path)
	if r.RawQuery != "" {
		s += "?" + r.RawQuery
	}
	return s
}

// AssertHeader fails t unless header key of r is want (its first value).
func (r Request) AssertHeader(t testing.TB, key, want string) {
	t.Helper()
	if vs, ok := r.Header[http.CanonicalHeaderKey(key)]; !ok {
		t.Errorf("httpsteptest: %s: header %s is absent, want %q", r, key, want)
	} else if vs[0] != want {
		t.Errorf("httpsteptest: %s: header %s is %q, want %q", r, key, vs[0], want)
	}
}

// AssertNoHeader fails t when r carries header key (a credential that
// should not have been sent to this host, say).
func (r Request) AssertNoHeader(t testing.TB, key string) {
	t.Helper()
	if vs, ok := r.Header[http.CanonicalHeaderKey(key)]; ok {
		t.Errorf("httpsteptest: %s: header %s is %q, want it absent", r, key, vs)
	}
}

// AssertQuery fails t unless query parameter key of r is want (its first
// value).
func (r Request) AssertQuery(t testing.TB, key, want string) {
	t.Helper()
	if vs, ok := r.Query[key]; !ok {
		t.Errorf("httpsteptest: %s: query parameter %s is absent, want %q", r, key, want)
	} else if vs[0] != want {
		t.Errorf("httpsteptest: %s: query parameter %s is %q, want %q", r, key, vs[0], want)
	}
}

// AssertBody fails t unless r's body is want, byte for byte.
func (r Request) AssertBody(t testing.TB, want string) {
	t.Helper()
	if string(r.Body) != want {
		t.Errorf("httpsteptest: %s: the body is\n\t%q\nwant\n\t%q", r, r.Body, want)
	}
}

// AssertJSON fails t unless r's body is JSON equal to want, a JSON text:
// the same values whatever the spacing and the order of object keys;
// numbers compare as written (1 and 1.0 differ, big integers keep every
// digit).
func (r Request) AssertJSON(t testing.TB, want string) {
	t.Helper()
	w, err := decodeJSON([]byte(want))
	if err != nil {
		t.Fatalf("httpsteptest: AssertJSON's want is not JSON: %v", err)
		return
	}
	got, err := decodeJSON(r.Body)
	if err != nil {
		t.Errorf("httpsteptest: %s: the body is not JSON (%v): %q", r, err, r.Body)
		return
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("httpsteptest: %s: the JSON body is\n\t%s\nwant\n\t%s", r, compact(r.Body), compact([]byte(want)))
	}
}

// decodeJSON reads one JSON value, numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// compact is a JSON text on one line, for a message.
func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return strings.TrimSpace(string(b))
	}
	return buf.String()
}

// Requests returns a copy of every request the server received, in the
// order they arrived.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Received returns the requests route pattern answered, in order; it
// fails t unless there are want of them. want < 0 skips the count.
func (s *Server) Received(t testing.TB, pattern string, want int) []Request {
	t.Helper()
	var got []Request
	for _, r := range s.Requests() {
		if r.Pattern == pattern {
			got = append(got, r)
		}
	}
	if want >= 0 && len(got) != want {
		t.Errorf("httpsteptest: route %q answered %d requests, want %d; what arrived: %s", pattern, len(got), want, list(s.Requests()))
	}
	return got
}

// Last returns the last request received; it fails t and returns the zero
// Request when none arrived.
func (s *Server) Last(t testing.TB) Request {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		t.Errorf("httpsteptest: no request arrived at %s", s.URL)
		return Request{}
	}
	return reqs[len(reqs)-1]
}

// list names requests for a message.
func list(reqs []Request) string {
	if len(reqs) == 0 {
		return "nothing"
	}
	names := make([]string, len(reqs))
	for i, r := range reqs {
		names[i] = r.String()
	}
	return strings.Join(names, ", ")
}
