package httpstep_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/curl"
)

// The cURL export read back by the import: what (*NodeConfig).Curl writes,
// curl.Parse reads into the same node, up to the normalisations Curl
// documents (NormalForCurl). These tests sit in package httpstep_test
// because package curl imports this one.

// TestCurlRoundTrip: curl.Parse reads an exported node back, for every
// command of the import's corpus: the cases of package curl's TestParse
// (curl/testdata/corpus.json, which its TestCorpusFile keeps in step) and
// its golden commands (curl/testdata/*.txt).
func TestCurlRoundTrip(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("curl", "testdata", "corpus.json"))
	require.NoError(t, err)
	var cmds []struct{ Name, Cmd string }
	require.NoError(t, json.Unmarshal(data, &cmds))
	files, err := filepath.Glob(filepath.Join("curl", "testdata", "*.txt"))
	require.NoError(t, err)
	for _, name := range files {
		text, err := os.ReadFile(name)
		require.NoError(t, err)
		cmds = append(cmds, struct{ Name, Cmd string }{filepath.Base(name), string(text)})
	}
	require.Greater(t, len(cmds), 40)
	for _, tc := range cmds {
		t.Run(tc.Name, func(t *testing.T) {
			node, err := curl.Parse(tc.Cmd)
			require.NoError(t, err)
			if node.Validate() != nil {
				t.Skip("the import is not a valid node")
			}
			cmd, err := node.Curl(nil)
			require.NoError(t, err)
			back, err := curl.Parse(cmd)
			require.NoError(t, err, cmd)
			assert.Equal(t, httpstep.NormalForCurl(node), httpstep.NormalForCurl(back), cmd)
		})
	}
}

// TestCurlAuthExport: Curl writes the auth block back as curl options,
// literal secrets redacted, refs kept, and curl.Parse reads them again.
func TestCurlAuthExport(t *testing.T) {
	const url = "https://api.example.com/v1"
	tests := []struct {
		name     string
		auth     httpstep.Auth
		typed    string         // in Curl(nil)
		rendered string         // in Curl(params)
		back     *httpstep.Auth // curl.Parse of Curl(nil)
	}{
		{"basic", httpstep.Auth{Type: httpstep.AuthBasic, Username: "{{user}}", Password: "{{pw}}"},
			"-u '{{user}}:{{pw}}'", "-u 'ann:[REDACTED]'", &httpstep.Auth{Type: httpstep.AuthBasic, Username: "{{user}}", Password: "{{pw}}"}},
		{"basic literal", httpstep.Auth{Type: httpstep.AuthBasic, Username: "ann", Password: "s3cret"},
			"-u 'ann:[REDACTED]'", "-u 'ann:[REDACTED]'", &httpstep.Auth{Type: httpstep.AuthBasic, Username: "ann", Password: "[REDACTED]"}},
		{"digest", httpstep.Auth{Type: httpstep.AuthDigest, Username: "ann", Password: "{{pw}}"},
			"--digest \\\n  -u 'ann:{{pw}}'", "--digest \\\n  -u 'ann:[REDACTED]'", &httpstep.Auth{Type: httpstep.AuthDigest, Username: "ann", Password: "{{pw}}"}},
		{"bearer", httpstep.Auth{Type: httpstep.AuthBearer, Token: "{{tok}}"},
			"--oauth2-bearer '{{tok}}'", "--oauth2-bearer '[REDACTED]'", &httpstep.Auth{Type: httpstep.AuthBearer, Token: "{{tok}}"}},
		{"bearer literal", httpstep.Auth{Type: httpstep.AuthBearer, Token: "abc123"},
			"--oauth2-bearer '[REDACTED]'", "--oauth2-bearer '[REDACTED]'", &httpstep.Auth{Type: httpstep.AuthBearer, Token: "[REDACTED]"}},
		{"apiKey header", httpstep.Auth{Type: httpstep.AuthAPIKey, Name: "X-Tenant-Ref", Value: "k-{{key}}"},
			"-H 'X-Tenant-Ref: [REDACTED]'", "-H 'X-Tenant-Ref: [REDACTED]'", nil},
		{"apiKey query", httpstep.Auth{Type: httpstep.AuthAPIKey, Name: "ref", In: httpstep.InQuery, Value: "{{key}}"},
			url + "?ref={{key}}", url + "?ref=[REDACTED]", nil},
	}
	params := httpstep.Values{"user": "ann", "pw": "pw-123456", "tok": "tok-123456", "key": "key-123456"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.auth
			node := &httpstep.NodeConfig{URL: url, Auth: &a}
			typed, err := node.Curl(nil)
			require.NoError(t, err)
			assert.Contains(t, typed, tt.typed)
			rendered, err := node.Curl(params)
			require.NoError(t, err)
			assert.Contains(t, rendered, tt.rendered)
			for _, v := range []string{"pw-123456", "tok-123456", "key-123456", "s3cret", "abc123"} {
				assert.NotContains(t, typed+rendered, v)
			}
			back, err := curl.Parse(typed)
			require.NoError(t, err, typed)
			assert.Equal(t, tt.back, back.Auth)
		})
	}
	oauth := &httpstep.NodeConfig{URL: url, Auth: &httpstep.Auth{Type: httpstep.AuthOAuth2, OAuth2: &httpstep.OAuth2{Grant: httpstep.GrantClientCredentials, TokenURL: "https://login.example.com/t", ClientID: "c", ClientSecret: "oauth-secret-1"}}}
	cmd, err := oauth.Curl(params)
	require.NoError(t, err)
	assert.NotContains(t, cmd, "oauth-secret-1", "oauth2 has no curl option: left out")
}

// FuzzCurlRoundTrip builds a node from the fuzzer's values; when it is
// valid and Curl can write it, curl.Parse must read the command back into
// the same node, up to normalForCurl.
func FuzzCurlRoundTrip(f *testing.F) {
	f.Add(uint8(0), "items/{{id}}", "X-A", "{{v}} w", "k", `{"a":"{{b}}"}`, "text/plain", "b.txt", uint16(1500), uint8(3))
	f.Add(uint8(1), "a b", "Accept", "*/*", "q", "a&b=c", "", "", uint16(0), uint8(0))
	f.Add(uint8(2), "x'y", "X-Q", `"q"`, "f", "x;y", "application/json", `a "b".pdf`, uint16(1), uint8(1))
	f.Add(uint8(3), "", "Content-Type", "application/xml", "n", "<a/>", "", "", uint16(10), uint8(2))
	f.Add(uint8(1), "[a]{b}?token=x&sig={{s}}#f", "Content-Length", "5", "password", "a\r\nb\x01'\\", "text/plain; charset=utf-8", "", uint16(999), uint8(100))
	f.Add(uint8(3), "<ID>", "Cookie", "a=b", "@x", `"q"`, "", ";", uint16(65535), uint8(1))
	f.Add(uint8(2), "%zz", "Authorization", "Basic {{x}}", "a b", "{{y}} z", "", "", uint16(2), uint8(2))
	f.Fuzz(func(t *testing.T, kind uint8, path, hk, hv, key, value, ctype, filename string, ms uint16, attempts uint8) {
		node := httpstep.FuzzNode(kind, path, hk, hv, key, value, ctype, filename, ms, attempts)
		if node.Validate() != nil {
			return
		}
		cmd, err := node.Curl(nil)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "httpstep: "), err.Error())
			return
		}
		back, err := curl.Parse(cmd)
		require.NoError(t, err, cmd)
		assert.Equal(t, httpstep.NormalForCurl(node), httpstep.NormalForCurl(back), cmd)
	})
}
