package httpstep

import (
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
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

// client returns the *http.Client for node. The guard checks every
// destination when it is dialled (directly) or handed to the proxy, each
// redirect hop and each page included.
func (c *Client) client(node *NodeConfig, u *url.URL) (*http.Client, error) {
	key := transportKey{proxy: node.UseProxy, insecure: node.InsecureSkipVerify, source: c.pickSourceIndex(u.Hostname())}
	if key.proxy && c.Proxy == nil {
		return nil, errorf("this node uses the organisation's network proxy, but none is configured: ask an administrator to set one, or turn off Use Network Proxy")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.transports[key]; ok {
		return p.Client, nil
	}
	pool, rt, err := c.newTransport(key)
	if err != nil {
		return nil, err
	}
	rt = locationCheck{rt}
	if c.WrapTransport != nil {
		rt = c.WrapTransport(rt)
	}
	p := pooled{Client: &http.Client{Transport: c.throttled(rt), CheckRedirect: checkRedirect}, pool: pool}
	if c.transports == nil {
		c.transports = make(map[transportKey]pooled)
	}
	c.transports[key] = p
	return p.Client, nil
}

// pooled is one of the Client's transports: the http.Client the requests
// go through, and the connection pool under all its wrappers, kept so
// CloseIdleConnections reaches the pool even through a WrapTransport
// wrapper that does not pass the call on.
type pooled struct {
	*http.Client
	pool *http.Transport
}

// closeIdler is a round tripper with idle connections to close, as
// *http.Transport is; every wrapper this package builds passes the call on.
type closeIdler interface{ CloseIdleConnections() }

// closeIdle passes CloseIdleConnections on to rt when it has them.
func closeIdle(rt http.RoundTripper) {
	if ci, ok := rt.(closeIdler); ok {
		ci.CloseIdleConnections()
	}
}

// newTransport builds the transport for key: its connection pool, and the
// round tripper over it that requests go through. The environment's proxy
// settings are never read: Proxy stays nil, and the organisation's proxy is
// spoken to by this package's own dialers (see proxy.go), which hand it the
// checked address rather than the name.
func (c *Client) newTransport(key transportKey) (*http.Transport, http.RoundTripper, error) {
	e := egress{c: c, src: key.source}
	t := &http.Transport{
		Proxy:                  nil,
		DialContext:            tracedDial(e.guarded),
		TLSClientConfig:        c.tlsConfig(key.insecure),
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    maxIdlePerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
		// readBody undoes every listed content coding itself: the
		// transport's own gzip reads only the first Content-Encoding line
		// and drops the others. buildHeader asks for gzip instead.
		DisableCompression: true,
	}
	if !key.proxy {
		t.DialTLSContext = tracedDial(e.guardedTLS(t.TLSClientConfig))
		return t, t, nil
	}
	switch strings.ToLower(c.Proxy.Scheme) {
	case "http", "https":
		p := httpProxy{c: c, e: e, tls: t.TLSClientConfig}
		t.DialContext, t.DialTLSContext = tracedDial(p.dialProxy), tracedDial(p.tunnel)
		return t, absoluteForm{next: t, p: p}, nil
	case "socks5", "socks5h":
		d, err := c.socksDialer(e)
		if err != nil {
			return nil, nil, err
		}
		t.DialContext = tracedDial(d)
		return t, t, nil
	}
	return nil, nil, errorf("proxy scheme %q is not supported: use http, https, socks5 or socks5h", c.Proxy.Scheme)
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
	host, port, err := splitDialAddr(addr)
	if err != nil {
		return nil, err
	}
	ips, err := e.c.checkDestination(ctx, host)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, ip := range ips {
		conn, err := e.dial(ctx, network, netip.AddrPortFrom(ip, port))
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

// guardedTLS dials as guarded does, then runs the TLS handshake with the
// URL's host as server name, within the handshake timeout and, as
// tracedDial bounds every dial, within the attempt that asked for it:
// net/http's own handshake runs on a context cut loose from the request,
// so one that stalled held its socket and goroutine for the whole
// handshake timeout after the attempt had ended.
func (e egress) guardedTLS(cfg *tls.Config) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := e.guarded(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(addr)
		c := cfg.Clone()
		c.ServerName, c.NextProtos = host, []string{"h2", "http/1.1"}
		return handshake(ctx, conn, c)
	}
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
func (e egress) dial(ctx context.Context, network string, ap netip.AddrPort) (net.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second, Control: e.c.control}
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

// splitDialAddr splits a dial address host:port; the port must be a number
// from 1 to 65535.
func splitDialAddr(addr string) (string, uint16, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return "", 0, errorf("invalid port %q in the URL; give a number from 1 to 65535", port)
	}
	return host, uint16(n), nil
}
