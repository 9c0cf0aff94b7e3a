package httpstep

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSensitiveHeader: header names are judged case-insensitively, as
// strings.ToLower sees them (the Kelvin sign folds to k), whatever their
// length, and a canonical ASCII name is judged without an allocation.
func TestSensitiveHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"Authorization", true},
		{"authorization", true},
		{"PROXY-AUTHORIZATION", true},
		{"Set-Cookie", true},
		{"X-Api-Key", true},
		{"X-Session-Id", true},
		{"X-Amz-Security-Token", true},
		{"X-Very-Long-Header-Name-Beyond-32-Bytes-With-Token", true},
		{"X-Very-Long-Header-Name-Beyond-32-Bytes-Harmless", false},
		{"To\u212Aen", true}, // Kelvin sign: strings.ToLower makes it "token"
		{"Access-Control-Allow-Credentials", false},
		{"Content-Type", false},
		{"X-Request-Id", false},
		{"", false},
	} {
		assert.Equal(t, tc.want, sensitiveHeader(tc.name), tc.name)
		assert.Equal(t, sensitiveLowerHeader(strings.ToLower(tc.name)), sensitiveHeader(tc.name), tc.name)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { sensitiveHeader("X-Amz-Security-Token") }))
}

// TestSecretsFirstArrays: values and secret-holding headers beyond the
// secrets' first arrays are all kept, in order, and all redacted.
func TestSecretsFirstArrays(t *testing.T) {
	s := &secrets{}
	s.add("alpha-1", "", "bravo-2")
	s.add("charlie-3")
	h := http.Header{"X-One": {"alpha-1"}, "X-Two": {"v charlie-3"}, "Accept": {"*/*"}}
	s.seal(&url.URL{Scheme: "https", Host: "api.test"}, h, nil)
	assert.Equal(t, []string{"alpha-1", "bravo-2", "charlie-3"}, s.values)
	assert.ElementsMatch(t, []string{"X-One", "X-Two"}, s.headers)
	got := s.text("alpha-1 bravo-2 charlie-3")
	for _, v := range s.values {
		assert.NotContains(t, got, v)
	}
}

// TestURLSecrets: a URL's password (and its Basic form) and token-like
// query values, raw and unescaped, are its secrets; a URL with none costs
// no allocation, since every request's redactor asks.
func TestURLSecrets(t *testing.T) {
	u, err := url.Parse("https://ann:pw%21x@api.example.com/v1?status=paid&access_token=a%2Bb&page=2")
	require.NoError(t, err)
	basic := base64.StdEncoding.EncodeToString([]byte("ann:pw!x"))
	assert.Equal(t, []string{"pw!x", basic, "a+b", "a%2Bb"}, urlSecrets(u))
	plain, err := url.Parse("https://api.example.com/orders?status=paid+%26+shipped&since=2026-11-01")
	require.NoError(t, err)
	assert.Empty(t, urlSecrets(plain))
	assert.Zero(t, testing.AllocsPerRun(100, func() { urlSecrets(plain) }))
	assert.Empty(t, urlSecrets(nil))
}
