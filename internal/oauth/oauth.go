// Package oauth gets and caches OAuth2 access tokens (RFC 6749) for the
// client_credentials, refresh_token and password grants, and the
// jwt_bearer grant of RFC 7523 (its assertion signed with
// github.com/golang-jwt/jwt/v5). The token protocol (client authentication
// styles, error bodies, expiry) is golang.org/x/oauth2's; this package adds
// the cache: tokens are kept in a [Store] under a key that holds no secret,
// reused until [Leeway] before they expire, fetched once for all concurrent
// callers of the same key, and a refresh token the server rotates is saved
// and used from then on.
package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// The grants.
const (
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
	GrantPassword          = "password"
)

// Style is where the client credentials go in a token request.
type Style int

// The styles. StyleAuto tries HTTP Basic first and the request body only
// when the endpoint refuses Basic with 400 or 401; what worked is
// remembered per token URL and client.
const (
	StyleAuto   Style = iota
	StyleHeader       // HTTP Basic
	StyleBody         // client_id and client_secret form fields
)

// Param is one extra token-request parameter.
type Param struct{ Key, Value string }

// Config is one token request's settings, rendered.
type Config struct {
	Grant                  string
	TokenURL               string
	ClientID, ClientSecret string
	RefreshToken           string // the refresh_token grant's token, when the store has none
	Username, Password     string // the password grant
	Scopes                 []string
	Params                 []Param
	Style                  Style
	Assertion              *Assertion // the jwt_bearer grant
}

// Key identifies the tokens of c: a SHA-256 over the grant, token URL,
// client id, username, scopes and parameters (for jwt_bearer also the
// issuer, subject, audience and key id), and a slow, salted digest
// (secretDigest) of each of the node's refresh token, client secret and
// password (and private key). A token is thus only
// handed to a node that could have fetched it: knowing a client id or a
// username is not enough (a new client secret fetches a new token). No
// secret is in it in clear, so it may be used as a shared store's key.
func (c *Config) Key() string {
	h := sha256.New()
	scopes := slices.Clone(c.Scopes)
	slices.Sort(scopes)
	parts := []string{c.Grant, c.TokenURL, c.ClientID, c.Username, strings.Join(scopes, " ")}
	for _, p := range c.Params {
		parts = append(parts, p.Key+"="+p.Value)
	}
	secrets := []string{c.RefreshToken, c.ClientSecret, c.Password}
	if a := c.Assertion; a != nil && c.Grant == GrantJWTBearer { // other grants keep the keys they had
		parts = append(parts, a.Issuer, a.Subject, a.Audience, a.KeyID)
		secrets = append(secrets, a.KeyPEM)
	}
	salt := strings.Join(parts, "\x00")
	for _, secret := range secrets {
		parts = append(parts, secretDigest(salt, secret))
	}
	for _, p := range parts {
		h.Write([]byte(url.QueryEscape(p)))
		h.Write([]byte{'&'})
	}
	return "oauth2:" + hex.EncodeToString(h.Sum(nil))
}

// FetchKey identifies the tokens of a token request of the node's own
// design (auth type "token"): a SHA-256 over its public parts (method,
// token URL without its query) and the slow, salted digest (secretDigest)
// of the whole rendered request, which holds its credentials. As with Key,
// only a node that renders the same request gets the token, and no secret
// is in the key in clear.
func FetchKey(public []string, request string) string {
	salt := strings.Join(public, "\x00")
	h := sha256.New()
	for _, p := range append(slices.Clone(public), secretDigest(salt, request)) {
		h.Write([]byte(url.QueryEscape(p)))
		h.Write([]byte{'&'})
	}
	return "token:" + hex.EncodeToString(h.Sum(nil))
}

// styles remembers, per token URL and client id, which style worked for a
// StyleAuto config.
type styles struct{ m sync.Map }

// Fetch makes the token request of c through hc. A refresh token from the
// store (stored) wins over the node's: the refresh_token grant sends it,
// and the password grant tries it before the password. The error of a
// refused request is an *oauth2.RetrieveError.
func (s *styles) Fetch(ctx context.Context, hc *http.Client, c *Config, stored string) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	switch {
	case c.Grant == GrantRefreshToken:
		rt := c.RefreshToken
		if stored != "" {
			rt = stored
		}
		return s.request(ctx, c, url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {rt}})
	case c.Grant == GrantPassword && stored != "":
		t, err := s.request(ctx, c, url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {stored}})
		if !Refused(err, "invalid_grant") {
			return t, err
		}
	}
	v := url.Values{"grant_type": {c.Grant}}
	if c.Grant == GrantPassword {
		v.Set("username", c.Username)
		v.Set("password", c.Password)
	}
	return s.request(ctx, c, v)
}

// request sends one grant, with the style fallback of StyleAuto.
func (s *styles) request(ctx context.Context, c *Config, v url.Values) (*oauth2.Token, error) {
	for _, p := range c.Params {
		if _, taken := v[p.Key]; !taken && p.Key != "scope" {
			v.Add(p.Key, p.Value)
		}
	}
	id := c.TokenURL + "\x00" + c.ClientID
	style := c.Style
	if style == StyleAuto {
		if known, ok := s.m.Load(id); ok {
			style = known.(Style)
		}
	}
	if style != StyleAuto {
		return retrieve(ctx, c, v, style)
	}
	t, err := retrieve(ctx, c, v, StyleHeader)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == 400 || re.Response.StatusCode == 401) {
		style = StyleBody
		t, err = retrieve(ctx, c, v, style)
	}
	if err == nil {
		s.m.Store(id, max(style, StyleHeader))
	}
	return t, err
}

// retrieve sends one token request with x/oauth2. clientcredentials.Config
// lets EndpointParams replace grant_type, which is how every grant goes
// through the one code path with its parameters and styles.
func retrieve(ctx context.Context, c *Config, v url.Values, style Style) (*oauth2.Token, error) {
	cc := clientcredentials.Config{
		ClientID:       c.ClientID,
		ClientSecret:   c.ClientSecret,
		TokenURL:       c.TokenURL,
		Scopes:         c.Scopes,
		EndpointParams: v,
		AuthStyle:      oauth2.AuthStyleInHeader,
	}
	if style == StyleBody {
		cc.AuthStyle = oauth2.AuthStyleInParams
	}
	return cc.Token(ctx)
}

// Refused reports whether err is the token endpoint's refusal with one of
// the given RFC 6749 error codes (any code when none is given).
func Refused(err error, codes ...string) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	return len(codes) == 0 || slices.Contains(codes, re.ErrorCode)
}
