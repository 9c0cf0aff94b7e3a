package httpstep

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Auth is a node's credentials. Every value that is a template may use
// {{ref}} placeholders; whatever they render to is a credential: it is
// redacted like a Secret in the history, errors and echoes, and it never
// follows a redirect or a next page to another host. A ref in a credential
// the request would send that has no value (unlike one that is empty) fails
// the run with kind param naming the ref, and nothing is sent: the
// credential would otherwise go out empty.
type Auth struct {
	Type     string  `json:"type"`               // "basic" | "bearer" | "apiKey" | "digest" | "oauth2"
	Username string  `json:"username,omitempty"` // basic, digest, oauth2 "password" grant: template
	Password string  `json:"password,omitempty"` // template
	Token    string  `json:"token,omitempty"`    // bearer: template
	Name     string  `json:"name,omitempty"`     // apiKey: header or query parameter name
	In       string  `json:"in,omitempty"`       // apiKey: "header" (default) | "query"
	Value    string  `json:"value,omitempty"`    // apiKey: template
	OAuth2   *OAuth2 `json:"oauth2,omitempty"`   // oauth2: how to get tokens
	// Fetch is the token request of type "token".
	Fetch *TokenFetch `json:"fetch,omitempty"`
	// AWS is the AWS Signature Version 4 of type "awsSigV4".
	AWS *AWSAuth `json:"aws,omitempty"`
	// Signature is the request signature of type "signature".
	Signature *Signature `json:"signature,omitempty"`
	// AllowCleartext lets credentials go over plain http to a host that is
	// not loopback; without it Validate refuses such a node.
	AllowCleartext bool `json:"allowCleartext,omitempty"`
}

// OAuth2 says how an "oauth2" node gets its access tokens. Tokens are
// cached in the Client's TokenStore and fetched through the same Client as
// the node (SSRF guard, proxy, TLS settings, egress address, timeout).
type OAuth2 struct {
	Grant         string     `json:"grant"`                   // "client_credentials" | "refresh_token" | "password" | "jwt_bearer"
	TokenURL      string     `json:"tokenUrl"`                // template
	ClientID      string     `json:"clientId"`                // template
	ClientSecret  string     `json:"clientSecret,omitempty"`  // template
	RefreshToken  string     `json:"refreshToken,omitempty"`  // refresh_token grant: template
	Scopes        []string   `json:"scopes,omitempty"`        // sent space-separated as "scope"
	Params        []KeyValue `json:"params,omitempty"`        // extra token-request parameters (audience, resource): templates
	CredentialsIn string     `json:"credentialsIn,omitempty"` // "header" (HTTP Basic) | "body" | "" = header, then body if refused with 400/401
	RefreshOn     []int      `json:"refreshOn,omitempty"`     // statuses meaning "token expired"; default [401]; replaced, not extended, when given
	ExpiredCodes  []string   `json:"expiredCodes,omitempty"`  // values at success.errorCodePath meaning "token expired", e.g. ["40001"]

	// The jwt_bearer grant (RFC 7523, service accounts) signs an assertion
	// with PrivateKey and needs no client id; Scopes go in the assertion's
	// "scope" claim, space-separated, where Google reads them.
	PrivateKey string `json:"privateKey,omitempty"` // template: PEM (RSA or EC) that signs the assertion
	KeyID      string `json:"keyId,omitempty"`      // template: the assertion's kid
	Issuer     string `json:"issuer,omitempty"`     // template: iss (a service account's client_email)
	Subject    string `json:"subject,omitempty"`    // template: sub (domain-wide delegation)
	Audience   string `json:"audience,omitempty"`   // template: aud; default tokenUrl
}

// The auth types, the values of Auth.Type (untyped: Auth.Type is a plain
// string in the node's contract).
const (
	AuthBasic  = "basic"
	AuthBearer = "bearer"
	AuthAPIKey = "apiKey"
	AuthDigest = "digest"
	AuthOAuth2 = "oauth2"
	// AuthSignature signs every request as the API defines (Auth.Signature).
	AuthSignature = "signature"
)

// Where an API key goes, the values of Auth.In (untyped, as Auth.In is a
// plain string).
const (
	InHeader = "header" // the default
	InQuery  = "query"
)

// The OAuth2 grants, the values of OAuth2.Grant (untyped, as the field is a
// plain string).
const (
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
	GrantPassword          = "password"
	// GrantJWTBearer signs an assertion with the node's private key (RFC
	// 7523): service accounts.
	GrantJWTBearer = "jwt_bearer"
)

// Where the client credentials go in a token request, the values of
// OAuth2.CredentialsIn (untyped, as the field is a plain string).
const (
	CredentialsInHeader = "header" // HTTP Basic
	CredentialsInBody   = "body"   // client_id and client_secret form fields
)

// validateAuth adds the problems of the node's auth block to e.
func (n *NodeConfig) validateAuth(e *ConfigError) {
	a := n.Auth
	if a == nil {
		return
	}
	switch a.Type {
	case AuthBasic:
		if strings.TrimSpace(a.Username+a.Password) == "" {
			e.add("auth.username", "auth basic needs a username, a password, or both")
		}
		if t := checkTemplate(e, "auth.username", a.Username, modeText); t != nil && t.hasLiteral(":") {
			e.add("auth.username", "auth basic: the username cannot contain ':' (the server would read the rest as the password)")
		}
		checkTemplate(e, "auth.password", a.Password, modeText)
	case AuthDigest:
		a.need(e, "auth.username", a.Username, "the username")
		checkTemplate(e, "auth.password", a.Password, modeText)
	case AuthBearer:
		a.need(e, "auth.token", a.Token, "the bearer token")
	case AuthAPIKey:
		a.checkAPIKey(e)
	case AuthOAuth2:
		a.checkOAuth2(e, &n.Success)
	case AuthSignature:
		n.checkSignature(e)
	case AuthAWSSigV4:
		a.checkAWS(e)
	case AuthToken:
		n.checkToken(e)
	default:
		e.add("auth.type", fmt.Sprintf("%q is not an auth type: use basic, bearer, apiKey, digest, oauth2, token, awsSigV4 or signature", a.Type))
		return
	}
	if a.Type != AuthDigest && !a.AllowCleartext {
		checkCleartext(e, "url", n.URL)
		if o := a.OAuth2; a.Type == AuthOAuth2 && o != nil {
			checkCleartext(e, "auth.oauth2.tokenUrl", o.TokenURL)
		}
		if f := a.Fetch; a.Type == AuthToken && f != nil {
			checkCleartext(e, "auth.fetch.request.url", f.Request.URL)
		}
	}
}

// need records a problem when a required template is empty or does not
// parse, or when its literal text holds a line break.
func (a *Auth) need(e *ConfigError, field, src, what string) {
	if strings.TrimSpace(src) == "" {
		e.add(field, "auth "+a.Type+" needs "+what)
		return
	}
	if t := checkTemplate(e, field, src, modeText); t != nil && t.hasLiteral(headerBreaks) {
		e.add(field, "auth: "+breakProblem(what)+": remove it")
	}
}

// hasLiteral reports whether the typed text of t holds any of chars.
func (t *template) hasLiteral(chars string) bool {
	return slices.ContainsFunc(t.segs, func(s segment) bool { return strings.ContainsAny(s.lit, chars) })
}

func (a *Auth) checkAPIKey(e *ConfigError) {
	switch a.In {
	case "", InHeader:
		if !httpguts.ValidHeaderFieldName(a.Name) {
			e.add("auth.name", fmt.Sprintf("auth apiKey: %q is not a valid header name: use letters, digits and - only", a.Name))
		}
	case InQuery:
		if strings.TrimSpace(a.Name) == "" {
			e.add("auth.name", "auth apiKey needs the query parameter's name")
		}
	default:
		e.add("auth.in", fmt.Sprintf("auth apiKey: %q is not a place for the key: use header or query", a.In))
	}
	a.need(e, "auth.value", a.Value, "the key's value")
}

func (a *Auth) checkOAuth2(e *ConfigError, s *SuccessRule) {
	o := a.OAuth2
	if o == nil {
		e.add("auth.oauth2", "auth oauth2 needs the token URL, the grant and the client: fill in the oauth2 block")
		return
	}
	checkTokenURL(e, o.TokenURL)
	switch o.Grant {
	case GrantClientCredentials:
		a.need(e, "auth.oauth2.clientId", o.ClientID, "the client id")
	case GrantRefreshToken:
		a.need(e, "auth.oauth2.refreshToken", o.RefreshToken, "the refresh token")
	case GrantPassword:
		a.need(e, "auth.username", a.Username, "the username for the password grant")
	case GrantJWTBearer:
		a.checkJWT(e)
	default:
		e.add("auth.oauth2.grant", fmt.Sprintf("auth oauth2: %q is not a grant: use client_credentials, refresh_token, password or jwt_bearer", o.Grant))
	}
	for _, src := range []struct{ field, src string }{{"clientId", o.ClientID}, {"clientSecret", o.ClientSecret}, {"refreshToken", o.RefreshToken}} {
		checkTemplate(e, "auth.oauth2."+src.field, src.src, modeText)
	}
	checkTemplate(e, "auth.password", a.Password, modeText)
	for i, p := range o.Params {
		f := indexed("auth.oauth2.params", i)
		if strings.TrimSpace(p.Key) == "" {
			e.add(f+".key", "auth oauth2: the token parameter has no name")
		}
		checkTemplate(e, f+".value", p.Value, modeText)
	}
	o.checkRefresh(e, s)
}

func (o *OAuth2) checkRefresh(e *ConfigError, s *SuccessRule) {
	switch o.CredentialsIn {
	case "", CredentialsInHeader, CredentialsInBody:
	default:
		e.add("auth.oauth2.credentialsIn", fmt.Sprintf("auth oauth2: %q is not a place for the client credentials: use header, body, or leave it empty to try both", o.CredentialsIn))
	}
	for _, c := range o.RefreshOn {
		if c < 100 || c > 599 {
			e.add("auth.oauth2.refreshOn", fmt.Sprintf("auth oauth2: %d is not an HTTP status: use 100 to 599, e.g. 401", c))
		}
	}
	if len(o.ExpiredCodes) > 0 && s.ErrorCodePath == "" {
		e.add("auth.oauth2.expiredCodes", "auth oauth2: expired-token codes are read at success.errorCodePath: say where the code is, e.g. \"errcode\"")
	}
}

// checkTokenURL checks the token URL template like the node's URL.
func checkTokenURL(e *ConfigError, raw string) {
	const field = "auth.oauth2.tokenUrl"
	if strings.TrimSpace(raw) == "" {
		e.add(field, "auth oauth2: the token URL is empty: paste the address where tokens are issued")
		return
	}
	t := checkTemplate(e, field, raw, modeURL)
	if t == nil || t.segs[0].place == placeURLWhole {
		return
	}
	lower := strings.ToLower(strings.TrimSpace(t.segs[0].lit))
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		e.add(field, "auth oauth2: the token URL must start with http:// or https://")
		return
	}
	if t.static() {
		if _, err := parseNamedURL(t.segs[0].lit, "token URL"); err != nil {
			e.add(field, "auth oauth2: "+messageOf(err))
		}
	}
}

// checkCleartext refuses a plain http URL whose host is not loopback, or
// not known until the node runs: credentials would cross the network in
// clear.
func checkCleartext(e *ConfigError, field, raw string) {
	t, err := e.parsed.parse(raw, modeURL)
	if err != nil || t.segs[0].place == placeURLWhole {
		return // a whole-URL placeholder is checked when the node runs
	}
	lit := strings.TrimSpace(t.segs[0].lit)
	rest, ok := cutPrefixFold(lit, "http://")
	if !ok {
		return
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 && !t.static() {
		e.add(field, "auth: credentials would go over plain http to a host only known when the node runs: use https://, or set allowCleartext")
		return
	}
	if end >= 0 {
		rest = rest[:end]
	}
	if !loopbackHost(rest) {
		e.add(field, "auth: credentials would go over plain http to "+redactRawURL("http://"+rest)+": use https://, or set allowCleartext")
	}
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// loopbackHost reports whether an authority ("user@host:port") names this
// machine: localhost, 127.0.0.0/8 or ::1.
func loopbackHost(authority string) bool {
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		authority = authority[at+1:]
	}
	host := authority
	if h, _, err := net.SplitHostPort(authority); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// templates are the auth block's templates, for Refs.
func (a *Auth) templates() []string {
	if a == nil {
		return nil
	}
	out := []string{a.Username, a.Password, a.Token, a.Value}
	if o := a.OAuth2; o != nil {
		out = append(out, o.TokenURL, o.ClientID, o.ClientSecret, o.RefreshToken, o.PrivateKey, o.KeyID, o.Issuer, o.Subject, o.Audience)
		for _, p := range o.Params {
			out = append(out, p.Value)
		}
	}
	if f := a.Fetch; f != nil {
		for _, ref := range f.Request.Refs() {
			out = append(out, "{{"+ref+"}}")
		}
	}
	if w := a.AWS; w != nil {
		out = append(out, w.AccessKeyID, w.SecretAccessKey, w.SessionToken)
	}
	if sg := a.Signature; sg != nil {
		out = append(out, sg.Key, sg.Message)
		for _, kv := range slices.Concat(sg.Headers, sg.Query) {
			out = append(out, kv.Value)
		}
	}
	return out
}
