// Package testpeer runs real peers on loopback for tests: an HTTP forward
// proxy ([NewHTTPProxy]) and a SOCKS5 server ([NewSOCKS5]), which reach only
// loopback targets and record what they were asked, and a server that keeps
// what arrived in a form two clients can be compared by ([NewCapture]),
// with the real curl to run against it ([LookCurl], [RunCurl]). All close
// with the test, taking every connection and goroutine they started with
// them.
package testpeer

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Option configures a proxy.
type Option func(*config)

type config struct {
	user, pass string
	auth       bool
	tls        bool
	hosts      map[string]netip.Addr
}

// WithTLS makes the HTTP proxy an https proxy: clients speak TLS to it
// (trust [HTTPProxy.Certificate]) before they send their requests.
func WithTLS() Option {
	return func(c *config) { c.tls = true }
}

// WithCredentials makes the proxy demand user and pass: Basic
// Proxy-Authorization for the HTTP proxy (407 otherwise), RFC 1929
// user/password authentication for SOCKS5.
func WithCredentials(user, pass string) Option {
	return func(c *config) { c.user, c.pass, c.auth = user, pass, true }
}

// WithHost makes the proxy resolve name to ip, which must be a loopback
// address. Without it the proxy reaches loopback IP literals and
// "localhost" (127.0.0.1) only; it never asks DNS.
func WithHost(name string, ip netip.Addr) Option {
	return func(c *config) { c.hosts[strings.ToLower(name)] = ip }
}

func newConfig(opts []Option) config {
	c := config{hosts: map[string]netip.Addr{"localhost": netip.MustParseAddr("127.0.0.1")}}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// errNotLoopback refuses a target outside loopback, so no test reaches out.
var errNotLoopback = errors.New("testpeer: target is not a loopback address")

// dial connects to hostport when it names a loopback address.
func (c *config) dial(ctx context.Context, hostport string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	ip, ok := c.hosts[strings.ToLower(host)]
	if !ok {
		ip, _ = netip.ParseAddr(host)
	}
	if !ip.IsLoopback() {
		return nil, errNotLoopback
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), port))
}

// HTTPProxy is an HTTP forward proxy on 127.0.0.1: absolute-form requests
// are forwarded (without hop-by-hop headers such as Proxy-Authorization),
// CONNECT opens a tunnel.
type HTTPProxy struct {
	cfg  config
	srv  *httptest.Server
	out  *http.Transport
	live *tracker
	log  recorder[Request]
	open atomic.Int32 // client connections served as HTTP
}

// Request is what the HTTP proxy saw of one request.
type Request struct {
	Method             string      // CONNECT, or the method forwarded
	Target             string      // host:port asked for
	ProxyAuthorization string      // as received; "" when absent
	Header             http.Header // what the origin was sent; nil for CONNECT and refusals
	Status             int         // the proxy's answer: 407, 200 for a tunnel, the origin's status
}

// NewHTTPProxy starts an HTTP forward proxy that stops when t ends.
func NewHTTPProxy(t testing.TB, opts ...Option) *HTTPProxy {
	p := &HTTPProxy{cfg: newConfig(opts), live: newTracker()}
	p.out = &http.Transport{
		Proxy:              nil,
		DisableCompression: true, // pass Accept-Encoding and bodies through as they are
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return p.cfg.dial(ctx, addr)
		},
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serveHTTP))
	p.srv.Config.ConnState = p.count
	if p.cfg.tls {
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	t.Cleanup(func() {
		p.srv.Close()
		p.out.CloseIdleConnections()
		p.live.close()
	})
	return p
}

// URL returns the proxy's address, http://127.0.0.1:port (https with
// WithTLS), without credentials.
func (p *HTTPProxy) URL() *url.URL {
	scheme := "http"
	if p.cfg.tls {
		scheme = "https"
	}
	return &url.URL{Scheme: scheme, Host: p.srv.Listener.Addr().String()}
}

// Certificate is the proxy's TLS certificate with WithTLS, else nil.
func (p *HTTPProxy) Certificate() *x509.Certificate { return p.srv.Certificate() }

// Conns is how many client connections the proxy holds open as HTTP: a
// connection counts from its accept to its close, and a CONNECT tunnel
// stops counting when it opens.
func (p *HTTPProxy) Conns() int { return int(p.open.Load()) }

func (p *HTTPProxy) count(_ net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		p.open.Add(1)
	case http.StateClosed, http.StateHijacked:
		p.open.Add(-1)
	}
}

// Requests returns what the proxy saw so far, in order.
func (p *HTTPProxy) Requests() []Request { return p.log.all() }

func (p *HTTPProxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Target: r.URL.Host, ProxyAuthorization: r.Header.Get("Proxy-Authorization")}
	if r.Method != http.MethodConnect && r.URL.Port() == "" {
		rec.Target = net.JoinHostPort(r.URL.Hostname(), "80")
	}
	switch {
	case !p.cfg.authorized(rec.ProxyAuthorization):
		w.Header().Set("Proxy-Authenticate", `Basic realm="testpeer"`)
		rec.Status = refuse(w, errors.New("testpeer: proxy credentials required"), http.StatusProxyAuthRequired)
	case r.Method == http.MethodConnect:
		rec.Status = p.tunnel(w, r)
	case r.URL.Scheme != "http" || r.URL.Host == "":
		rec.Status = refuse(w, errors.New("testpeer: not an absolute-form http request"), http.StatusBadRequest)
	default:
		rec.Status = p.forward(w, r, &rec)
	}
	p.log.add(rec)
}

// authorized reports whether a Proxy-Authorization header carries the
// configured credentials; any header does when none are configured.
func (c *config) authorized(header string) bool {
	scheme, cred, _ := strings.Cut(header, " ")
	return !c.auth || (strings.EqualFold(scheme, "basic") &&
		cred == base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.pass)))
}

// refuse answers with status: 403 instead for a target outside loopback.
func refuse(w http.ResponseWriter, err error, status int) int {
	if errors.Is(err, errNotLoopback) {
		status = http.StatusForbidden
	}
	http.Error(w, err.Error(), status)
	return status
}

// forward sends an absolute-form request on to its origin.
func (p *HTTPProxy) forward(w http.ResponseWriter, r *http.Request, rec *Request) int {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	dropHopHeaders(out.Header)
	rec.Header = out.Header.Clone()
	resp, err := p.out.RoundTrip(out)
	if err != nil {
		return refuse(w, err, http.StatusBadGateway)
	}
	defer resp.Body.Close()
	dropHopHeaders(resp.Header)
	maps.Copy(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
	return resp.StatusCode
}

// dropHopHeaders removes the headers meant for one connection only.
func dropHopHeaders(h http.Header) {
	for _, f := range h.Values("Connection") {
		for name := range strings.SplitSeq(f, ",") {
			h.Del(strings.TrimSpace(name))
		}
	}
	for _, name := range []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"} {
		h.Del(name)
	}
}

// tunnel answers CONNECT: it dials the target, then relays bytes both ways.
func (p *HTTPProxy) tunnel(w http.ResponseWriter, r *http.Request) int {
	up, err := p.cfg.dial(r.Context(), r.Host)
	if err != nil {
		return refuse(w, err, http.StatusBadGateway)
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return refuse(w, err, http.StatusInternalServerError)
	}
	_, _ = conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	p.live.goServe(func() { pipe(conn, buf.Reader, up) }, conn, up)
	return http.StatusOK
}

// pipe copies both ways between a (read through ar) and b until one side
// ends, then closes both.
func pipe(a net.Conn, ar io.Reader, b net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(b, ar)
		b.Close()
		a.Close()
	}()
	_, _ = io.Copy(a, b)
	a.Close()
	b.Close()
	<-done
}

// tracker runs the goroutines that serve a peer's connections, so that
// closing the peer closes those connections and waits for the goroutines.
type tracker struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

func newTracker() *tracker {
	t := &tracker{}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// goServe runs serve in a goroutine that owns conns, or closes them at once
// when the tracker is closed.
func (t *tracker) goServe(serve func(), conns ...net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil {
		closeAll(conns)
		return
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		defer t.hold(conns...)()
		serve()
	}()
}

// hold closes conns when the tracker closes or release is called.
func (t *tracker) hold(conns ...net.Conn) (release func()) {
	stop := context.AfterFunc(t.ctx, func() { closeAll(conns) })
	return func() {
		stop()
		closeAll(conns)
	}
}

// close closes every held connection and waits for the goroutines.
func (t *tracker) close() {
	t.mu.Lock()
	t.cancel()
	t.mu.Unlock()
	t.wg.Wait()
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// recorder keeps what a peer saw, safe for concurrent use.
type recorder[T any] struct {
	mu   sync.Mutex
	seen []T
}

func (r *recorder[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, v)
}

func (r *recorder[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.seen...)
}
