package httpstep

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"syscall"
)

// redirectError ends a chain of too many redirects.
type redirectError struct{ hops int }

func (e *redirectError) Error() string { return errorPrefix + e.message() }

func (e *redirectError) message() string {
	return fmt.Sprintf("the API redirected more than %d times (a redirect loop?); check the URL", e.hops)
}

// checkRedirect follows up to 10 redirects, to http and https URLs with a
// host only (anything else is a *BlockedError). It refuses a redirect that
// would change the method or drop the body (301, 302 and 303 turn a POST
// into a GET without its body), since the request would then never arrive
// where it was meant to (a *redirectChangeError); 307 and 308 keep both
// and are followed. Credentials (Authorization, cookies and other
// credential headers) are not carried to another origin (scheme, host and
// port), as with pages and status URLs. Each hop's host is
// normalised as the first one was; the guard checks it when it is dialled
// or handed to the proxy. Every hop, followed or not, goes to the hop log
// of the request's context (see withHops).
func checkRedirect(req *http.Request, via []*http.Request) error {
	err := redirectRefusal(req, via)
	if err == nil {
		normalizeHost(req.URL)
		if !sameOrigin(via[0].URL, req.URL) {
			secretsOf(req.Context()).strip(req.Header)
		}
		err = signHop(req)
	}
	rec := RedirectRecord{Method: req.Method, URL: secretsOf(req.Context()).url(req.URL), Followed: err == nil}
	if req.Response != nil {
		rec.Status = req.Response.StatusCode
	}
	logHop(req.Context(), rec)
	return err
}

// redirectRefusal is why the redirect to req must not be followed; nil
// when it may.
func redirectRefusal(req *http.Request, via []*http.Request) error {
	shown := func(u *url.URL) string { return secretsOf(req.Context()).url(u) }
	switch {
	case len(via) > maxRedirects:
		return &redirectError{hops: maxRedirects}
	case req.URL.Scheme != "http" && req.URL.Scheme != "https":
		return &BlockedError{Redirect: shown(req.URL), Reason: "a " + req.URL.Scheme + ": URL"}
	case req.URL.Host == "":
		return &BlockedError{Redirect: shown(req.URL), Reason: "a URL without a host"}
	}
	prev := via[len(via)-1]
	if req.Method != prev.Method || (hasBody(prev) && !hasBody(req)) {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		return &redirectChangeError{status: status, method: prev.Method, next: req.Method,
			from: shown(prev.URL), to: shown(req.URL)}
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

// CloseIdleConnections passes the call on to the transport it wraps.
func (l locationCheck) CloseIdleConnections() { closeIdle(l.next) }

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
		shown := secretsOf(req.Context()).text(redactRawURL(loc))
		logHop(req.Context(), RedirectRecord{Status: resp.StatusCode, URL: shown})
		logRefused(req.Context(), resp)
		return nil, &BlockedError{Redirect: shown, Reason: "which is not a URL (" + urlProblem(perr) + ")"}
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

// RedirectRecord is one redirect an attempt met, redacted: the hop's status,
// the method and URL of the request it led to, and whether it was followed.
type RedirectRecord struct {
	Status   int    `json:"status"`           // the redirect's status code
	Method   string `json:"method,omitempty"` // the method of the next request; empty when the Location is no URL
	URL      string `json:"url"`              // where it led
	Followed bool   `json:"followed"`         // false when the Client refused it (and the attempt failed)
}

// hopsKey carries, in a request's context, the log of its redirects.
type hopsKey struct{}

// hopLog is the log of a request's redirects, the context that carries it
// with the request's other values (in one allocation), and the answer whose
// redirect was refused before the http.Client saw it (a Location that is
// not a URL), kept for the history.
type hopLog struct {
	ctx     requestCtx
	hooks   *Hooks // their Redirect gets each hop, with ctx's parent, as it is met
	hops    []RedirectRecord
	refused *http.Response
}

// withHops returns ctx carrying a new, empty hop log and the values of o's
// request (its secrets; o itself when its signer signs redirect hops), and
// the log.
func withHops(ctx context.Context, o *outgoing) (context.Context, *hopLog) {
	l := &hopLog{}
	l.ctx = requestCtx{Context: ctx, hops: l, secrets: o.secrets}
	if o.signer != nil {
		l.ctx.signer = o
	}
	return &l.ctx, l
}

// logHop adds rec to the hop log of ctx, if it has one, and reports it
// to the log's Redirect hook. The http.Client calls CheckRedirect and the
// transport on the goroutine of Do, so the log needs no lock.
func logHop(ctx context.Context, rec RedirectRecord) {
	if l, ok := ctx.Value(hopsKey{}).(*hopLog); ok {
		l.hops = append(l.hops, rec)
		l.hooks.redirect(l.ctx.Context, &l.hops[len(l.hops)-1])
	}
}

// logRefused keeps resp, whose redirect was refused in the transport, in
// the hop log of ctx, if it has one.
func logRefused(ctx context.Context, resp *http.Response) {
	if l, ok := ctx.Value(hopsKey{}).(*hopLog); ok {
		l.refused = resp
	}
}

// answer is the response a failed Do still got: the one whose redirect was
// refused, which Do returns with its body closed when CheckRedirect refused
// it (resp), or which the transport kept in the log; nil when none came.
func (l *hopLog) answer(resp *http.Response) *http.Response {
	if resp != nil {
		return resp
	}
	return l.refused
}
