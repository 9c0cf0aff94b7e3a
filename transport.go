package httpstep

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/proxy"
)

// transportKey names one of the Client's transports: one per proxy choice,
// verification choice and egress address, built once each and reused, so
// connections are pooled across calls.
type transportKey struct {
	proxy    bool
	insecure bool
	source   int // index into SourceAddrs of the egress address, -1 for none
}

// Connection-pool and phase limits. The per-attempt timeout bounds them all.
const (
	dialTimeout         = 10 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	maxIdlePerHost      = 64
	maxHeaderBytes      = 1 << 20
	maxRedirects        = 10
)

// client returns the *http.Client for node. Through the organisation's
// proxy, the destination is checked by the guard here, since the proxy and
// not this process connects to it.
func (c *Client) client(ctx context.Context, node *NodeConfig, u *url.URL) (*http.Client, error) {
	key := transportKey{proxy: node.UseProxy, insecure: node.InsecureSkipVerify, source: c.pickSourceIndex(u.Hostname())}
	if key.proxy {
		if c.Proxy == nil {
			return nil, errorf("this node uses the organisation's network proxy, but none is configured: ask an administrator to set one, or turn off Use Network Proxy")
		}
		if _, err := c.checkDestination(ctx, u.Hostname()); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if hc, ok := c.transports[key]; ok {
		return hc, nil
	}
	rt, err := c.newTransport(key)
	if err != nil {
		return nil, err
	}
	if c.WrapTransport != nil {
		rt = c.WrapTransport(rt)
	}
	hc := &http.Client{Transport: rt, CheckRedirect: c.checkRedirect(key.proxy)}
	if c.transports == nil {
		c.transports = make(map[transportKey]*http.Client)
	}
	c.transports[key] = hc
	return hc, nil
}

// newTransport builds the transport for key. The environment's proxy
// settings are never read.
func (c *Client) newTransport(key transportKey) (http.RoundTripper, error) {
	e := egress{c: c, src: key.source}
	t := &http.Transport{
		Proxy:                  nil,
		DialContext:            e.guarded,
		TLSClientConfig:        c.tlsConfig(key.insecure),
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    maxIdlePerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	if !key.proxy {
		return t, nil
	}
	switch strings.ToLower(c.Proxy.Scheme) {
	case "http", "https":
		t.Proxy = http.ProxyURL(c.Proxy)
		t.DialContext = e.direct
	case "socks5", "socks5h":
		d, err := c.socksDialer(e)
		if err != nil {
			return nil, err
		}
		t.DialContext = d
	default:
		return nil, errorf("proxy scheme %q is not supported: use http, https, socks5 or socks5h", c.Proxy.Scheme)
	}
	return t, nil
}

// tlsConfig verifies servers unless insecure; TLS 1.2 at least.
func (c *Client) tlsConfig(insecure bool) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            c.RootCAs,
		Certificates:       c.Certificates,
		InsecureSkipVerify: insecure, //nolint:gosec // the node's explicit choice
	}
}

// guard is the Client's SSRF guard.
func (c *Client) guard() guard {
	return guard{allowPrivate: c.AllowPrivate, allow: c.AllowNetworks}
}

// systemLookup resolves names with the system resolver.
var systemLookup = resolverLookup(nil)

// resolve looks host up with the Client's resolver.
func (c *Client) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if c.lookup != nil {
		return c.lookup(ctx, host)
	}
	return systemLookup(ctx, host)
}

// checkDestination resolves host and checks every address with the guard.
func (c *Client) checkDestination(ctx context.Context, host string) ([]netip.Addr, error) {
	return checkHost(ctx, c.resolve, c.guard(), host)
}

// checkAddr splits a dial address and checks its host with the guard.
func (c *Client) checkAddr(ctx context.Context, addr string) (host, port string, ips []netip.Addr, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err == nil {
		ips, err = c.checkDestination(ctx, host)
	}
	return host, port, ips, err
}

// egress is the dialling side of one transport: the Client and the egress
// address the transport binds (index into SourceAddrs, -1 for none). Each
// request picks a transport, and so an egress address, at random.
type egress struct {
	c   *Client
	src int
}

// pickSourceIndex picks the egress address of one request at random: among
// those of the host's family when the host is an IP literal, else among all
// (a name's family is known only once it is resolved; see egress.source).
func (c *Client) pickSourceIndex(host string) int {
	if len(c.SourceAddrs) == 0 {
		return -1
	}
	var fit []int
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	for i, a := range c.SourceAddrs {
		if err != nil || a.Unmap().Is4() == ip.Unmap().Is4() {
			fit = append(fit, i)
		}
	}
	if len(fit) == 0 {
		return rand.IntN(len(c.SourceAddrs))
	}
	return fit[rand.IntN(len(fit))]
}

// guarded resolves the destination, checks every address with the guard and
// dials the allowed ones in turn. The dialer's Control checks the final
// address again, at the socket.
func (e egress) guarded(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, ips, err := e.c.checkAddr(ctx, addr)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, ip := range ips {
		conn, err := e.dial(ctx, network, netip.AddrPortFrom(ip, portNum(port)), true)
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr == nil {
		firstErr = errorf("%s has no address", host)
	}
	return nil, firstErr
}

// direct dials addr (the proxy) without the guard: the organisation's proxy
// is trusted.
func (e egress) direct(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	if e.src >= 0 {
		d.LocalAddr = &net.TCPAddr{IP: e.c.SourceAddrs[e.src].Unmap().AsSlice()}
	}
	return d.DialContext(ctx, network, addr)
}

// dial dials one checked address, binding the transport's egress address,
// or, when that one is of the other family, one of the destination's family.
func (e egress) dial(ctx context.Context, network string, ap netip.AddrPort, guarded bool) (net.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	if guarded {
		d.Control = e.c.guard().control
	}
	if e.src < 0 {
		return d.DialContext(ctx, network, ap.String())
	}
	src, ok := e.source(ap.Addr().Is4())
	if !ok {
		return nil, errorf("no egress address (Client.SourceAddrs) is of the family of %s, so it cannot be reached", ap.Addr())
	}
	d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	conn, err := d.DialContext(ctx, network, ap.String())
	if err != nil && isBindError(err) {
		return nil, errorf("the egress address %s cannot be used on this machine (%v): check Client.SourceAddrs", src, rootCause(err))
	}
	return conn, err
}

// source is the egress address for a destination of the given family: the
// transport's own when it fits, else a random one that does.
func (e egress) source(v4 bool) (netip.Addr, bool) {
	if a := e.c.SourceAddrs[e.src].Unmap(); a.Is4() == v4 {
		return a, true
	}
	var fit []netip.Addr
	for _, a := range e.c.SourceAddrs {
		if a = a.Unmap(); a.Is4() == v4 {
			fit = append(fit, a)
		}
	}
	if len(fit) == 0 {
		return netip.Addr{}, false
	}
	return fit[rand.IntN(len(fit))], true
}

func portNum(p string) uint16 {
	var n uint16
	fmt.Sscan(p, &n)
	return n
}

// socksDialer dials through the SOCKS5 proxy. With socks5 the destination is
// resolved and checked here and the proxy gets the address; with socks5h the
// name is checked here and the proxy resolves it.
func (c *Client) socksDialer(e egress) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	var auth *proxy.Auth
	if u := c.Proxy.User; u != nil {
		pw, _ := u.Password()
		auth = &proxy.Auth{User: u.Username(), Password: pw}
	}
	d, err := proxy.SOCKS5("tcp", c.Proxy.Host, auth, dialerFunc(e.direct))
	if err != nil {
		return nil, errorf("SOCKS5 proxy: %v", err)
	}
	cd := d.(proxy.ContextDialer)
	remote := strings.EqualFold(c.Proxy.Scheme, "socks5h")
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, ips, err := c.checkAddr(ctx, addr)
		if err != nil {
			return nil, err
		}
		if remote || len(ips) == 0 {
			return cd.DialContext(ctx, network, addr)
		}
		return cd.DialContext(ctx, network, net.JoinHostPort(ips[0].String(), port))
	}, nil
}

// dialerFunc adapts a dial function to proxy.Dialer and proxy.ContextDialer.
type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) Dial(network, addr string) (net.Conn, error) {
	return f(context.Background(), network, addr)
}

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}
