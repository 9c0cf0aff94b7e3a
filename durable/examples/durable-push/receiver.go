package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/httpstep/httpstep/webhook"
)

// receiver refuses the first deliveries with 503, then processes each
// Idempotency-Key once.
type receiver struct {
	mu         sync.Mutex
	refuse     int
	requests   int
	keys       map[string]bool
	processed  int
	unverified int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	key := req.Header.Get("Idempotency-Key")
	body, err := io.ReadAll(req.Body)
	if err == nil {
		err = webhook.Verify(string(secret), req.Header, body)
	}
	switch {
	case err != nil:
		r.unverified++
		w.WriteHeader(http.StatusUnauthorized)
	case r.requests <= r.refuse:
		w.WriteHeader(http.StatusServiceUnavailable)
	case !r.keys[key]:
		r.keys[key] = true
		r.processed++
	}
}

// summary says what the receiver saw.
func (r *receiver) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%d requests, %d unverified, %d Idempotency-Key, purchase processed %d time(s)", r.requests, r.unverified, len(r.keys), r.processed)
}

// serve starts a receiver refusing the first n deliveries on 127.0.0.1.
func serve(n int) (*receiver, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	rcv := &receiver{refuse: n, keys: map[string]bool{}}
	srv := &http.Server{Handler: rcv}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	stop := func() { _ = srv.Close(); <-done }
	return rcv, "http://" + ln.Addr().String() + "/hooks/purchase", stop, nil
}
