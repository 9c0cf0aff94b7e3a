package httpstep

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/httpstep/httpstep/internal/oauth"
)

// authStep is a node's auth block compiled: every template parsed once.
type authStep struct {
	auth  Auth // a copy; OAuth2 is deep-copied by clone
	user  *template
	pass  *template
	token *template
	value *template
	oauth *oauthStep
	sig   *sigStep
	aws   *awsStep
	fetch *fetchStep
}

// oauthStep is the oauth2 block compiled.
type oauthStep struct {
	tokenURL *template
	clientID *template
	secret   *template
	refresh  *template
	params   []pair
	jwt      *jwtStep // grant jwt_bearer
}

// compileAuth compiles a (valid) auth block; nil gives nil.
func compileAuth(a *Auth, ts templates) (*authStep, error) {
	if a == nil {
		return nil, nil
	}
	s := &authStep{auth: *a}
	var err error
	for _, t := range []struct {
		dst **template
		src string
	}{{&s.user, a.Username}, {&s.pass, a.Password}, {&s.token, a.Token}, {&s.value, a.Value}} {
		if *t.dst, err = ts.parse(t.src, modeText); err != nil {
			return nil, err
		}
	}
	if o := a.OAuth2; o != nil && a.Type == AuthOAuth2 {
		s.oauth, err = compileOAuth(o, ts)
	}
	if a.Fetch != nil && a.Type == AuthToken && err == nil {
		s.fetch, err = compileFetch(a)
	}
	if w := a.AWS; w != nil && a.Type == AuthAWSSigV4 && err == nil {
		s.aws, err = compileAWS(w)
	}
	return s, err
}

// compileSigning compiles the per-request signature of a node whose raw
// body is compiled already.
func (s *Step) compileSigning(ts templates) error {
	a := s.auth
	if a == nil || a.auth.Type != AuthSignature || a.auth.Signature == nil {
		return nil
	}
	var err error
	a.sig, err = compileSignature(a.auth.Signature, s.raw, ts)
	return err
}

func compileOAuth(o *OAuth2, ts templates) (*oauthStep, error) {
	s := &oauthStep{}
	var err error
	if s.tokenURL, err = ts.parse(o.TokenURL, modeURL); err != nil {
		return nil, err
	}
	for _, t := range []struct {
		dst **template
		src string
	}{{&s.clientID, o.ClientID}, {&s.secret, o.ClientSecret}, {&s.refresh, o.RefreshToken}} {
		if *t.dst, err = ts.parse(t.src, modeText); err != nil {
			return nil, err
		}
	}
	if s.params, err = compilePairs(o.Params, ts); err != nil {
		return nil, err
	}
	if o.Grant == GrantJWTBearer {
		s.jwt, err = compileJWT(o, ts)
	}
	return s, err
}

// clone deep-copies the auth block.
func (a *Auth) clone() *Auth {
	if a == nil {
		return nil
	}
	c := *a
	if a.OAuth2 != nil {
		o := *a.OAuth2
		o.Scopes = slices.Clone(o.Scopes)
		o.Params = slices.Clone(o.Params)
		o.RefreshOn = slices.Clone(o.RefreshOn)
		o.ExpiredCodes = slices.Clone(o.ExpiredCodes)
		c.OAuth2 = &o
	}
	c.AWS = clonePtr(a.AWS)
	if f := a.Fetch; f != nil {
		fc := *f
		fc.Request = *f.Request.clone()
		fc.RefreshOn, fc.ExpiredCodes = slices.Clone(f.RefreshOn), slices.Clone(f.ExpiredCodes)
		c.Fetch = &fc
	}
	if a.Signature != nil {
		sg := *a.Signature
		sg.Headers, sg.Query = slices.Clone(sg.Headers), slices.Clone(sg.Query)
		c.Signature = &sg
	}
	return &c
}

// credential is what a request needs per attempt for digest and oauth2:
// the rendered credentials. Basic, bearer and apiKey are placed in the
// request when it is rendered and need none.
type credential struct {
	kind      string
	user      string        // digest
	pass      string        // digest
	oauth     *oauth.Config // oauth2
	tokenURL  *url.URL      // oauth2, parsed
	refresh   []int         // oauth2: statuses meaning "token expired"
	expired   []string      // oauth2: codes at codePath meaning the same
	codePath  string        // oauth2: the node's success.errorCodePath
	origin    *url.URL      // the request's URL: a next page, status URL or other copy elsewhere gets no credential
	fetch     *fetchStep    // token: the token request and where the token goes
	params    Params        // token: the run's params, for the token request
	key       string        // token: the cache key of the last token request
	lastToken string        // token: the token last placed, dropped when refused
}

// appliesTo reports whether a request to u authenticates with cr: only on the
// origin of the node's own URL.
func (cr *credential) appliesTo(u *url.URL) bool {
	return cr != nil && sameOrigin(cr.origin, u)
}

// applyAuth renders the node's credentials into o: basic, bearer and apiKey
// into its header or URL, digest and oauth2 into o.cred for the attempts.
// Every rendered credential joins the run's secrets, whatever the type of
// the value it came from.
func (o *outgoing) applyAuth(r *renderer) error {
	a := o.step.auth
	if a == nil {
		return nil
	}
	if err := o.checkCleartext(o.url, "the API"); err != nil {
		return err
	}
	switch a.auth.Type {
	case AuthBasic:
		user, pass, err := renderUserPass(r, a)
		if err != nil {
			return err
		}
		if strings.Contains(user, ":") { // RFC 7617: the server would read the rest as the password
			return errorf("the basic username contains ':', which would make the rest of it part of the password: check the parameters it uses")
		}
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		r.secrets.add(pass, basic)
		return o.setHeader("Authorization", "Basic "+basic)
	case AuthBearer:
		tok, err := renderCredential(r, a.token, "auth.token")
		if err != nil {
			return err
		}
		r.secrets.add(tok)
		return o.setHeader("Authorization", "Bearer "+strings.TrimSpace(tok))
	case AuthAPIKey:
		return o.applyAPIKey(r, a)
	case AuthDigest:
		user, pass, err := renderUserPass(r, a)
		r.secrets.add(pass)
		o.cred = &credential{kind: AuthDigest, user: user, pass: pass, origin: o.url}
		return err
	case AuthOAuth2:
		return o.applyOAuth(r, a)
	case AuthSignature:
		return o.applySignature(r, a)
	case AuthAWSSigV4:
		return o.applyAWS(r, a)
	case AuthToken:
		return o.applyToken(r, a)
	}
	return nil
}

// applySignature readies the per-request signature: every ref its
// templates use is looked up now (a missing one is named in the history),
// and whatever the key's refs render to is a credential. A ref of the key
// without a value fails the run, as for the other credentials.
func (o *outgoing) applySignature(r *renderer, a *authStep) error {
	st := a.sig
	for _, t := range append([]*template{st.key, st.message}, placeValues(st.places)...) {
		for _, seg := range t.segs {
			if seg.ref == "" || isSigVar(seg.ref) {
				continue
			}
			v, ok := r.value(seg.ref)
			if t != st.key {
				continue
			}
			if !ok {
				return errorf("auth.signature.key: {{%s}} has no value, so the request would be signed with an empty key; "+
					"give that parameter a value (nothing was sent)", seg.ref)
			}
			text, _ := textOf(v)
			r.secrets.add(keyForms(text)...)
		}
	}
	if st.key.static() {
		r.secrets.add(keyForms(st.key.segs[0].lit)...)
	}
	for _, seg := range st.key.segs {
		if lit := strings.TrimSpace(seg.lit); len(lit) >= minSecretLen {
			r.secrets.add(lit)
		}
	}
	o.signer = &signatureSigner{sig: a.auth.Signature, step: st, params: r.params}
	o.signOrigin = o.url
	for _, p := range st.places {
		if p.signed && !p.query {
			r.secrets.addHeaderName(p.key)
		}
	}
	return nil
}

func placeValues(ps []sigSpot) []*template {
	out := make([]*template, len(ps))
	for i, p := range ps {
		out[i] = p.value
	}
	return out
}

func renderUserPass(r *renderer, a *authStep) (string, string, error) {
	user, err := renderCredential(r, a.user, "auth.username")
	if err != nil {
		return "", "", err
	}
	pass, err := renderCredential(r, a.pass, "auth.password")
	return user, pass, err
}

// renderCredential renders t, a template of the auth block at field. A ref
// in it that has no value fails the run with kind param, naming the ref:
// the credential would go out empty ("Authorization: Bearer "), which
// nothing useful can come of. A value that is present but empty goes out.
func renderCredential(r *renderer, t *template, field string) (string, error) {
	v, err := r.render(t)
	if err != nil {
		return "", err
	}
	for _, s := range t.segs {
		if s.ref == "" {
			continue
		}
		if _, ok := r.value(s.ref); !ok {
			return "", errorf("%s: {{%s}} has no value, so the credential would be sent empty; "+
				"give that parameter a value (nothing was sent)", field, s.ref)
		}
	}
	return v, nil
}

// setHeader sets a credential header, refusing line breaks as any header
// value does.
func (o *outgoing) setHeader(name, value string) error {
	if err := checkHeaderValue(value, "the ", o.step.auth.auth.Type, " credential"); err != nil {
		return err
	}
	o.header.Set(name, value)
	return nil
}

func (o *outgoing) applyAPIKey(r *renderer, a *authStep) error {
	v, err := renderCredential(r, a.value, "auth.value")
	if err != nil {
		return err
	}
	r.secrets.add(v)
	if a.auth.In == InQuery {
		q := url.QueryEscape(strings.TrimSpace(a.auth.Name)) + "=" + url.QueryEscape(v)
		if o.url.RawQuery != "" {
			q = o.url.RawQuery + "&" + q
		}
		o.url.RawQuery = q
		return nil
	}
	return o.setHeader(a.auth.Name, strings.TrimSpace(v))
}

// applyOAuth renders the token request's settings.
func (o *outgoing) applyOAuth(r *renderer, a *authStep) error {
	s, n := a.oauth, a.auth.OAuth2
	raw, err := renderCredential(r, s.tokenURL, "auth.oauth2.tokenUrl")
	if err != nil {
		return err
	}
	u, err := parseTargetURL(raw)
	if err != nil {
		return errorf("the token URL: %w", err)
	}
	if err := o.checkCleartext(u, "the token endpoint"); err != nil {
		return err
	}
	cfg := &oauth.Config{Grant: n.Grant, TokenURL: u.String(), Scopes: n.Scopes, Style: credentialsStyle(n.CredentialsIn)}
	for _, t := range []struct {
		dst   *string
		src   *template
		field string // where a missing ref fails the run; "" for a field this grant does not send
	}{{&cfg.ClientID, s.clientID, "auth.oauth2.clientId"}, {&cfg.ClientSecret, s.secret, "auth.oauth2.clientSecret"},
		{&cfg.RefreshToken, s.refresh, grantField(n.Grant, GrantRefreshToken, "auth.oauth2.refreshToken")},
		{&cfg.Username, a.user, grantField(n.Grant, GrantPassword, "auth.username")},
		{&cfg.Password, a.pass, grantField(n.Grant, GrantPassword, "auth.password")}} {
		if t.field == "" {
			*t.dst, err = r.render(t.src)
		} else {
			*t.dst, err = renderCredential(r, t.src, t.field)
		}
		if err != nil {
			return err
		}
	}
	for i, p := range s.params {
		v, err := renderCredential(r, p.value, fmt.Sprintf("auth.oauth2.params[%d].value", i))
		if err != nil {
			return err
		}
		cfg.Params = append(cfg.Params, oauth.Param{Key: strings.TrimSpace(p.key), Value: v})
	}
	r.secrets.add(cfg.ClientSecret, cfg.RefreshToken, cfg.Password,
		base64.StdEncoding.EncodeToString([]byte(cfg.ClientID+":"+cfg.ClientSecret)),
		base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(cfg.ClientID)+":"+url.QueryEscape(cfg.ClientSecret))))
	if cfg.Grant != GrantPassword {
		cfg.Username, cfg.Password = "", ""
	}
	if s.jwt != nil {
		if cfg.Assertion, err = s.jwt.render(r, u.String()); err != nil {
			return err
		}
		cfg.ClientID, cfg.ClientSecret, cfg.RefreshToken = "", "", ""
	}
	refresh := n.RefreshOn
	if len(refresh) == 0 {
		refresh = []int{401}
	}
	o.cred = &credential{kind: AuthOAuth2, oauth: cfg, tokenURL: u, refresh: refresh, expired: n.ExpiredCodes,
		codePath: o.step.node.Success.ErrorCodePath, origin: o.url}
	return nil
}

// grantField is field when grant is the one that sends it, else "".
func grantField(grant, sends, field string) string {
	if grant != sends {
		return ""
	}
	return field
}

func credentialsStyle(in string) oauth.Style {
	switch in {
	case CredentialsInHeader:
		return oauth.StyleHeader
	case CredentialsInBody:
		return oauth.StyleBody
	}
	return oauth.StyleAuto
}

// checkCleartext refuses to send credentials over plain http to a host
// that is not loopback, unless the node allows it. Validate refuses what
// it can see; this catches URLs only known once rendered.
func (o *outgoing) checkCleartext(u *url.URL, what string) error {
	a := o.step.auth
	if u == nil || a.auth.AllowCleartext || a.auth.Type == AuthDigest || u.Scheme != "http" || loopbackHost(u.Host) {
		return nil
	}
	return errorf("auth: the credentials would go over plain http to %s at %s: use https://, or set allowCleartext", what, u.Host)
}
