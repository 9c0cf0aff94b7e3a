package httpstep

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/testpeer"
	"github.com/httpstep/httpstep/internal/throttle"
	"github.com/stretchr/testify/require"
)

// liveServer is a loopback server answering 200 "{}" with keep-alive, and
// the count of client connections it holds open: a connection counts from
// its accept to its close.
func liveServer(t testing.TB) (*httptest.Server, func() int) {
	var open atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
	}))
	srv.Config.ErrorLog = quietLog
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, func() int { return int(open.Load()) }
}

// passThrough wraps a transport as a host's instrumentation may: it has
// RoundTrip only, so http.Client.CloseIdleConnections cannot reach through.
type passThrough struct{ next http.RoundTripper }

func (p passThrough) RoundTrip(r *http.Request) (*http.Response, error) { return p.next.RoundTrip(r) }

// TestCloseIdleConnections: after a keep-alive 200 the Client holds one
// socket; CloseIdleConnections closes it, whatever wraps the transport:
// the throttle, the redirect check, the proxy's absolute form, a host's
// WrapTransport that does not pass the call on.
func TestCloseIdleConnections(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, c *Client, node *NodeConfig) (live func() int)
	}{
		{"direct", func(t *testing.T, c *Client, node *NodeConfig) func() int {
			srv, live := liveServer(t)
			node.URL = srv.URL
			return live
		}},
		{"limits", func(t *testing.T, c *Client, node *NodeConfig) func() int {
			srv, live := liveServer(t)
			node.URL, c.Limits = srv.URL, []Limit{{MaxConcurrent: 2}}
			return live
		}},
		{"wrapped", func(t *testing.T, c *Client, node *NodeConfig) func() int {
			srv, live := liveServer(t)
			node.URL = srv.URL
			c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return passThrough{rt} }
			return live
		}},
		{"http proxy", func(t *testing.T, c *Client, node *NodeConfig) func() int {
			srv, _ := liveServer(t)
			proxy := testpeer.NewHTTPProxy(t)
			node.URL, node.UseProxy, c.Proxy = srv.URL, true, proxy.URL()
			return proxy.Conns
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testClient(t)
			node := &NodeConfig{}
			live := tc.setup(t, c, node)
			_, err := c.Execute(context.Background(), node, nil)
			require.NoError(t, err)
			require.Equal(t, 1, live(), "the keep-alive connection stays open after the answer")
			c.CloseIdleConnections()
			require.Eventually(t, func() bool { return live() == 0 }, time.Second, 5*time.Millisecond,
				"a second after CloseIdleConnections the Client still holds its socket")
		})
	}
}

// idleCounter is a round tripper that counts the CloseIdleConnections
// calls that reach it and passes them on to next, when it has one.
type idleCounter struct {
	next  http.RoundTripper
	calls atomic.Int32
}

func (c *idleCounter) RoundTrip(r *http.Request) (*http.Response, error) { return c.next.RoundTrip(r) }

func (c *idleCounter) CloseIdleConnections() {
	c.calls.Add(1)
	if c.next != nil {
		closeIdle(c.next)
	}
}

// TestWrappersPassCloseIdleOn: each round tripper this package puts around
// another passes CloseIdleConnections on, and so does the chain a Client
// builds, down to a WrapTransport wrapper that has the method.
func TestWrappersPassCloseIdleOn(t *testing.T) {
	wrappers := map[string]func(http.RoundTripper) http.RoundTripper{
		"locationCheck": func(rt http.RoundTripper) http.RoundTripper { return locationCheck{rt} },
		"absoluteForm":  func(rt http.RoundTripper) http.RoundTripper { return absoluteForm{next: rt} },
		"throttle":      func(rt http.RoundTripper) http.RoundTripper { return &throttle.Transport{Next: rt} },
		"tokenRecorder": func(rt http.RoundTripper) http.RoundTripper { return &tokenRecorder{base: rt} },
	}
	for name, wrap := range wrappers {
		var n idleCounter
		closeIdle(wrap(&n))
		require.EqualValues(t, 1, n.calls.Load(), name)
	}

	srv, live := liveServer(t)
	c := testClient(t)
	var wrapped *idleCounter
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		wrapped = &idleCounter{next: rt}
		return wrapped
	}
	_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.NoError(t, err)
	c.CloseIdleConnections()
	require.EqualValues(t, 1, wrapped.calls.Load(), "the host's wrapper is told to close its idle connections")
	require.Eventually(t, func() bool { return live() == 0 }, time.Second, 5*time.Millisecond)
}
