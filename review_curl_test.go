package httpstep_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewCurlExportSecrets: Curl never prints a credential or a Secret,
// whether it comes from a parameter (plain string or Secret) or is typed
// into the node.
func TestReviewCurlExportSecrets(t *testing.T) {
	const pw = "pl41nPASS"
	for name, tc := range map[string]struct {
		node   httpstep.NodeConfig
		params httpstep.Params
	}{
		"basic from a plain value": {httpstep.NodeConfig{URL: "https://a.example/", Auth: &httpstep.Auth{Type: "basic", Username: "u", Password: "{{pw}}"}}, httpstep.Values{"pw": pw}},
		"basic typed":              {httpstep.NodeConfig{URL: "https://a.example/", Auth: &httpstep.Auth{Type: "basic", Username: "u", Password: pw}}, nil},
		"bearer typed, params":     {httpstep.NodeConfig{URL: "https://a.example/", Auth: &httpstep.Auth{Type: "bearer", Token: pw}}, httpstep.Values{}},
		"apiKey query":             {httpstep.NodeConfig{URL: "https://a.example/", Auth: &httpstep.Auth{Type: "apiKey", Name: "key", In: "query", Value: "{{k}}"}}, httpstep.Values{"k": pw}},
		"digest":                   {httpstep.NodeConfig{URL: "https://a.example/", Auth: &httpstep.Auth{Type: "digest", Username: "u", Password: pw}}, httpstep.Values{}},
		"secret header":            {httpstep.NodeConfig{URL: "https://a.example/", Headers: []httpstep.KeyValue{{Key: "X-T", Value: "{{s}}"}}}, httpstep.Values{"s": httpstep.Secret(pw)}},
		"secret in raw body":       {httpstep.NodeConfig{Method: "POST", URL: "https://a.example/", Body: &httpstep.Body{Kind: httpstep.BodyRaw, Raw: `{"p":"{{s}}"}`}}, httpstep.Values{"s": httpstep.Secret(pw)}},
		"oauth2 client secret":     {httpstep.NodeConfig{URL: "https://a.example/", Auth: &httpstep.Auth{Type: "oauth2", OAuth2: &httpstep.OAuth2{Grant: "client_credentials", TokenURL: "https://a.example/t", ClientID: "c", ClientSecret: pw}}}, httpstep.Values{}},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := tc.node.Curl(tc.params)
			if err != nil {
				assert.NotContains(t, err.Error(), pw)
				return
			}
			require.NotEmpty(t, out)
			assert.NotContains(t, out, pw)
			assert.NotContains(t, out, "dTpwbDQxblBBU1M") // base64 "u:pl41nPASS"
		})
	}
}
