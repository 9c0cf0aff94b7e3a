package main

import (
	"testing"

	"github.com/httpstep/httpstep"
	"github.com/stretchr/testify/assert"
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
