package httpstep_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewAuthValidate: each credential problem DESIGN lists is a
// *ConfigError whose text names "auth" (and "token"/"grant").
func TestReviewAuthValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		auth  httpstep.Auth
		url   string
		words []string
	}{
		"unknown type":        {httpstep.Auth{Type: "ntlm"}, "https://a.example/", []string{"auth"}},
		"unknown grant":       {httpstep.Auth{Type: "oauth2", OAuth2: &httpstep.OAuth2{Grant: "implicit", TokenURL: "https://a.example/t", ClientID: "c"}}, "https://a.example/", []string{"auth", "grant"}},
		"missing tokenUrl":    {httpstep.Auth{Type: "oauth2", OAuth2: &httpstep.OAuth2{Grant: "client_credentials", ClientID: "c"}}, "https://a.example/", []string{"auth", "token"}},
		"in":                  {httpstep.Auth{Type: "apiKey", Name: "k", Value: "v", In: "cookie"}, "https://a.example/", []string{"auth"}},
		"cleartext basic":     {httpstep.Auth{Type: "basic", Username: "u", Password: "p"}, "http://a.example/", []string{"auth"}},
		"cleartext bearer":    {httpstep.Auth{Type: "bearer", Token: "t"}, "http://a.example/", []string{"auth"}},
		"cleartext apiKey":    {httpstep.Auth{Type: "apiKey", Name: "k", Value: "v"}, "http://a.example/", []string{"auth"}},
		"cleartext token URL": {httpstep.Auth{Type: "oauth2", OAuth2: &httpstep.OAuth2{Grant: "client_credentials", TokenURL: "http://a.example/t", ClientID: "c"}}, "https://a.example/", []string{"auth", "token"}},
	} {
		t.Run(name, func(t *testing.T) {
			a := tc.auth
			err := (&httpstep.NodeConfig{URL: tc.url, Auth: &a}).Validate()
			var ce *httpstep.ConfigError
			require.ErrorAs(t, err, &ce)
			for _, w := range tc.words {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	ok := &httpstep.NodeConfig{URL: "http://127.0.0.1/", Auth: &httpstep.Auth{Type: "basic", Username: "u", Password: "p"}}
	assert.NoError(t, ok.Validate(), "loopback over http is fine")
	ok = &httpstep.NodeConfig{URL: "http://a.example/", Auth: &httpstep.Auth{Type: "basic", Username: "u", Password: "p", AllowCleartext: true}}
	assert.NoError(t, ok.Validate())
}

// TestReviewAuthRefs: Refs lists the refs inside auth.
func TestReviewAuthRefs(t *testing.T) {
	n := &httpstep.NodeConfig{URL: "https://a.example/{{p}}", Auth: &httpstep.Auth{Type: "oauth2", Username: "{{u}}", Password: "{{pw}}",
		OAuth2: &httpstep.OAuth2{Grant: "password", TokenURL: "https://{{host}}/t", ClientID: "{{cid}}", ClientSecret: "{{cs}}",
			Params: []httpstep.KeyValue{{Key: "aud", Value: "{{aud}}"}}}}}
	assert.Subset(t, n.Refs(), []string{"p", "u", "pw", "host", "cid", "cs", "aud"})
	b := &httpstep.NodeConfig{URL: "https://a.example/", Auth: &httpstep.Auth{Type: "apiKey", Name: "k", Value: "{{key}}", In: "query"}}
	assert.Contains(t, b.Refs(), "key")
}

// TestReviewCredentialsStayHome: a credential never reaches another host
// on a redirect: not in a header, not in the query, not in the Referer.
func TestReviewCredentialsStayHome(t *testing.T) {
	var mu sync.Mutex
	var other []string
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("no 127.0.0.2 here")
	}
	elsewhere := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		other = append(other, r.URL.String()+" "+r.Header.Get("Authorization")+" "+r.Header.Get("Referer")+" "+r.Header.Get("X-Key")+" "+r.Header.Get("Cookie"))
		mu.Unlock()
		_, _ = w.Write([]byte(`{}`))
	})}}
	elsewhere.Start()
	defer elsewhere.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/landing", http.StatusFound)
	}))
	defer home.Close()
	c := &httpstep.Client{AllowPrivate: true}
	defer c.CloseIdleConnections()
	const secret = "s3cr3tVALUE"
	for _, a := range []httpstep.Auth{
		{Type: "basic", Username: "u", Password: secret},
		{Type: "bearer", Token: secret},
		{Type: "apiKey", Name: "X-Key", Value: secret},
		{Type: "apiKey", Name: "key", In: "query", Value: secret},
	} {
		t.Run(a.Type+a.In, func(t *testing.T) {
			mu.Lock()
			other = nil
			mu.Unlock()
			res, err := c.Execute(context.Background(), &httpstep.NodeConfig{URL: home.URL + "/start", Auth: &a}, nil)
			require.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, other, 1)
			assert.NotContains(t, other[0], secret)
			assert.NotContains(t, other[0], "czNjcjN0VkFMVUU") // base64 of the secret, for Basic
			hist, _ := json.Marshal(res.Attempts)
			assert.NotContains(t, string(hist), secret)
			assert.False(t, strings.Contains(res.Redact(secret), secret))
		})
	}
}
