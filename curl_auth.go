package httpstep

import (
	"net/http"
	"net/url"
	"strings"
)

// The auth block in a cURL command: basic is -u user:password, digest adds
// --digest, bearer is --oauth2-bearer, an API key is a -H header or a
// query parameter. OAuth2 has no curl option and is left out.

// curlAuth is what a command says about credentials.
type curlAuth struct {
	user   *string // -u user:password
	digest bool    // --digest
	bearer *string // --oauth2-bearer
}

// templateAuth writes the node's auth block as typed into req: literal
// secrets are [REDACTED], {{refs}} are kept.
func (req *curlRequest) templateAuth(a *Auth) {
	if a == nil {
		return
	}
	switch a.Type {
	case AuthBasic, AuthDigest:
		user := a.Username + ":" + literalSecretText(a.Password)
		req.auth = curlAuth{user: &user, digest: a.Type == AuthDigest}
	case AuthBearer:
		tok := literalSecretText(a.Token)
		req.auth.bearer = &tok
	case AuthAPIKey:
		v := literalSecretText(a.Value)
		if a.In == InQuery {
			req.url = appendQuery(req.url, queryText(strings.TrimSpace(a.Name))+"="+queryText(v))
			return
		}
		req.headers = append(req.headers, KeyValue{Key: a.Name, Value: v})
	}
}

// renderedAuth writes the node's rendered credentials into req, every
// secret as [REDACTED]: the password and the token here, an API key (added
// to u's query or to req's header and h) through the run's secrets, which
// it joins.
func (req *curlRequest) renderedAuth(s *Step, r *renderer, u *url.URL, h http.Header) error {
	a := s.auth
	if a == nil {
		return nil
	}
	switch a.auth.Type {
	case AuthBasic, AuthDigest:
		user, err := r.render(a.user)
		cred := user + ":" + redacted
		req.auth = curlAuth{user: &cred, digest: a.auth.Type == AuthDigest}
		return err
	case AuthBearer:
		tok := redacted
		req.auth.bearer = &tok
	case AuthAPIKey:
		v, err := r.render(a.value)
		if err != nil {
			return err
		}
		r.secrets.add(v)
		if a.auth.In == InQuery {
			q := curlEscape(strings.TrimSpace(a.auth.Name)) + "=" + curlEscape(v)
			if u.RawQuery != "" {
				q = u.RawQuery + "&" + q
			}
			u.RawQuery = q
			return nil
		}
		req.headers = append(req.headers, KeyValue{Key: a.auth.Name, Value: strings.TrimSpace(v)})
		h.Add(a.auth.Name, strings.TrimSpace(v))
	}
	return nil
}

// options writes the auth options.
func (ca curlAuth) options(w *curlWriter) {
	if ca.user != nil {
		if ca.digest {
			w.opt("--digest")
		}
		w.opt("-u", *ca.user)
	}
	if ca.bearer != nil {
		w.opt("--oauth2-bearer", *ca.bearer)
	}
}
