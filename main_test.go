package httpstep

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
	"go.uber.org/goleak"

	"github.com/httpstep/httpstep/webhook"
)

// TestMain fails the run when a test leaves a goroutine behind.
func TestMain(m *testing.M) {
	code := m.Run()
	DefaultClient.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// verifyAt checks a signed push as a receiver whose clock says now does.
func verifyAt(secret Secret, h http.Header, body []byte, now time.Time) error {
	return webhook.Verifier{Now: func() time.Time { return now }}.Verify(string(secret), h, body)
}

// quietLog keeps test servers' expected handshake errors off stderr.
var quietLog = log.New(io.Discard, "", 0)

// testClient is a Client that may reach loopback test servers; its idle
// connections are closed when the test ends.
func testClient(t testing.TB) *Client {
	c := &Client{AllowPrivate: true}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// httpbinURL starts go-httpbin in-process on loopback.
func httpbinURL(t testing.TB) string {
	srv := httptest.NewServer(httpbin.New())
	t.Cleanup(srv.Close)
	return srv.URL
}

// seen is a request as a loopback server received it.
type seen struct {
	Method     string
	RequestURI string
	Header     http.Header
	Body       []byte
	Length     int64
	Chunked    bool
}

// recorder is a loopback server that records every request and answers with
// its handler (200 "{}" by default); the handler can still read the body.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
	next http.HandlerFunc
}

func newRecorder(t testing.TB, h http.HandlerFunc) *recorder {
	return newRecorderOn(t, "127.0.0.1", h)
}

// newRecorderOn is newRecorder listening on another loopback address, such
// as 127.0.0.2, to stand for a second host.
func newRecorderOn(t testing.TB, ip string, h http.HandlerFunc) *recorder {
	r := &recorder{next: h}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	r.Listener.Close()
	r.Listener = l
	r.Config.ErrorLog = quietLog
	r.Start()
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, seen{req.Method, req.RequestURI, req.Header.Clone(), body, req.ContentLength, len(req.TransferEncoding) > 0})
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body)) // the handler may read it too
	if r.next != nil {
		r.next(w, req)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, "{}")
}

// last is the last request received.
func (r *recorder) last(t testing.TB) seen {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("the server received no request")
	}
	return r.reqs[len(r.reqs)-1]
}

// count is how many requests arrived.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// rawServer is a loopback TCP server that hands each connection to handle
// and closes it when handle returns: a server that misbehaves on purpose,
// below HTTP. It returns host:port. Connections still open when the test
// ends are closed and their handlers waited for.
func rawServer(t testing.TB, handle func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[conn] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(conn)
				conn.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// longrun skips a test that needs full-size inputs (hundreds of MiB, a
// stack overflow) unless HTTPSTEP_LONGRUN is set, as .ci/longrun.sh does.
func longrun(t *testing.T) {
	t.Helper()
	if os.Getenv("HTTPSTEP_LONGRUN") == "" {
		t.Skip("full size: set HTTPSTEP_LONGRUN=1 (.ci/longrun.sh)")
	}
}

// memUse is what a call cost in memory: the bytes it allocated in all, and
// the high-water mark of the heap's objects above where it started,
// sampled every 100µs (garbage not yet collected counts, so the peak is an
// upper bound of what was live).
type memUse struct{ total, peak uint64 }

func (m memUse) String() string {
	return fmt.Sprintf("%.1f MiB allocated, heap peak +%.1f MiB", float64(m.total)/(1<<20), float64(m.peak)/(1<<20))
}

// measureMem runs fn and returns its memUse.
func measureMem(fn func()) memUse {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base := heap()
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			if h := heap(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	runtime.ReadMemStats(&after)
	if h := heap(); h > peak.Load() {
		peak.Store(h)
	}
	return memUse{total: after.TotalAlloc - before.TotalAlloc, peak: max(peak.Load(), base) - base}
}
