package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/httpstep/httpstep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRefKindsOfCredentials: a ref that fills a credential of the auth
// block, or a password-like form field, is asked without echo and never
// remembered, whatever its name.
func TestRefKindsOfCredentials(t *testing.T) {
	node := &httpstep.NodeConfig{URL: "https://a.example.com/",
		Auth: &httpstep.Auth{Type: "oauth2", Username: "{{u}}", Password: "{{p}}", Token: "{{t}}", Value: "{{v}}",
			OAuth2: &httpstep.OAuth2{ClientID: "{{cid}}", ClientSecret: "{{cs}}", RefreshToken: "{{rt}}"}},
		Body: &httpstep.Body{Kind: httpstep.BodyURLEncoded, Fields: []httpstep.FormField{{Key: "password", Value: "{{f}}"}, {Key: "name", Value: "{{n}}"}}}}
	want := map[string]refKind{"u": refText, "cid": refText, "n": refText,
		"p": refSecret, "t": refSecret, "v": refSecret, "cs": refSecret, "rt": refSecret, "f": refSecret}
	for ref, kind := range want {
		assert.Equal(t, kind, refKindOf(node, ref), ref)
	}
}

// TestTestNeverStoresAnAuthSecret: test asks the ref filling the auth
// block's password without echo, and the test-values file holds neither
// the answer nor a value remembered for that ref before it was known to be
// a secret.
func TestTestNeverStoresAnAuthSecret(t *testing.T) {
	srv := testAPIServer(t)
	node := nodeFile(t, `{"url": "%s/items/{{id}}", "auth": {"type": "basic", "username": "bob", "password": "{{pw}}"}}`, srv.URL)
	abs, err := filepath.Abs(node)
	require.NoError(t, err)
	file := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "httpstep", "test-values.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o700))
	old, _ := json.Marshal(map[string]map[string]string{abs: {"pw": "stale-password-1"}})
	require.NoError(t, os.WriteFile(file, old, 0o600))

	term := newTerminal(t)
	wait := term.run("test", "-allow-private", node)
	term.expect("id: ")
	term.typeLine("7")
	term.expect("pw (secret, not shown): ")
	term.typeSecret("typed-password-2")
	code, _ := wait()
	require.Equal(t, 0, code, term.shown())
	assert.NotContains(t, term.shown(), "typed-password-2")
	stored, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(stored), "typed-password-2")
	assert.NotContains(t, string(stored), "stale-password-1", "a value remembered before is forgotten once the ref is a secret")
	assert.Contains(t, string(stored), `"id": "7"`)
}
