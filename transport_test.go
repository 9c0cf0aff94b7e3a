package httpstep

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/testpeer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedirects: up to 10 hops are followed; credentials do not cross to
// another host; a loop is a clear failure.
func TestRedirects(t *testing.T) {
	other := newRecorderOn(t, "127.0.0.2", nil)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/hops":
			var n int
			fmt.Sscan(r.URL.Query().Get("n"), &n)
			if n > 0 {
				http.Redirect(w, r, fmt.Sprintf("/hops?n=%d", n-1), http.StatusFound)
				return
			}
			io.WriteString(w, `{"done":true}`)
		case "/file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		}
	})
	c := testClient(t)
	headers := []KeyValue{{"Authorization", "Bearer secret"}, {"Cookie", "s=1"}, {"X-Api-Key", "k"}, {"X-Tenant", "acme"},
		{"Ocp-Apim-Subscription-Key", "{{sub}}"}}
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/away", Headers: headers}, Values{"sub": Secret("subkey123")})
	require.NoError(t, err)
	assert.True(t, res.OK())
	got := other.last(t)
	for _, h := range []string{"Authorization", "Cookie", "X-Api-Key", "Ocp-Apim-Subscription-Key"} {
		assert.Empty(t, got.Header.Get(h), h)
	}
	assert.Equal(t, "acme", got.Header.Get("X-Tenant"))

	res, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/hops?n=10"}, nil)
	require.NoError(t, err, "10 hops are followed")
	assert.True(t, res.Get("done").Bool())

	for _, path := range []string{"/loop", "/hops?n=11"} {
		_, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL + path}, nil)
		var f *Failure
		require.ErrorAs(t, err, &f, path)
		assert.Equal(t, KindNetwork, f.Kind)
		assert.Contains(t, f.Message, "redirected more than 10 times")
	}
	_, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/file"}, nil)
	require.Error(t, err)
}

// TestRedirectGuarded: a redirect to a blocked address is blocked at dial
// time, before a byte reaches it.
func TestRedirectGuarded(t *testing.T) {
	inner := newRecorderOn(t, "127.0.0.2", nil)
	outer := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/metadata", http.StatusFound)
	})
	c := &Client{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	defer c.CloseIdleConnections()
	_, err := c.Execute(context.Background(), &NodeConfig{URL: outer.URL}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindBlocked, f.Kind)
	assert.Equal(t, 1, outer.count())
	assert.Zero(t, inner.count())
}

// fromCounter is a server that counts requests by the client's address;
// the returned func reads the counts.
func fromCounter(t *testing.T, keepAlive bool) (*recorder, func() map[string]int) {
	var mu sync.Mutex
	from := map[string]int{}
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		from[host]++
		mu.Unlock()
		if !keepAlive {
			w.Header().Set("Connection", "close")
		}
	})
	return srv, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(from)
	}
}

// TestSourceAddrs: each new connection binds one of the egress addresses.
func TestSourceAddrs(t *testing.T) {
	srv, counts := fromCounter(t, false)
	c := testClient(t)
	c.SourceAddrs = []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}
	for i := 0; i < 40; i++ {
		_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
		require.NoError(t, err)
	}
	from := counts()
	assert.Len(t, from, 2, "both egress addresses are used: %v", from)
	assert.Zero(t, from["127.0.0.1"])

	bad := testClient(t)
	bad.SourceAddrs = []netip.Addr{netip.MustParseAddr("192.0.2.10")} // documentation range: never bound here
	_, err := bad.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Contains(t, f.Message, "192.0.2.10")

	v6only := testClient(t)
	v6only.SourceAddrs = []netip.Addr{netip.MustParseAddr("::1")}
	_, err = v6only.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.ErrorAs(t, err, &f, "no IPv4 egress address for an IPv4 destination")
	assert.Contains(t, f.Message, "no egress address (Client.SourceAddrs) is of the family of 127.0.0.1")
}

// TestSourceAddrsPerRequest: with keep-alive connections each request still
// picks its egress address at random, as the product promises ("randomly
// selected per request").
func TestSourceAddrsPerRequest(t *testing.T) {
	srv, counts := fromCounter(t, true)
	c := testClient(t)
	c.SourceAddrs = []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3"), netip.MustParseAddr("::1")}
	for i := 0; i < 40; i++ {
		_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
		require.NoError(t, err)
	}
	from := counts()
	assert.Len(t, from, 2, "both IPv4 egress addresses serve an IPv4 destination: %v", from)
	assert.Greater(t, from["127.0.0.2"], 5)
	assert.Greater(t, from["127.0.0.3"], 5)
}

// TestPrivateCAAndMTLS: RootCAs verifies a private CA; Certificates answer
// a server that requires a client certificate; HTTP/2 is negotiated.
func TestPrivateCAAndMTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn := ""
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		fmt.Fprintf(w, `{"proto":%q,"client":%q}`, r.Proto, cn)
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	c := testClient(t)
	c.RootCAs = pool
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.NoError(t, err)
	assert.Equal(t, "HTTP/2.0", res.Get("proto").String())

	srv.TLS.ClientAuth = tls.RequireAnyClientCert
	c2 := testClient(t)
	c2.RootCAs = pool
	_, err = c2.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.Error(t, err, "a client certificate is required")

	c3 := testClient(t)
	c3.RootCAs = pool
	c3.Certificates = []tls.Certificate{clientCert(t)}
	res, err = c3.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.NoError(t, err)
	assert.Equal(t, "httpstep-test-client", res.Get("client").String())
}

// TestWrapTransport: the host's wrapper sees every request.
func TestWrapTransport(t *testing.T) {
	srv := newRecorder(t, nil)
	var seen atomic.Int32
	c := testClient(t)
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			seen.Add(1)
			return rt.RoundTrip(r)
		})
	}
	for i := 0; i < 3; i++ {
		_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
		require.NoError(t, err)
	}
	assert.Equal(t, int32(3), seen.Load())
}

// TestWrapTransportWritesStayInOneAttempt: attempts share the rendered
// header when nothing writes to it; a wrapper that writes to a request's
// header anyway (which a RoundTripper must not) changes neither the next
// attempt nor its record.
func TestWrapTransportWritesStayInOneAttempt(t *testing.T) {
	srv := scripted(t, status(503), ok200)
	c := testClient(t)
	stubEnv(c, 0, nil)
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			r.Header.Set("X-Injected", "by the wrapper")
			return rt.RoundTrip(r)
		})
	}
	res, err := c.Execute(t.Context(), &NodeConfig{URL: srv.URL, Retry: fast(2)}, nil)
	require.NoError(t, err)
	require.Len(t, res.Attempts, 2)
	for _, a := range res.Attempts {
		assert.NotContains(t, a.Request.Header, "X-Injected")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestNoProxyConfigured: a node that asks for the proxy fails clearly when
// the organisation has none, and nothing is sent.
func TestNoProxyConfigured(t *testing.T) {
	srv := newRecorder(t, nil)
	_, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL, UseProxy: true}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Contains(t, f.Message, "none is configured")
	assert.Zero(t, srv.count())
}

// TestProxyFromEnvironmentIgnored: no transport the Client builds, with or
// without the organisation's proxy, has a Proxy function, so HTTP_PROXY and
// friends are never read (the Client's own dialers speak to its proxy).
func TestProxyFromEnvironmentIgnored(t *testing.T) {
	for _, p := range []string{"", "http://127.0.0.1:3128", "https://127.0.0.1:3129", "socks5://127.0.0.1:1080", "socks5h://127.0.0.1:1080"} {
		c := &Client{}
		if p != "" {
			c.Proxy, _ = url.Parse(p)
		}
		for _, key := range []transportKey{{proxy: p != "", source: -1}, {proxy: p != "", insecure: true, source: -1}} {
			pool, rt, err := c.newTransport(key)
			require.NoError(t, err)
			assert.Nil(t, baseTransport(t, rt).Proxy, "proxy %q: the transport must not read the environment", p)
			assert.Same(t, pool, baseTransport(t, rt), "proxy %q: the pool is the transport under the wrappers", p)
		}
	}
}

// baseTransport is the *http.Transport under the Client's own wrappers.
func baseTransport(t *testing.T, rt http.RoundTripper) *http.Transport {
	for {
		switch v := rt.(type) {
		case *http.Transport:
			return v
		case absoluteForm:
			rt = v.next
		case locationCheck:
			rt = v.next
		default:
			t.Fatalf("unknown round tripper %T", rt)
		}
	}
}

// TestProxyEnvironmentInChild runs TestProxyEnvironmentChild in a fresh
// process, since net/http reads HTTP_PROXY once per process: there the
// environment names a recording proxy before anything reads it, and a
// request to a name that net/http would proxy must not reach that proxy.
func TestProxyEnvironmentInChild(t *testing.T) {
	if os.Getenv("HTTPSTEP_PROXY_ENV_CHILD") != "" {
		t.Skip("in the child")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestProxyEnvironmentChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "HTTPSTEP_PROXY_ENV_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestProxyEnvironmentChild")
}

func TestProxyEnvironmentChild(t *testing.T) {
	if os.Getenv("HTTPSTEP_PROXY_ENV_CHILD") == "" {
		t.Skip("runs in a child process: see TestProxyEnvironmentInChild")
	}
	proxy := testpeer.NewHTTPProxy(t, testpeer.WithHost("api.example.test", netip.MustParseAddr("127.0.0.1")))
	for _, name := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		t.Setenv(name, proxy.URL().String())
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	origin := newRecorder(t, nil)
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())
	dns := newRebinder(map[string][2]string{"api.example.test": {"127.0.0.1", "127.0.0.1"}})
	c := attackClient(t, dns.lookup, "127.0.0.1/32")
	res, err := c.Execute(context.Background(), &NodeConfig{URL: "http://api.example.test:" + port + "/env"}, nil)
	require.NoError(t, err)
	assert.True(t, res.OK())
	assert.Empty(t, proxy.Requests(), "the environment's proxy was used")
	assert.Equal(t, 1, origin.count())
}

// TestStalledHandshakeEnds: a server that accepts the connection and never
// answers the TLS handshake. The attempt ends at the node's timeout, and so
// do the socket and the goroutine that dialled it; net/http's own handshake
// ran on a context cut loose from the request and held both for its 10 s
// handshake timeout.
func TestStalledHandshakeEnds(t *testing.T) {
	leakCheck(t)
	closed := make(chan struct{})
	var once sync.Once
	addr := rawServer(t, func(c net.Conn) {
		io.Copy(io.Discard, c) // the ClientHello, then nothing back until the client closes
		once.Do(func() { close(closed) })
	})
	node := &NodeConfig{URL: "https://" + addr + "/", Timeout: Duration(200 * time.Millisecond)}
	start := time.Now()
	_, err := testClient(t).Execute(context.Background(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindTimeout, f.Kind)
	select {
	case <-closed:
		t.Logf("socket closed %v after the attempt began", time.Since(start).Round(time.Millisecond))
	case <-time.After(2 * time.Second):
		t.Fatal("the socket stayed open after the attempt ended")
	}
}
