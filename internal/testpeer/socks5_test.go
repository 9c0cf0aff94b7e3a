package testpeer

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/net/proxy"
)

// socksClient returns an HTTP client whose connections go through the SOCKS5
// server at addr; x/net sends IP literals as addresses and names as names.
func socksClient(t *testing.T, addr string, auth *proxy.Auth) *http.Client {
	d, err := proxy.SOCKS5("tcp", addr, auth, proxy.Direct)
	require.NoError(t, err)
	tr := &http.Transport{DialContext: d.(proxy.ContextDialer).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// onIPv6 returns a start function for newOrigin that listens on [::1].
func onIPv6(t *testing.T) func(http.Handler) *httptest.Server {
	return func(h http.Handler) *httptest.Server {
		ln, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		srv := httptest.NewUnstartedServer(h)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		return srv
	}
}

func TestSOCKS5Connect(t *testing.T) {
	checkLeaks(t)
	origin, _ := newOrigin(t, httptest.NewServer)
	origin6, _ := newOrigin(t, onIPv6(t))
	port := strconv.Itoa(origin.Listener.Addr().(*net.TCPAddr).Port)
	port6 := origin6.Listener.Addr().(*net.TCPAddr).Port
	s := NewSOCKS5(t, WithCredentials("u", "p"), WithHost("api.test", netip.MustParseAddr("127.0.0.1")))
	c := socksClient(t, s.Addr(), &proxy.Auth{User: "u", Password: "p"})

	for _, u := range []string{origin.URL + "/v4", origin6.URL + "/v6", "http://api.test:" + port + "/name"} {
		resp, err := c.Get(u)
		require.NoError(t, err, u)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, u)
		assert.Contains(t, string(body), "GET /", u)
	}
	originPort, _ := strconv.Atoi(port)
	assert.Equal(t, []SOCKSRequest{
		{AddrType: "ipv4", Host: "127.0.0.1", Port: originPort, User: "u"},
		{AddrType: "ipv6", Host: "::1", Port: port6, User: "u"},
		{AddrType: "domain", Host: "api.test", Port: originPort, User: "u"},
	}, s.Requests())
}

func TestSOCKS5WithoutCredentials(t *testing.T) {
	checkLeaks(t)
	origin, _ := newOrigin(t, httptest.NewServer)
	s := NewSOCKS5(t)
	resp, err := socksClient(t, s.Addr(), nil).Get(origin.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Len(t, s.Requests(), 1)
	assert.Equal(t, "", s.Requests()[0].User)
	assert.Equal(t, "socks5://"+s.Addr(), s.URL().String())
}

func TestSOCKS5Refuses(t *testing.T) {
	checkLeaks(t)
	s := NewSOCKS5(t, WithCredentials("u", "p"))
	dial := func(auth *proxy.Auth, target string) error {
		d, err := proxy.SOCKS5("tcp", s.Addr(), auth, proxy.Direct)
		require.NoError(t, err)
		c, err := d.(proxy.ContextDialer).DialContext(context.Background(), "tcp", target)
		if err == nil {
			c.Close()
		}
		return err
	}
	right := &proxy.Auth{User: "u", Password: "p"}
	assert.ErrorContains(t, dial(nil, "127.0.0.1:80"), "no acceptable authentication methods")
	assert.ErrorContains(t, dial(&proxy.Auth{User: "u", Password: "wrong"}, "127.0.0.1:80"), "authentication failed")
	assert.Empty(t, s.Requests(), "a request was read without authentication")
	assert.ErrorContains(t, dial(right, "elsewhere.test:80"), "connection not allowed by ruleset")
	assert.ErrorContains(t, dial(right, "0.0.0.0:80"), "connection not allowed by ruleset")
	assert.ErrorContains(t, dial(right, "127.0.0.1:1"), "connection refused")
	assert.Equal(t, []SOCKSRequest{
		{AddrType: "domain", Host: "elsewhere.test", Port: 80, User: "u", Reply: replyNotAllowed},
		{AddrType: "ipv4", Host: "0.0.0.0", Port: 80, User: "u", Reply: replyNotAllowed},
		{AddrType: "ipv4", Host: "127.0.0.1", Port: 1, User: "u", Reply: replyRefused},
	}, s.Requests())
}

// Raw requests the x/net client never sends get the reply code RFC 1928
// gives for them.
func TestSOCKS5RequestErrors(t *testing.T) {
	checkLeaks(t)
	s := NewSOCKS5(t)
	for _, tc := range []struct {
		name    string
		request []byte
		code    byte
	}{
		{"bind", []byte{5, 2, 0, 1, 127, 0, 0, 1, 0, 80}, replyBadCommand},
		{"udp associate", []byte{5, 3, 0, 1, 127, 0, 0, 1, 0, 80}, replyBadCommand},
		{"address type 9", []byte{5, 1, 0, 9, 127, 0, 0, 1, 0, 80}, replyBadAddrType},
		{"empty name", []byte{5, 1, 0, 3, 0, 0, 80}, replyFailure},
		{"version 4", []byte{4, 1, 0, 1, 127, 0, 0, 1, 0, 80}, replyFailure},
	} {
		conn, err := net.Dial("tcp", s.Addr())
		require.NoError(t, err)
		_, err = conn.Write(append([]byte{5, 1, methodNone}, tc.request...))
		require.NoError(t, err)
		got, err := io.ReadAll(conn)
		require.NoError(t, err)
		conn.Close()
		require.Len(t, got, 2+10, tc.name)
		assert.Equal(t, []byte{5, methodNone}, got[:2], tc.name)
		assert.Equal(t, []byte{5, tc.code, 0, 1, 0, 0, 0, 0, 0, 0}, got[2:], tc.name)
	}
}

// A relay the client never closes is closed with the test, and no goroutine
// of the server outlives it.
func TestSOCKS5ClosesOpenRelays(t *testing.T) {
	var conn net.Conn
	t.Run("open", func(t *testing.T) {
		origin, _ := newOrigin(t, httptest.NewServer)
		s := NewSOCKS5(t)
		d, err := proxy.SOCKS5("tcp", s.Addr(), nil, proxy.Direct)
		require.NoError(t, err)
		conn, err = d.Dial("tcp", origin.Listener.Addr().String())
		require.NoError(t, err)
	})
	defer conn.Close()
	goleak.VerifyNone(t)
	_, err := conn.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the relay is still open")
}

// FuzzSOCKS5Handshake feeds any bytes to the server's greeting,
// authentication and request parsers: they must not panic, and a request
// they accept names a target.
func FuzzSOCKS5Handshake(f *testing.F) {
	f.Add([]byte{5, 1, 2, 1, 1, 'u', 1, 'p', 5, 1, 0, 3, 8, 'a', 'p', 'i', '.', 't', 'e', 's', 't', 0, 80}, true)
	f.Add([]byte{5, 1, 0, 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 187}, false)
	f.Add([]byte{5, 0}, false)
	f.Fuzz(func(t *testing.T, in []byte, auth bool) {
		s := &SOCKS5{cfg: newConfig(nil)}
		if auth {
			WithCredentials("u", "p")(&s.cfg)
		}
		r := bufio.NewReader(bytes.NewReader(in))
		var out bytes.Buffer
		if _, err := s.negotiate(r, &out); err != nil {
			return
		}
		req, code := readRequest(r)
		if code == replyOK && (req.Host == "" || req.AddrType == "") {
			t.Fatalf("accepted %+v from %x", req, in)
		}
		if b := reply(code, netip.AddrPort{}); len(b) != 10 || b[1] != code {
			t.Fatalf("reply %x", b)
		}
	})
}
