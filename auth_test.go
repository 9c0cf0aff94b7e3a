package httpstep

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/httpstep/httpstep/internal/tokenpeer"
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

// TestRefsInsideNewAuth: Refs lists every ref inside the auth types of
// wave 3 (each is a parameter the user must supply) and none of their
// reserved variables ($token, $signature, $timestamp, $nonce, ...).
func TestRefsInsideNewAuth(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth *Auth
		want []string
	}{
		{"jwt_bearer", &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantJWTBearer, TokenURL: "{{sa.tokenUri}}",
			PrivateKey: "{{sa.key}}", KeyID: "{{sa.kid}}", Issuer: "{{sa.email}}", Subject: "{{user}}", Audience: "{{aud}}",
			Params: []KeyValue{{Key: "p", Value: "{{extra}}"}}}},
			[]string{"sa.tokenUri", "sa.key", "sa.kid", "sa.email", "user", "aud", "extra"}},
		{"awsSigV4", &Auth{Type: AuthAWSSigV4, AWS: &AWSAuth{AccessKeyID: "{{aws.id}}", SecretAccessKey: "{{aws.secret}}",
			SessionToken: "{{aws.session}}", Region: "us-east-1", Service: "s3"}},
			[]string{"aws.id", "aws.secret", "aws.session"}},
		{"signature", &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256, Key: "{{$timestamp}}\n{{app.secret}}",
			Message: "{{$method}}{{$path}}{{$header.X-Id}}{{tenant}}",
			Headers: []KeyValue{{Key: "X-Sign", Value: "{{$signature}}"}, {Key: "X-App", Value: "{{app.id}}"}},
			Query:   []KeyValue{{Key: "ts", Value: "{{$timestampMs}}"}, {Key: "n", Value: "{{$nonce}}{{salt}}"}}}},
			[]string{"app.secret", "tenant", "app.id", "salt"}},
		{"token", &Auth{Type: AuthToken, Value: "Token {{$token}} {{realm}}", Fetch: &TokenFetch{Request: NodeConfig{
			Method: "POST", URL: "https://auth.test/{{tenant}}/token", Query: []KeyValue{{Key: "appid", Value: "{{wx.appid}}"}},
			Headers: []KeyValue{{Key: "X-Secret", Value: "{{wx.secret}}"}}, Body: &Body{Kind: BodyRaw, Raw: `{"u":"{{wx.user}}"}`}}}},
			[]string{"realm", "tenant", "wx.appid", "wx.secret", "wx.user"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &NodeConfig{URL: "https://api.test/{{id}}", Auth: tc.auth}
			assert.ElementsMatch(t, append([]string{"id"}, tc.want...), n.Refs())
		})
	}
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

// credentialForms are the forms a credential takes once placed in a
// request: raw, URL-escaped (query and path), JSON-escaped.
func credentialForms(creds ...string) []string {
	var out []string
	for _, c := range creds {
		j, _ := json.Marshal(c)
		out = append(out, c, url.QueryEscape(c), url.PathEscape(c), string(j[1:len(j)-1]))
	}
	return out
}

// basicForm is the base64 of user:password as HTTP Basic sends it.
func basicForm(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// assertNoCredentials fails when any form of a credential is in the run's
// history, its failure message or any level of its error.
func assertNoCredentials(t *testing.T, res *Result, err error, creds ...string) {
	t.Helper()
	hist, merr := json.Marshal(res.Attempts)
	require.NoError(t, merr)
	texts := []string{string(hist)}
	if res.Failure != nil {
		texts = append(texts, res.Failure.Message, res.Failure.Error())
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		texts = append(texts, e.Error())
	}
	for _, f := range credentialForms(creds...) {
		for _, s := range texts {
			if strings.Contains(s, f) {
				t.Errorf("credential form %q found in %.300s", f, s)
			}
		}
	}
}

const (
	basicUser = "ann@example.test"
	basicPass = `p@ss/wörd "q"&+=`
)

func TestBasicAuthHTTPBin(t *testing.T) {
	base := httpbinURL(t)
	c := testClient(t)
	node := &NodeConfig{URL: base + "/basic-auth/" + url.PathEscape(basicUser) + "/" + url.PathEscape(basicPass),
		Auth: &Auth{Type: AuthBasic, Username: "{{user}}", Password: "{{pw}}"}}
	params := Values{"user": basicUser, "pw": basicPass} // plain strings, not Secrets
	res, err := c.Execute(context.Background(), node, params)
	require.NoError(t, err)
	assert.True(t, res.Get("authenticated").Bool())
	assert.Equal(t, []string{"[REDACTED]"}, res.Attempts[0].Request.Header["Authorization"])
	assertNoCredentials(t, res, err, basicPass, basicForm(basicUser, basicPass))

	res, err = c.Execute(context.Background(), node, Values{"user": basicUser, "pw": "wrong-password"})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindStatus, f.Kind)
	assert.Equal(t, 401, f.StatusCode)
	assertNoCredentials(t, res, err, "wrong-password", basicForm(basicUser, "wrong-password"))
}

func TestBearerHTTPBin(t *testing.T) {
	const token = "bearer-tok/+en=Xy9"
	node := &NodeConfig{URL: httpbinURL(t) + "/bearer", Auth: &Auth{Type: AuthBearer, Token: "{{tok}}"}}
	res, err := testClient(t).Execute(context.Background(), node, Values{"tok": token})
	require.NoError(t, err)
	assert.Equal(t, token, res.Get("token").String(), "httpbin echoes the token back; the body is the caller's")
	assertNoCredentials(t, res, err, token)
}

// TestAPIKeyEchoed: the key is sent where asked and redacted even where an
// API echoes it back, under a name that does not look secret.
func TestAPIKeyEchoed(t *testing.T) {
	const key = "key-9f8e/7d+6c"
	base := httpbinURL(t)
	for _, in := range []string{InHeader, InQuery} {
		t.Run(in, func(t *testing.T) {
			node := &NodeConfig{URL: base + "/anything", Auth: &Auth{Type: AuthAPIKey, Name: "X-Tenant-Ref", In: in, Value: "{{k}}"}}
			res, err := testClient(t).Execute(context.Background(), node, Values{"k": key})
			require.NoError(t, err)
			if in == InHeader {
				assert.Equal(t, key, res.Get("headers.X-Tenant-Ref.0").String())
			} else {
				assert.Equal(t, key, res.Get("args.X-Tenant-Ref.0").String())
			}
			assertNoCredentials(t, res, err, key)
		})
	}
}

// TestCredentialsStayOnTheirHost: no auth type's credential follows a
// redirect or a next page to another host: not in a header (Authorization,
// Referer, Cookie or the key's own), not in the query; and the run's
// history and Redact show none of it.
func TestCredentialsStayOnTheirHost(t *testing.T) {
	other := newRecorderOn(t, "127.0.0.2", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"items":[2],"next":""}`) })
	otherURL := other.URL
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, otherURL+"/landed", http.StatusFound)
			return
		}
		fmt.Fprintf(w, `{"items":[1],"next":%q}`, otherURL+"/more")
	})
	auths := map[string]*Auth{
		"basic":  {Type: AuthBasic, Username: "u", Password: "{{v}}"},
		"bearer": {Type: AuthBearer, Token: "{{v}}"},
		"header": {Type: AuthAPIKey, Name: "X-Tenant-Ref", Value: "{{v}}"},
		"query":  {Type: AuthAPIKey, Name: "ref", In: InQuery, Value: "{{v}}"},
	}
	peer := tokenpeer.New(t, tokenpeer.Options{})
	auths["oauth2"] = &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: peer.URL + "/token", ClientID: tokenpeer.ClientID, ClientSecret: "{{csec}}"}}
	const v = "cred-value-123"
	for name, a := range auths {
		t.Run(name, func(t *testing.T) {
			c := testClient(t)
			for _, node := range []*NodeConfig{
				{URL: srv.URL + "/away", Auth: a},
				{URL: srv.URL + "/list", Auth: a, Paginate: &Pagination{Mode: "next_url", NextPath: "next", ItemsPath: "items"}},
			} {
				before := other.count()
				res, err := c.Execute(context.Background(), node, Values{"v": v, "csec": tokenpeer.ClientSecret})
				require.NoError(t, err)
				require.Equal(t, before+1, other.count(), "one request reached the other host")
				cred := v
				if name == "oauth2" {
					cred = tokenpeer.ClientSecret
				}
				assertNoCredentials(t, res, err, cred)
				assert.NotContains(t, res.Redact("x "+cred+" y"), cred)
				got := other.last(t)
				assert.Empty(t, got.Header.Get("Authorization"))
				for _, s := range append(issued(peer), v, basicForm("u", v)) {
					assert.NotContains(t, fmt.Sprint(got.Header), s)
					assert.NotContains(t, got.RequestURI, s)
				}
			}
		})
	}
}

func TestDigestHTTPBin(t *testing.T) {
	base := httpbinURL(t)
	for _, alg := range []string{"MD5", "SHA-256"} {
		t.Run(alg, func(t *testing.T) {
			c := testClient(t)
			node := &NodeConfig{URL: base + "/digest-auth/auth/" + url.PathEscape(basicUser) + "/" + url.PathEscape(basicPass) + "/" + alg,
				Auth: &Auth{Type: AuthDigest, Username: "{{user}}", Password: "{{pw}}"}}
			params := Values{"user": basicUser, "pw": basicPass}
			res, err := c.Execute(context.Background(), node, params)
			require.NoError(t, err)
			assert.True(t, res.Get("authenticated").Bool())
			require.Len(t, res.Attempts, 2, "the challenge and the answer, both in the history")
			assert.Equal(t, RecordChallenge, res.Attempts[0].Auth)
			assert.Equal(t, 401, res.Attempts[0].Response.Status)
			assert.Equal(t, 1, res.Attempts[1].N, "one attempt")
			assertNoCredentials(t, res, err, basicPass)

			res, err = c.Execute(context.Background(), node, params)
			require.NoError(t, err)
			assert.Len(t, res.Attempts, 1, "the host's challenge is remembered: answered on the first try")

			res, err = c.Execute(context.Background(), node, Values{"user": basicUser, "pw": "wrong-password"})
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindStatus, f.Kind)
			assert.Equal(t, 401, f.StatusCode)
			assertNoCredentials(t, res, err, "wrong-password")
		})
	}
}

// TestCleartextRefusedWhenRendered: a URL only known once rendered is
// checked before credentials go out over plain http.
func TestCleartextRefusedWhenRendered(t *testing.T) {
	srv := newRecorder(t, nil)
	node := &NodeConfig{URL: "{{url}}", Auth: &Auth{Type: AuthBearer, Token: "tok-123456"}}
	c := &Client{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	defer c.CloseIdleConnections()
	_, err := c.Execute(context.Background(), node, Values{"url": "http://10.255.255.1:9/x"})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindParam, f.Kind)
	assert.Contains(t, f.Message, "plain http")

	_, err = c.Execute(context.Background(), node, Values{"url": srv.URL + "/x"})
	require.NoError(t, err, "loopback is fine")
	assert.Equal(t, "Bearer tok-123456", srv.last(t).Header.Get("Authorization"))

	node.Auth.AllowCleartext = true
	_, err = c.Execute(context.Background(), node, Values{"url": "http://10.255.255.1:9/x"})
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindBlocked, f.Kind, "allowed: it would go out, were the guard not refusing a private address")
}

// TestMissingAuthRef: a ref inside auth that has no value would send an
// empty credential ("Authorization: Bearer "); nothing useful can come of
// it, so the run fails with kind param naming the ref and sends nothing,
// neither to the API nor to a token endpoint. A ref that is present but
// empty is the caller's choice and goes out.
func TestMissingAuthRef(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	srv := newRecorder(t, nil)
	oauth := func(grant string, edit func(*OAuth2)) *Auth {
		a := oauthNode(peer, grant).Auth
		edit(a.OAuth2)
		return a
	}
	for _, tc := range []struct {
		name string
		auth *Auth
		ref  string
	}{
		{"basic user", &Auth{Type: AuthBasic, Username: "{{who}}", Password: "pw"}, "who"},
		{"basic password", &Auth{Type: AuthBasic, Username: "ann", Password: "{{ secret }}"}, "secret"},
		{"bearer", &Auth{Type: AuthBearer, Token: "{{tok}}"}, "tok"},
		{"bearer in text", &Auth{Type: AuthBearer, Token: "v1.{{tok}}"}, "tok"},
		{"apiKey header", &Auth{Type: AuthAPIKey, Name: "X-Key", Value: "{{key}}"}, "key"},
		{"apiKey query", &Auth{Type: AuthAPIKey, Name: "key", In: InQuery, Value: "{{key}}"}, "key"},
		{"digest", &Auth{Type: AuthDigest, Username: "ann", Password: "{{secret}}"}, "secret"},
		{"oauth2 password", func() *Auth { a := oauth(GrantPassword, func(*OAuth2) {}); a.Password = "{{nope}}"; return a }(), "nope"},
		{"oauth2 client id", oauth(GrantClientCredentials, func(o *OAuth2) { o.ClientID = "{{nope}}" }), "nope"},
		{"oauth2 secret", oauth(GrantClientCredentials, func(o *OAuth2) { o.ClientSecret = "{{nope}}" }), "nope"},
		{"oauth2 token url", oauth(GrantClientCredentials, func(o *OAuth2) { o.TokenURL = "{{nope}}" }), "nope"},
		{"oauth2 param", oauth(GrantClientCredentials, func(o *OAuth2) { o.Params = []KeyValue{{"audience", "{{nope}}"}} }), "nope"},
		{"oauth2 refresh token", oauth(GrantRefreshToken, func(o *OAuth2) { o.RefreshToken = "{{nope}}" }), "nope"},
		{"jwt_bearer key", oauth(GrantJWTBearer, func(o *OAuth2) { o.PrivateKey, o.Issuer = "{{nope}}", "sa@example.test" }), "nope"},
		{"awsSigV4 secret", &Auth{Type: AuthAWSSigV4, AWS: &AWSAuth{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "{{nope}}",
			Region: "us-east-1", Service: "execute-api"}}, "nope"},
		{"signature key", &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256, Key: "{{nope}}",
			Message: "{{$timestamp}}", Query: []KeyValue{{Key: "sign", Value: "{{$signature}}"}}}}, "nope"},
		{"token request query", tokenAuth(peer.URL, `{{$token}}`, KeyValue{Key: "secret", Value: "{{nope}}"}), "nope"},
		{"token request URL", tokenAuth(peer.URL+"/{{nope}}", `{{$token}}`), "nope"},
		{"token value", tokenAuth(peer.URL, `Token {{nope}}:{{$token}}`), "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, tokens := srv.count(), peer.Requests()
			node := &NodeConfig{URL: srv.URL + "/x", Auth: tc.auth}
			res, err := testClient(t).Execute(context.Background(), node, oauthParams())
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindParam, f.Kind, f.Message)
			assert.Contains(t, f.Message, "{{"+tc.ref+"}}")
			assert.Contains(t, f.Message, "auth")
			assert.Equal(t, before, srv.count(), "nothing reached the API")
			assert.Equal(t, tokens, peer.Requests(), "nothing reached the token endpoint")
			assert.NotNil(t, res)
		})
	}
	node := &NodeConfig{URL: srv.URL + "/x", Auth: &Auth{Type: AuthBearer, Token: "{{tok}}"}}
	_, err := testClient(t).Execute(context.Background(), node, Values{"tok": ""})
	require.NoError(t, err, "an empty value is a value")
}

// tokenAuth is a "token" auth block whose token request goes to base with
// query (a missing ref in any of it must stop the run before it is sent).
func tokenAuth(base, value string, query ...KeyValue) *Auth {
	return &Auth{Type: AuthToken, Value: value, Fetch: &TokenFetch{Request: NodeConfig{URL: base + "/token", Query: query}}}
}

// TestMissingNamesOnlyRefs: the history's missing list names refs that had
// no value, never the literal text around them.
func TestMissingNamesOnlyRefs(t *testing.T) {
	srv := newRecorder(t, nil)
	node := &NodeConfig{URL: srv.URL + "/x", Auth: &Auth{Type: AuthBasic, Username: "ann", Password: "pw-{{pw}}"}}
	res, err := testClient(t).Execute(context.Background(), node, Values{"pw": "x"})
	require.NoError(t, err)
	require.NotEmpty(t, res.Attempts)
	assert.Empty(t, res.Attempts[0].Missing)
}
