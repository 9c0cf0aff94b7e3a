package httpstep

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/httpstep/httpstep/webhook"
	"golang.org/x/net/http/httpguts"
)

// outgoing is one rendered request of a run, sent once per attempt: the
// step it came from, its URL, header and body, the run's secrets and the
// request's identity. It is not changed once rendered; the next page of a
// pull is an outgoing of its own (see forPage).
type outgoing struct {
	step      *Step
	method    string
	url       *url.URL // nil when the URL could not be rendered
	header    http.Header
	body      *payload
	secrets   *secrets
	id        identity
	sign      Secret           // Standard Webhooks secret, when the node signs
	now       func() time.Time // the Client's clock, for signature timestamps
	missing   []string         // refs that had no value
	cursor    string           // cursor pagination: the cursor this page asks for
	pollParts []pollPart       // async.pollUrl with the node's refs rendered, nil without one
	maxRows   int              // the Client's MaxRows, for the Result
	maxBytes  int64            // the Client's MaxResponseBytes
	wrapped   bool             // the Client's WrapTransport may write to a request's header
	dry       bool             // a dry run's request: no body opened, placeholders for signatures (Client.DryRun)
	cred      *credential      // digest and oauth2: what each attempt authenticates with
	// signer signs each request to signOrigin (auth types signature and
	// awsSigV4).
	signer     attemptSigner
	signOrigin *url.URL
}

// historySeq is where a request's records go in the run's history: how
// many records come before them, and which poll of an async job it is (0
// for the request itself and for pages), as Result.absorb numbers them.
// The Logger and the Hooks number the attempts of a page or a poll by it.
// It travels as an argument (send, attempt), not in the outgoing, which it
// would move into the next size class.
type historySeq struct{ before, poll int }

// number returns a, a copy of a record of the request, numbered as the
// history will number it.
func (s historySeq) number(a Attempt) Attempt {
	a.N += s.before
	if s.poll != 0 {
		a.Poll = s.poll
	}
	return a
}

// render renders step s with params. A value that cannot be placed fails with
// kind param and nothing is sent; the outgoing is still fit for a record.
// Either way the run's secrets are complete and sealed when it returns.
func (c *Client) render(s *Step, params Params) (*outgoing, *Failure) {
	if s.auth != nil && s.auth.sig != nil && s.auth.sig.bodyVars {
		params = &sigVars{base: params, pending: true} // the body is rendered again for each request
	}
	r := newRenderer(params)
	o := &outgoing{step: s, method: s.method, secrets: r.secrets, maxRows: c.MaxRows, now: c.clock(),
		maxBytes: c.maxResponseBytes(), wrapped: c.WrapTransport != nil}
	err := o.build(c, r)
	if err == nil {
		o.identify(c)
	}
	o.missing = r.missing
	o.seal(c)
	if err != nil {
		return o, paramFailure(err)
	}
	return o, nil
}

// identify gives the rendered request its identity (Idempotency-Key,
// webhook id) and, when the node signs, the Client's signing secret.
func (o *outgoing) identify(c *Client) {
	signed := o.step.node.Sign && c.SigningSecret != ""
	if signed {
		o.sign = c.SigningSecret
	}
	o.id = newIdentity(o.step, o.header, signed)
	o.id.apply(o.header)
}

// seal completes the run's secrets with the proxy's credentials, when the
// node uses the proxy, and those the URL and header carry, and seals them.
func (o *outgoing) seal(c *Client) {
	if o.step.node.UseProxy && c.Proxy != nil {
		o.secrets.addUser(c.Proxy.User)
	}
	o.secrets.seal(o.url, o.header, o.step.forms)
}

// build renders the URL, the header and the body.
func (o *outgoing) build(c *Client, r *renderer) error {
	u, err := r.buildURL(o.step)
	if err != nil {
		return err
	}
	o.url = u
	if o.header, err = r.buildHeader(o.step); err != nil {
		return err
	}
	if err = o.applyAuth(r); err != nil {
		return err
	}
	if o.body, err = r.buildPayload(o.step, c.boundary, o.header.Get("Content-Type")); err != nil {
		return err
	}
	if t := o.step.pollURL; t != nil {
		if o.pollParts, err = r.renderPollURL(t); err != nil {
			return err
		}
	}
	if o.body != nil {
		o.body.maxUpload = c.MaxUploadBytes
		// A multipart body's type carries its boundary, so it always wins.
		if o.header.Get("Content-Type") == "" || strings.HasPrefix(o.body.contentType, "multipart/") {
			o.header.Set("Content-Type", o.body.contentType)
		}
	}
	return nil
}

// buildHeader renders the node's headers. A value with CR, LF or NUL fails:
// it could add a header or split the request; so does one with another
// control character, which net/http would refuse only at send time.
func (r *renderer) buildHeader(s *Step) (http.Header, error) {
	h := make(http.Header, len(s.headers)+3)
	for _, p := range s.headers {
		v, err := r.render(p.value)
		if err != nil {
			return h, err
		}
		if err := checkHeaderValue(v, "the value of header ", p.key); err != nil {
			return h, err
		}
		if strings.EqualFold(p.key, "Host") && !validHost(strings.TrimSpace(v)) { // net/http would send an empty Host instead
			return h, errorf("the value of the Host header is not a host name with an optional port: check the parameters it uses")
		}
		h.Add(p.key, strings.TrimSpace(v))
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", UserAgent)
	}
	if h.Get("Accept-Encoding") == "" && h.Get("Range") == "" { // as net/http's transport asks, which leaves it to us
		h.Set("Accept-Encoding", "gzip")
	}
	return h, nil
}

// headerBreaks are what no header value may hold, the one rule of every
// header, part header and credential: CR and LF end the header line, so a
// value holding them could add a header or split the request, and NUL ends
// it for some servers.
const headerBreaks = "\r\n\x00"

// breakProblem is the one wording of the headerBreaks rule, for what holds
// one; the caller adds what to do.
func breakProblem(what string) string {
	return what + " contains a line break or NUL, which could change the request"
}

// checkHeaderValue applies the headerBreaks rule to a rendered header
// value, and refuses another control character, which net/http would
// refuse only at send time. what, joined, names the value in the error: it
// is joined only then, so that a valid value costs no allocation.
func checkHeaderValue(v string, what ...string) error {
	if strings.ContainsAny(v, headerBreaks) {
		return errorf("%s: check the parameters it uses", breakProblem(strings.Join(what, "")))
	}
	if !httpguts.ValidHeaderFieldValue(v) {
		return errorf("%s contains a control character, which HTTP does not allow in a header: check the parameters it uses", strings.Join(what, ""))
	}
	return nil
}

// validHost reports whether net/http sends v as the Host header as it is.
func validHost(v string) bool {
	h, err := httpguts.PunycodeHostPort(v)
	return err == nil && httpguts.ValidHostHeader(h)
}

// UserAgent is sent by nodes that set no User-Agent header. A host needs it
// where an API provider or a firewall admits clients by their User-Agent;
// a node's own User-Agent header replaces it.
const UserAgent = "httpstep/1"

// forPage returns the request for the next page of a pull: URL u, the
// cursor it asks for, a new identity, and no credentials when u is on
// another host than the first page.
func (o *outgoing) forPage(first *outgoing, u *url.URL, cursor string) *outgoing {
	p := *o
	p.url, p.cursor, p.id = u, cursor, o.id.next()
	p.header = first.secrets.forURL(first.header, first.url, u)
	if p.id.key != first.id.key {
		p.header = p.header.Clone()
		p.id.apply(p.header)
	}
	return &p
}

// newRequest builds the *http.Request of one attempt on ctx (which carries
// the run's secrets for the redirect policy: see withHops), opening the body
// afresh (a dry run's has no body: nothing is opened).
func (o *outgoing) newRequest(ctx context.Context) (*http.Request, error) {
	// The request as NewRequestWithContext makes it, without the URL it
	// would parse and the header it would make, which o brings: one
	// allocation rather than three.
	base := http.Request{Method: o.method, URL: o.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	req := base.WithContext(ctx)
	// net/http only reads a request's header (and copies it for redirects),
	// so attempts share the rendered one, unless signing adds this
	// attempt's headers or a wrapping round tripper might write to it.
	req.Header = o.header
	if o.sign != "" || o.wrapped || o.signer != nil {
		req.Header = o.header.Clone()
	}
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host // net/http sends req.Host and ignores a Host in the header map
	}
	if o.body == nil || o.dry {
		return req, nil
	}
	body, length, err := o.body.open()
	if err != nil {
		return req, err
	}
	req.Body, req.ContentLength = body, length
	if length == 0 {
		req.Body = http.NoBody
		body.Close()
	}
	req.GetBody = func() (io.ReadCloser, error) {
		rc, _, err := o.body.open()
		return rc, err
	}
	return req, nil
}

// signRequest adds the Standard Webhooks headers: the id is the request's,
// the timestamp this attempt's. A streamed body (attachments) is not
// signed, since signing would mean reading it whole; the note says so.
func (o *outgoing) signRequest(req *http.Request) (note string, err error) {
	if o.body != nil && o.body.parts != nil {
		return "not signed: a body with attachments is streamed, not held in memory", nil
	}
	var body []byte
	if o.body != nil {
		body = []byte(o.body.data) // a copy only for a webhook-signed request
	}
	if err := signHeaders(req.Header, o.sign, o.id.msgID, o.now(), body); err != nil {
		return "", err
	}
	if o.dry {
		req.Header.Set(webhook.SignatureHeader, placeholderWebhook)
	}
	return "", nil
}

// withURL returns a copy of o that goes to u: the same request, elsewhere
// (the first page of a pull, with its page parameter set).
func (o *outgoing) withURL(u *url.URL) *outgoing {
	p := *o
	p.url = u
	return &p
}
