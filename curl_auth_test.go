package httpstep

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCurlAuthExport: Curl writes the auth block back as curl options,
// literal secrets redacted, refs kept, and ParseCurl reads them again.
func TestCurlAuthExport(t *testing.T) {
	const url = "https://api.example.com/v1"
	tests := []struct {
		name     string
		auth     Auth
		typed    string // in Curl(nil)
		rendered string // in Curl(params)
		back     *Auth  // ParseCurl of Curl(nil)
	}{
		{"basic", Auth{Type: AuthBasic, Username: "{{user}}", Password: "{{pw}}"},
			"-u '{{user}}:{{pw}}'", "-u 'ann:[REDACTED]'", &Auth{Type: AuthBasic, Username: "{{user}}", Password: "{{pw}}"}},
		{"basic literal", Auth{Type: AuthBasic, Username: "ann", Password: "s3cret"},
			"-u 'ann:[REDACTED]'", "-u 'ann:[REDACTED]'", &Auth{Type: AuthBasic, Username: "ann", Password: "[REDACTED]"}},
		{"digest", Auth{Type: AuthDigest, Username: "ann", Password: "{{pw}}"},
			"--digest \\\n  -u 'ann:{{pw}}'", "--digest \\\n  -u 'ann:[REDACTED]'", &Auth{Type: AuthDigest, Username: "ann", Password: "{{pw}}"}},
		{"bearer", Auth{Type: AuthBearer, Token: "{{tok}}"},
			"--oauth2-bearer '{{tok}}'", "--oauth2-bearer '[REDACTED]'", &Auth{Type: AuthBearer, Token: "{{tok}}"}},
		{"bearer literal", Auth{Type: AuthBearer, Token: "abc123"},
			"--oauth2-bearer '[REDACTED]'", "--oauth2-bearer '[REDACTED]'", &Auth{Type: AuthBearer, Token: "[REDACTED]"}},
		{"apiKey header", Auth{Type: AuthAPIKey, Name: "X-Tenant-Ref", Value: "k-{{key}}"},
			"-H 'X-Tenant-Ref: [REDACTED]'", "-H 'X-Tenant-Ref: [REDACTED]'", nil},
		{"apiKey query", Auth{Type: AuthAPIKey, Name: "ref", In: InQuery, Value: "{{key}}"},
			url + "?ref={{key}}", url + "?ref=[REDACTED]", nil},
	}
	params := Values{"user": "ann", "pw": "pw-123456", "tok": "tok-123456", "key": "key-123456"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.auth
			node := &NodeConfig{URL: url, Auth: &a}
			typed, err := node.Curl(nil)
			require.NoError(t, err)
			assert.Contains(t, typed, tt.typed)
			rendered, err := node.Curl(params)
			require.NoError(t, err)
			assert.Contains(t, rendered, tt.rendered)
			for _, v := range []string{"pw-123456", "tok-123456", "key-123456", "s3cret", "abc123"} {
				assert.NotContains(t, typed+rendered, v)
			}
			back, err := ParseCurl(typed)
			require.NoError(t, err, typed)
			assert.Equal(t, tt.back, back.Auth)
		})
	}
	oauth := &NodeConfig{URL: url, Auth: &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: "https://login.example.com/t", ClientID: "c", ClientSecret: "oauth-secret-1"}}}
	cmd, err := oauth.Curl(params)
	require.NoError(t, err)
	assert.NotContains(t, cmd, "oauth-secret-1", "oauth2 has no curl option: left out")
}

// TestCurlDigestImportRuns: a --digest -u command imported runs against
// go-httpbin's digest endpoint.
func TestCurlDigestImportRuns(t *testing.T) {
	base := httpbinURL(t)
	for _, cmd := range []string{
		"curl --digest -u 'bob:s3c:ret' " + base + "/digest-auth/auth/bob/s3c:ret/SHA-256",
		"curl -u 'bob:s3c:ret' " + base + "/basic-auth/bob/s3c:ret",
	} {
		node, err := ParseCurl(cmd)
		require.NoError(t, err)
		res, err := testClient(t).Execute(context.Background(), node, nil)
		require.NoError(t, err, cmd)
		assert.True(t, res.Get("authenticated").Bool())
	}
}

// TestCurlCleartextNote: credentials imported for a plain http URL come
// with a note, since the node refuses them until told otherwise.
func TestCurlCleartextNote(t *testing.T) {
	imp, err := ImportCurl("curl -u admin:pw http://intranet.example.com/x")
	require.NoError(t, err)
	require.NotEmpty(t, imp.Notes)
	assert.Contains(t, imp.Notes[len(imp.Notes)-1], "allowCleartext")
	assert.Error(t, imp.Node.Validate())
	imp, err = ImportCurl("curl -u admin:pw https://intranet.example.com/x")
	require.NoError(t, err)
	assert.Empty(t, imp.Notes)
}
