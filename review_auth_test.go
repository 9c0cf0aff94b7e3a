package httpstep_test

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// tokenPeer is a token endpoint and an API on loopback. The API accepts
// only the current token; status overrides what the API answers.
type tokenPeer struct {
	srv        *httptest.Server
	tokenReqs  atomic.Int64
	mu         sync.Mutex
	forms      []string // each token request: "basic|body grant refresh_token"
	current    string
	apiStatus  int // when set, the API answers it whatever the token
	basicReply int // when set, a token request with HTTP Basic gets it
	apiSaw     []string
}

func newTokenPeer(t *testing.T) *tokenPeer {
	p := &tokenPeer{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.URL.Path == "/token" {
			n := p.tokenReqs.Add(1)
			_ = r.ParseForm()
			_, secret, basic := r.BasicAuth()
			how := "body"
			if basic {
				how = "basic"
			}
			p.forms = append(p.forms, how+" "+r.PostForm.Get("grant_type")+" "+r.PostForm.Get("refresh_token"))
			if basic && p.basicReply != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(p.basicReply)
				_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
				return
			}
			if !basic {
				secret = r.PostForm.Get("client_secret")
			}
			if secret != "csecret-XYZ" {
				w.WriteHeader(401)
				return
			}
			p.current = "at-SECRET-" + string(rune('a'+n))
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"` + p.current + `","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-ROTATED"}`))
			return
		}
		p.apiSaw = append(p.apiSaw, r.Header.Get("Authorization"))
		switch {
		case p.apiStatus != 0:
			w.WriteHeader(p.apiStatus)
		case r.Header.Get("Authorization") != "Bearer "+p.current:
			w.WriteHeader(401)
		default:
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *tokenPeer) node(grant string) *httpstep.NodeConfig {
	return &httpstep.NodeConfig{URL: p.srv.URL + "/api", Auth: &httpstep.Auth{Type: "oauth2", OAuth2: &httpstep.OAuth2{
		Grant: grant, TokenURL: p.srv.URL + "/token", ClientID: "cid", ClientSecret: "{{cs}}", RefreshToken: "rt-NODE"}}}
}

var csecret = httpstep.Values{"cs": "csecret-XYZ"}

// fixedStore answers every key with one token and records what is saved.
type fixedStore struct {
	mu    sync.Mutex
	tok   *httpstep.Token
	saved []httpstep.Token
}

func (s *fixedStore) Load(context.Context, string) (*httpstep.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil {
		return nil, nil
	}
	t := *s.tok
	return &t, nil
}

func (s *fixedStore) Save(_ context.Context, _ string, t *httpstep.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved = append(s.saved, *t)
	s.tok = t
	return nil
}

func TestReviewCredentialRules(t *testing.T) {
	ctx := context.Background()
	t.Run("refreshOn replaces 401", func(t *testing.T) {
		p := newTokenPeer(t)
		node := p.node("client_credentials")
		node.Auth.OAuth2.RefreshOn = []int{403}
		c := &httpstep.Client{AllowPrivate: true}
		_, err := c.Execute(ctx, node, csecret)
		require.NoError(t, err)
		p.mu.Lock()
		p.apiStatus = 401
		p.mu.Unlock()
		res, err := c.Execute(ctx, node, csecret)
		require.Error(t, err)
		assert.Equal(t, httpstep.KindStatus, res.Failure.Kind)
		assert.Equal(t, int64(1), p.tokenReqs.Load(), "401 is not in refreshOn [403]: no new token")
		p.mu.Lock()
		p.apiStatus = 403
		p.mu.Unlock()
		res, err = c.Execute(ctx, node, csecret)
		require.Error(t, err)
		assert.Equal(t, httpstep.KindStatus, res.Failure.Kind, "a second rejection is the API's: status")
		assert.Equal(t, int64(2), p.tokenReqs.Load(), "403 is in refreshOn: one new token")
		c.CloseIdleConnections()
	})
	t.Run("credentialsIn empty: basic, then body on 401", func(t *testing.T) {
		p := newTokenPeer(t)
		p.basicReply = 401
		c := &httpstep.Client{AllowPrivate: true}
		res, err := c.Execute(ctx, p.node("client_credentials"), csecret)
		require.NoError(t, err)
		assert.Equal(t, []string{"basic client_credentials ", "body client_credentials "}, p.forms)
		hist, _ := json.Marshal(res.Attempts)
		for _, s := range []string{"csecret-XYZ", "at-SECRET", "rt-ROTATED", "Y3NlY3JldC1YWVo", "grant_type"} {
			assert.NotContains(t, string(hist), s)
		}
		tokens := 0
		for _, a := range res.Attempts {
			if a.Auth == httpstep.RecordToken {
				tokens++
				assert.NotContains(t, a.Request.Body, "client")
				if a.Response != nil {
					assert.NotContains(t, a.Response.Body, "Bearer")
				}
			}
		}
		assert.Equal(t, 2, tokens)
		c.CloseIdleConnections()
	})
	for _, status := range []int{500, 503} {
		t.Run("credentialsIn empty: no body form after a 5xx", func(t *testing.T) {
			p := newTokenPeer(t)
			p.basicReply = status
			c := &httpstep.Client{AllowPrivate: true}
			res, err := c.Execute(ctx, p.node("client_credentials"), csecret)
			require.Error(t, err)
			assert.Equal(t, httpstep.KindAuth, res.Failure.Kind)
			assert.Equal(t, []string{"basic client_credentials "}, p.forms)
			c.CloseIdleConnections()
		})
	}
	t.Run("token expiring within 10s is not sent", func(t *testing.T) {
		p := newTokenPeer(t)
		store := &fixedStore{tok: &httpstep.Token{AccessToken: "old-SECRET", TokenType: "Bearer", Expiry: time.Now().Add(5 * time.Second)}}
		c := &httpstep.Client{AllowPrivate: true, Tokens: store}
		_, err := c.Execute(ctx, p.node("client_credentials"), csecret)
		require.NoError(t, err)
		assert.Equal(t, int64(1), p.tokenReqs.Load())
		assert.NotContains(t, p.apiSaw, "Bearer old-SECRET")
		c.CloseIdleConnections()
	})
	t.Run("refresh token from the store wins", func(t *testing.T) {
		p := newTokenPeer(t)
		store := &fixedStore{tok: &httpstep.Token{RefreshToken: "rt-STORE"}}
		c := &httpstep.Client{AllowPrivate: true, Tokens: store}
		_, err := c.Execute(ctx, p.node("refresh_token"), csecret)
		require.NoError(t, err)
		require.NotEmpty(t, p.forms)
		assert.True(t, strings.HasSuffix(p.forms[0], " rt-STORE"), p.forms[0])
		require.NotEmpty(t, store.saved)
		assert.Equal(t, "rt-ROTATED", store.saved[len(store.saved)-1].RefreshToken)
		c.CloseIdleConnections()
	})
	t.Run("token endpoint refusal is auth, API refusal is status", func(t *testing.T) {
		p := newTokenPeer(t)
		c := &httpstep.Client{AllowPrivate: true}
		res, err := c.Execute(ctx, p.node("client_credentials"), httpstep.Values{"cs": "wrong"})
		require.Error(t, err)
		assert.Equal(t, httpstep.KindAuth, res.Failure.Kind)
		node := &httpstep.NodeConfig{URL: p.srv.URL + "/api", Auth: &httpstep.Auth{Type: "bearer", Token: "nope"}}
		res, err = c.Execute(ctx, node, nil)
		require.Error(t, err)
		assert.Equal(t, httpstep.KindStatus, res.Failure.Kind)
		c.CloseIdleConnections()
	})
	t.Run("token URL refused by the guard is blocked", func(t *testing.T) {
		p := newTokenPeer(t)
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Skip("no 127.0.0.2 here:", err)
		}
		var hits atomic.Int64
		tok := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })}}
		tok.Start()
		defer tok.Close()
		node := p.node("client_credentials")
		node.Auth.OAuth2.TokenURL = tok.URL + "/token"
		c := &httpstep.Client{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
		res, err := c.Execute(ctx, node, csecret)
		require.Error(t, err)
		assert.Equal(t, httpstep.KindBlocked, res.Failure.Kind)
		assert.Zero(t, hits.Load())
		c.CloseIdleConnections()
	})
}

// TestReviewTokenEdges: a timeout of the Basic token request is not
// followed by the body form; a cached token with more than 10 s left is
// sent as is.
func TestReviewTokenEdges(t *testing.T) {
	ctx := context.Background()
	t.Run("timeout: no body form", func(t *testing.T) {
		var reqs atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reqs.Add(1)
			_, _ = io.ReadAll(r.Body) // the server notices a closed connection only once the body is read
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		c := &httpstep.Client{AllowPrivate: true}
		defer c.CloseIdleConnections()
		node := &httpstep.NodeConfig{URL: srv.URL + "/api", Timeout: httpstep.Duration(200 * time.Millisecond),
			Auth: &httpstep.Auth{Type: "oauth2", OAuth2: &httpstep.OAuth2{Grant: "client_credentials", TokenURL: srv.URL + "/token", ClientID: "c", ClientSecret: "s"}}}
		res, err := c.Execute(ctx, node, nil)
		require.Error(t, err)
		assert.Equal(t, int64(1), reqs.Load())
		assert.Contains(t, []httpstep.FailureKind{httpstep.KindAuth, httpstep.KindTimeout}, res.Failure.Kind)
	})
	t.Run("15 s left: sent", func(t *testing.T) {
		p := newTokenPeer(t)
		p.current = "cached-SECRET"
		store := &fixedStore{tok: &httpstep.Token{AccessToken: "cached-SECRET", TokenType: "Bearer", Expiry: time.Now().Add(15 * time.Second)}}
		c := &httpstep.Client{AllowPrivate: true, Tokens: store}
		defer c.CloseIdleConnections()
		_, err := c.Execute(ctx, p.node("client_credentials"), csecret)
		require.NoError(t, err)
		assert.Zero(t, p.tokenReqs.Load())
	})
	t.Run("expired: not sent", func(t *testing.T) {
		p := newTokenPeer(t)
		store := &fixedStore{tok: &httpstep.Token{AccessToken: "stale-SECRET", TokenType: "Bearer", Expiry: time.Now().Add(-time.Second)}}
		c := &httpstep.Client{AllowPrivate: true, Tokens: store}
		defer c.CloseIdleConnections()
		_, err := c.Execute(ctx, p.node("client_credentials"), csecret)
		require.NoError(t, err)
		assert.Equal(t, int64(1), p.tokenReqs.Load())
		assert.NotContains(t, p.apiSaw, "Bearer stale-SECRET")
	})
}

// TestReviewTokenEndpointErrors: invalid_client is kind auth with the
// endpoint's error and description, and is not retried; a 5xx follows the
// node's retry policy.
func TestReviewTokenEndpointErrors(t *testing.T) {
	for _, tc := range []struct {
		status  int
		body    string
		reqs    int64
		message []string
	}{
		{400, `{"error":"invalid_client","error_description":"unknown client c"}`, 1, []string{"invalid_client", "unknown client c"}},
		{503, `{}`, 3, nil},
	} {
		var reqs atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reqs.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		}))
		c := &httpstep.Client{AllowPrivate: true}
		node := &httpstep.NodeConfig{URL: srv.URL + "/api",
			Retry: &httpstep.RetryPolicy{MaxAttempts: 3, InitialInterval: httpstep.Duration(time.Millisecond), MaxInterval: httpstep.Duration(time.Millisecond)},
			Auth: &httpstep.Auth{Type: "oauth2", OAuth2: &httpstep.OAuth2{Grant: "client_credentials", TokenURL: srv.URL + "/token",
				ClientID: "c", ClientSecret: "s3cretCS", CredentialsIn: "header"}}}
		res, err := c.Execute(context.Background(), node, nil)
		require.Error(t, err)
		assert.Equal(t, httpstep.KindAuth, res.Failure.Kind)
		assert.Equal(t, tc.reqs, reqs.Load(), "status %d", tc.status)
		for _, m := range tc.message {
			assert.Contains(t, res.Failure.Message, m)
		}
		assert.NotContains(t, err.Error(), "s3cretCS")
		c.CloseIdleConnections()
		srv.Close()
	}
}

// TestReviewEachSharesOneToken: 100 rows at concurrency 16 fetch one token.
func TestReviewEachSharesOneToken(t *testing.T) {
	p := newTokenPeer(t)
	c := &httpstep.Client{AllowPrivate: true}
	defer c.CloseIdleConnections()
	step, err := p.node("client_credentials").Compile()
	require.NoError(t, err)
	n := 0
	err = c.Each(context.Background(), step, seqOf(100, func(int) httpstep.Params { return csecret }), 16,
		func(i int, res *httpstep.Result, err error) bool {
			require.NoError(t, err)
			n++
			return true
		})
	require.NoError(t, err)
	assert.Equal(t, 100, n)
	assert.Equal(t, int64(1), p.tokenReqs.Load())
}

// TestReviewAsyncPollCredentials: polls on the request's origin carry the
// node's credentials; a status URL elsewhere gets none.
func TestReviewAsyncPollCredentials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("no 127.0.0.2 here")
	}
	var mu sync.Mutex
	var seen []string
	record := func(r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Host[:9]+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
	}
	other := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		_, _ = w.Write([]byte(`{}`))
	})}}
	other.Start()
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		switch r.URL.Path {
		case "/start":
			w.Header().Set("Location", "/same")
			w.WriteHeader(202)
		case "/same":
			w.Header().Set("Location", other.URL+"/elsewhere")
			w.WriteHeader(202)
		}
	}))
	defer home.Close()
	_, err = loopback.Execute(context.Background(), &httpstep.NodeConfig{Method: "POST", URL: home.URL + "/start",
		Auth:  &httpstep.Auth{Type: "bearer", Token: "tok-123456"},
		Async: &httpstep.Async{Interval: httpstep.Duration(100 * time.Millisecond)}}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"127.0.0.1 /start Bearer tok-123456",
		"127.0.0.1 /same Bearer tok-123456",
		"127.0.0.2 /elsewhere ",
	}, seen)
}

var loopback = &httpstep.Client{AllowPrivate: true}

func seqOf(n int, f func(i int) httpstep.Params) iter.Seq[httpstep.Params] {
	return func(yield func(httpstep.Params) bool) {
		for i := range n {
			if !yield(f(i)) {
				return
			}
		}
	}
}
