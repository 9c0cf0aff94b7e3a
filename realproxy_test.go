//go:build realproxy

package httpstep

// These tests run the proxy paths against Debian's real tinyproxy and
// microsocks, which .ci/run installs and starts on loopback:
//
//	HTTPSTEP_TINYPROXY=http://127.0.0.1:18888 HTTPSTEP_MICROSOCKS=socks5://u:p@127.0.0.1:11080 \
//	  go test -tags realproxy -run Real .

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func realProxy(t *testing.T, env string) *url.URL {
	raw := os.Getenv(env)
	if raw == "" {
		t.Fatalf("%s is not set: .ci/run starts the real proxies", env)
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

func TestRealProxies(t *testing.T) {
	origin := newRecorder(t, nil)
	hostsSeen := &hostSeen{}
	hosts := httptest.NewServer(hostsSeen)
	defer hosts.Close()
	socks := realProxy(t, "HTTPSTEP_MICROSOCKS")
	proxies := map[string]*url.URL{
		"tinyproxy":          realProxy(t, "HTTPSTEP_TINYPROXY"),
		"microsocks socks5":  socks,
		"microsocks socks5h": schemed(socks, "socks5h"),
	}
	for name, p := range proxies {
		t.Run(name, func(t *testing.T) {
			c := testClient(t)
			c.Proxy = p
			res, err := c.Execute(context.Background(), &NodeConfig{URL: origin.URL + "/" + url.PathEscape(name), UseProxy: true}, nil)
			require.NoError(t, err)
			assert.True(t, res.OK())
			assert.Empty(t, origin.last(t).Header.Get("Proxy-Authorization"))
			if pw, ok := p.User.Password(); ok {
				history, _ := json.Marshal(res.Attempts)
				assert.NotContains(t, string(history), pw)
			}

			// A name this machine resolves (to loopback, let through by
			// AllowNetworks): the proxy gets the checked address.
			dns := newRebinder(map[string][2]string{"api.example.test": {"127.0.0.1", "127.0.0.2"}})
			named := attackClient(t, dns.lookup, "127.0.0.1/32")
			named.Proxy = p
			_, port, _ := net.SplitHostPort(hosts.Listener.Addr().String())
			res, err = named.Execute(context.Background(), &NodeConfig{URL: "http://api.example.test:" + port + "/named", UseProxy: true}, nil)
			require.NoError(t, err)
			assert.True(t, res.OK())
			seen := hostsSeen.all()
			if p.Scheme == "http" {
				// tinyproxy follows RFC 9112 section 3.2.2: the Host header
				// becomes the absolute form's host, the checked address.
				assert.Equal(t, "127.0.0.1:"+port, seen[len(seen)-1])
			} else {
				assert.Equal(t, "api.example.test:"+port, seen[len(seen)-1], "a tunnel keeps the name")
			}

			guarded := &Client{Proxy: p}
			_, err = guarded.Execute(context.Background(), &NodeConfig{URL: origin.URL, UseProxy: true}, nil)
			guarded.CloseIdleConnections()
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindBlocked, f.Kind, "the destination behind a real proxy is still checked")
		})
	}
}
