package httpstep

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/httpstep/httpstep/internal/ssrfguard"
	"golang.org/x/net/proxy"
)

// proxyTargets is what the organisation's proxy is asked to connect to for
// the dial address hostport, in the order to try them: every address the
// guard checked, as ip:port, so that the proxy cannot resolve the name to
// another one (DNS rebinding). With byName (ProxyResolvesNames) it is the
// checked name alone.
func (c *Client) proxyTargets(ctx context.Context, hostport string, byName bool) ([]string, error) {
	host, port, err := splitDialAddr(hostport)
	if err != nil {
		return nil, err
	}
	if byName {
		name, err := c.proxyResolvedName(ctx, host)
		return []string{net.JoinHostPort(name, strconv.Itoa(int(port)))}, err
	}
	ips, err := c.checkDestination(ctx, host)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = netip.AddrPortFrom(ip.WithZone(""), port).String()
	}
	return out, nil
}

// proxyResolvedName checks host for a proxy that resolves names itself:
// the spelling (IP literal, numeric forms, metadata names) and, when this
// machine can resolve the name, its addresses here. A name this machine
// cannot resolve goes to the proxy unchecked.
func (c *Client) proxyResolvedName(ctx context.Context, host string) (string, error) {
	name, ip, err := c.guard().CheckName(host)
	if err != nil || ip.IsValid() {
		return name, guardError(err)
	}
	_, err = c.guard().CheckHost(ctx, c.resolve, name)
	var b *ssrfguard.Blocked
	if errors.As(err, &b) {
		return "", guardError(err)
	}
	return name, nil
}

// httpProxy speaks to an http or https forward proxy: plain http requests
// go as absolute-form requests on a connection to the proxy (see
// absoluteForm), https through a CONNECT tunnel (see tunnel).
type httpProxy struct {
	c   *Client
	e   egress
	tls *tls.Config // for the origin through a tunnel, and for an https proxy
}

// auth is the Proxy-Authorization value for the proxy's user info; "" for none.
func (p httpProxy) auth() string {
	u := p.c.Proxy.User
	if u == nil {
		return ""
	}
	pw, _ := u.Password()
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw))
}

// dialProxy connects to the proxy, whatever addr the transport asks for,
// with TLS for an https proxy. The proxy is trusted: it is not guarded.
func (p httpProxy) dialProxy(ctx context.Context, network, _ string) (net.Conn, error) {
	conn, err := p.e.direct(ctx, network, canonicalProxyAddr(p.c.Proxy))
	if err != nil || !strings.EqualFold(p.c.Proxy.Scheme, "https") {
		return conn, err
	}
	cfg := p.tls.Clone()
	cfg.ServerName, cfg.NextProtos = p.c.Proxy.Hostname(), nil
	return handshake(ctx, conn, cfg)
}

// canonicalProxyAddr is the proxy's host:port, with the scheme's port when
// none is written.
func canonicalProxyAddr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	switch strings.ToLower(u.Scheme) {
	case "https":
		port = "443"
	case "socks5", "socks5h":
		port = "1080"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// tunnel is the transport's TLS dialer through the proxy: it checks the
// destination, asks the proxy to CONNECT to each checked address in turn
// until one opens (as the direct path dials each in turn), and runs the TLS
// handshake with the original name as server name.
func (p httpProxy) tunnel(ctx context.Context, network, addr string) (net.Conn, error) {
	targets, err := p.c.proxyTargets(ctx, addr, p.c.ProxyResolvesNames)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, target := range targets {
		conn, err := p.open(ctx, network, addr, target)
		if err == nil {
			host, _, _ := net.SplitHostPort(addr)
			cfg := p.tls.Clone()
			cfg.ServerName, cfg.NextProtos = host, []string{"h2", "http/1.1"}
			return handshake(ctx, conn, cfg)
		}
		if firstErr == nil {
			firstErr = err
		}
		var st proxyStatus
		if ctx.Err() != nil || !errors.As(err, &st) || !st.unreachable() {
			break // the proxy itself failed, or refused us: another address changes nothing
		}
	}
	return nil, firstErr
}

// open connects to the proxy and asks it for a tunnel to target.
func (p httpProxy) open(ctx context.Context, network, addr, target string) (net.Conn, error) {
	conn, err := p.dialProxy(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if err := p.connect(ctx, conn, target); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// connect sends CONNECT target on conn and reads the proxy's answer. A
// status other than 200 is an error that unwraps to its proxyStatus.
func (p httpProxy) connect(ctx context.Context, conn net.Conn, target string) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target, Header: http.Header{}}
	if a := p.auth(); a != "" {
		req.Header.Set("Proxy-Authorization", a)
	}
	if err := req.Write(conn); err != nil {
		return ctxOr(ctx, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return ctxOr(ctx, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &stepError{msg: "the proxy refused to open a tunnel to " + target + ": " + resp.Status +
			"; check the proxy's settings and credentials", err: proxyStatus(resp.StatusCode)}
	}
	return nil
}

// proxyStatus is the status a proxy answered a CONNECT with.
type proxyStatus int

func (s proxyStatus) Error() string { return "proxy status " + strconv.Itoa(int(s)) }

// unreachable reports whether the status says the proxy could not reach
// the target (502, 503, 504), so that another address of it may do.
func (s proxyStatus) unreachable() bool {
	return s == http.StatusBadGateway || s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout
}

// ctxOr is ctx's error when ctx ended (it closed the connection), else err.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// handshake runs the TLS client handshake on conn within the handshake
// timeout, reporting it to the request's trace.
func handshake(ctx context.Context, conn net.Conn, cfg *tls.Config) (net.Conn, error) {
	trace := httptrace.ContextClientTrace(ctx)
	if trace != nil && trace.TLSHandshakeStart != nil {
		trace.TLSHandshakeStart()
	}
	hctx, cancel := context.WithTimeout(ctx, tlsHandshakeTimeout)
	defer cancel()
	tc := tls.Client(conn, cfg)
	err := tc.HandshakeContext(hctx)
	if trace != nil && trace.TLSHandshakeDone != nil {
		trace.TLSHandshakeDone(tc.ConnectionState(), err)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// absoluteForm sends plain http requests to the proxy in absolute form,
// naming the checked address (http://192.0.2.1:80/path) while the Host
// header keeps the name; https requests go through tunnel.
type absoluteForm struct {
	next http.RoundTripper
	p    httpProxy
}

// CloseIdleConnections passes the call on to the transport it wraps.
func (a absoluteForm) CloseIdleConnections() { closeIdle(a.next) }

// RoundTrip checks the destination and rewrites a clone of req.
func (a absoluteForm) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return a.next.RoundTrip(req)
	}
	targets, err := a.p.c.proxyTargets(netTraced(req.Context()), canonicalAddr(req.URL), a.p.c.ProxyResolvesNames)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	out := req.Clone(req.Context())
	if out.Host == "" {
		out.Host = req.URL.Host
	}
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	// Only the first address: a 502 from the proxy cannot be told from the
	// origin's own, so a plain request is not sent again to the next one.
	out.URL.Opaque = "//" + targets[0] + path
	if auth := a.p.auth(); auth != "" {
		out.Header.Set("Proxy-Authorization", auth)
	}
	return a.next.RoundTrip(out)
}

// canonicalAddr is u's host:port, with the scheme's port when none is written.
func canonicalAddr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// socksDialer dials through the SOCKS5 proxy. The destination is resolved
// and checked here and the proxy gets the address, for socks5 and socks5h
// alike, each checked address in turn until one connects (as the direct
// path dials them); with ProxyResolvesNames a socks5h proxy gets the
// checked name.
func (c *Client) socksDialer(e egress) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	var auth *proxy.Auth
	if u := c.Proxy.User; u != nil {
		pw, _ := u.Password()
		auth = &proxy.Auth{User: u.Username(), Password: pw}
	}
	if _, err := proxy.SOCKS5("tcp", canonicalProxyAddr(c.Proxy), auth, dialerFunc(e.direct)); err != nil {
		return nil, errorf("SOCKS5 proxy: %v", err) // checked once here; each dial makes its own
	}
	socks5h := strings.EqualFold(c.Proxy.Scheme, "socks5h")
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		targets, err := c.proxyTargets(ctx, addr, socks5h && c.ProxyResolvesNames)
		if err != nil {
			return nil, err
		}
		var firstErr error
		for _, target := range targets {
			conn, proxyDown, err := socksDial(ctx, e, auth, network, target, canonicalProxyAddr(c.Proxy))
			if err == nil {
				return conn, nil
			}
			if firstErr == nil {
				firstErr = err
			}
			if proxyDown || ctx.Err() != nil {
				break // another address changes nothing
			}
		}
		return nil, firstErr
	}, nil
}

// socksDial asks the SOCKS5 proxy at proxyAddr for a connection to target;
// proxyDown reports that the proxy itself could not be reached.
func socksDial(ctx context.Context, e egress, auth *proxy.Auth, network, target, proxyAddr string) (conn net.Conn, proxyDown bool, err error) {
	forward := dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := e.direct(ctx, network, addr)
		proxyDown = err != nil
		return conn, err
	})
	d, err := proxy.SOCKS5("tcp", proxyAddr, auth, forward)
	if err != nil {
		return nil, true, errorf("SOCKS5 proxy: %v", err)
	}
	conn, err = d.(proxy.ContextDialer).DialContext(ctx, network, target)
	return conn, proxyDown, err
}

// dialerFunc adapts a dial function to proxy.Dialer and proxy.ContextDialer.
type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) Dial(network, addr string) (net.Conn, error) {
	return f(context.Background(), network, addr)
}

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}
