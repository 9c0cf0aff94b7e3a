package httpstep

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/httpstep/httpstep/internal/ssrfguard"
)

// BlockedError is the error of a request the SSRF guard refused. Nothing was
// sent to the refused destination. A Failure of kind blocked wraps it; find
// it with errors.As.
type BlockedError struct {
	Addr   netip.Addr // the refused address; invalid when the host never resolved
	Host   string     // the host as written in the URL; empty when unknown
	Reason string     // what the address is, in plain words
	// Redirect is the Location of a redirect that was refused for what it
	// leads to (another scheme, or no URL at all); empty otherwise.
	Redirect string
}

// Error says what was refused and why, and what an administrator can do.
func (e *BlockedError) Error() string { return errorPrefix + "blocked: " + e.message() }

// message is the refusal in plain words, without prefix.
func (e *BlockedError) message() string {
	if e.Redirect != "" {
		return fmt.Sprintf("the API redirected to %q, %s; only redirects to http "+
			"and https URLs are followed", e.Redirect, e.Reason)
	}
	if !e.Addr.IsValid() {
		return fmt.Sprintf("%s is %s", e.Host, e.Reason)
	}
	subject := e.Addr.String() + " is"
	if e.Host != "" && e.Host != e.Addr.String() {
		subject = e.Host + " resolves to " + e.Addr.String() + ","
	}
	return fmt.Sprintf("%s %s; requests to internal networks are "+
		"blocked, ask an administrator to allow this network if the request is intended", subject, e.Reason)
}

// guardError maps an error of the guard to the package's own: a
// *BlockedError for a refusal, a *stepError (unwrapping to the resolver's
// error, if any) for a host that cannot be read or resolved; other errors
// pass unchanged.
func guardError(err error) error {
	var b *ssrfguard.Blocked
	var h *ssrfguard.HostError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &b):
		return &BlockedError{Addr: b.Addr, Host: b.Host, Reason: b.Reason}
	case errors.As(err, &h):
		return &stepError{msg: h.Error(), err: h.Err}
	}
	return err
}

// guard is the Client's SSRF guard.
func (c *Client) guard() ssrfguard.Guard {
	return ssrfguard.Guard{Off: c.AllowPrivate, Allow: c.AllowNetworks}
}

// systemLookup resolves names with the system resolver.
var systemLookup = ssrfguard.ResolverLookup(nil)

// resolve looks host up with the Client's resolver.
func (c *Client) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if c.lookup != nil {
		return c.lookup(ctx, host)
	}
	return systemLookup(ctx, host)
}

// checkDestination resolves host once and checks every address with the
// guard; the caller dials (or sends the proxy) exactly these addresses.
func (c *Client) checkDestination(ctx context.Context, host string) ([]netip.Addr, error) {
	addrs, err := c.guard().CheckHost(ctx, c.resolve, host)
	return addrs, guardError(err)
}

// control is the dialer's Control function: the guard's last check, at the
// socket, of the address actually connected.
func (c *Client) control(network, address string, raw syscall.RawConn) error {
	err := guardError(c.guard().Control(network, address, raw))
	if err == nil && c.fence != nil {
		err = c.fence(network, address)
	}
	return err
}

// normalizeHost rewrites u's host to the one form the guard checks and the
// request sends (see ssrfguard.Normalize); an IPv6 literal, or a host that
// does not normalise, is left as it is for the guard to judge.
func normalizeHost(u *url.URL) {
	h := u.Hostname()
	name, err := ssrfguard.Normalize(h)
	if err != nil || name == h || strings.Contains(name, ":") {
		return
	}
	if port := u.Port(); port != "" {
		name += ":" + port
	}
	u.Host = name
}
