package httpstep

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/httpstep/httpstep/internal/nodespec"
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
			req.url = nodespec.AppendQuery(req.url, queryText(strings.TrimSpace(a.Name))+"="+queryText(v))
			return
		}
		req.headers = append(req.headers, KeyValue{Key: a.Name, Value: v})
	}
}

// renderedAuth writes the credentials the run rendered into o as curl
// options, every secret as [REDACTED]: basic as -u with the user sent,
// digest as --digest -u, bearer as --oauth2-bearer. It returns the header
// the auth block set on o (canonical), which the export writes as the
// credential it is rather than as a node header, or "" for none (an API
// key in the query is in o's URL already; oauth2 has no curl option).
func (req *curlRequest) renderedAuth(s *Step, o *outgoing) string {
	if s.auth == nil {
		return ""
	}
	switch a := s.auth.auth; a.Type {
	case AuthBasic:
		cred := userOfBasic(o.header.Get("Authorization")) + ":" + redacted
		req.auth = curlAuth{user: &cred}
		return "Authorization"
	case AuthDigest:
		cred := o.cred.user + ":" + redacted
		req.auth = curlAuth{user: &cred, digest: true}
	case AuthBearer:
		tok := redacted
		req.auth.bearer = &tok
		return "Authorization"
	case AuthAPIKey:
		if a.In != InQuery {
			return http.CanonicalHeaderKey(a.Name)
		}
	}
	return ""
}

// userOfBasic is the user of a Basic Authorization header value.
func userOfBasic(v string) string {
	b64, _ := strings.CutPrefix(v, "Basic ")
	pair, _ := base64.StdEncoding.DecodeString(b64)
	user, _, _ := strings.Cut(string(pair), ":")
	return user
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
