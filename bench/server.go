package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
)

// The values every contender sends, as the server expects them. Both query
// values need escaping, the token is the templated header's value (a Secret
// for httpstep), and the note of a POST carries quotes and a newline.
const (
	wantQueryStatus = "paid & shipped"
	wantQuerySince  = "2026-11-01T00:00:00+01:00"
	wantToken       = "t0k3n-6f1d2c9a"
)

// The values as the contenders hold them: variables, not constants, so that
// no contender gets "Bearer "+token folded at compile time.
var (
	queryStatus = wantQueryStatus
	querySince  = wantQuerySince
	token       = wantToken
	postName    = "Zoë Example"
	postNote    = "says \"hi\"\nthen leaves"
	postQty     = 3
	postPrice   = 19.5
	postPaid    = true
)

// Server is the loopback server every benchmark talks to. Its listener
// counts the TCP connections it accepts. With Strict set it also checks
// what each request carries (query, header, JSON body) and answers 400 when
// something is wrong, which is how the tests prove that every contender
// sends the same request; benchmarks leave it off so that the server's cost
// stays small and the same for all.
type Server struct {
	*httptest.Server
	Strict bool

	conns atomic.Int64
	mu    sync.Mutex
	flaky map[string]int // Retry503: requests seen per path
}

// NewServer starts a Server on loopback. Close it when done. The rows it
// serves are built now, before any benchmark measures.
func NewServer(strict bool) *Server {
	wantTally()
	s := &Server{Strict: strict, flaky: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders", s.order)
	mux.HandleFunc("POST /orders", s.createOrder)
	mux.HandleFunc("GET /flaky/{peer}", s.flakyOrder)
	mux.HandleFunc("GET /rows", s.serveRows)
	mux.HandleFunc("POST /upload", s.upload)
	s.Server = httptest.NewUnstartedServer(mux)
	s.Listener = &countingListener{Listener: s.Listener, n: &s.conns}
	s.Start()
	return s
}

// Conns returns how many TCP connections the server has accepted.
func (s *Server) Conns() int64 { return s.conns.Load() }

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// orderReply is the 1 KiB JSON reply of GET and POST /orders.
var orderReply = func() []byte {
	head := `{"id":"ord_8f3a2c","status":"paid","total":129.5,"currency":"EUR",` +
		`"customer":{"id":"cus_42","name":"Ann Example","email":"ann@example.com"},"items":[`
	item := `{"sku":"SKU-0001","qty":1,"price":12.95},`
	body := head
	for len(body)+len(item)+2 <= 1024 {
		body += item
	}
	body = strings.TrimSuffix(body, ",") + "]"
	body += `,"pad":"` + strings.Repeat("x", 1024-len(body)-len(`,"pad":""}`)) + `"}`
	if len(body) != 1024 || !json.Valid([]byte(body)) {
		panic(fmt.Sprintf("bench: order reply is %d bytes", len(body)))
	}
	return []byte(body)
}()

// The three fields every contender reads from orderReply.
const (
	wantID     = "ord_8f3a2c"
	wantStatus = "paid"
	wantTotal  = 129.5
)

func writeJSON(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
}

func (s *Server) order(w http.ResponseWriter, r *http.Request) {
	if s.Strict && !wellFormedGet(r) {
		http.Error(w, "bad query or header: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, orderReply)
}

// wellFormedGet reports whether r carries the query values and header that
// every contender must send.
func wellFormedGet(r *http.Request) bool {
	q := r.URL.Query()
	return q.Get("status") == wantQueryStatus && q.Get("since") == wantQuerySince &&
		len(q) == 2 && r.Header.Get("Authorization") == "Bearer "+wantToken
}

// NewOrder is the JSON body of POST /orders, built from five values.
type NewOrder struct {
	Name  string  `json:"name"`
	Note  string  `json:"note"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
	Paid  bool    `json:"paid"`
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	if !s.Strict {
		io.Copy(io.Discard, r.Body)
		writeJSON(w, http.StatusOK, orderReply)
		return
	}
	var got NewOrder
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	want := NewOrder{"Zoë Example", "says \"hi\"\nthen leaves", 3, 19.5, true}
	if err := dec.Decode(&got); err != nil || got != want ||
		r.Header.Get("Authorization") != "Bearer "+wantToken ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, fmt.Sprintf("bad order: %+v %v", got, err), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, orderReply)
}

// flakyOrder answers 503 twice, then 200 with orderReply, per path: each
// contender has its own path, and runs one request at a time.
func (s *Server) flakyOrder(w http.ResponseWriter, r *http.Request) {
	if s.Strict && !wellFormedGet(r) {
		http.Error(w, "bad query or header", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	n := s.flaky[r.URL.Path]
	s.flaky[r.URL.Path] = (n + 1) % 3
	s.mu.Unlock()
	if n < 2 {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, orderReply)
}

// ResetFlaky starts every path of Retry503 again at its first 503.
func (s *Server) ResetFlaky() {
	s.mu.Lock()
	clear(s.flaky)
	s.mu.Unlock()
}

func (s *Server) serveRows(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(rowsBody())))
	w.Write(rowsBody())
}

// UploadReply is what POST /upload answers: the bytes it read.
type UploadReply struct {
	Received int64 `json:"received"`
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.Strict && r.ContentLength != n {
		http.Error(w, "length mismatch", http.StatusBadRequest)
		return
	}
	b, _ := json.Marshal(UploadReply{n})
	writeJSON(w, http.StatusOK, b)
}
