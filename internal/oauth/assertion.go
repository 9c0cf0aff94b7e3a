package oauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// GrantJWTBearer is the JWT bearer grant of RFC 7523 (service accounts):
// the token request carries an assertion signed with the account's key.
const GrantJWTBearer = "jwt_bearer"

// jwtBearerType is the grant_type value RFC 7523 section 2.1 defines.
const jwtBearerType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// The assertion's lifetime: issued AssertionSkew before the clock says,
// so that a server whose clock is a little behind accepts it, and valid
// for AssertionLifetime from then (Google's maximum).
const (
	AssertionSkew     = 10 * time.Second
	AssertionLifetime = time.Hour
)

// Assertion is what signs and fills the JWT of a jwt_bearer grant.
type Assertion struct {
	Key      crypto.Signer // *rsa.PrivateKey (RS256) or *ecdsa.PrivateKey (ES256, ES384, ES512 by curve)
	KeyPEM   string        // the key as the node gave it: in the cache key's digest, never in clear
	KeyID    string        // the header's kid; none when empty
	Issuer   string        // iss
	Subject  string        // sub; none when empty
	Audience string        // aud
}

// Method returns the JWS algorithm for key, or nil for a key it cannot
// sign with.
func Method(key crypto.Signer) jwt.SigningMethod {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return jwt.SigningMethodRS256
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return jwt.SigningMethodES256
		case elliptic.P384():
			return jwt.SigningMethodES384
		case elliptic.P521():
			return jwt.SigningMethodES512
		}
	}
	return nil
}

// sign returns the assertion issued at now: header alg, typ JWT and kid;
// claims iss, sub, aud, scope (space-separated), iat and exp.
func (a *Assertion) sign(now time.Time, scopes []string) (string, error) {
	m := Method(a.Key)
	if m == nil {
		return "", errors.New("the private key is neither RSA nor EC on P-256, P-384 or P-521")
	}
	iat := now.Add(-AssertionSkew)
	claims := jwt.MapClaims{"iss": a.Issuer, "aud": a.Audience, "iat": iat.Unix(), "exp": iat.Add(AssertionLifetime).Unix()}
	if a.Subject != "" {
		claims["sub"] = a.Subject
	}
	if len(scopes) > 0 {
		claims["scope"] = strings.Join(scopes, " ")
	}
	t := jwt.NewWithClaims(m, claims)
	if a.KeyID != "" {
		t.Header["kid"] = a.KeyID
	}
	return t.SignedString(a.Key)
}

// jwtToken makes the jwt_bearer token request of c: a fresh assertion
// (issued at now) in the form, no client authentication, the scopes in the
// assertion only. A refusal is an *oauth2.RetrieveError from which the
// assertion is scrubbed, should the server have echoed it.
func jwtToken(ctx context.Context, hc *http.Client, c *Config, now time.Time) (*oauth2.Token, error) {
	assertion, err := c.Assertion.sign(now, c.Scopes)
	if err != nil {
		return nil, err
	}
	v := url.Values{"grant_type": {jwtBearerType}, "assertion": {assertion}}
	for _, p := range c.Params {
		if _, taken := v[p.Key]; !taken && p.Key != "scope" {
			v.Add(p.Key, p.Value)
		}
	}
	cc := clientcredentials.Config{TokenURL: c.TokenURL, EndpointParams: v, AuthStyle: oauth2.AuthStyleInParams}
	t, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		scrubAssertion(re, assertion)
	}
	return t, err
}

// scrubAssertion removes the assertion, a credential for its lifetime,
// from what a refusal carries.
func scrubAssertion(re *oauth2.RetrieveError, assertion string) {
	const mask = "[REDACTED]"
	re.Body = bytes.ReplaceAll(re.Body, []byte(assertion), []byte(mask))
	re.ErrorDescription = strings.ReplaceAll(re.ErrorDescription, assertion, mask)
	re.ErrorURI = strings.ReplaceAll(re.ErrorURI, assertion, mask)
}
