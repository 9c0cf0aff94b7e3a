package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/webhook"
)

// receiver is the notification URL: it verifies each push, processes each
// purchase once, and fails its first three deliveries on purpose.
type receiver struct {
	secret httpstep.Secret

	mu        sync.Mutex
	n         int             // deliveries so far
	seen      map[string]bool // webhook-ids and Idempotency-Keys already processed
	processed int             // purchases processed
	log       []string        // one line per delivery
}

func newReceiver(secret httpstep.Secret) *receiver {
	return &receiver{secret: secret, seen: map[string]bool{}}
}

// ServeHTTP handles one delivery: deliveries 1 and 2 fail before reading
// the push, 3 processes it and then loses the answer, 4 and later verify,
// deduplicate and answer 200.
func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	n := rc.next()
	switch {
	case err != nil:
		rc.logf(n, "could not read the push: %v", err)
		http.Error(w, "bad body", http.StatusBadRequest)
	case n == 1:
		rc.logf(n, "answered 503: overloaded (simulated)")
		http.Error(w, "try again later", http.StatusServiceUnavailable)
	case n == 2:
		rc.logf(n, "stalled past the sender's timeout (simulated)")
		select {
		case <-r.Context().Done(): // the sender gave up
		case <-time.After(5 * time.Second):
		}
	default:
		rc.deliver(n, w, r.Header, body)
	}
}

// deliver verifies and deduplicates a push. Delivery 3 is processed, but
// its connection resets before the answer is complete (simulated), so the
// sender retries a push the receiver already has.
func (rc *receiver) deliver(n int, w http.ResponseWriter, h http.Header, body []byte) {
	if err := webhook.Verify(string(rc.secret), h, body); err != nil {
		rc.logf(n, "rejected: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id, key := h.Get(webhook.IDHeader), h.Get("Idempotency-Key")
	if rc.firstTime(id, key) {
		rc.logf(n, "signature ok; new webhook-id %s, Idempotency-Key %s: purchase recorded", id, key)
	} else {
		rc.logf(n, "signature ok; webhook-id %s seen before: duplicate, not processed again", id)
	}
	if n == 3 {
		rc.logf(n, "connection reset before the 200 was complete (simulated)")
		reset(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"received":true}`)
}

// firstTime records a push by its webhook-id and Idempotency-Key and says
// whether neither had been seen; only then is the purchase processed.
func (rc *receiver) firstTime(id, key string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.seen[id] || rc.seen[key] {
		return false
	}
	rc.seen[id], rc.seen[key] = true, true
	rc.processed++
	return true
}

// reset writes the start of a 200 answer and resets the connection.
func reset(w http.ResponseWriter) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"rec")
	buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // RST instead of FIN
	}
	conn.Close()
}

func (rc *receiver) next() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.n++
	return rc.n
}

func (rc *receiver) logf(n int, format string, args ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.log = append(rc.log, fmt.Sprintf("  #%d  ", n)+fmt.Sprintf(format, args...))
}

func (rc *receiver) processedCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.processed
}

// print writes what the receiver saw.
func (rc *receiver) print(w io.Writer) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fmt.Fprintf(w, "Receiver log (%d deliveries):\n", rc.n)
	for _, l := range rc.log {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
}
