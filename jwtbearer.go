package httpstep

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"strings"

	"github.com/httpstep/httpstep/internal/oauth"
)

// jwtStep is the jwt_bearer part of an oauth2 block, compiled.
type jwtStep struct {
	key, kid, iss, sub, aud *template
}

func compileJWT(o *OAuth2, ts templates) (*jwtStep, error) {
	s := &jwtStep{}
	for _, t := range []struct {
		dst **template
		src string
	}{{&s.key, o.PrivateKey}, {&s.kid, o.KeyID}, {&s.iss, o.Issuer}, {&s.sub, o.Subject}, {&s.aud, o.Audience}} {
		var err error
		if *t.dst, err = ts.parse(t.src, modeText); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// render renders the assertion's settings; the audience defaults to the
// token URL. The key, in every form it may be written in, joins the run's
// secrets before it is read, so that no error can show it.
func (s *jwtStep) render(r *renderer, tokenURL string) (*oauth.Assertion, error) {
	a := &oauth.Assertion{}
	for _, t := range []struct {
		dst   *string
		src   *template
		field string
	}{{&a.KeyPEM, s.key, "auth.oauth2.privateKey"}, {&a.KeyID, s.kid, "auth.oauth2.keyId"}, {&a.Issuer, s.iss, "auth.oauth2.issuer"},
		{&a.Subject, s.sub, "auth.oauth2.subject"}, {&a.Audience, s.aud, "auth.oauth2.audience"}} {
		v, err := renderCredential(r, t.src, t.field)
		if t.src == s.key {
			r.secrets.add(keyForms(v)...)
		}
		if err != nil {
			return nil, err
		}
		*t.dst = strings.TrimSpace(v)
	}
	if a.Audience == "" {
		a.Audience = tokenURL
	}
	var err error
	a.Key, err = parseSigningKey(a.KeyPEM)
	return a, err
}

// parseSigningKey reads the PEM private key of a jwt_bearer assertion: RSA
// (PKCS #1 or PKCS #8) or EC on P-256, P-384 or P-521 (SEC 1 or PKCS #8),
// pasted as is or with its line breaks written as "\n" (a service
// account's JSON file). Its errors never quote the key.
func parseSigningKey(key string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(unescapeKey(strings.TrimSpace(key))))
	if block == nil {
		return nil, errorf("auth oauth2: the private key is not PEM: paste it whole, with its -----BEGIN PRIVATE KEY----- line " +
			"(a service account's JSON file has it under \"private_key\")")
	}
	var k any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, errorf("auth oauth2: the private key cannot be read (%s): paste it again whole, or download a new key", block.Type)
	}
	signer, ok := k.(crypto.Signer)
	if !ok || oauth.Method(signer) == nil {
		return nil, errorf("auth oauth2: the private key must be RSA, or EC on P-256 (ES256), P-384 or P-521")
	}
	return signer, nil
}

// checkJWT checks the jwt_bearer settings: the key and the issuer are
// needed, and a key typed in must be one that can sign.
func (a *Auth) checkJWT(e *ConfigError) {
	o := a.OAuth2
	a.need(e, "auth.oauth2.issuer", o.Issuer, "the issuer (a service account's client_email)")
	const field = "auth.oauth2.privateKey"
	if strings.TrimSpace(o.PrivateKey) == "" {
		e.add(field, "auth oauth2 jwt_bearer needs the private key (PEM) that signs the assertion")
	} else if t := checkTemplate(e, field, o.PrivateKey, modeText); t != nil && t.static() {
		if _, err := parseSigningKey(o.PrivateKey); err != nil {
			e.add(field, messageOf(err))
		}
	}
	for _, f := range []struct{ field, src string }{{"keyId", o.KeyID}, {"subject", o.Subject}, {"audience", o.Audience}} {
		checkTemplate(e, "auth.oauth2."+f.field, f.src, modeText)
	}
}
