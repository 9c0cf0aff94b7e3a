package httpstep

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wechat is a loopback emulation of WeChat's Official Account API as its
// docs describe it: GET /cgi-bin/token?grant_type=client_credential&appid=
// &secret= answers {"access_token","expires_in":7200} (a wrong secret is
// {"errcode":40125,...} with 200); an API call carries the token in the
// access_token query parameter and answers errcode 40001 (invalid) or
// 42001 (expired) with 200 when it is not the current one.
type wechat struct {
	*recorder
	mu      sync.Mutex
	current string
	issued  atomic.Int32
	calls   atomic.Int32
}

const (
	wechatAppID  = "wx1234567890abcdef"
	wechatSecret = "appsecret-0f9e8d7c6b5a"
)

func newWechat(t *testing.T) *wechat {
	w := &wechat{}
	w.recorder = newRecorder(t, w.serve)
	return w
}

func (w *wechat) serve(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "application/json")
	q := r.URL.Query()
	switch r.URL.Path {
	case "/cgi-bin/token":
		if q.Get("grant_type") != "client_credential" || q.Get("appid") != wechatAppID || q.Get("secret") != wechatSecret {
			io.WriteString(rw, `{"errcode":40125,"errmsg":"invalid appsecret"}`)
			return
		}
		n := w.issued.Add(1)
		w.mu.Lock()
		w.current = fmt.Sprintf("ACCESS_TOKEN_%d_kd93jf", n)
		tok := w.current
		w.mu.Unlock()
		fmt.Fprintf(rw, `{"access_token":%q,"expires_in":7200}`, tok)
	default:
		w.calls.Add(1)
		w.mu.Lock()
		ok := q.Get("access_token") == w.current && w.current != ""
		w.mu.Unlock()
		if !ok {
			io.WriteString(rw, `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest"}`)
			return
		}
		io.WriteString(rw, `{"errcode":0,"errmsg":"ok"}`)
	}
}

// expire makes the current token expire on the server's side.
func (w *wechat) expire() {
	w.mu.Lock()
	w.current = "expired"
	w.mu.Unlock()
}

// wechatNode sends a customer message with a fetched token.
func wechatNode(base string) *NodeConfig {
	return &NodeConfig{Method: "POST", URL: base + "/cgi-bin/message/custom/send",
		Body:    &Body{Kind: BodyRaw, Raw: `{"touser":"{{user}}","msgtype":"text","text":{"content":"hi"}}`},
		Success: SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}, ErrorMessagePath: "errmsg"},
		Auth: &Auth{Type: AuthToken, Name: "access_token", In: InQuery, Fetch: &TokenFetch{
			Request: NodeConfig{URL: base + "/cgi-bin/token", Query: []KeyValue{{"grant_type", "client_credential"},
				{"appid", "{{wx.appid}}"}, {"secret", "{{wx.secret}}"}},
				Success: SuccessRule{ErrorCodePath: "errcode", MissingCode: MissingCodeSuccess, SuccessValues: []string{"0"}, ErrorMessagePath: "errmsg"}},
			ExpiredCodes: []string{"40001", "42001"}}}}
}

var wechatValues = Values{"user": "oUser1", "wx": map[string]any{"appid": wechatAppID, "secret": wechatSecret}}

// TestTokenFetchWeChat: the token is fetched once, cached, placed in the
// access_token query parameter; the token request is a record of its own
// with bodies masked, and neither the app secret nor the token is in the
// history.
func TestTokenFetchWeChat(t *testing.T) {
	w := newWechat(t)
	c := testClient(t)
	step, err := wechatNode(w.URL).Compile()
	require.NoError(t, err)
	res, err := c.Run(t.Context(), step, wechatValues)
	require.NoError(t, err)
	require.Len(t, res.Attempts, 2)
	tokRec := res.Attempts[0]
	assert.Equal(t, RecordToken, tokRec.Auth)
	assert.Equal(t, redacted, tokRec.Response.Body)
	assert.Equal(t, 1, tokRec.N)
	_, err = c.Run(t.Context(), step, wechatValues)
	require.NoError(t, err)
	assert.Equal(t, int32(1), w.issued.Load(), "the second run reuses the cached token")
	history, _ := json.Marshal(res.Attempts)
	assert.NotContains(t, string(history), wechatSecret)
	assert.NotContains(t, string(history), "ACCESS_TOKEN_1")
	assert.Contains(t, w.last(t).RequestURI, "access_token=ACCESS_TOKEN_1_kd93jf")
}

// TestTokenFetchExpired: errcode 40001 in a 200 body drops the token; a new
// one is fetched and the call repeated once in the same attempt.
func TestTokenFetchExpired(t *testing.T) {
	w := newWechat(t)
	c := testClient(t)
	step, err := wechatNode(w.URL).Compile()
	require.NoError(t, err)
	_, err = c.Run(t.Context(), step, wechatValues)
	require.NoError(t, err)
	w.expire()
	res, err := c.Run(t.Context(), step, wechatValues)
	require.NoError(t, err)
	var auths []string
	for _, a := range res.Attempts {
		auths = append(auths, a.Auth)
		assert.Equal(t, 1, a.N)
	}
	assert.Equal(t, []string{RecordExpired, RecordToken, ""}, auths)
	assert.Equal(t, int32(2), w.issued.Load())
	assert.Equal(t, int32(3), w.calls.Load())
}

// TestTokenFetchSingleFlight: concurrent runs share one token request.
func TestTokenFetchSingleFlight(t *testing.T) {
	w := newWechat(t)
	c := testClient(t)
	step, err := wechatNode(w.URL).Compile()
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := c.Run(t.Context(), step, wechatValues)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), w.issued.Load())
	assert.Equal(t, int32(8), w.calls.Load())
}

// TestTokenFetchLifetime: expires_in is counted on Client.Now; the token
// is fetched again 10 s before it ends. A node with another secret gets a
// token of its own: the cache key holds the rendered request, digested.
func TestTokenFetchLifetime(t *testing.T) {
	w := newWechat(t)
	clock := &testClock{t: fixedNow}
	c := testClient(t)
	c.Now = clock.Now
	step, err := wechatNode(w.URL).Compile()
	require.NoError(t, err)
	for _, d := range []time.Duration{0, 7189 * time.Second, 2 * time.Second} {
		clock.advance(d)
		_, err := c.Run(t.Context(), step, wechatValues)
		require.NoError(t, err)
	}
	assert.Equal(t, int32(2), w.issued.Load())
	other := Values{"user": "u", "wx": map[string]any{"appid": wechatAppID, "secret": "another-secret-xyz"}}
	res, err := c.Run(t.Context(), step, other)
	var f *Failure
	require.ErrorAs(t, err, &f, "a wrong secret does not get the cached token")
	assert.Equal(t, KindAuth, f.Kind)
	assert.Contains(t, f.Message, "the token request failed: invalid appsecret")
	assert.Equal(t, RecordToken, res.Attempts[0].Auth)
	assert.Len(t, res.Attempts, 1, "nothing went to the API")
}

// TestTokenFetchHeader: the default place is Authorization: Bearer; a
// token request that is a POST with a JSON body (DingTalk, Feishu) works
// the same; another origin never gets the token.
func TestTokenFetchHeader(t *testing.T) {
	other := newRecorderOn(t, "127.0.0.2", nil)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/open-apis/auth/v3/tenant_access_token/internal":
			body, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(body), `"app_secret":"feishu-secret-77"`) {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			io.WriteString(w, `{"code":0,"msg":"ok","tenant_access_token":"t-g1044ghJRUIJJ5ELPPCJ","expire":7200}`)
		case "/api":
			if r.Header.Get("Authorization") != "Bearer t-g1044ghJRUIJJ5ELPPCJ" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, other.URL+"/elsewhere", http.StatusTemporaryRedirect)
		}
	})
	node := &NodeConfig{URL: srv.URL + "/api", Auth: &Auth{Type: AuthToken, Fetch: &TokenFetch{
		Request: NodeConfig{Method: "POST", URL: srv.URL + "/open-apis/auth/v3/tenant_access_token/internal",
			Body: &Body{Kind: BodyRaw, Raw: `{"app_id":"{{app.id}}","app_secret":"{{app.secret}}"}`}},
		TokenPath: "tenant_access_token", ExpiresInPath: "expire"}}}
	_, err := testClient(t).Execute(t.Context(), node, Values{"app": map[string]any{"id": "cli_a1", "secret": "feishu-secret-77"}})
	require.NoError(t, err)
	assert.Empty(t, other.last(t).Header.Get("Authorization"))
}

// TestTokenFetchValidate: Validate names auth and the missing piece, the
// token request's own problems under auth.fetch.request; Refs lists the
// token request's refs and not $token.
func TestTokenFetchValidate(t *testing.T) {
	node := func(f func(*Auth)) *NodeConfig {
		n := wechatNode("https://api.weixin.example.com")
		f(n.Auth)
		return n
	}
	cases := []struct {
		name string
		node *NodeConfig
		want string
	}{
		{"no fetch", node(func(a *Auth) { a.Fetch = nil }), "auth.fetch: auth token needs the token request"},
		{"no url", node(func(a *Auth) { a.Fetch.Request.URL = "" }), "auth.fetch.request.url: auth token request:"},
		{"in", node(func(a *Auth) { a.In = "cookie" }), `auth.in: auth token: "cookie" is not a place for the token`},
		{"nested", node(func(a *Auth) { a.Fetch.Request.Auth = &Auth{Type: AuthToken, Fetch: &TokenFetch{}} }), "auth.fetch.request.auth: auth token: the token request cannot itself fetch a token"},
		{"value var", node(func(a *Auth) { a.Value = "{{$nonce}}" }), "auth.value: auth token: {{$nonce}} cannot be used here"},
		{"cleartext", node(func(a *Auth) { a.Fetch.Request.URL = "http://api.weixin.example.com/cgi-bin/token" }), "auth.fetch.request.url: auth: credentials would go over plain http"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorContains(t, tc.node.Validate(), tc.want)
		})
	}
	n := node(func(a *Auth) { a.Value = "{{$token}}" })
	require.NoError(t, n.Validate())
	assert.ElementsMatch(t, []string{"user", "wx.appid", "wx.secret"}, n.Refs())
}
