package httpstep

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
)

// redirectError ends a chain of too many redirects.
type redirectError struct{ hops int }

func (e *redirectError) Error() string { return errorPrefix + e.message() }

func (e *redirectError) message() string {
	return fmt.Sprintf("the API redirected more than %d times (a redirect loop?); check the URL", e.hops)
}

// checkRedirect follows up to 10 redirects. Credentials (Authorization,
// cookies and other credential headers) are not carried to another host.
// Direct hops are dialled through the guard; through the proxy, each new
// destination is checked here.
func (c *Client) checkRedirect(proxied bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return &redirectError{hops: maxRedirects}
		}
		if !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
			secretsOf(req.Context()).strip(req.Header)
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return errorf("the API redirected to a %s URL; only http and https are followed", req.URL.Scheme)
		}
		if proxied {
			if _, err := c.checkDestination(req.Context(), req.URL.Hostname()); err != nil {
				return err
			}
		}
		return nil
	}
}

// isBindError reports whether a dial failed because its source address
// cannot be bound.
func isBindError(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EINVAL)
}
