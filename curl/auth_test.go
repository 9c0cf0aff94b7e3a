package curl

import (
	"context"
	"strings"
	"testing"

	"github.com/httpstep/httpstep"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCurlDigestImportRuns: a --digest -u command imported runs against
// go-httpbin's digest endpoint.
func TestCurlDigestImportRuns(t *testing.T) {
	base := httpbinURL(t)
	for _, cmd := range []string{
		"curl --digest -u 'bob:s3c:ret' " + base + "/digest-auth/auth/bob/s3c:ret/SHA-256",
		"curl -u 'bob:s3c:ret' " + base + "/basic-auth/bob/s3c:ret",
	} {
		node, err := Parse(cmd)
		require.NoError(t, err)
		res, err := testClient(t).Execute(context.Background(), node, nil)
		require.NoError(t, err, cmd)
		assert.True(t, res.Get("authenticated").Bool())
	}
}

// TestCurlCleartextNote: credentials imported for a plain http URL come
// with a note, since the node refuses them until told otherwise.
func TestCurlCleartextNote(t *testing.T) {
	node, notes, err := Import("curl -u admin:pw http://intranet.example.com/x")
	require.NoError(t, err)
	require.NotEmpty(t, notes)
	assert.Contains(t, notes[len(notes)-1], "allowCleartext")
	assert.Error(t, node.Validate())
	_, notes, err = Import("curl -u admin:pw https://intranet.example.com/x")
	require.NoError(t, err)
	assert.Empty(t, notes)
	_, notes, err = Import("curl -u admin:pw http://127.0.0.1:8080/x")
	require.NoError(t, err)
	assert.Empty(t, notes, "loopback over plain http is allowed")
	_, notes, err = Import("curl -u admin:pw -d 'a=1' http://intranet.example.com/x --retry 500")
	require.Error(t, err)
	assert.Empty(t, notes)
}

// TestCurlAuthorizationHeader: a typed -H "Authorization: Bearer ..." or
// "Basic ..." becomes the auth block, with a note, as --oauth2-bearer and -u
// do, so the token is a credential (redacted in every form, kept to its
// host) rather than a plain header. What cannot be read as one stays a
// header.
func TestCurlAuthorizationHeader(t *testing.T) {
	const api = "https://api.example.com/v1"
	for _, tc := range []struct {
		name, cmd string
		auth      *httpstep.Auth
		header    string // the Authorization header left, "" for none
	}{
		{"bearer", `curl -H "Authorization: Bearer sk-live-123" ` + api, &httpstep.Auth{Type: httpstep.AuthBearer, Token: "sk-live-123"}, ""},
		{"bearer, any case", `curl -H "authorization:   bearer {{token}} " ` + api, &httpstep.Auth{Type: httpstep.AuthBearer, Token: "{{token}}"}, ""},
		{"basic", `curl -H "Authorization: Basic YW5uOnMzYzpyZXQ=" ` + api, &httpstep.Auth{Type: httpstep.AuthBasic, Username: "ann", Password: "s3c:ret"}, ""},
		{"header wins over -u", `curl -u bob:pw -H "Authorization: Bearer t0k" ` + api, &httpstep.Auth{Type: httpstep.AuthBearer, Token: "t0k"}, ""},
		{"basic that is not base64", `curl -H "Authorization: Basic {{creds}}" ` + api, nil, "Basic {{creds}}"},
		{"another scheme", `curl -H "Authorization: Token abc" ` + api, nil, "Token abc"},
		{"bearer without a token", `curl -H "Authorization: Bearer" ` + api, nil, "Bearer"},
		{"bearer with spaces", `curl -H "Authorization: Bearer a b" ` + api, nil, "Bearer a b"},
		{"two of them", `curl -H "Authorization: Bearer a" -H "Authorization: Bearer b" ` + api, nil, "Bearer a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node, notes, err := Import(tc.cmd)
			require.NoError(t, err)
			assert.Equal(t, tc.auth, node.Auth)
			var left []string
			for _, h := range node.Headers {
				if strings.EqualFold(h.Key, "Authorization") {
					left = append(left, h.Value)
				}
			}
			if tc.header == "" {
				assert.Empty(t, left)
				require.NotEmpty(t, notes)
				assert.Contains(t, notes[0], "the Authorization header is imported as auth "+tc.auth.Type)
			} else {
				assert.Equal(t, tc.header, left[0])
			}
		})
	}
}

// TestCurlAWSSigV4: --aws-sigv4 "aws:amz:REGION:SERVICE" with -u KEY:SECRET
// becomes auth awsSigV4; the node's export writes it back, the secret
// redacted; a command that leaves the region out gets a node Validate asks
// it of.
func TestCurlAWSSigV4(t *testing.T) {
	cmd := `curl --aws-sigv4 "aws:amz:eu-west-1:execute-api" -u 'AKIAEXAMPLE:{{aws.secret}}' https://abc.execute-api.eu-west-1.amazonaws.com/prod/orders`
	node, err := Parse(cmd)
	require.NoError(t, err)
	require.NoError(t, node.Validate())
	assert.Equal(t, &httpstep.Auth{Type: httpstep.AuthAWSSigV4, AWS: &httpstep.AWSAuth{AccessKeyID: "AKIAEXAMPLE",
		SecretAccessKey: "{{aws.secret}}", Region: "eu-west-1", Service: "execute-api"}}, node.Auth)
	out, err := node.Curl(httpstep.Values{"aws": map[string]any{"secret": "s3cr3t-aws-key"}})
	require.NoError(t, err)
	assert.Contains(t, out, "--aws-sigv4 aws:amz:eu-west-1:execute-api")
	assert.Contains(t, out, "AKIAEXAMPLE:[REDACTED]")
	assert.NotContains(t, out, "s3cr3t-aws-key")
	again, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, node.Auth.AWS.Region, again.Auth.AWS.Region)
	assert.Equal(t, node.Auth.AWS.Service, again.Auth.AWS.Service)

	partial, err := Parse(`curl --aws-sigv4 "aws:amz" -u K:S https://s3.amazonaws.com/b`)
	require.NoError(t, err)
	assert.ErrorContains(t, partial.Validate(), "auth.aws.region: auth awsSigV4 needs the region")
}
