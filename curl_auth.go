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
	aws    *string // --aws-sigv4
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
	case AuthAWSSigV4:
		if w := a.AWS; w != nil {
			user, spec := w.AccessKeyID+":"+literalSecretText(w.SecretAccessKey), awsSpec(w)
			req.auth = curlAuth{user: &user, aws: &spec}
			if w.SessionToken != "" { // curl sends a session token as this header
				req.headers = append(req.headers, KeyValue{Key: "X-Amz-Security-Token", Value: literalSecretText(w.SessionToken)})
			}
		}
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
	case AuthAWSSigV4:
		if sg, ok := o.signer.(*awsSigner); ok {
			user, spec := sg.creds.AccessKeyID+":"+redacted, awsSpec(a.AWS)
			req.auth = curlAuth{user: &user, aws: &spec}
			if sg.creds.SessionToken != "" {
				req.headers = append(req.headers, KeyValue{Key: "X-Amz-Security-Token", Value: redacted})
			}
		}
	case AuthAPIKey:
		if a.In != InQuery {
			return http.CanonicalHeaderKey(a.Name)
		}
	}
	return ""
}

// awsSpec is curl's --aws-sigv4 value for w.
func awsSpec(w *AWSAuth) string {
	return "aws:amz:" + strings.TrimSpace(w.Region) + ":" + strings.TrimSpace(w.Service)
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
		if ca.aws != nil {
			w.opt("--aws-sigv4", *ca.aws)
		}
		w.opt("-u", *ca.user)
	}
	if ca.bearer != nil {
		w.opt("--oauth2-bearer", *ca.bearer)
	}
}
