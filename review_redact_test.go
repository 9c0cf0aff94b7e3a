package httpstep_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewCredentialForms: a credential that needs escaping is redacted
// raw, base64-Basic, URL- and JSON-escaped, in Attempts, errors and Redact,
// even when the API echoes it. The JSON forms are the ones real APIs write:
// Go's encoding/json (HTML-safe by default), Python's json.dumps (ASCII
// only) and PHP's json_encode (ASCII only, slashes escaped).
func TestReviewCredentialForms(t *testing.T) {
	const pw = `p"a&s s/\é<`
	common := []string{
		pw, url.QueryEscape(pw), url.PathEscape(pw),
		`p\"a&s s/\\é<`,           // JSON, no HTML escaping
		`p\"a\u0026s s/\\é\u003c`, // Go's json.Marshal
		`p\"a&s s/\\\u00e9<`,      // Python's json.dumps
		`p\"a&s s\/\\\u00e9<`,     // PHP's json_encode
	}
	goJSON, _ := json.Marshal(pw)
	require.Equal(t, `"`+common[4]+`"`, string(goJSON))
	for _, tc := range []struct {
		auth  httpstep.Auth
		forms []string
	}{
		{httpstep.Auth{Type: "basic", Username: "u", Password: "{{pw}}"}, append([]string{base64.StdEncoding.EncodeToString([]byte("u:" + pw))}, common...)},
		{httpstep.Auth{Type: "bearer", Token: "{{pw}}"}, common},
		{httpstep.Auth{Type: "apiKey", Name: "k", In: "query", Value: "{{pw}}"}, common},
	} {
		t.Run(tc.auth.Type, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(500)
				_, _ = w.Write([]byte(strings.Join(tc.forms, " | ")))
			}))
			defer srv.Close()
			node := &httpstep.NodeConfig{URL: srv.URL + "/x", Auth: &tc.auth}
			res, err := loopback.Execute(context.Background(), node, httpstep.Values{"pw": pw})
			require.Error(t, err)
			hist, _ := json.Marshal(res.Attempts)
			for _, f := range tc.forms {
				var body string
				if res.Attempts[0].Response != nil {
					body = res.Attempts[0].Response.Body
				}
				assert.NotContains(t, body, f)
				assert.NotContains(t, string(hist), strings.Trim(string(mustJSON(f)), `"`))
				assert.NotContains(t, err.Error(), f)
				assert.NotContains(t, res.Redact("x "+f+" y"), f)
			}
		})
	}
}

func mustJSON(s string) []byte { b, _ := json.Marshal(s); return b }

// TestReviewTokenLikeQuery: token-like query parameters the node typed in
// its URL are redacted in the history.
func TestReviewTokenLikeQuery(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	res, err := loopback.Execute(context.Background(), &httpstep.NodeConfig{URL: srv.URL + "/x?access_token=AT-abc123&api_key=AK-abc123&page=2"}, nil)
	require.NoError(t, err)
	hist, _ := json.Marshal(res.Attempts)
	assert.NotContains(t, string(hist), "AT-abc123")
	assert.NotContains(t, string(hist), "AK-abc123")
	assert.Contains(t, string(hist), "page=2")
}
