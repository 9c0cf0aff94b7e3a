package httpstep

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// attemptSigner signs one request of a run: auth types signature and
// awsSigV4. It may change req's header (a copy), URL (a copy) and body, and
// returns the body it put in place of the rendered one, if it did
// (rendered), for the history.
type attemptSigner interface {
	signAttempt(req *http.Request, o *outgoing) (body string, rendered bool, err error)
}

// hopSigner is an attemptSigner that signs redirect hops to the origin
// afresh (awsSigV4: the signature covers the path and query).
type hopSigner interface {
	signHop(req *http.Request, now time.Time) error
}

// signerKey carries, in a request's context, the outgoing whose signer
// signs its redirect hops.
type signerKey struct{}

// signHop signs a redirect hop when the request's outgoing signs hops and
// the hop goes to the node's origin.
func signHop(req *http.Request) error {
	o, _ := req.Context().Value(signerKey{}).(*outgoing)
	if o == nil || !o.signs(req.URL) {
		return nil
	}
	if h, ok := o.signer.(hopSigner); ok {
		return h.signHop(req, o.now())
	}
	return nil
}

// signs reports whether a request to u gets o's per-request signature:
// only on the origin of the node's own URL.
func (o *outgoing) signs(u *url.URL) bool {
	return o.signer != nil && o.signOrigin != nil && sameOrigin(o.signOrigin, u)
}

// sigStep is a signature block compiled.
type sigStep struct {
	key, message *template
	places       []sigSpot
	bodyVars     bool // the node's raw body uses the signature variables
}

// sigSpot is one header or query entry of the signature.
type sigSpot struct {
	pair
	query  bool
	signed bool // its value uses {{$signature}}: set after signing
}

func compileSignature(s *Signature, raw *template, ts templates) (*sigStep, error) {
	st := &sigStep{}
	var err error
	if st.key, err = ts.parse(s.Key, modeText); err != nil {
		return nil, err
	}
	if st.message, err = ts.parse(s.Message, modeText); err != nil {
		return nil, err
	}
	for i, kvs := range [][]KeyValue{s.Headers, s.Query} {
		ps, err := compilePairs(kvs, ts)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			st.places = append(st.places, sigSpot{pair: p, query: i == 1, signed: usesRef(p.value, varSignature)})
		}
	}
	st.bodyVars = raw != nil && usesSigVar(raw)
	return st, nil
}

// usesRef reports whether t has a placeholder for ref.
func usesRef(t *template, ref string) bool {
	for _, s := range t.segs {
		if s.ref == ref {
			return true
		}
	}
	return false
}

// usesSigVar reports whether t has a placeholder for a signature variable.
func usesSigVar(t *template) bool {
	for _, s := range t.segs {
		if isSigVar(s.ref) {
			return true
		}
	}
	return false
}

// sigVars are the Params of signature templates: the message variables of
// one request, and the run's own params for every other ref. pending
// answers every variable with its zero value, for the body's first render.
type sigVars struct {
	base      Params
	pending   bool
	now       time.Time
	nonce     string
	signature string
	key       string
	token     string // auth type token: {{$token}}
	req       *http.Request
	body      string
}

func (v *sigVars) Lookup(ref string) (any, bool) {
	if !isSigVar(ref) {
		return v.base.Lookup(ref)
	}
	if v.pending {
		return "", true
	}
	switch ref {
	case varTimestamp:
		return v.now.Unix(), true
	case varTimestampMs:
		return v.now.UnixMilli(), true
	case varNonce:
		return v.nonce, true
	case varDate:
		return v.now.UTC().Format(time.RFC3339), true
	case varSignature:
		return v.signature, true
	case varKey:
		return Secret(v.key), true
	case varToken:
		return Secret(v.token), true
	}
	return v.request(ref)
}

// request answers the variables read from the request as it will be sent.
func (v *sigVars) request(ref string) (any, bool) {
	r := v.req
	if r == nil {
		return nil, false
	}
	switch ref {
	case varMethod:
		return r.Method, true
	case varPath:
		return requestPath(r.URL), true
	case varQuery:
		return r.URL.RawQuery, true
	case varSortedQuery:
		return sortedQuery(r.URL.RawQuery), true
	case varTarget:
		return requestTarget(r.URL), true
	case varBody:
		return v.body, true
	}
	name, ok := strings.CutPrefix(ref, varHeader)
	if !ok {
		return nil, false
	}
	if strings.EqualFold(name, "Host") {
		return requestHost(r), true
	}
	return strings.Join(r.Header.Values(name), ","), true
}

// requestPath is the path as sent, percent-encoded; "/" when empty.
func requestPath(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// requestTarget is the path and, when there is one, "?" and the query.
func requestTarget(u *url.URL) string {
	if u.RawQuery == "" {
		return requestPath(u)
	}
	return requestPath(u) + "?" + u.RawQuery
}

func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	return r.URL.Host
}

// signatureSigner is the attemptSigner of auth type "signature".
type signatureSigner struct {
	sig    *Signature
	step   *sigStep
	params Params
}

// signAttempt sets the unsigned places, signs the message with a fresh
// timestamp and nonce, sets the signed places and renders a body that
// carries the signature.
func (s *signatureSigner) signAttempt(req *http.Request, o *outgoing) (string, bool, error) {
	v := &sigVars{base: s.params, now: o.now(), nonce: newNonce(), req: req}
	r := newRenderer(v)
	u := *req.URL
	req.URL = &u
	if err := s.place(r, req, false); err != nil {
		return "", false, err
	}
	if o.body != nil && o.body.parts == nil {
		v.body = o.body.data
	}
	key, err := r.render(s.step.key)
	if err != nil {
		return "", false, err
	}
	v.key = key
	msg, err := r.render(s.step.message)
	if err != nil {
		return "", false, err
	}
	if v.signature, err = s.signature(o, key, msg); err != nil {
		return "", false, err
	}
	sealed := append(keyForms(key), r.secrets.values...)
	if !o.dry {
		sealed = append(sealed, v.signature)
	}
	o.secrets.addSealed(sealed...)
	pr := s.signedRenderer(r, v, o)
	if err := s.place(pr, req, true); err != nil {
		return "", false, err
	}
	if pr != r {
		o.secrets.addSealed(pr.secrets.values...)
	}
	if !s.step.bodyVars {
		return "", false, nil
	}
	body, err := s.renderBody(r, req, o)
	return body, err == nil, err
}

// signature signs msg with key; a dry run's is its placeholder.
func (s *signatureSigner) signature(o *outgoing, key, msg string) (string, error) {
	if o.dry {
		return placeholderSignature, nil
	}
	return sign(s.sig.Algorithm, s.sig.Encoding, []byte(unescapeKey(key)), []byte(msg))
}

// signedRenderer renders the places that carry the signature: with r, or,
// in a dry run, whose record shows these values (see showPlaceholders),
// with every parameter in them a secret, as the history redacts them whole.
func (s *signatureSigner) signedRenderer(r *renderer, v *sigVars, o *outgoing) *renderer {
	if !o.dry {
		return r
	}
	dv := *v
	dv.base = secretParams{s.params}
	return newRenderer(&dv)
}

// place sets the places whose value uses the signature (signed) or not.
func (s *signatureSigner) place(r *renderer, req *http.Request, signed bool) error {
	for _, p := range s.step.places {
		if p.signed != signed {
			continue
		}
		val, err := r.render(p.value)
		if err != nil {
			return err
		}
		key := strings.TrimSpace(p.key)
		if p.query {
			q := url.QueryEscape(key) + "=" + url.QueryEscape(val)
			if req.URL.RawQuery != "" {
				q = req.URL.RawQuery + "&" + q
			}
			req.URL.RawQuery = q
			continue
		}
		if strings.ContainsAny(val, "\r\n\x00") {
			return errorf("the signature header %s contains a line break or NUL, which could change the request: check the parameters it uses", key)
		}
		req.Header.Set(key, val)
	}
	return nil
}

// renderBody renders the node's raw body with this request's signature
// variables and puts it in place of the rendered one.
func (s *signatureSigner) renderBody(r *renderer, req *http.Request, o *outgoing) (string, error) {
	t, err := o.step.rawTemplate(o.body.contentType)
	if err != nil {
		return "", err
	}
	body, err := r.render(t)
	if err != nil {
		return "", err
	}
	if req.Body != nil {
		req.Body.Close()
	}
	req.Body, req.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	return body, nil
}

// withBody returns a copy of o whose in-memory body is data, for the
// record of a request whose body was rendered for it.
func (o *outgoing) withBody(data string) *outgoing {
	p, b := *o, *o.body
	b.data = data
	p.body = &b
	return &p
}
