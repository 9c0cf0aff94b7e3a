package curl

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/httpstep/httpstep"
)

// The auth block in a cURL command: basic is -u user:password, digest adds
// --digest, bearer is --oauth2-bearer, an API key is a -H header or a
// query parameter. OAuth2 has no curl option and is left out.

// curlAuth is what a command says about credentials.
type curlAuth struct {
	user   *string // -u user:password
	digest bool    // --digest
	bearer *string // --oauth2-bearer
	aws    *string // --aws-sigv4 provider1[:provider2[:region[:service]]]
}

// node is the auth block of an imported command: -u with --digest is
// digest, --oauth2-bearer is bearer, -u alone is basic (no colon: an empty
// password). A typed -H Authorization wins, as in curl.
func (ca curlAuth) node(headers []curlHeader) *httpstep.Auth {
	for _, h := range headers {
		if !h.derived && strings.EqualFold(h.Key, "Authorization") {
			return nil
		}
	}
	var user, pass string
	if ca.user != nil {
		user, pass, _ = strings.Cut(*ca.user, ":")
	}
	switch {
	case ca.user != nil && ca.aws != nil:
		return awsAuth(*ca.aws, user, pass)
	case ca.user != nil && ca.digest:
		return &httpstep.Auth{Type: httpstep.AuthDigest, Username: user, Password: pass}
	case ca.bearer != nil:
		return &httpstep.Auth{Type: httpstep.AuthBearer, Token: *ca.bearer}
	case ca.user != nil:
		return &httpstep.Auth{Type: httpstep.AuthBasic, Username: user, Password: pass}
	}
	return nil
}

// awsAuth is --aws-sigv4 with -u KEY:SECRET as an awsSigV4 block: curl's
// "aws:amz:REGION:SERVICE". A region or service the option leaves out
// (curl reads it from the host name) stays empty, and Validate asks for it.
func awsAuth(spec, key, secret string) *httpstep.Auth {
	parts := strings.Split(spec, ":")
	w := &httpstep.AWSAuth{AccessKeyID: key, SecretAccessKey: secret}
	if len(parts) > 2 {
		w.Region = parts[2]
	}
	if len(parts) > 3 {
		w.Service = parts[3]
	}
	return &httpstep.Auth{Type: httpstep.AuthAWSSigV4, AWS: w}
}

// headerAuth turns the one typed Authorization header of headers into the
// auth block when it reads as one: "Bearer TOKEN" (one word; a {{ref}} is
// fine) as bearer, "Basic BASE64" of user:password as basic. It returns the
// auth block and the headers without that header, or nil and headers as
// they are. As an auth block the credential is redacted in all its forms
// and never follows a redirect or next page to another host.
func headerAuth(headers []httpstep.KeyValue) (*httpstep.Auth, []httpstep.KeyValue) {
	at := -1
	for i, h := range headers {
		if strings.EqualFold(h.Key, "Authorization") {
			if at >= 0 {
				return nil, headers // two of them: which one counts is the server's guess
			}
			at = i
		}
	}
	if at < 0 {
		return nil, headers
	}
	a := authOf(strings.TrimSpace(headers[at].Value))
	if a == nil {
		return nil, headers
	}
	var rest []httpstep.KeyValue // nil when none is left, as for a command without headers
	rest = append(append(rest, headers[:at]...), headers[at+1:]...)
	return a, rest
}

// authOf reads an Authorization value as a bearer or basic auth block, or
// gives nil.
func authOf(v string) *httpstep.Auth {
	scheme, cred, ok := strings.Cut(v, " ")
	cred = strings.TrimSpace(cred)
	if !ok || cred == "" || strings.ContainsAny(cred, " \t") {
		return nil
	}
	switch strings.ToLower(scheme) {
	case "bearer":
		return &httpstep.Auth{Type: httpstep.AuthBearer, Token: cred}
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		user, pass, found := strings.Cut(string(raw), ":")
		if err != nil || !found || !utf8.Valid(raw) {
			return nil
		}
		return &httpstep.Auth{Type: httpstep.AuthBasic, Username: user, Password: pass}
	}
	return nil
}

// cleartextNote warns that the imported credentials would go over plain
// http to a host that is not loopback, which the node refuses until the
// URL is https or the auth block allows cleartext: Validate finds more
// wrong with the node than with the same node allowing cleartext.
func cleartextNote(n *httpstep.NodeConfig) string {
	if n.Auth == nil || n.Auth.Type == httpstep.AuthDigest {
		return ""
	}
	allowed := *n
	allowed.Auth = new(httpstep.Auth)
	*allowed.Auth = *n.Auth
	allowed.Auth.AllowCleartext = true
	if problems(n) == problems(&allowed) {
		return ""
	}
	return "the credentials would go over plain http: the node refuses to send them until the URL is https:// or the auth block sets allowCleartext"
}

// problems counts what Validate finds wrong with n.
func problems(n *httpstep.NodeConfig) int {
	var ce *httpstep.ConfigError
	if errors.As(n.Validate(), &ce) {
		return len(ce.Problems)
	}
	return 0
}
