package httpstep

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// countingServer counts the TCP connections it accepts.
func countingServer(tb testing.TB) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ok":true}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv, &conns
}

// burst sends n requests with par workers through c.
func burst(tb testing.TB, c *Client, url string, n, par int) {
	var wg sync.WaitGroup
	jobs := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		jobs <- struct{}{}
	}
	close(jobs)
	node := &NodeConfig{URL: url}
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if _, err := c.Execute(context.Background(), node, nil); err != nil {
					tb.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestConnectionsBounded: 1,000 sequential requests use one connection and
// 1,000 requests 16 at a time stay near 16 (net/http may dial a spare while a
// busy connection is on its way back to the pool).
func TestConnectionsBounded(t *testing.T) {
	for _, par := range []int{1, 16} {
		srv, conns := countingServer(t)
		c := testClient(t)
		burst(t, c, srv.URL, 1000, par)
		t.Logf("1000 requests, %d at a time: %d TCP connections", par, conns.Load())
		if got := conns.Load(); got > int64(2*par) {
			t.Errorf("%d at a time opened %d connections, want at most %d", par, got, 2*par)
		}
	}
}

// BenchmarkConnections reports TCP connections opened per 1,000 requests,
// sequential and 16 at a time.
func BenchmarkConnections(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("parallel=%d", par), func(b *testing.B) {
			srv, conns := countingServer(b)
			c := &Client{AllowPrivate: true}
			defer c.CloseIdleConnections()
			for b.Loop() {
				burst(b, c, srv.URL, 1000, par)
			}
			b.ReportMetric(float64(conns.Load())/float64(b.N), "conns/1000req")
		})
	}
}
