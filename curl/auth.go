package curl

import (
	"errors"
	"strings"

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
	case ca.user != nil && ca.digest:
		return &httpstep.Auth{Type: httpstep.AuthDigest, Username: user, Password: pass}
	case ca.bearer != nil:
		return &httpstep.Auth{Type: httpstep.AuthBearer, Token: *ca.bearer}
	case ca.user != nil:
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
