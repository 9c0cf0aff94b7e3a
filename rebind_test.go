package httpstep

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/httpstep/httpstep/internal/testpeer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rebindNames: example.com answers the public 127.0.0.1 first and the
// internal 127.0.0.2 on every later query. (The stand-ins: 127.0.0.1 is let
// through by AllowNetworks, 127.0.0.2 is refused as loopback. example.com
// is a name the httptest certificate covers.)
var rebindNames = map[string][2]string{"example.com": {"127.0.0.1", "127.0.0.2"}}

var internalAddr = netip.MustParseAddr("127.0.0.2")

// TestProxyRebinding: through every kind of proxy, the proxy is asked for
// the address the guard checked, never for the name it would resolve again
// (to the internal address), and the internal service accepts no
// connection. Through a tunnel (CONNECT, SOCKS) the origin sees the name in
// the Host header and TLS server name. A plain http request in absolute
// form names the address, and a proxy that follows RFC 9112 section 3.2.2
// (as this one does) replaces the Host header with it: what the Client
// sends is checked in TestAbsoluteFormRequest.
func TestProxyRebinding(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tls    bool
		proxy  func(t *testing.T) (*url.URL, func() []string) // the proxy's URL, and what it was asked for
		target func(port string) string
	}{
		{"http proxy absolute-form", false, httpProxyAsked, directURL("http")},
		{"http proxy CONNECT", true, httpProxyAsked, directURL("https")},
		{"https proxy absolute-form", false, httpsProxyAsked, directURL("http")},
		{"https proxy CONNECT", true, httpsProxyAsked, directURL("https")},
		{"socks5", false, socksAsked("socks5"), directURL("http")},
		{"socks5h", false, socksAsked("socks5h"), directURL("http")},
		{"socks5h TLS", true, socksAsked("socks5h"), directURL("https")},
		{"redirect through http proxy", false, httpProxyAsked, func(port string) string {
			return "http://127.0.0.1:" + port + "/hop?to=" + url.QueryEscape("http://example.com:"+port+"/landed")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peer := newRebindPeer(t, tc.tls)
			rb := newRebinder(rebindNames)
			c := attackClient(t, rb.lookup, "127.0.0.1/32")
			var asked func() []string
			c.Proxy, asked = tc.proxy(t)
			c.RootCAs = httptestRoots(t)
			res, err := c.Execute(context.Background(), &NodeConfig{URL: tc.target(peer.port), UseProxy: true}, nil)
			require.NoError(t, err)
			assert.True(t, res.Get("ok").Bool())
			assert.Zero(t, peer.internal.n.Load(), "the internal service was reached")
			for _, a := range asked() {
				assert.Equal(t, "127.0.0.1:"+peer.port, a, "the proxy is asked for the checked address")
			}
			want := "example.com:" + peer.port
			if !tc.tls && strings.Contains(tc.name, "absolute-form") || strings.HasPrefix(tc.name, "redirect") {
				want = "127.0.0.1:" + peer.port // the proxy's rewrite, see above
			}
			if tc.tls {
				want += " sni=example.com"
			}
			seen := peer.seen.all()
			assert.Equal(t, want, seen[len(seen)-1], "the Host header and server name stay the name")
		})
	}
}

func directURL(scheme string) func(port string) string {
	return func(port string) string { return scheme + "://example.com:" + port + "/x" }
}

// httpProxyAsked starts an HTTP proxy that resolves example.com to the
// internal address, as the attacker's DNS would answer it.
func httpProxyAsked(t *testing.T) (*url.URL, func() []string) {
	p := testpeer.NewHTTPProxy(t, testpeer.WithHost("example.com", internalAddr))
	return p.URL(), func() []string {
		var out []string
		for _, r := range p.Requests() {
			out = append(out, r.Target)
		}
		return out
	}
}

// httpsProxyAsked is httpProxyAsked for an https proxy, whose certificate
// is the same httptest one as the origin's.
func httpsProxyAsked(t *testing.T) (*url.URL, func() []string) {
	p := testpeer.NewHTTPProxy(t, testpeer.WithHost("example.com", internalAddr), testpeer.WithTLS())
	return p.URL(), func() []string {
		var out []string
		for _, r := range p.Requests() {
			out = append(out, r.Target)
		}
		return out
	}
}

func socksAsked(scheme string) func(t *testing.T) (*url.URL, func() []string) {
	return func(t *testing.T) (*url.URL, func() []string) {
		s := testpeer.NewSOCKS5(t, testpeer.WithHost("example.com", internalAddr))
		return schemed(s.URL(), scheme), func() []string {
			var out []string
			for _, r := range s.Requests() {
				out = append(out, net.JoinHostPort(r.Host, strconv.Itoa(r.Port)))
			}
			return out
		}
	}
}

// TestProxyResolvesNames: the documented setting hands the proxy the name,
// and then the guard cannot protect what the proxy resolves it to: the
// test shows the weakness it documents.
func TestProxyResolvesNames(t *testing.T) {
	for _, scheme := range []string{"http", "socks5h"} {
		t.Run(scheme, func(t *testing.T) {
			peer := newRebindPeer(t, false)
			rb := newRebinder(rebindNames)
			c := attackClient(t, rb.lookup, "127.0.0.1/32")
			c.ProxyResolvesNames = true
			var asked func() []string
			if scheme == "http" {
				c.Proxy, asked = httpProxyAsked(t)
			} else {
				c.Proxy, asked = socksAsked(scheme)(t)
			}
			_, err := c.Execute(context.Background(), &NodeConfig{URL: "http://example.com:" + peer.port + "/x", UseProxy: true}, nil)
			require.Error(t, err, "the proxy resolved the name to the internal service")
			assert.Equal(t, []string{"example.com:" + peer.port}, asked())
			assert.NotZero(t, peer.internal.n.Load(), "documented: the guard cannot protect what the proxy resolves")

			_, err = c.Execute(context.Background(), &NodeConfig{URL: "http://metadata.google.internal/", UseProxy: true}, nil)
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindBlocked, f.Kind, "the metadata names are refused by name")
		})
	}
}

// TestAbsoluteFormRequest: a plain http request through an HTTP proxy goes
// out naming the checked address in its request line, with the name in its
// Host header and the proxy's credentials added to a copy only.
func TestAbsoluteFormRequest(t *testing.T) {
	rb := newRebinder(rebindNames)
	c := attackClient(t, rb.lookup, "127.0.0.1/32")
	c.Proxy = &url.URL{Scheme: "http", Host: "127.0.0.1:1", User: url.UserPassword("org", "pw")}
	var sent *http.Request
	rt := absoluteForm{p: httpProxy{c: c}, next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})}
	req := httptest.NewRequest("GET", "http://example.com:8080/a%2Fb?q=1", nil)
	req.RequestURI = ""
	_, err := rt.RoundTrip(req)
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080/a%2Fb?q=1", sent.URL.RequestURI())
	assert.Equal(t, "example.com:8080", sent.Host)
	assert.Equal(t, "Basic b3JnOnB3", sent.Header.Get("Proxy-Authorization"))
	assert.Empty(t, req.Header.Get("Proxy-Authorization"), "the caller's request is not changed")
	assert.Empty(t, req.URL.Opaque)

	_, err = rt.RoundTrip(httptest.NewRequest("GET", "http://example.com:8080/", nil))
	var blocked *BlockedError
	require.ErrorAs(t, err, &blocked, "the second answer is the internal address")
	assert.Equal(t, internalAddr, blocked.Addr)
}

// TestProxyUnicodeHosts: the Unicode spellings of loopback are normalised
// once, checked and refused as blocked through every kind of proxy, as they
// are directly; no proxy is asked anything.
func TestProxyUnicodeHosts(t *testing.T) {
	target := listenCounting(t, "127.0.0.1:0")
	hp := testpeer.NewHTTPProxy(t)
	sp := testpeer.NewSOCKS5(t)
	proxies := map[string]*url.URL{"direct": nil, "http": hp.URL(), "socks5": sp.URL(), "socks5h": schemed(sp.URL(), "socks5h")}
	dns := newRebinder(map[string][2]string{"localhost": {"127.0.0.1", "127.0.0.1"}})
	for name, p := range proxies {
		for _, host := range []string{"ｌｏｃａｌｈｏｓｔ", "①②⑦.⓪.⓪.①", "127。0。0。1", "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ", "LOCALHOST.", "127.0.0.1."} {
			for _, scheme := range []string{"http", "https"} {
				c := attackClient(t, dns.lookup)
				c.Proxy = p
				u := scheme + "://" + host + ":" + target.port() + "/"
				_, err := c.Execute(context.Background(), &NodeConfig{URL: u, UseProxy: p != nil}, nil)
				var f *Failure
				require.ErrorAs(t, err, &f, "%s %s", name, u)
				assert.Equal(t, KindBlocked, f.Kind, "%s %s: %s", name, u, f.Message)
			}
		}
	}
	assert.Empty(t, hp.Requests())
	assert.Empty(t, sp.Requests())
	assert.Zero(t, target.n.Load())
}

// httptestRoots trusts the certificate that every httptest TLS server (the
// origins and the https proxy) presents.
func httptestRoots(t *testing.T) *x509.CertPool {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}
