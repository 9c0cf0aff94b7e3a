package httpstep

import (
	"context"
	"crypto/x509"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep/internal/testpeer"
)

// TestTimingFilled: an attempt's timing record has the phases its request
// went through: name resolution and connect on a new connection, TLS for
// https, the first byte always; a reused connection has none of the first
// three. The DNS and connect hooks come from the dialers, so every dial path
// (direct, through an HTTP or a SOCKS5 proxy) is checked.
func TestTimingFilled(t *testing.T) {
	plain := newRecorder(t, nil)
	_, port, err := net.SplitHostPort(plain.Listener.Addr().String())
	require.NoError(t, err)
	secure := httptest.NewTLSServer(plain.Config.Handler)
	t.Cleanup(secure.Close)
	roots := x509.NewCertPool()
	roots.AddCert(secure.Certificate())
	httpProxy := testpeer.NewHTTPProxy(t)
	socks := testpeer.NewSOCKS5(t)

	for _, tc := range []struct {
		name, url    string
		proxy        func() *Client
		dns, tlsTime bool
	}{
		{name: "by name", url: "http://localhost:" + port + "/t", dns: true},
		{name: "https literal", url: secure.URL + "/t", tlsTime: true},
		{name: "http proxy", url: "http://localhost:" + port + "/t", dns: true, proxy: func() *Client {
			return &Client{AllowPrivate: true, Proxy: httpProxy.URL()}
		}},
		{name: "socks5 proxy", url: "http://localhost:" + port + "/t", dns: true, proxy: func() *Client {
			return &Client{AllowPrivate: true, Proxy: socks.URL()}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testClient(t)
			if tc.proxy != nil {
				c = tc.proxy()
				t.Cleanup(c.CloseIdleConnections)
			}
			c.RootCAs = roots
			node := &NodeConfig{URL: tc.url, UseProxy: tc.proxy != nil}
			res, err := c.Execute(context.Background(), node, nil)
			require.NoError(t, err)
			first := res.Attempts[0].Timing
			assert.False(t, first.Reused)
			assert.Positive(t, first.Connect, "connect")
			assert.Equal(t, tc.dns, first.DNS > 0, "dns %v", first.DNS)
			assert.Equal(t, tc.tlsTime, first.TLS > 0, "tls %v", first.TLS)
			assert.Positive(t, first.FirstByte, "first byte")

			res, err = c.Execute(context.Background(), node, nil)
			require.NoError(t, err)
			again := res.Attempts[0].Timing
			assert.True(t, again.Reused)
			// Through an HTTP proxy the origin's name is resolved and
			// checked for every plain http request, before the round trip.
			assert.Equal(t, tc.dns && tc.name == "http proxy", again.DNS > 0, "dns %v", again.DNS)
			assert.Zero(t, again.Connect)
			assert.Zero(t, again.TLS)
			assert.Positive(t, again.FirstByte)
		})
	}
}
