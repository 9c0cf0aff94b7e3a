package httpsteptest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// maxBody is the most of a request body a Server keeps; a larger one fails
// the test, since a fake API is no place for it.
const maxBody = 32 << 20

// Server is a fake API on 127.0.0.1: routes answer per method and path
// with [Answer]s, and every request that arrives is kept, in order, as a
// [Request]. It embeds the [httptest.Server], so URL and Client are its
// own. A request no route answers gets 404 and fails the test, naming the
// routes there are. A Server is safe for concurrent use; requests may
// arrive while routes are added.
type Server struct {
	*httptest.Server
	t      testing.TB
	mux    *http.ServeMux
	mu     sync.Mutex
	reqs   []Request
	routes []string // the patterns, in the order they were added
}

// NewServer starts a fake API on 127.0.0.1 for the test t and closes it
// when the test ends (after waiting for the requests in flight). Add its
// routes with Handle or HandleFunc. A Client reaches it only with
// AllowPrivate set, since the SSRF guard refuses loopback by default.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, mux: http.NewServeMux()}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	l, err := net.Listen("tcp", "127.0.0.1:0") // never [::1], which some hosts lack
	if err != nil {
		t.Fatalf("httpsteptest: listen on loopback: %v", err)
	}
	s.Listener.Close()
	s.Listener = l
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // a client that hangs up is not news
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// Handle makes the route pattern answer with answers in turn: the first
// request gets the first, the next the second, and the last repeats once
// they run out (503, 503, 200 for a retry; page after page for a pull).
// No answers means 200 with an empty body. Patterns are those of
// [http.ServeMux]: "GET /v1/orders", "POST /v1/orders/{id}/refunds",
// "/v1/health" for any method. A pattern that is malformed or that
// another route already takes fails the test at once.
func (s *Server) Handle(pattern string, answers ...Answer) {
	s.t.Helper()
	if len(answers) == 0 {
		answers = []Answer{{}}
	}
	r := &route{answers: answers, t: s.t}
	s.HandleFunc(pattern, r.serve)
}

// HandleFunc makes the route pattern answer with h, for an answer that
// depends on the request. h may read the request's body: the Server has
// kept its own copy.
func (s *Server) HandleFunc(pattern string, h http.HandlerFunc) {
	s.t.Helper()
	if err := register(s.mux, pattern, h); err != nil {
		s.t.Fatalf("httpsteptest: route %q: %v", pattern, err)
		return
	}
	s.mu.Lock()
	s.routes = append(s.routes, pattern)
	s.mu.Unlock()
}

// register adds h to mux, turning ServeMux's panic on a bad or taken
// pattern into an error.
func register(mux *http.ServeMux, pattern string, h http.HandlerFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	mux.HandleFunc(pattern, h)
	return nil
}

// serve keeps the request, then lets the route that matches it answer.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		s.t.Errorf("httpsteptest: %s %s: reading the body: %v (more than %d bytes?)", r.Method, r.URL.RequestURI(), err, maxBody)
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	_, pattern := s.mux.Handler(r)
	req := s.keep(r, body, pattern)
	if pattern == "" {
		s.t.Errorf("httpsteptest: %s arrived, but no route answers it; the routes: %s", req, s.routeList())
		msg, _ := json.Marshal(map[string]string{"error": "httpsteptest: no route answers " + r.Method + " " + r.URL.Path})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(msg)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// keep records r as the next Request.
func (s *Server) keep(r *http.Request, body []byte, pattern string) Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := Request{
		N: len(s.reqs) + 1, Method: r.Method, Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Query: r.URL.Query(), Header: r.Header.Clone(), Body: body, Pattern: pattern,
	}
	s.reqs = append(s.reqs, req)
	return req
}

// routeList names the routes for a message.
func (s *Server) routeList() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.routes) == 0 {
		return "none (add them with Handle)"
	}
	return strings.Join(s.routes, ", ")
}

// route is one Handle: its answers and how many it gave.
type route struct {
	t       testing.TB
	mu      sync.Mutex
	answers []Answer
	served  int
}

// next is the answer for the next request: in turn, the last repeating.
func (r *route) next() Answer {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.answers[min(r.served, len(r.answers)-1)]
	r.served++
	return a
}

func (r *route) serve(w http.ResponseWriter, req *http.Request) {
	a := r.next()
	if a.err != nil {
		r.t.Errorf("httpsteptest: the answer to %s %s: %v", req.Method, req.URL.RequestURI(), a.err)
		http.Error(w, a.err.Error(), http.StatusInternalServerError)
		return
	}
	if a.Delay > 0 {
		timer := time.NewTimer(a.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-req.Context().Done(): // the client gave up
			return
		}
	}
	for k, vs := range a.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(cmp.Or(a.Status, http.StatusOK))
	_, _ = w.Write(a.Body)
}
