package httpstep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/tokenpeer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// OAuth2 tokens: each grant against real token servers on loopback
// (internal/tokenpeer, a go-oauth2 server; tokenAPI below, one the test
// steers), the token cache, refresh and the TokenStore.

// oauthNode is a node calling the token peer's protected API.
func oauthNode(peer *tokenpeer.Server, grant string) *NodeConfig {
	return &NodeConfig{URL: peer.URL + "/api", Auth: &Auth{Type: AuthOAuth2, Username: "{{user}}", Password: "{{pw}}",
		OAuth2: &OAuth2{Grant: grant, TokenURL: peer.URL + "/token", ClientID: "{{cid}}", ClientSecret: "{{csec}}", RefreshToken: "{{rt}}"}}}
}

func oauthParams() Values {
	return Values{"cid": tokenpeer.ClientID, "csec": tokenpeer.ClientSecret, "user": tokenpeer.Username, "pw": tokenpeer.Password}
}

// issued are every access and refresh token the peer handed out.
func issued(peer *tokenpeer.Server) []string {
	var out []string
	for _, body := range peer.Responses() {
		for _, k := range []string{"access_token", "refresh_token"} {
			if v := gjson.Get(body, k).String(); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

func oauthSecrets(peer *tokenpeer.Server) []string {
	return append(issued(peer), tokenpeer.ClientSecret, tokenpeer.Password,
		basicForm(tokenpeer.ClientID, tokenpeer.ClientSecret),
		basicForm(url.QueryEscape(tokenpeer.ClientID), url.QueryEscape(tokenpeer.ClientSecret)))
}

func TestOAuth2ClientCredentials(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	c := testClient(t)
	res, err := c.Execute(context.Background(), oauthNode(peer, GrantClientCredentials), oauthParams())
	require.NoError(t, err)
	assert.True(t, res.Get("ok").Bool())
	require.Len(t, res.Attempts, 2, "the token request, then the API call")
	tok := res.Attempts[0]
	assert.Equal(t, RecordToken, tok.Auth)
	assert.Equal(t, "POST", tok.Request.Method)
	assert.Equal(t, redacted, tok.Request.Body, "the token request's body is masked whole")
	assert.Equal(t, redacted, tok.Response.Body, "so is the token response's")
	assert.Equal(t, 200, tok.Response.Status)
	assert.Empty(t, res.Attempts[1].Auth)
	assertNoCredentials(t, res, err, oauthSecrets(peer)...)

	res, err = c.Execute(context.Background(), oauthNode(peer, GrantClientCredentials), oauthParams())
	require.NoError(t, err)
	assert.Len(t, res.Attempts, 1, "the cached token is used")
	assert.Equal(t, 1, peer.Requests())
	assertNoCredentials(t, res, err, oauthSecrets(peer)...)
}

func TestOAuth2PasswordGrant(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	res, err := testClient(t).Execute(context.Background(), oauthNode(peer, GrantPassword), oauthParams())
	require.NoError(t, err)
	assert.True(t, res.Get("ok").Bool())
	assertNoCredentials(t, res, err, oauthSecrets(peer)...)
}

// TestOAuth2SingleFlight: 100 concurrent Executes share one token request.
func TestOAuth2SingleFlight(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	c := testClient(t)
	node := oauthNode(peer, GrantClientCredentials)
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			res, err := c.Execute(context.Background(), node, oauthParams())
			if assert.NoError(t, err) {
				assert.True(t, res.Get("ok").Bool())
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, peer.Requests())
}

// TestOAuth2RefreshOn: a token the API refuses with 401 is dropped, a new
// one fetched and the request sent again within the same attempt.
func TestOAuth2RefreshOn(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	c := testClient(t)
	node := oauthNode(peer, GrantClientCredentials)
	_, err := c.Execute(context.Background(), node, oauthParams())
	require.NoError(t, err)
	require.NoError(t, peer.Revoke(gjson.Get(peer.Responses()[0], "access_token").String()))

	res, err := c.Execute(context.Background(), node, oauthParams())
	require.NoError(t, err)
	require.Len(t, res.Attempts, 3)
	assert.Equal(t, []string{RecordExpired, RecordToken, ""}, []string{res.Attempts[0].Auth, res.Attempts[1].Auth, res.Attempts[2].Auth})
	assert.Equal(t, 401, res.Attempts[0].Response.Status)
	for _, a := range res.Attempts {
		assert.Equal(t, 1, a.N, "all within the first attempt")
	}
	assert.Equal(t, 2, peer.Requests())
	assertNoCredentials(t, res, err, oauthSecrets(peer)...)

	// refreshOn replaces the default: a 401 is then a plain failure.
	require.NoError(t, peer.Revoke(gjson.Get(peer.Responses()[1], "access_token").String()))
	node.Auth.OAuth2.RefreshOn = []int{403}
	res, err = c.Execute(context.Background(), node, oauthParams())
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindStatus, f.Kind)
	assert.Len(t, res.Attempts, 1)
}

// TestOAuth2SecondRejection: a fresh token refused again is a normal
// failure, after exactly one refetch.
func TestOAuth2SecondRejection(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	api := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) })
	node := oauthNode(peer, GrantClientCredentials)
	node.URL = api.URL
	res, err := testClient(t).Execute(context.Background(), node, oauthParams())
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindStatus, f.Kind)
	assert.Equal(t, 401, f.StatusCode)
	assert.Equal(t, 2, peer.Requests())
	assert.Equal(t, 2, api.count())
	assert.Len(t, res.Attempts, 4, "token, refused call, token, refused call")
	assertNoCredentials(t, res, err, oauthSecrets(peer)...)
}

// TestOAuth2ExpiredCodes: an API that says "token expired" in a 200 body.
func TestOAuth2ExpiredCodes(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	var mu sync.Mutex
	seen := map[string]bool{}
	api := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		tok := r.Header.Get("Authorization")
		if seen[tok] { // every token works once
			fmt.Fprint(w, `{"errcode":40001,"errmsg":"access_token expired"}`)
			return
		}
		seen[tok] = true
		fmt.Fprint(w, `{"errcode":0}`)
	})
	node := oauthNode(peer, GrantClientCredentials)
	node.URL = api.URL
	node.Success = SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}, ErrorMessagePath: "errmsg"}
	node.Auth.OAuth2.ExpiredCodes = []string{"40001", "42001"}
	c := testClient(t)
	for range 3 {
		res, err := c.Execute(context.Background(), node, oauthParams())
		require.NoError(t, err)
		assert.True(t, res.OK())
	}
	assert.Equal(t, 3, peer.Requests())
	assert.Equal(t, 5, api.count(), "first call fresh, then one refusal and one resend per call")
}

// TestOAuth2RotatedRefreshToken: the server rotates refresh tokens and
// forgets old ones; the node's refresh token works once, the saved one
// from then on.
func TestOAuth2RotatedRefreshToken(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	rt, err := peer.RefreshToken(context.Background())
	require.NoError(t, err)
	store := &countingStore{}
	c := testClient(t)
	c.Tokens = store
	params := oauthParams()
	params["rt"] = rt
	node := oauthNode(peer, GrantRefreshToken)
	for i := range 3 {
		res, err := c.Execute(context.Background(), node, params)
		require.NoError(t, err, "run %d", i)
		assertNoCredentials(t, res, err, append(oauthSecrets(peer), rt)...)
		require.NoError(t, peer.Revoke(store.last().AccessToken))
	}
	assert.NotEqual(t, rt, store.last().RefreshToken)
	assert.Equal(t, 3, peer.Requests())
}

func TestOAuth2TokenEndpointFailures(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	retry := &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(1), MaxInterval: Duration(1)}

	t.Run("invalid_client is not retried", func(t *testing.T) {
		node := oauthNode(peer, GrantClientCredentials)
		node.Retry = retry
		params := oauthParams()
		params["csec"] = "wrong-secret-123"
		before := peer.Requests()
		res, err := testClient(t).Execute(context.Background(), node, params)
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, KindAuth, f.Kind)
		assert.Contains(t, f.Message, "invalid_client")
		assert.Equal(t, before+2, peer.Requests(), "Basic refused with 401, then the body, refused too; no retry")
		require.Len(t, res.Attempts, 2, "both token requests are recorded")
		for _, a := range res.Attempts {
			assert.Equal(t, RecordToken, a.Auth)
			assert.Equal(t, 1, a.N)
		}
		assert.Equal(t, KindAuth, res.Attempts[1].Kind)
		assertNoCredentials(t, res, err, "wrong-secret-123", basicForm(tokenpeer.ClientID, "wrong-secret-123"))
	})
	t.Run("5xx follows the retry policy", func(t *testing.T) {
		node := oauthNode(peer, GrantClientCredentials)
		node.Retry = retry
		peer.Fail(503)
		res, err := testClient(t).Execute(context.Background(), node, oauthParams())
		require.NoError(t, err)
		require.Len(t, res.Attempts, 3, "a refused token request, then a token and the call")
		assert.Equal(t, KindAuth, res.Attempts[0].Kind)
		assert.Contains(t, res.Attempts[0].Error, "temporarily_unavailable")
		assert.Contains(t, res.Attempts[0].Error, "the token service is restarting")
		assert.True(t, res.Attempts[0].Retry.Retry)
		assertNoCredentials(t, res, err, oauthSecrets(peer)...)
	})
	t.Run("a guarded token URL is blocked", func(t *testing.T) {
		api := newRecorder(t, nil)
		node := oauthNode(peer, GrantClientCredentials)
		node.URL = api.URL
		node.Auth.OAuth2.TokenURL = "http://127.0.0.2:9/token"
		c := &Client{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
		defer c.CloseIdleConnections()
		_, err := c.Execute(context.Background(), node, oauthParams())
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, KindBlocked, f.Kind)
		assert.Zero(t, api.count(), "nothing reached the API without a token")
	})
}

// TestOAuth2CredentialsFallBackToBody: a token endpoint that refuses HTTP
// Basic gets the client credentials in the body, both requests recorded.
func TestOAuth2CredentialsFallBackToBody(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{Style: tokenpeer.Form})
	res, err := testClient(t).Execute(context.Background(), oauthNode(peer, GrantClientCredentials), oauthParams())
	require.NoError(t, err)
	require.Len(t, res.Attempts, 3)
	assert.Equal(t, 401, res.Attempts[0].Response.Status)
	assert.Equal(t, RecordToken, res.Attempts[1].Auth)
	assertNoCredentials(t, res, err, oauthSecrets(peer)...)
}

// countingStore is a TokenStore that remembers the last token saved.
type countingStore struct {
	memTokens
	mu    sync.Mutex
	saved []Token
}

func (s *countingStore) Save(ctx context.Context, key string, t *Token) error {
	s.mu.Lock()
	s.saved = append(s.saved, *t)
	s.mu.Unlock()
	return s.memTokens.Save(ctx, key, t)
}

func (s *countingStore) last() Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saved[len(s.saved)-1]
}

// TestOAuth2TokenEchoed: an API that echoes the request (httpbin's
// /anything) cannot leak the access token into the history.
func TestOAuth2TokenEchoed(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	node := oauthNode(peer, GrantClientCredentials)
	node.URL = httpbinURL(t) + "/anything"
	res, err := testClient(t).Execute(context.Background(), node, oauthParams())
	require.NoError(t, err)
	access := gjson.Get(peer.Responses()[0], "access_token").String()
	assert.Equal(t, "Bearer "+access, res.Get("headers.Authorization.0").String(), "the body is the caller's, unredacted")
	assertNoCredentials(t, res, err, oauthSecrets(peer)...)
	assert.NotContains(t, res.Redact(string(res.Body)), access, "Result.Redact knows the token too")
}

// TestOAuth2TokenEndpointTimeout: a token endpoint that does not answer
// within the node's timeout is kind auth and retried.
func TestOAuth2TokenEndpointTimeout(t *testing.T) {
	var calls atomic.Int32
	slow := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"fresh-token-1","token_type":"bearer","expires_in":3600}`)
	})
	api := newRecorder(t, nil)
	node := &NodeConfig{URL: api.URL, Timeout: Duration(200 * time.Millisecond),
		Retry: &RetryPolicy{MaxAttempts: 2, InitialInterval: Duration(1), MaxInterval: Duration(1)},
		Auth:  &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: slow.URL, ClientID: "c", ClientSecret: "s3cret-value"}}}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.Len(t, res.Attempts, 3)
	assert.Equal(t, KindAuth, res.Attempts[0].Kind)
	assert.Contains(t, res.Attempts[0].Error, "did not answer within 200ms")
	assert.Equal(t, "Bearer fresh-token-1", api.last(t).Header.Get("Authorization"))
	assertNoCredentials(t, res, err, "fresh-token-1", "s3cret-value")
}

// TestAsyncForeignStatusGetsNoToken: the polls of a status URL on another
// origin carry no OAuth2 token and no Digest answer.
func TestAsyncForeignStatusGetsNoToken(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	origin, other := foreignStatus(t)
	node := oauthNode(peer, GrantClientCredentials)
	node.Method, node.URL, node.Async = "POST", origin.URL+"/jobs", fastPoll()
	res, err := testClient(t).Execute(context.Background(), node, oauthParams())
	require.NoError(t, err)
	assert.True(t, res.Get("done").Bool())
	assert.NotEmpty(t, origin.last(t).Header.Get("Authorization"))
	assert.Empty(t, other.last(t).Header.Get("Authorization"), "another origin gets no token")
	assertNoCredentials(t, res, err, oauthSecrets(peer)...)
}

// TestTokenRequestUnderSameHostLimit: a token endpoint on the API's own host
// under MaxConcurrent 1 does not wait behind the attempt that needs it: the
// token request uses the attempt's admission.
func TestTokenRequestUnderSameHostLimit(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	c := testClient(t)
	c.Limits = []Limit{{Host: "127.0.0.1", MaxConcurrent: 1}}
	node := oauthNode(peer, GrantClientCredentials)
	node.Timeout = Duration(5 * time.Second)
	res, err := c.Execute(context.Background(), node, oauthParams())
	require.NoError(t, err)
	assert.True(t, res.OK())
	assert.Equal(t, 1, peer.Requests())
}

// TestTokenCacheNeedsTheSecret: a token cached for one client secret or
// password is not handed to a node that renders another: otherwise anyone
// who knows a client id or a username (and shares the Client, as the
// workflows of one engine do) would get its token, sent to a URL of their
// choosing. The wrong credentials make a token request of their own, which
// the endpoint refuses.
func TestTokenCacheNeedsTheSecret(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	for _, tc := range []struct {
		grant, param, wrong string
	}{{GrantClientCredentials, "csec", "guessed-secret"}, {GrantPassword, "pw", "guessed-password"}} {
		t.Run(tc.grant, func(t *testing.T) {
			c := testClient(t)
			res, err := c.Execute(context.Background(), oauthNode(peer, tc.grant), oauthParams())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode)
			wrong := oauthParams()
			wrong[tc.param] = tc.wrong
			res, err = c.Execute(context.Background(), oauthNode(peer, tc.grant), wrong)
			require.Error(t, err, "the cached token went to a node with the wrong credentials")
			assert.Equal(t, KindAuth, res.Failure.Kind)
		})
	}
}

// tokenAPI is a token endpoint (/token) and an API on one loopback server
// that the test steers: the API accepts only the last token issued, or
// answers apiStatus when set; a token request with HTTP Basic gets
// basicReply when set. It records how each token request sent the client
// credentials ("basic|body grant refresh_token") and each Authorization the
// API saw.
type tokenAPI struct {
	*recorder
	tokenReqs  atomic.Int64
	mu         sync.Mutex
	forms      []string
	current    string
	apiStatus  int
	basicReply int
	apiSaw     []string
}

// The client secret tokenAPI knows, and the values that fill it.
const tokenAPISecret = "csecret-XYZ"

var tokenAPIValues = Values{"cs": tokenAPISecret}

func newTokenAPI(t *testing.T) *tokenAPI {
	p := &tokenAPI{}
	p.recorder = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.URL.Path == "/token" {
			p.token(w, r)
			return
		}
		p.apiSaw = append(p.apiSaw, r.Header.Get("Authorization"))
		switch {
		case p.apiStatus != 0:
			w.WriteHeader(p.apiStatus)
		case r.Header.Get("Authorization") != "Bearer "+p.current:
			w.WriteHeader(401)
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	})
	return p
}

func (p *tokenAPI) token(w http.ResponseWriter, r *http.Request) {
	n := p.tokenReqs.Add(1)
	_ = r.ParseForm()
	_, secret, basic := r.BasicAuth()
	how := "body"
	if basic {
		how = "basic"
	}
	p.forms = append(p.forms, how+" "+r.PostForm.Get("grant_type")+" "+r.PostForm.Get("refresh_token"))
	w.Header().Set("Content-Type", "application/json")
	if basic && p.basicReply != 0 {
		w.WriteHeader(p.basicReply)
		io.WriteString(w, `{"error":"invalid_client"}`)
		return
	}
	if !basic {
		secret = r.PostForm.Get("client_secret")
	}
	if secret != tokenAPISecret {
		w.WriteHeader(401)
		return
	}
	p.current = "at-SECRET-" + string(rune('a'+n))
	io.WriteString(w, `{"access_token":"`+p.current+`","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-ROTATED"}`)
}

func (p *tokenAPI) node(grant string) *NodeConfig {
	return &NodeConfig{URL: p.URL + "/api", Auth: &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{
		Grant: grant, TokenURL: p.URL + "/token", ClientID: "cid", ClientSecret: "{{cs}}", RefreshToken: "rt-NODE"}}}
}

func (p *tokenAPI) setAPIStatus(status int) {
	p.mu.Lock()
	p.apiStatus = status
	p.mu.Unlock()
}

// fixedStore is a TokenStore that answers every key with one token and
// records what is saved.
type fixedStore struct {
	mu    sync.Mutex
	tok   *Token
	saved []Token
}

func (s *fixedStore) Load(context.Context, string) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil {
		return nil, nil
	}
	t := *s.tok
	return &t, nil
}

func (s *fixedStore) Save(_ context.Context, _ string, t *Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved = append(s.saved, *t)
	s.tok = t
	return nil
}

// TestOAuth2RefreshOnReplaces401: refreshOn [403] replaces the default:
// a 401 is then a plain status failure with no new token, a 403 fetches
// one new token, and a second rejection is the API's: status.
func TestOAuth2RefreshOnReplaces401(t *testing.T) {
	p := newTokenAPI(t)
	node := p.node(GrantClientCredentials)
	node.Auth.OAuth2.RefreshOn = []int{403}
	c := testClient(t)
	_, err := c.Execute(context.Background(), node, tokenAPIValues)
	require.NoError(t, err)
	p.setAPIStatus(401)
	res, err := c.Execute(context.Background(), node, tokenAPIValues)
	require.Error(t, err)
	assert.Equal(t, KindStatus, res.Failure.Kind)
	assert.Equal(t, int64(1), p.tokenReqs.Load(), "401 is not in refreshOn [403]: no new token")
	p.setAPIStatus(403)
	res, err = c.Execute(context.Background(), node, tokenAPIValues)
	require.Error(t, err)
	assert.Equal(t, KindStatus, res.Failure.Kind, "a second rejection is the API's: status")
	assert.Equal(t, int64(2), p.tokenReqs.Load(), "403 is in refreshOn: one new token")
}

// TestOAuth2CredentialsInDefault: with credentialsIn unset the client
// credentials go as HTTP Basic, then in the body after a 401, both token
// requests recorded and masked; after a 5xx (or a timeout) no body form
// follows.
func TestOAuth2CredentialsInDefault(t *testing.T) {
	t.Run("basic, then body on 401", func(t *testing.T) {
		p := newTokenAPI(t)
		p.basicReply = 401
		res, err := testClient(t).Execute(context.Background(), p.node(GrantClientCredentials), tokenAPIValues)
		require.NoError(t, err)
		assert.Equal(t, []string{"basic client_credentials ", "body client_credentials "}, p.forms)
		hist, _ := json.Marshal(res.Attempts)
		for _, s := range []string{tokenAPISecret, "at-SECRET", "rt-ROTATED", "Y3NlY3JldC1YWVo", "grant_type"} {
			assert.NotContains(t, string(hist), s)
		}
		tokens := 0
		for _, a := range res.Attempts {
			if a.Auth == RecordToken {
				tokens++
				assert.NotContains(t, a.Request.Body, "client")
				if a.Response != nil {
					assert.NotContains(t, a.Response.Body, "Bearer")
				}
			}
		}
		assert.Equal(t, 2, tokens)
	})
	for _, status := range []int{500, 503} {
		t.Run(fmt.Sprintf("no body form after a %d", status), func(t *testing.T) {
			p := newTokenAPI(t)
			p.basicReply = status
			res, err := testClient(t).Execute(context.Background(), p.node(GrantClientCredentials), tokenAPIValues)
			require.Error(t, err)
			assert.Equal(t, KindAuth, res.Failure.Kind)
			assert.Equal(t, []string{"basic client_credentials "}, p.forms)
		})
	}
	t.Run("no body form after a timeout", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		})
		node := &NodeConfig{URL: srv.URL + "/api", Timeout: Duration(200 * time.Millisecond),
			Auth: &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: srv.URL + "/token", ClientID: "c", ClientSecret: "s"}}}
		res, err := testClient(t).Execute(context.Background(), node, nil)
		require.Error(t, err)
		assert.Equal(t, 1, srv.count())
		assert.Contains(t, []FailureKind{KindAuth, KindTimeout}, res.Failure.Kind)
	})
}

// TestOAuth2StoredToken: a stored token with 10 s or less left, or
// expired, is not sent (a new one is fetched); one with 15 s left is sent
// as it is; a refresh token from the store wins over the node's, and the
// rotated one is saved.
func TestOAuth2StoredToken(t *testing.T) {
	for name, tc := range map[string]struct {
		left  time.Duration
		fetch int64
	}{"5 s left": {5 * time.Second, 1}, "expired": {-time.Second, 1}, "15 s left": {15 * time.Second, 0}} {
		t.Run(name, func(t *testing.T) {
			p := newTokenAPI(t)
			p.current = "stored-SECRET"
			c := testClient(t)
			c.Tokens = &fixedStore{tok: &Token{AccessToken: "stored-SECRET", TokenType: "Bearer", Expiry: time.Now().Add(tc.left)}}
			_, err := c.Execute(context.Background(), p.node(GrantClientCredentials), tokenAPIValues)
			require.NoError(t, err)
			assert.Equal(t, tc.fetch, p.tokenReqs.Load())
			if tc.fetch > 0 {
				assert.NotContains(t, p.apiSaw, "Bearer stored-SECRET")
			}
		})
	}
	t.Run("refresh token from the store wins", func(t *testing.T) {
		p := newTokenAPI(t)
		store := &fixedStore{tok: &Token{RefreshToken: "rt-STORE"}}
		c := testClient(t)
		c.Tokens = store
		_, err := c.Execute(context.Background(), p.node(GrantRefreshToken), tokenAPIValues)
		require.NoError(t, err)
		require.NotEmpty(t, p.forms)
		assert.True(t, strings.HasSuffix(p.forms[0], " rt-STORE"), p.forms[0])
		require.NotEmpty(t, store.saved)
		assert.Equal(t, "rt-ROTATED", store.saved[len(store.saved)-1].RefreshToken)
	})
}

// TestOAuth2RefusalKinds: the token endpoint's refusal is kind auth, the
// API's is kind status; a token URL the guard refuses is kind blocked and
// the token endpoint there sees nothing.
func TestOAuth2RefusalKinds(t *testing.T) {
	p := newTokenAPI(t)
	c := testClient(t)
	res, err := c.Execute(context.Background(), p.node(GrantClientCredentials), Values{"cs": "wrong"})
	require.Error(t, err)
	assert.Equal(t, KindAuth, res.Failure.Kind)
	res, err = c.Execute(context.Background(), &NodeConfig{URL: p.URL + "/api", Auth: &Auth{Type: AuthBearer, Token: "nope"}}, nil)
	require.Error(t, err)
	assert.Equal(t, KindStatus, res.Failure.Kind)

	internal := newRecorderOn(t, "127.0.0.2", nil)
	node := p.node(GrantClientCredentials)
	node.Auth.OAuth2.TokenURL = internal.URL + "/token"
	guarded := guardedClient(t)
	res, err = guarded.Execute(context.Background(), node, tokenAPIValues)
	require.Error(t, err)
	assert.Equal(t, KindBlocked, res.Failure.Kind)
	assert.Zero(t, internal.count())
}

// TestOAuth2TokenEndpointErrorStatuses: a 400 invalid_client is kind auth
// with the endpoint's error and description, and is not retried; a 503 on
// every try follows the node's retry policy and ends kind auth; neither
// error holds the client secret.
func TestOAuth2TokenEndpointErrorStatuses(t *testing.T) {
	for _, tc := range []struct {
		status  int
		body    string
		reqs    int
		message []string
	}{
		{400, `{"error":"invalid_client","error_description":"unknown client c"}`, 1, []string{"invalid_client", "unknown client c"}},
		{503, `{}`, 3, nil},
	} {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		})
		node := &NodeConfig{URL: srv.URL + "/api",
			Retry: &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(time.Millisecond), MaxInterval: Duration(time.Millisecond)},
			Auth: &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: srv.URL + "/token",
				ClientID: "c", ClientSecret: "s3cretCS", CredentialsIn: "header"}}}
		res, err := testClient(t).Execute(context.Background(), node, nil)
		require.Error(t, err)
		assert.Equal(t, KindAuth, res.Failure.Kind)
		assert.Equal(t, tc.reqs, srv.count(), "status %d", tc.status)
		for _, m := range tc.message {
			assert.Contains(t, res.Failure.Message, m)
		}
		assert.NotContains(t, err.Error(), "s3cretCS")
	}
}

// TestOAuth2EachSharesOneToken: 100 rows of Each at concurrency 16 fetch
// one token.
func TestOAuth2EachSharesOneToken(t *testing.T) {
	p := newTokenAPI(t)
	step := mustCompile(t, p.node(GrantClientCredentials))
	same := func(yield func(Params) bool) {
		for range 100 {
			if !yield(tokenAPIValues) {
				return
			}
		}
	}
	n := 0
	err := testClient(t).Each(context.Background(), step, same, 16, func(i int, res *Result, err error) bool {
		require.NoError(t, err)
		n++
		return true
	})
	require.NoError(t, err)
	assert.Equal(t, 100, n)
	assert.Equal(t, int64(1), p.tokenReqs.Load())
}

// TestTokenRequestsUnderLoad measures the token cache: how many token
// requests 1,000 Executes across 16 goroutines make, with a steady token,
// with every cached token expiring halfway (the clock jumps two hours), and
// with the server revoking the token halfway (the API answers 401).
//
//	go test -run TestTokenRequestsUnderLoad -v .
func TestTokenRequestsUnderLoad(t *testing.T) {
	const runs, workers = 1000, 16
	for _, tt := range []struct {
		name string
		mid  func(c *Client, peer *tokenpeer.Server, clock *atomic.Int64)
		max  int
	}{
		{"steady", func(*Client, *tokenpeer.Server, *atomic.Int64) {}, 1},
		{"expiry halfway", func(_ *Client, _ *tokenpeer.Server, clock *atomic.Int64) { clock.Add(int64(2 * time.Hour)) }, 2},
		{"revoked halfway", func(_ *Client, peer *tokenpeer.Server, _ *atomic.Int64) {
			peer.Revoke(gjson.Get(peer.Responses()[0], "access_token").String())
		}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			peer := tokenpeer.New(t, tokenpeer.Options{})
			c := testClient(t)
			var clock atomic.Int64
			c.tokenCache().Now = func() time.Time { return time.Now().Add(time.Duration(clock.Load())) }
			node := oauthNode(peer, GrantClientCredentials)
			jobs := make(chan int)
			var wg sync.WaitGroup
			var failed atomic.Int32
			for range workers {
				wg.Go(func() {
					for range jobs {
						if _, err := c.Execute(context.Background(), node, oauthParams()); err != nil {
							failed.Add(1)
						}
					}
				})
			}
			start := time.Now()
			for i := range runs {
				if i == runs/2 {
					tt.mid(c, peer, &clock)
				}
				jobs <- i
			}
			close(jobs)
			wg.Wait()
			t.Logf("%s: %d Executes on %d goroutines in %v: %d token requests, %d failures",
				tt.name, runs, workers, time.Since(start).Round(time.Millisecond), peer.Requests(), failed.Load())
			assert.Zero(t, failed.Load())
			assert.Equal(t, tt.max, peer.Requests())
		})
	}
}
