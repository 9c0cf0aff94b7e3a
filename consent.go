package httpstep

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/httpstep/httpstep/internal/oauth"
	"golang.org/x/oauth2"
)

// Consent is one person's consent in progress, for an API that needs it
// (the OAuth2 authorization code grant, RFC 6749 section 4.1, with PKCE
// S256, RFC 7636): made by [Client.StartConsent], ended by
// [Client.FinishConsent]. The host keeps it on its server between the two
// (in the person's session or its database; it is JSON). State and
// Verifier are secrets: only URL goes to the browser, and it carries State
// and the verifier's S256 challenge, never the verifier.
type Consent struct {
	URL         string `json:"url"`         // the consent page: send the person's browser there
	State       string `json:"state"`       // 43 random characters; the API sends it back with the code
	Verifier    string `json:"verifier"`    // the PKCE code_verifier: 43 random characters [A-Za-z0-9-_]
	RedirectURL string `json:"redirectUrl"` // where the API sends the person back
}

// ConsentRequest says where a person gives consent. The rest comes from
// the node's oauth2 block: client id, scopes, token URL, client secret and
// where it goes (credentialsIn).
type ConsentRequest struct {
	AuthURL     string     // the API's authorization endpoint, e.g. "https://accounts.google.com/o/oauth2/v2/auth"
	RedirectURL string     // the host's callback URL, as registered with the API
	Params      []KeyValue // more consent-URL parameters, as is, e.g. access_type=offline and prompt=consent (Google)
}

// StartConsent makes the consent URL for step s, a node of auth type
// oauth2 with grant refresh_token whose refreshToken is one ref alone
// ("{{conn.refreshToken}}"): response_type=code, client_id, redirect_uri,
// scope (the node's scopes, space-separated), a fresh state, and
// code_challenge (S256 of a fresh verifier). params render the node's
// oauth2 block as a run would; the refresh-token ref needs no value yet.
// Nothing is sent. Errors: a *ConfigError for a node or request that
// cannot do this, a *Failure of kind param for a credential ref without a
// value. A nil Client is DefaultClient.
func (c *Client) StartConsent(s *Step, params Params, req ConsentRequest) (*Consent, error) {
	if c == nil {
		c = DefaultClient
	}
	o, err := c.consentRender(s, params)
	if err != nil {
		return nil, err
	}
	if err := checkConsentRequest(o, req); err != nil {
		return nil, err
	}
	k := &Consent{State: oauth2.GenerateVerifier(), Verifier: oauth2.GenerateVerifier(), RedirectURL: req.RedirectURL}
	k.URL = consentURL(o.cred.oauth, req, k.State, k.Verifier)
	return k, nil
}

// consentURL is the consent page's address for the rendered oauth2 block
// cfg: x/oauth2's, with the S256 challenge of verifier (RFC 7636 4.2:
// BASE64URL(SHA256(verifier)), no padding).
func consentURL(cfg *oauth.Config, req ConsentRequest, state, verifier string) string {
	oc := oauth2.Config{ClientID: cfg.ClientID, Endpoint: oauth2.Endpoint{AuthURL: strings.TrimSpace(req.AuthURL)},
		RedirectURL: req.RedirectURL, Scopes: cfg.Scopes}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for _, p := range req.Params {
		opts = append(opts, oauth2.SetAuthURLParam(p.Key, p.Value))
	}
	return oc.AuthCodeURL(state, opts...)
}

// FinishConsent ends consent k with the query of the request that brought
// the person back to k.RedirectURL (code and state, or error): it checks
// the state, exchanges the code (with the verifier, through the Client as
// a run's token request goes: guard, proxy, TLS) at the node's token URL,
// and saves the tokens in the Client's token store under the key the node
// uses once its refresh-token ref renders the returned RefreshToken. The
// host keeps that refresh token where the ref finds it (a secret of the
// connection); the node's next run then uses the access token at once and
// renews it with the refresh token. A refusal (the person declined, the
// state differs, the API refused the code, no refresh token came) is a
// *Failure of kind auth saying what to do; no secret is in it. A nil
// Client is DefaultClient, as for StartConsent.
func (c *Client) FinishConsent(ctx context.Context, s *Step, params Params, k *Consent, callback url.Values) (*Token, error) {
	if c == nil {
		c = DefaultClient
	}
	if k == nil {
		return nil, &Failure{Kind: KindAuth, Message: "consent: no consent was started: call StartConsent first"}
	}
	if f := checkCallback(k, callback); f != nil {
		return nil, f
	}
	o, err := c.consentRender(s, params)
	if err != nil {
		return nil, err
	}
	o.secrets.addSealed(callback.Get("code"), k.Verifier)
	t, f := c.exchangeCode(ctx, o, k, callback.Get("code"))
	if f != nil {
		o.secrets.failure(f)
		return nil, f
	}
	o.secrets.addSealed(t.AccessToken, t.RefreshToken)
	key := *o.cred.oauth
	key.RefreshToken = t.RefreshToken
	saved, err := c.tokenCache().Put(ctx, key.Key(), t)
	if err != nil {
		return nil, &Failure{Kind: KindAuth, Message: o.secrets.text("consent: the tokens could not be saved in the token store: " + err.Error())}
	}
	return &Token{AccessToken: saved.AccessToken, TokenType: saved.TokenType, RefreshToken: saved.RefreshToken, Expiry: saved.Expiry}, nil
}

// checkCallback reads the API's answer: an error, or a code with k's state.
func checkCallback(k *Consent, q url.Values) *Failure {
	if e := q.Get("error"); e != "" {
		msg := "consent: the API did not give consent: " + e
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		if e == "access_denied" {
			msg = "consent: the person declined (access_denied): nothing was connected; start again to connect the account"
		}
		return &Failure{Kind: KindAuth, Message: msg}
	}
	if st := q.Get("state"); st == "" || subtle.ConstantTimeCompare([]byte(st), []byte(k.State)) != 1 {
		return &Failure{Kind: KindAuth, Message: "consent: the answer does not belong to this consent (its state differs): start the consent again"}
	}
	if q.Get("code") == "" {
		return &Failure{Kind: KindAuth, Message: "consent: the API sent no code: start the consent again"}
	}
	return nil
}

// consentRender renders s as a run would, the refresh-token ref answered
// with "", and checks that s is a node consent can serve.
func (c *Client) consentRender(s *Step, params Params) (*outgoing, error) {
	e := &ConfigError{}
	if s == nil || s.auth == nil || s.auth.auth.Type != AuthOAuth2 || s.auth.auth.OAuth2.Grant != GrantRefreshToken {
		e.add("auth.oauth2.grant", "consent needs a node of auth type oauth2 with grant refresh_token: its tokens are renewed with the refresh token consent gives")
		return nil, e
	}
	ref, ok := loneRef(s.auth.oauth.refresh)
	if !ok {
		e.add("auth.oauth2.refreshToken", "consent: the refresh token must be one parameter alone, e.g. {{conn.refreshToken}}: "+
			"the host keeps the refresh token FinishConsent returns there")
		return nil, e
	}
	if params == nil {
		params = Values{}
	}
	o, f := c.render(s, &consentParams{base: params, ref: ref})
	if f != nil {
		return nil, f
	}
	return o, nil
}

// checkConsentRequest checks where the person is sent and sent back.
func checkConsentRequest(o *outgoing, req ConsentRequest) error {
	e := &ConfigError{}
	u, err := url.Parse(strings.TrimSpace(req.AuthURL))
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		e.add("authUrl", "consent: the authorization URL must be an absolute http:// or https:// address, e.g. https://accounts.google.com/o/oauth2/v2/auth")
	case o.checkCleartext(u, "the consent page") != nil:
		e.add("authUrl", "consent: the consent page would be reached over plain http: use https://, or set allowCleartext")
	}
	if r, err := url.Parse(req.RedirectURL); err != nil || !r.IsAbs() {
		e.add("redirectUrl", "consent: the redirect URL must be the host's absolute callback address, as registered with the API")
	}
	if len(e.Problems) > 0 {
		return e
	}
	return nil
}

// exchangeCode sends the code and verifier to the node's token URL.
func (c *Client) exchangeCode(ctx context.Context, o *outgoing, k *Consent, code string) (*oauth2.Token, *Failure) {
	cr := o.cred
	base, err := c.client(&o.step.node, cr.tokenURL)
	if err != nil {
		return nil, tokenFailure(ctx, o, err)
	}
	hc := &http.Client{Transport: base.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	oc := oauth2.Config{ClientID: cr.oauth.ClientID, ClientSecret: cr.oauth.ClientSecret, RedirectURL: k.RedirectURL,
		Endpoint: oauth2.Endpoint{TokenURL: cr.oauth.TokenURL, AuthStyle: exchangeStyle(cr.oauth.Style)}}
	t, err := oc.Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), code, oauth2.VerifierOption(k.Verifier))
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return nil, &Failure{Kind: KindAuth, Message: "consent: " + tokenRefusal(re, status, grantAuthorizationCode)}
	case err != nil:
		return nil, tokenFailure(ctx, o, err)
	case t.RefreshToken == "":
		return nil, &Failure{Kind: KindAuth, Message: "consent: the API gave no refresh token, so the node could not renew its access: " +
			"ask for offline access (Google: access_type=offline and prompt=consent in ConsentRequest.Params) and start again"}
	}
	return t, nil
}

// grantAuthorizationCode is the grant FinishConsent sends; nodes cannot
// use it (consent is the host's), so it is not a value of OAuth2.Grant.
const grantAuthorizationCode = "authorization_code"

func exchangeStyle(s oauth.Style) oauth2.AuthStyle {
	switch s {
	case oauth.StyleHeader:
		return oauth2.AuthStyleInHeader
	case oauth.StyleBody:
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleAutoDetect
}

// loneRef returns the ref of a template that is one placeholder alone
// (parsed as the placeholder and an empty tail).
func loneRef(t *template) (string, bool) {
	if t == nil || len(t.segs) != 2 || t.segs[0].lit != "" || t.segs[0].ref == "" || t.segs[1] != (segment{}) {
		return "", false
	}
	return t.segs[0].ref, true
}

// consentParams is base with one ref answered: the refresh-token ref of a
// consent, whose token the host does not have yet.
type consentParams struct {
	base Params
	ref  string
}

func (a *consentParams) Lookup(ref string) (any, bool) {
	if ref == a.ref {
		return "", true
	}
	return a.base.Lookup(ref)
}
