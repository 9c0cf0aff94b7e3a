package httpstep

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/httpstep/httpstep/internal/ssrfguard"
	"github.com/httpstep/httpstep/internal/throttle"
)

// DefaultMaxResponseBytes is the response size limit of a Client that sets
// none, counted after decompression.
const DefaultMaxResponseBytes = 32 << 20

// Client holds organisation-level settings. The zero value is usable: no
// proxy, the SSRF guard on, the system's root CAs. A Client is safe for
// concurrent use and reuses connections across calls, so keep one per
// organisation rather than one per request.
//
// The transport settings (Proxy, RootCAs, Certificates, WrapTransport and
// the list of SourceAddrs) are read when the Client first builds a
// transport for a proxy, verification and egress choice, and kept with its
// connection pool; Limits and Breaker are read at the first request and kept
// with their per-host state. Set them before the first Execute, or make a
// new Client when they change. The other settings (the guard's, the size
// caps, SigningSecret) are read on every call; do not change them while
// calls run.
type Client struct {
	// Proxy is the organisation's proxy, used by nodes with UseProxy: http,
	// https, socks5 or socks5h, with optional user info as credentials. The
	// environment (HTTP_PROXY and friends) is never read.
	Proxy *url.URL
	// SourceAddrs are egress IPs ("trusted IPs"): each request picks one at
	// random (among those of the destination's family) and goes out on a
	// connection bound to it; connections are pooled per address. An address
	// this machine cannot bind is an error naming it, never a fallback.
	SourceAddrs []netip.Addr
	// AllowPrivate lifts the SSRF guard: loopback, private, link-local and
	// other internal destinations are let through. The cloud platform
	// endpoints that hand out credentials (169.254.169.254, fd00:ec2::254,
	// fd20:ce::254, 100.100.100.200, 192.0.0.192, 168.63.129.16, the ECS
	// and EKS credential addresses, the metadata host names) stay refused
	// unless AllowNetworks holds them.
	AllowPrivate bool
	// AllowNetworks are destinations let through the guard even though they
	// are internal or cloud platform endpoints (an IPv4 prefix also lets
	// through its IPv4-mapped and NAT64 forms). Holding 169.254.169.254 also
	// lets the metadata host names through (metadata.google.internal).
	AllowNetworks []netip.Prefix
	// ProxyResolvesNames makes the organisation's proxy (http, https or
	// socks5h; socks5 always gets an address) resolve destination host names,
	// for split-horizon DNS that only the proxy can see. By default this
	// machine resolves each name once, the guard checks the answer, and the
	// proxy is asked for that checked address, so a name cannot answer one
	// address to the check and another to the proxy. Through a tunnel
	// (https, SOCKS) the Host header and TLS server name stay the name; a
	// plain http request names the address in its request line, and a proxy
	// that follows RFC 9112 sends the origin that address as its Host
	// header, so a plain-http API behind name-based virtual hosting needs
	// https, or this setting. With ProxyResolvesNames the guard checks
	// only the name's spelling and, when this machine can resolve it, the
	// addresses it gets here: the guard can then NOT protect destinations
	// behind the proxy, because the proxy may resolve the name to an
	// internal address (DNS rebinding). Set it only when the proxy itself
	// refuses internal destinations.
	ProxyResolvesNames bool
	// RootCAs verifies servers; nil uses the system pool.
	RootCAs *x509.CertPool
	// Certificates are client certificates for mutual TLS.
	Certificates []tls.Certificate
	// MaxResponseBytes caps a response body after decompression; 0 means
	// DefaultMaxResponseBytes. A larger body fails with kind too_large.
	MaxResponseBytes int64
	// MaxUploadBytes caps one attachment; 0 means no cap. A file whose known
	// Size is larger fails the attempt with kind param before anything is
	// sent; a file of unknown size is cut off at the cap, so the request
	// breaks off and never arrives complete (kind param too).
	MaxUploadBytes int64
	// MaxRows caps how many rows Rows and EachRow return (for example 100 for
	// record nodes, 10,000 for sub-processes); 0 means no cap.
	MaxRows int
	// DownloadDir is where nodes with Download save files; empty means
	// os.TempDir(). Files get names the library picks (httpstep-*), readable
	// by the owner only; the host removes them when done.
	DownloadDir string
	// MaxDownloadBytes caps a downloaded file; 0 means
	// DefaultMaxDownloadBytes (1 GiB). A larger body fails with kind
	// too_large and leaves nothing on disk.
	MaxDownloadBytes int64
	// SigningSecret signs pushes of nodes with Sign set (Standard Webhooks).
	SigningSecret Secret
	// WrapTransport, when set, wraps every round tripper the Client builds,
	// for example with OpenTelemetry instrumentation.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Tokens keeps OAuth2 tokens; nil keeps them in State when it is set,
	// else in memory, per Client. Give several Clients (or processes) one
	// store to share tokens between them; only a State also makes the
	// token requests once for all of them (under its LockToken), which a
	// refresh token the server rotates needs.
	Tokens TokenStore
	// State keeps the Limits' buckets and caps, Retry-After pauses,
	// breaker counts and (unless Tokens is set) tokens; nil keeps them in
	// this process. A store shared by several processes makes them one
	// Client. See [StateStore].
	State StateStore
	// Limits cap the rate and concurrency of requests per host; the first
	// matching Limit applies. See [Limit].
	Limits []Limit
	// Breaker, when set, opens a host's circuit after consecutive
	// failures; nil means no circuit breaker. See [Breaker].
	Breaker *Breaker
	// Now is the clock for what a request says about time and what a
	// response says about it: the timestamps of signatures (Sign, auth
	// types "signature" and "awsSigV4"), token expiry (expires_in is
	// counted from it and a cached token checked against it) and
	// Retry-After dates. nil means time.Now. Set it to make a host's tests
	// deterministic; timeouts, back-offs and rate limits measure elapsed
	// time on the real clock whatever it says. It is called from many
	// goroutines at once.
	Now func() time.Time
	// History says how much of each attempt the execution history keeps:
	// HistoryFull (the default) records every attempt whole;
	// HistorySummary keeps failed attempts whole and successful ones as a
	// summary, for bulk work such as Each over many rows. See
	// [HistoryMode].
	History HistoryMode
	// Logger, when set, gets a Debug record of every HTTP exchange (each
	// attempt, token request and poll: method, URL, status, duration,
	// failure kind, attempt number) and a Warn record of every run that
	// fails (kind, status, message), each with the workflow, node and run
	// the host named with WithRunIdentity. Every value is redacted as the
	// history (Result.Attempts) is. nil, the default, logs nothing.
	Logger *slog.Logger
	// Hooks, when set, are called at each run, page, poll, attempt, token
	// request and redirect, for tracing and metrics; nil calls nothing.
	// See [Hooks]. Do not change it while calls run.
	Hooks *Hooks

	mu         sync.Mutex
	transports map[transportKey]pooled
	lookup     ssrfguard.LookupFunc                // name resolution; nil uses the system resolver
	fence      func(network, address string) error // tests: a last check of every guarded dial
	boundary   string                              // fixed multipart boundary, for golden tests
	retryEnv   *retryEnv                           // random source and clock; nil uses the real ones
	creds      credentials
	throttle   *throttle.Engine
	steps      stepCache // the Steps Execute compiled, by node content
}

// DefaultClient is what the package-level Execute uses: the SSRF guard is on.
var DefaultClient = &Client{}

// now reads the Client's clock (Now, or time.Now).
func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// clock is the Client's clock as a function value: Now, or time.Now. (The
// method value c.now would be a closure allocated per request.)
func (c *Client) clock() func() time.Time {
	if c.Now != nil {
		return c.Now
	}
	return time.Now
}

func (c *Client) maxResponseBytes() int64 {
	if c.MaxResponseBytes > 0 {
		return c.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

// CloseIdleConnections closes the idle connections of every transport the
// Client has built, under whatever WrapTransport put around them; a
// wrapper's own idle connections are closed when it has a
// CloseIdleConnections method. Connections in use are not interrupted.
func (c *Client) CloseIdleConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.transports {
		p.CloseIdleConnections()
		p.pool.CloseIdleConnections()
	}
}
