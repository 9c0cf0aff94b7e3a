package httpstep

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// rebinder is a resolver the test controls: each name answers first with
// its first address and with its second on every later query, as a DNS
// rebinding attacker's name does. Names it does not know do not resolve.
// It never asks real DNS.
type rebinder struct {
	mu      sync.Mutex
	answers map[string][2]netip.Addr
	asked   map[string]int
}

func newRebinder(names map[string][2]string) *rebinder {
	r := &rebinder{answers: map[string][2]netip.Addr{}, asked: map[string]int{}}
	for name, a := range names {
		r.answers[name] = [2]netip.Addr{netip.MustParseAddr(a[0]), netip.MustParseAddr(a[1])}
	}
	return r
}

func (r *rebinder) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.answers[host]
	r.asked[host]++
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if r.asked[host] == 1 {
		return []netip.Addr{a[0]}, nil
	}
	return []netip.Addr{a[1]}, nil
}

// loopbackOnly is the tests' fence: a guarded dial to anything but loopback
// fails here, at the socket and before it connects, so that a guard that
// wrongly lets an address through can never reach another machine.
func loopbackOnly(_, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("test fence: %s is not loopback; the guard let it through", address)
	}
	return nil
}

// attackClient is a Client with the guard on, the test's resolver and the
// loopback fence; allow lists the networks let through.
func attackClient(t testing.TB, lookup func(context.Context, string) ([]netip.Addr, error), allow ...string) *Client {
	c := &Client{lookup: lookup, fence: loopbackOnly}
	for _, a := range allow {
		c.AllowNetworks = append(c.AllowNetworks, netip.MustParsePrefix(a))
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// counting is a TCP listener that accepts and counts connections, closing
// each at once: the internal service an attacker aims at.
type counting struct {
	net.Listener
	n    atomic.Int32
	done chan struct{}
}

func listenCounting(t testing.TB, addr string) *counting {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return serveCounting(t, ln)
}

func serveCounting(t testing.TB, ln net.Listener) *counting {
	c := &counting{Listener: ln, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.n.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-c.done
	})
	return c
}

// port is the listener's port.
func (c *counting) port() string {
	_, p, _ := net.SplitHostPort(c.Addr().String())
	return p
}

// samePort listens on 127.0.0.1 and 127.0.0.2 at one port: a public
// origin (127.0.0.1, let through by AllowNetworks) and an internal service
// (127.0.0.2, refused) that one name:port can lead to.
func samePort(t testing.TB) (public, internal net.Listener) {
	for range 50 {
		in, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(in.Addr().String())
		pub, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err == nil {
			return pub, in
		}
		in.Close()
	}
	t.Fatal("no port free on both 127.0.0.1 and 127.0.0.2")
	return nil, nil
}

// hostSeen records the Host header and TLS server name of each request.
type hostSeen struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostSeen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	seen := r.Host
	if r.TLS != nil {
		seen += " sni=" + r.TLS.ServerName
	}
	h.hosts = append(h.hosts, seen)
	h.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/hop") {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok":true}`)
}

func (h *hostSeen) all() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.hosts...)
}

// rebindPeer is a public origin on 127.0.0.1:port, plain or TLS, and a
// counting internal service on 127.0.0.2 at the same port.
type rebindPeer struct {
	origin   *httptest.Server
	seen     *hostSeen
	internal *counting
	port     string
}

func newRebindPeer(t testing.TB, useTLS bool) *rebindPeer {
	pub, in := samePort(t)
	p := &rebindPeer{seen: &hostSeen{}, internal: serveCounting(t, in)}
	p.origin = httptest.NewUnstartedServer(p.seen)
	p.origin.Listener.Close()
	p.origin.Listener = pub
	p.origin.Config.ErrorLog = quietLog
	if useTLS {
		p.origin.StartTLS()
	} else {
		p.origin.Start()
	}
	t.Cleanup(p.origin.Close)
	_, p.port, _ = net.SplitHostPort(pub.Addr().String())
	return p
}
