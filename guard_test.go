package httpstep

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/httpstep/httpstep/internal/testpeer"
	"github.com/stretchr/testify/assert"
)

// The guard's attack fixtures (a resolver the test controls, the loopback
// fence, internal services that count what reaches them) serve the SSRF
// tests here and in rebind_test.go, redirect_test.go, transport_test.go and
// realproxy_test.go.

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

func TestBlockedErrorMessage(t *testing.T) {
	err := &BlockedError{Addr: netip.MustParseAddr("169.254.169.254"), Host: "metadata.test", Reason: "a link-local address (cloud metadata)"}
	assert.Equal(t, "httpstep: blocked: metadata.test resolves to 169.254.169.254, a link-local address (cloud metadata); "+
		"requests to internal networks are blocked, ask an administrator to allow this network if the request is intended", err.Error())
	err.Host = ""
	assert.True(t, strings.HasPrefix(err.Error(), "httpstep: blocked: 169.254.169.254 is a link-local address (cloud metadata); requests"), err.Error())
}

// attackHosts are spellings of internal destinations as a URL's host: the
// loopback listener's address in every encoding, IPv4 inside IPv6 (mapped,
// compatible, NAT64, 6to4, Teredo), private and metadata addresses, Unicode
// digits, letters and dots, and names that the attacker's DNS answers with
// internal addresses.
var attackHosts = []string{
	// IPv4 loopback, standard and not.
	"127.0.0.1", "127.0.0.1.", "127.0.0.1..", "127.1", "127.0.1", "2130706433", "0x7f000001", "0X7F000001",
	"0x7f.0x0.0x0.0x1", "0x7f.1", "0177.0.0.1", "0177.0000.0000.0001", "017700000001", "127.000.000.001",
	"0127.0.0.1", "127.0.0.01", "127.0.0.0x1", "127.1.1.1", "127.255.255.254", "0", "0.0.0.0", "0000",
	"0x0", "00.00.00.00", "0.0.0.0.", "127.0.0.1.nip.test", "0x7f.1.evil.test",
	// IPv6 and IPv4 inside IPv6.
	"[::1]", "[0:0:0:0:0:0:0:1]", "[0000::0001]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
	"[0:0:0:0:0:ffff:127.0.0.1]", "[::127.0.0.1]", "[::7f00:1]", "[64:ff9b::127.0.0.1]", "[64:ff9b::7f00:1]",
	"[64:ff9b:1::7f00:1]", "[2002:7f00:1::]", "[2002:7f00:0001:0000::1]", "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
	"[2001::1]", "[::]", "[::ffff:0:0]", "[::ffff:0.0.0.0]", "[fe80::1%25lo]", "[::1%25lo]", "[ff02::1]", "[fc00::1]",
	"[fd12:3456::1]", "[fec0::1]", "[100::1]", "[2001:db8::1]", "[::ffff:10.0.0.1]", "[64:ff9b::a00:1]",
	// Cloud metadata and platform endpoints, in several spellings.
	"169.254.169.254", "169.254.43518", "0xa9fea9fe", "2852039166", "0251.0376.0251.0376", "0xa9.0xfe.0xa9.0xfe",
	"[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::]",
	"[fd00:ec2::254]", "[fd20:ce::254]", "168.63.129.16", "[::ffff:168.63.129.16]", "[64:ff9b::a83f:8110]",
	"100.100.100.200", "192.0.0.192", "metadata.google.internal", "metadata.google.internal.",
	"METADATA.GOOGLE.INTERNAL", "metadata", "metadata.goog", "instance-data", "instance-data.ec2.internal",
	// Private, shared and special IPv4.
	"10.0.0.1", "10.1", "167772161", "012.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "192.168.1",
	"100.64.0.1", "198.18.0.1", "192.0.2.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
	// Unicode letters, digits and dots.
	"ｌｏｃａｌｈｏｓｔ", "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ", "ＬＯＣＡＬＨＯＳＴ", "①②⑦.⓪.⓪.①", "127。0。0。1", "127．0．0．1", "127｡0｡0｡1",
	"１２７.０.０.１", "１２７．０．０．１", "𝟏𝟐𝟕.𝟎.𝟎.𝟏", "127.0.0.①", "localhost。", "ｍｅｔａｄａｔａ.google.internal",
	"①⑥⑨.②⑤④.①⑥⑨.②⑤④", "⑯⑨.254.169.254", "١٢٧.٠.٠.١", "ⅼocalhost", "locaⅼhost.evil.test",
	// Names the attacker's DNS answers with internal addresses.
	"localhost", "LOCALHOST", "LocalHost.", "localhost.", "evil.test", "loop.evil.test", "mixed.evil.test",
	"meta.evil.test", "v6.evil.test", "mapped.evil.test", "bücher.evil.test", "xn--bcher-kva.evil.test",
}

// attackURLs are whole-URL tricks around the listener's address {H}
// (host:port): user info, fragments, queries, backslashes, case, spaces.
var attackURLs = []string{
	"http://{H}/", "HTTP://{H}/", "hTtP://{H}/x", " http://{H}/ ", "http://{H}", "http://{H}/..%2f..%2f", "http://{H}/?a=b#c",
	"http://allowed.example@{H}/", "http://user:pass@{H}/", "http://allowed.example:443@{H}/", "http://a%40b@{H}/",
	"http://{H}#@allowed.example/", "http://{H}/#allowed.example", "http://{H}?@allowed.example/",
	"http://allowed.example\\@{H}/", "http://{H}\\@allowed.example/", "http:\\\\{H}\\", "http:/{H}/", "http:{H}/",
	"http://%31%32%37.0.0.1/", "http://{H}:80/", "http://{H}\t/", "http://[{H}]/", "//{H}/", "http:///{H}/",
}

// attackDNS is the attacker's resolver: every name answers 127.0.0.1
// unless listed; no real DNS is asked.
func attackDNS(_ context.Context, host string) ([]netip.Addr, error) {
	answers := map[string]string{
		"mixed.evil.test":          "8.8.8.8 127.0.0.1",
		"meta.evil.test":           "169.254.169.254",
		"metadata.google.internal": "169.254.169.254",
		"v6.evil.test":             "::1",
		"mapped.evil.test":         "::ffff:127.0.0.1",
	}
	list, ok := answers[host]
	if !ok {
		list = "127.0.0.1"
	}
	var out []netip.Addr
	for _, s := range strings.Fields(list) {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

// attackMode is one way a URL reaches the Client: its node and parameters
// for a payload URL, and whether the URL must parse for the guard to judge
// it (a URL that does not parse is refused earlier, as kind param).
type attackMode struct {
	name  string
	node  func(payload string) (*NodeConfig, Params)
	proxy *url.URL
}

// TestGuardEveryMode runs every attack payload through every mode and
// asserts that it is refused before anything is sent: kind blocked (or
// param when the URL does not parse, or a placeholder refuses the text),
// and not one connection accepted by the loopback listeners it aims at, or
// by the proxies.
func TestGuardEveryMode(t *testing.T) {
	v4 := listenCounting(t, "127.0.0.1:0")
	port := v4.port()
	var v6 *counting
	if ln, err := net.Listen("tcp", "[::1]:"+port); err == nil {
		v6 = serveCounting(t, ln)
	}
	redirector := newRedirector(t)
	hp := testpeer.NewHTTPProxy(t)
	sp := testpeer.NewSOCKS5(t)
	modes := attackModes(redirector.URL, hp.URL(), sp.URL())
	var payloads []string
	for _, h := range attackHosts {
		payloads = append(payloads, "http://"+h+":"+port+"/")
	}
	for _, u := range attackURLs {
		payloads = append(payloads, strings.ReplaceAll(u, "{H}", "127.0.0.1:"+port))
	}
	runs := 0
	for _, m := range modes {
		c := attackClient(t, attackDNS, "127.0.0.3/32")
		c.Proxy = m.proxy
		for _, p := range payloads {
			node, params := m.node(p)
			node.UseProxy = m.proxy != nil
			_, err := c.Execute(context.Background(), node, params)
			runs++
			assert.Contains(t, wantRefusal(m.name, p), refusal(err), "%s %q: %v", m.name, p, err)
		}
	}
	assert.Zero(t, v4.n.Load(), "connections accepted on 127.0.0.1")
	if v6 != nil {
		assert.Zero(t, v6.n.Load(), "connections accepted on ::1")
	}
	assert.Empty(t, hp.Requests(), "the HTTP proxy was asked")
	assert.Empty(t, sp.Requests(), "the SOCKS5 proxy was asked")
	assert.Equal(t, len(payloads), redirector.count(), "every redirect run reached the redirector")
	t.Logf("%d payloads in %d modes: %d runs", len(payloads), len(modes), runs)

	// The listener does count: the same request, let through, arrives.
	allowed := attackClient(t, attackDNS, "127.0.0.1/32")
	_, _ = allowed.Execute(context.Background(), &NodeConfig{URL: "http://127.0.0.1:" + port + "/"}, nil)
	assert.Equal(t, int32(1), v4.n.Load(), "the counting listener sees a connection the guard lets through")
}

// attackModes: direct, the URL as a parameter (whole, or the host only),
// the organisation's HTTP proxy (absolute form and CONNECT), socks5,
// socks5h, and a redirect from an allowed server.
func attackModes(redirector string, httpProxy, socks *url.URL) []attackMode {
	plain := func(p string) (*NodeConfig, Params) { return &NodeConfig{URL: p}, nil }
	https := func(p string) (*NodeConfig, Params) {
		return &NodeConfig{URL: strings.Replace(p, "http://", "https://", 1)}, nil
	}
	return []attackMode{
		{name: "direct", node: plain},
		{name: "template-url", node: func(p string) (*NodeConfig, Params) {
			return &NodeConfig{URL: "{{target}}"}, Values{"target": p}
		}},
		{name: "template-host", node: func(p string) (*NodeConfig, Params) {
			host, port := splitPayload(p)
			return &NodeConfig{URL: "http://{{host}}:" + port + "/x"}, Values{"host": host}
		}},
		{name: "http-proxy", node: plain, proxy: httpProxy},
		{name: "connect", node: https, proxy: httpProxy},
		{name: "socks5", node: plain, proxy: socks},
		{name: "socks5h", node: plain, proxy: schemed(socks, "socks5h")},
		{name: "redirect", node: func(p string) (*NodeConfig, Params) {
			return &NodeConfig{URL: redirector + "/go?to=" + url.QueryEscape(p)}, nil
		}},
	}
}

// splitPayload returns the host and port of a payload built from
// attackHosts; for the other payloads, the whole text and the port.
func splitPayload(p string) (host, port string) {
	rest, ok := strings.CutPrefix(p, "http://")
	if !ok || !strings.HasSuffix(rest, "/") {
		return p, "1"
	}
	rest = strings.TrimSuffix(rest, "/")
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return p, "1"
	}
	return rest[:i], rest[i+1:]
}

// refusal names how a run failed: a Failure's kind, "config" for an
// invalid node (refused by Validate, before anything is sent), or "sent"
// when the run succeeded.
func refusal(err error) string {
	var f *Failure
	var ce *ConfigError
	switch {
	case errors.As(err, &f):
		return string(f.Kind)
	case errors.As(err, &ce):
		return "config"
	case err == nil:
		return "sent"
	}
	return err.Error()
}

// wantRefusal is how a payload must fail in a mode: blocked, unless the URL
// is refused before the guard sees it because it is not an http URL with a
// host at all: by Validate when the node's URL is written out, with kind
// param when it comes from a parameter.
func wantRefusal(mode, p string) string {
	if mode == "redirect" {
		return string(KindBlocked)
	}
	if mode == "template-host" {
		host, port := splitPayload(p)
		if _, err := parseTargetURL("http://" + host + ":" + port + "/x"); err != nil || !validHostText(host) {
			return string(KindParam)
		}
		return string(KindBlocked)
	}
	if _, err := parseTargetURL(p); err != nil {
		if mode == "template-url" {
			return string(KindParam)
		}
		return "config"
	}
	return string(KindBlocked)
}

// newRedirector is an allowed server (127.0.0.3) that redirects to its
// "to" parameter, written as the Location exactly.
func newRedirector(t *testing.T) *recorder {
	return newRecorderOn(t, "127.0.0.3", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Location"] = []string{r.URL.Query().Get("to")}
		w.WriteHeader(http.StatusFound)
	})
}
