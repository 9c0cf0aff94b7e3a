package httpstep

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"testing"

	"github.com/httpstep/httpstep/internal/testpeer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withUser returns u with proxy credentials.
func withUser(u *url.URL, user, pass string) *url.URL {
	c := *u
	c.User = url.UserPassword(user, pass)
	return &c
}

// TestHTTPProxy: nodes with UseProxy go through the organisation's proxy,
// plain http as absolute-form requests and https through CONNECT; the
// credentials reach the proxy only, never the origin or the history.
func TestHTTPProxy(t *testing.T) {
	origin := newRecorder(t, nil)
	tlsOrigin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"tls":true}`)
	}))
	tlsOrigin.Config.ErrorLog = quietLog
	tlsOrigin.StartTLS()
	defer tlsOrigin.Close()
	pool := x509.NewCertPool()
	pool.AddCert(tlsOrigin.Certificate())

	proxy := testpeer.NewHTTPProxy(t, testpeer.WithCredentials("org", "pr0xy-pass"))
	c := testClient(t)
	c.Proxy, c.RootCAs = withUser(proxy.URL(), "org", "pr0xy-pass"), pool

	res, err := c.Execute(context.Background(), &NodeConfig{URL: origin.URL + "/via", UseProxy: true}, nil)
	require.NoError(t, err)
	res2, err := c.Execute(context.Background(), &NodeConfig{URL: tlsOrigin.URL, UseProxy: true}, nil)
	require.NoError(t, err)
	assert.True(t, res2.Get("tls").Bool())
	_, err = c.Execute(context.Background(), &NodeConfig{URL: origin.URL + "/direct"}, nil)
	require.NoError(t, err)

	reqs := proxy.Requests()
	require.Len(t, reqs, 2, "only nodes with UseProxy use the proxy")
	assert.Equal(t, "GET", reqs[0].Method)
	assert.Equal(t, "CONNECT", reqs[1].Method)
	for _, r := range reqs {
		assert.NotEmpty(t, r.ProxyAuthorization, "the proxy gets the credentials")
	}
	assert.Empty(t, origin.last(t).Header.Get("Proxy-Authorization"))
	assert.Equal(t, "/direct", origin.last(t).RequestURI)
	for _, r := range []*Result{res, res2} {
		history, _ := json.Marshal(r.Attempts)
		assert.NotContains(t, string(history), "pr0xy-pass")
	}

	wrong := testClient(t)
	wrong.Proxy = withUser(proxy.URL(), "org", "nope")
	_, err = wrong.Execute(context.Background(), &NodeConfig{URL: origin.URL, UseProxy: true}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, 407, f.StatusCode)
}

// TestSOCKS5Proxy: socks5 and socks5h resolve and check here and send the
// address; only with ProxyResolvesNames does socks5h send the name.
func TestSOCKS5Proxy(t *testing.T) {
	origin := newRecorder(t, nil)
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())
	socks := testpeer.NewSOCKS5(t, testpeer.WithCredentials("org", "s0cks-pass"))
	for _, tc := range []struct {
		scheme, addrType string
		byName           bool
	}{{"socks5", "ipv4", false}, {"socks5h", "ipv4", false}, {"socks5h", "domain", true}, {"socks5", "ipv4", true}} {
		scheme, addrType := tc.scheme, tc.addrType
		t.Run(fmt.Sprintf("%s byName=%v", scheme, tc.byName), func(t *testing.T) {
			c := testClient(t)
			c.ProxyResolvesNames = tc.byName
			u := socks.URL()
			u.Scheme = scheme
			c.Proxy = withUser(u, "org", "s0cks-pass")
			before := len(socks.Requests())
			res, err := c.Execute(context.Background(), &NodeConfig{URL: "http://localhost:" + port + "/s", UseProxy: true}, nil)
			require.NoError(t, err)
			assert.True(t, res.OK())
			reqs := socks.Requests()[before:]
			require.NotEmpty(t, reqs)
			assert.Equal(t, addrType, reqs[0].AddrType)
			assert.Equal(t, "org", reqs[0].User)
			history, _ := json.Marshal(res.Attempts)
			assert.NotContains(t, string(history), "s0cks-pass")
		})
	}
}

// TestProxyDestinationGuarded: the proxy is trusted, the destination behind
// it is still checked, and nothing reaches the proxy.
func TestProxyDestinationGuarded(t *testing.T) {
	origin := newRecorder(t, nil)
	httpProxy := testpeer.NewHTTPProxy(t)
	socks := testpeer.NewSOCKS5(t)
	for name, p := range map[string]*url.URL{"http": httpProxy.URL(), "socks5": socks.URL(), "socks5h": schemed(socks.URL(), "socks5h")} {
		c := &Client{Proxy: p} // guard on; the proxy itself is on loopback and trusted
		_, err := c.Execute(context.Background(), &NodeConfig{URL: origin.URL, UseProxy: true}, nil)
		c.CloseIdleConnections()
		var f *Failure
		require.ErrorAs(t, err, &f, name)
		assert.Equal(t, KindBlocked, f.Kind, name)
	}
	assert.Empty(t, httpProxy.Requests())
	assert.Empty(t, socks.Requests())
	assert.Zero(t, origin.count())
}

func schemed(u *url.URL, scheme string) *url.URL {
	c := *u
	c.Scheme = scheme
	return &c
}

// TestProxyTriesEachAddress: through the proxy, as on the direct path, a
// destination with several checked addresses is tried at each in turn: the
// first (127.0.0.3, where nothing listens) is refused by the proxy, the
// next one answers. The proxy is asked for the addresses, in order.
func TestProxyTriesEachAddress(t *testing.T) {
	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"reached":true}`)
	}))
	origin.Config.ErrorLog = quietLog
	origin.StartTLS()
	t.Cleanup(origin.Close)
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())
	pool := x509.NewCertPool()
	pool.AddCert(origin.Certificate())
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.3"), netip.MustParseAddr("127.0.0.1")}, nil
	}
	want := []string{"127.0.0.3:" + port, "127.0.0.1:" + port}
	for _, tc := range []struct {
		name  string
		proxy func(t *testing.T) (*url.URL, func() []string)
	}{
		{"http CONNECT", func(t *testing.T) (*url.URL, func() []string) {
			p := testpeer.NewHTTPProxy(t)
			return p.URL(), func() (out []string) {
				for _, r := range p.Requests() {
					out = append(out, r.Target)
				}
				return out
			}
		}},
		{"socks5", socksTargets("socks5")},
		{"socks5h", socksTargets("socks5h")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := attackClient(t, lookup, "127.0.0.0/8")
			var asked func() []string
			c.Proxy, asked = tc.proxy(t)
			c.RootCAs = pool
			res, err := c.Execute(context.Background(), &NodeConfig{URL: "https://example.com:" + port + "/", UseProxy: true}, nil)
			require.NoError(t, err)
			assert.True(t, res.Get("reached").Bool())
			assert.Equal(t, want, asked())
		})
	}
}

// socksTargets is a SOCKS5 proxy, named with scheme, and the targets it
// was asked for.
func socksTargets(scheme string) func(t *testing.T) (*url.URL, func() []string) {
	return func(t *testing.T) (*url.URL, func() []string) {
		s := testpeer.NewSOCKS5(t)
		return schemed(s.URL(), scheme), func() (out []string) {
			for _, r := range s.Requests() {
				out = append(out, net.JoinHostPort(r.Host, strconv.Itoa(r.Port)))
			}
			return out
		}
	}
}
