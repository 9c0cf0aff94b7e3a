package httpstep

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
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
// connection pool: set them before the first Execute, or make a new Client
// when they change. The other settings (the guard's, the limits,
// SigningSecret) are read on every call; do not change them while calls run.
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
	// other internal destinations are let through.
	AllowPrivate bool
	// AllowNetworks are destinations let through the guard even though they
	// are internal.
	AllowNetworks []netip.Prefix
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
	// SigningSecret signs pushes of nodes with Sign set (Standard Webhooks).
	SigningSecret Secret
	// WrapTransport, when set, wraps every round tripper the Client builds,
	// for example with OpenTelemetry instrumentation.
	WrapTransport func(http.RoundTripper) http.RoundTripper

	mu         sync.Mutex
	transports map[transportKey]*http.Client
	lookup     lookupFunc // name resolution; nil uses the system resolver
	boundary   string     // fixed multipart boundary, for golden tests
	retryEnv   *retryEnv  // random source and clock; nil uses the real ones
}

// DefaultClient is what the package-level Execute uses: the SSRF guard is on.
var DefaultClient = &Client{}

func (c *Client) maxResponseBytes() int64 {
	if c.MaxResponseBytes > 0 {
		return c.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

// CloseIdleConnections closes the idle connections of every transport the
// Client has built. Connections in use are not interrupted.
func (c *Client) CloseIdleConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, hc := range c.transports {
		hc.CloseIdleConnections()
	}
}
