package httpstep

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuthJSONKeys: the auth block reads and writes the keys fixed in the
// design.
func TestAuthJSONKeys(t *testing.T) {
	in := `{"type":"oauth2","username":"u","password":"p","token":"t","name":"X-Key","in":"query","value":"v",` +
		`"oauth2":{"grant":"password","tokenUrl":"https://t/x","clientId":"c","clientSecret":"s","refreshToken":"r",` +
		`"scopes":["a"],"params":[{"key":"audience","value":"x"}],"credentialsIn":"body","refreshOn":[401],"expiredCodes":["40001"]},` +
		`"allowCleartext":true}`
	var a Auth
	require.NoError(t, json.Unmarshal([]byte(in), &a))
	out, err := json.Marshal(&a)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
}

func TestValidateAuth(t *testing.T) {
	tests := []struct {
		name  string
		url   string
		auth  Auth
		field string // "" = valid
		words []string
	}{
		{"basic", "https://api.test/x", Auth{Type: AuthBasic, Username: "u", Password: "{{pw}}"}, "", nil},
		{"basic without user or password", "https://api.test/x", Auth{Type: AuthBasic}, "auth.username", []string{"auth", "username"}},
		{"basic with a key as username", "https://api.test/x", Auth{Type: AuthBasic, Username: "sk_test_123"}, "", nil},
		{"basic with only a password", "https://api.test/x", Auth{Type: AuthBasic, Password: "{{key}}"}, "", nil},
		{"digest without user", "https://api.test/x", Auth{Type: AuthDigest, Password: "p"}, "auth.username", []string{"auth", "username"}},
		{"unknown type", "https://api.test/x", Auth{Type: "kerberos"}, "auth.type", []string{"auth", "kerberos"}},
		{"bearer", "https://api.test/x", Auth{Type: AuthBearer, Token: "{{t}}"}, "", nil},
		{"bearer empty", "https://api.test/x", Auth{Type: AuthBearer}, "auth.token", []string{"auth", "token"}},
		{"bearer line break", "https://api.test/x", Auth{Type: AuthBearer, Token: "a\nb"}, "auth.token", []string{"auth", "line break"}},
		{"apiKey header", "https://api.test/x", Auth{Type: AuthAPIKey, Name: "X-Api-Key", Value: "{{k}}"}, "", nil},
		{"apiKey query", "https://api.test/x", Auth{Type: AuthAPIKey, Name: "api key", In: InQuery, Value: "k"}, "", nil},
		{"apiKey cookie", "https://api.test/x", Auth{Type: AuthAPIKey, Name: "k", In: "cookie", Value: "k"}, "auth.in", []string{"auth", "header or query"}},
		{"apiKey bad header", "https://api.test/x", Auth{Type: AuthAPIKey, Name: "X Key", Value: "k"}, "auth.name", []string{"auth"}},
		{"apiKey no value", "https://api.test/x", Auth{Type: AuthAPIKey, Name: "X-Key"}, "auth.value", []string{"auth"}},
		{"oauth2 block missing", "https://api.test/x", Auth{Type: AuthOAuth2}, "auth.oauth2", []string{"auth", "token"}},
		{"oauth2", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: "https://login.test/token", ClientID: "c"}}, "", nil},
		{"oauth2 templated token url", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: "{{tokenUrl}}", ClientID: "c"}}, "", nil},
		{"oauth2 no token url", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, ClientID: "c"}}, "auth.oauth2.tokenUrl", []string{"auth", "token"}},
		{"oauth2 ftp token url", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: "ftp://x", ClientID: "c"}}, "auth.oauth2.tokenUrl", []string{"auth", "token"}},
		{"oauth2 unknown grant", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: "implicit", TokenURL: "https://t/x"}}, "auth.oauth2.grant", []string{"auth", "grant"}},
		{"oauth2 refresh without token", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantRefreshToken, TokenURL: "https://t/x"}}, "auth.oauth2.refreshToken", []string{"auth", "refresh token"}},
		{"oauth2 password without user", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantPassword, TokenURL: "https://t/x"}}, "auth.username", []string{"auth", "password grant"}},
		{"oauth2 credentialsIn", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: "https://t/x", ClientID: "c", CredentialsIn: "query"}}, "auth.oauth2.credentialsIn", []string{"auth"}},
		{"oauth2 refreshOn", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: "https://t/x", ClientID: "c", RefreshOn: []int{4010}}}, "auth.oauth2.refreshOn", []string{"auth"}},
		{"oauth2 expiredCodes without path", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: "https://t/x", ClientID: "c", ExpiredCodes: []string{"40001"}}}, "auth.oauth2.expiredCodes", []string{"auth", "errorCodePath"}},
		{"oauth2 param without name", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: "https://t/x", ClientID: "c", Params: []KeyValue{{Value: "x"}}}}, "auth.oauth2.params[0].key", []string{"auth"}},
		{"cleartext basic", "http://api.test/x", Auth{Type: AuthBasic, Username: "u"}, "url", []string{"auth", "plain http", "allowCleartext"}},
		{"cleartext bearer, upper case", "HTTP://api.test", Auth{Type: AuthBearer, Token: "t"}, "url", []string{"auth", "plain http"}},
		{"cleartext apiKey", "http://api.test/x", Auth{Type: AuthAPIKey, Name: "K", Value: "v"}, "url", []string{"auth", "plain http"}},
		{"cleartext apiKey, host template", "http://{{host}}/x", Auth{Type: AuthAPIKey, Name: "K", Value: "v"}, "url", []string{"auth", "plain http"}},
		{"cleartext allowed", "http://api.test/x", Auth{Type: AuthBasic, Username: "u", AllowCleartext: true}, "", nil},
		{"cleartext loopback", "http://127.0.0.1:8080/x", Auth{Type: AuthBasic, Username: "u"}, "", nil},
		{"cleartext localhost", "http://user@localhost/x", Auth{Type: AuthBasic, Username: "u"}, "", nil},
		{"cleartext ::1", "http://[::1]:80/x", Auth{Type: AuthBearer, Token: "t"}, "", nil},
		{"cleartext digest is fine", "http://api.test/x", Auth{Type: AuthDigest, Username: "u"}, "", nil},
		{"cleartext whole-URL template", "{{url}}", Auth{Type: AuthBearer, Token: "t"}, "", nil},
		{"cleartext token url", "https://api.test/x", Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: "http://login.test/token", ClientID: "c"}}, "auth.oauth2.tokenUrl", []string{"auth", "plain http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.auth
			n := &NodeConfig{URL: tt.url, Auth: &a}
			err := n.Validate()
			if tt.field == "" {
				assert.NoError(t, err)
				return
			}
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "want a *ConfigError, got %v", err)
			var msgs []string
			for _, p := range ce.Problems {
				if p.Field == tt.field {
					msgs = append(msgs, p.Message)
				}
			}
			require.NotEmpty(t, msgs, "no problem on %s in %v", tt.field, err)
			for _, w := range tt.words {
				assert.Contains(t, strings.Join(msgs, "\n"), w)
			}
		})
	}
}

func TestRefsInsideAuth(t *testing.T) {
	n := &NodeConfig{URL: "https://api.test/{{id}}", Auth: &Auth{Type: AuthOAuth2, Username: "{{user}}", Password: "{{ pw }}",
		OAuth2: &OAuth2{Grant: GrantPassword, TokenURL: "{{tokenUrl}}", ClientID: "{{cid}}", ClientSecret: "{{csec}}",
			Params: []KeyValue{{Key: "audience", Value: "{{aud}}"}}}}}
	assert.Equal(t, []string{"id", "user", "pw", "tokenUrl", "cid", "csec", "aud"}, n.Refs())
	key := &NodeConfig{URL: "https://api.test/", Auth: &Auth{Type: AuthAPIKey, Name: "k", Value: "{{key}}", In: InQuery}}
	assert.Equal(t, []string{"key"}, key.Refs())
}

// TestBasicUserWithColon: a basic-auth username that renders with a ':'
// would move the rest of it into the password the server reads (RFC 7617
// forbids it): the attempt fails with kind param and nothing is sent,
// whether the colon is typed or comes from a value.
func TestBasicUserWithColon(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	for _, user := range []string{"{{u}}", "admin{{u}}"} {
		node := &NodeConfig{URL: srv.URL, Auth: &Auth{Type: AuthBasic, Username: user, Password: "pw-{{p}}"}}
		res, err := c.Execute(context.Background(), node, Values{"u": "admin:x", "p": "secret"})
		require.Error(t, err, user)
		require.NotNil(t, res.Failure, user)
		assert.Equal(t, KindParam, res.Failure.Kind, user)
		assert.Contains(t, res.Failure.Message, "username", user)
	}
	assert.Zero(t, srv.count(), "nothing sent")
	err := (&NodeConfig{URL: srv.URL, Auth: &Auth{Type: AuthBasic, Username: "a:b", Password: "c"}}).Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "auth.username")
}
