package testpeer

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// checkLeaks fails t if goroutines remain after all of t's cleanups ran.
func checkLeaks(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

// newOrigin starts a server that answers with the request's headers and
// records every request it got.
func newOrigin(t *testing.T, start func(http.Handler) *httptest.Server) (*httptest.Server, *recorder[*http.Request]) {
	seen := &recorder[*http.Request]{}
	srv := start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen.add(r)
		w.Header().Set("X-Origin", "yes")
		_, _ = io.WriteString(w, r.Method+" "+r.URL.Path+" "+string(body))
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

// client returns an HTTP client that uses proxy and closes with t.
func client(t *testing.T, proxy *url.URL, tlsConfig *tls.Config) *http.Client {
	tr := &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: tlsConfig}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func withUser(u *url.URL, user, pass string) *url.URL {
	u.User = url.UserPassword(user, pass)
	return u
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestHTTPProxyForwards(t *testing.T) {
	checkLeaks(t)
	origin, seen := newOrigin(t, httptest.NewServer)
	p := NewHTTPProxy(t, WithCredentials("proxy-user", "proxy-pass"))
	c := client(t, withUser(p.URL(), "proxy-user", "proxy-pass"), nil)

	req, _ := http.NewRequest(http.MethodPost, origin.URL+"/orders", strings.NewReader(`{"id":1}`))
	req.Header.Set("Authorization", "Bearer origin-token")
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, `POST /orders {"id":1}`, string(body))
	assert.Equal(t, "yes", resp.Header.Get("X-Origin"))

	got := p.Requests()
	require.Len(t, got, 1)
	assert.Equal(t, "POST", got[0].Method)
	assert.Equal(t, origin.Listener.Addr().String(), got[0].Target)
	assert.Equal(t, basic("proxy-user", "proxy-pass"), got[0].ProxyAuthorization)
	assert.Equal(t, http.StatusOK, got[0].Status)
	assert.Equal(t, "Bearer origin-token", got[0].Header.Get("Authorization"))
	assert.Empty(t, got[0].Header.Values("Proxy-Authorization"), "the proxy forwarded its own credentials")
	assert.Empty(t, seen.all()[0].Header.Values("Proxy-Authorization"), "the origin got proxy credentials")
}

func TestHTTPProxyDemandsCredentials(t *testing.T) {
	checkLeaks(t)
	origin, seen := newOrigin(t, httptest.NewServer)
	p := NewHTTPProxy(t, WithCredentials("u", "right"))
	for _, proxy := range []*url.URL{p.URL(), withUser(p.URL(), "u", "wrong")} {
		resp, err := client(t, proxy, nil).Get(origin.URL)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusProxyAuthRequired, resp.StatusCode)
		assert.Equal(t, `Basic realm="testpeer"`, resp.Header.Get("Proxy-Authenticate"))
	}
	got := p.Requests()
	require.Len(t, got, 2)
	assert.Equal(t, "", got[0].ProxyAuthorization)
	assert.Equal(t, basic("u", "wrong"), got[1].ProxyAuthorization)
	assert.Equal(t, http.StatusProxyAuthRequired, got[1].Status)
	assert.Nil(t, got[1].Header)
	assert.Empty(t, seen.all())
}

func TestHTTPProxyTunnelsTLS(t *testing.T) {
	checkLeaks(t)
	origin, seen := newOrigin(t, httptest.NewTLSServer)
	p := NewHTTPProxy(t, WithCredentials("u", "p"))
	tlsConfig := origin.Client().Transport.(*http.Transport).TLSClientConfig
	c := client(t, withUser(p.URL(), "u", "p"), tlsConfig)

	for range 2 { // the second request reuses the tunnel
		resp, err := c.Get(origin.URL + "/secure")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "GET /secure ", string(body))
	}
	got := p.Requests()
	require.Len(t, got, 1)
	assert.Equal(t, Request{Method: "CONNECT", Target: origin.Listener.Addr().String(),
		ProxyAuthorization: basic("u", "p"), Status: http.StatusOK}, got[0])
	assert.Len(t, seen.all(), 2)
	assert.Empty(t, seen.all()[0].Header.Values("Proxy-Authorization"))
}

func TestHTTPProxyRefuses(t *testing.T) {
	checkLeaks(t)
	origin, _ := newOrigin(t, httptest.NewServer)
	port := origin.Listener.Addr().(*net.TCPAddr).Port
	p := NewHTTPProxy(t, WithHost("api.test", netip.MustParseAddr("127.0.0.1")))
	c := client(t, p.URL(), nil)
	for _, tc := range []struct {
		url    string
		status int
	}{
		{"http://api.test:" + strconv.Itoa(port) + "/named", http.StatusOK},
		{"http://localhost:" + strconv.Itoa(port) + "/", http.StatusOK},
		{"http://elsewhere.test:" + strconv.Itoa(port) + "/", http.StatusForbidden},
		{"http://0.0.0.0:" + strconv.Itoa(port) + "/", http.StatusForbidden},
		{"http://127.0.0.1:1/", http.StatusBadGateway},
	} {
		resp, err := c.Get(tc.url)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, tc.status, resp.StatusCode, tc.url)
	}
	// An origin-form request is not a proxy request.
	resp, err := client(t, nil, nil).Get(p.URL().String() + "/direct")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// A tunnel the client never closes is closed with the test, and no
// goroutine of the proxy outlives it.
func TestHTTPProxyClosesOpenTunnels(t *testing.T) {
	var conn net.Conn
	t.Run("open", func(t *testing.T) {
		origin, _ := newOrigin(t, httptest.NewServer)
		p := NewHTTPProxy(t)
		var err error
		conn, err = net.Dial("tcp", p.URL().Host)
		require.NoError(t, err)
		target := origin.Listener.Addr().String()
		_, err = io.WriteString(conn, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	defer conn.Close()
	goleak.VerifyNone(t)
	_, err := conn.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the tunnel is still open")
}

// TestHTTPProxyOverTLS: WithTLS makes an https proxy; a client that trusts
// its certificate sends plain and tunnelled requests through it.
func TestHTTPProxyOverTLS(t *testing.T) {
	checkLeaks(t)
	origin, _ := newOrigin(t, httptest.NewServer)
	p := NewHTTPProxy(t, WithTLS())
	assert.Equal(t, "https", p.URL().Scheme)
	pool := x509.NewCertPool()
	pool.AddCert(p.Certificate())
	resp, err := client(t, p.URL(), &tls.Config{RootCAs: pool}).Get(origin.URL + "/over-tls")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "GET /over-tls ", string(body))
	require.Len(t, p.Requests(), 1)
	assert.Nil(t, NewHTTPProxy(t).Certificate(), "a plain proxy has no certificate")
}
