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

// checkRedirect follows up to 10 redirects, to http and https URLs with a
// host only (anything else is a *BlockedError). It refuses a redirect that would change
// the method or drop the body (301, 302 and 303 turn a POST into a GET
// without its body), since the request would then never arrive where it
// was meant to (a *redirectChangeError); 307 and 308 keep both and are
// followed. Credentials (Authorization, cookies and other credential
// headers) are not carried to another host. Each hop's host is normalised
// as the first one was; the guard checks it when it is dialled or handed
// to the proxy.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return &redirectError{hops: maxRedirects}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return &BlockedError{Redirect: redactRawURL(req.URL.String()), Reason: "a " + req.URL.Scheme + ": URL"}
	}
	if req.URL.Host == "" {
		return &BlockedError{Redirect: redactRawURL(req.URL.String()), Reason: "a URL without a host"}
	}
	prev := via[len(via)-1]
	if req.Method != prev.Method || (hasBody(prev) && !hasBody(req)) {
		return &redirectChangeError{status: req.Response.StatusCode, method: prev.Method, next: req.Method,
			from: redactRawURL(prev.URL.String()), to: redactRawURL(req.URL.String())}
	}
	normalizeHost(req.URL)
	if !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
		secretsOf(req.Context()).strip(req.Header)
	}
	return nil
}

func hasBody(r *http.Request) bool { return r.Body != nil && r.Body != http.NoBody }

// redirectChangeError is a redirect that was not followed because the
// request would have changed on the way: another method, or no body.
type redirectChangeError struct {
	status       int
	method, next string
	from, to     string
}

func (e *redirectChangeError) Error() string { return errorPrefix + e.message() }

func (e *redirectChangeError) message() string {
	return fmt.Sprintf("the API answered the %s to %s with %d %s, a redirect to %s that would be "+
		"followed as a %s without the request body, so the request would not arrive; it was not followed: "+
		"put the final URL in the node, or have the API redirect with 307 or 308", e.method, e.from, e.status,
		http.StatusText(e.status), e.to, e.next)
}

// locationCheck refuses a redirect whose Location is not a URL, before the
// http.Client tries to follow it, as a *BlockedError.
type locationCheck struct{ next http.RoundTripper }

func (l locationCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil || !followed(resp.StatusCode) {
		return resp, err
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return resp, nil
	}
	if _, perr := req.URL.Parse(loc); perr != nil {
		resp.Body.Close()
		return nil, &BlockedError{Redirect: redactRawURL(loc), Reason: "which is not a URL (" + urlProblem(perr) + ")"}
	}
	return resp, nil
}

// followed reports whether the http.Client follows a response with status.
func followed(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// isBindError reports whether a dial failed because its source address
// cannot be bound.
func isBindError(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EINVAL)
}
