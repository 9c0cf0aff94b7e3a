package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/tokenpeer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memStore is a Store in a map.
type memStore struct {
	mu sync.Mutex
	m  map[string]oauth2.Token
}

func (s *memStore) Load(_ context.Context, key string) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[key]
	if !ok {
		return nil, nil
	}
	return &t, nil
}

func (s *memStore) Save(_ context.Context, key string, t *oauth2.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]oauth2.Token{}
	}
	s.m[key] = *t
	return nil
}

func newCache() *Cache { return &Cache{Store: &memStore{}} }

func clientConfig(url string, st Style) *Config {
	return &Config{Grant: GrantClientCredentials, TokenURL: url + "/token", ClientID: tokenpeer.ClientID, ClientSecret: tokenpeer.ClientSecret, Style: st}
}

func hc(t *testing.T) *http.Client {
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestStyles(t *testing.T) {
	tests := []struct {
		name     string
		server   tokenpeer.Style
		style    Style
		requests int // for the first token
		refused  bool
	}{
		{"auto, server takes both", tokenpeer.Both, StyleAuto, 1, false},
		{"auto, server takes Basic", tokenpeer.Basic, StyleAuto, 1, false},
		{"auto, server refuses Basic", tokenpeer.Form, StyleAuto, 2, false},
		{"header, server refuses Basic", tokenpeer.Form, StyleHeader, 1, true},
		{"body, server takes only Basic", tokenpeer.Basic, StyleBody, 1, true},
		{"body, server takes form", tokenpeer.Form, StyleBody, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peer := tokenpeer.New(t, tokenpeer.Options{Style: tt.server})
			c, cfg := newCache(), clientConfig(peer.URL, tt.style)
			tok, fetched, err := c.Token(context.Background(), hc(t), cfg)
			assert.Equal(t, tt.requests, peer.Requests())
			if tt.refused {
				require.Error(t, err)
				assert.True(t, Refused(err, "invalid_client"), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.True(t, fetched)
			assert.NotEmpty(t, tok.AccessToken)
			// The style that worked is remembered: the next fetch is one request.
			require.NoError(t, c.Invalidate(context.Background(), cfg, tok.AccessToken))
			_, _, err = c.Token(context.Background(), hc(t), cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.requests+1, peer.Requests())
		})
	}
}

func TestCachedUntilLeeway(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{Expiry: time.Hour})
	now := time.Now()
	c, cfg := newCache(), clientConfig(peer.URL, StyleAuto)
	c.Now = func() time.Time { return now }
	first, _, err := c.Token(context.Background(), hc(t), cfg)
	require.NoError(t, err)
	now = first.Expiry.Add(-Leeway - time.Second)
	again, fetched, err := c.Token(context.Background(), hc(t), cfg)
	require.NoError(t, err)
	assert.False(t, fetched)
	assert.Equal(t, first.AccessToken, again.AccessToken)
	now = first.Expiry.Add(-Leeway + time.Second)
	fresh, fetched, err := c.Token(context.Background(), hc(t), cfg)
	require.NoError(t, err)
	assert.True(t, fetched)
	assert.NotEqual(t, first.AccessToken, fresh.AccessToken)
	assert.Equal(t, 2, peer.Requests())
}

func TestSingleFlight(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	c, cfg, client := newCache(), clientConfig(peer.URL, StyleAuto), hc(t)
	var wg sync.WaitGroup
	tokens := make([]string, 100)
	leaders := make([]bool, 100)
	for i := range tokens {
		wg.Go(func() {
			tok, fetched, err := c.Token(context.Background(), client, cfg)
			if assert.NoError(t, err) {
				tokens[i], leaders[i] = tok.AccessToken, fetched
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, peer.Requests())
	n := 0
	for i := range tokens {
		assert.Equal(t, tokens[0], tokens[i])
		if leaders[i] {
			n++
		}
	}
	assert.Equal(t, 1, n, "exactly one caller made the request")
}

// slowFirstLoad is a memStore whose first Load answers only once release
// is closed, with what the store held when it was called.
type slowFirstLoad struct {
	memStore
	calls   atomic.Int32
	release chan struct{}
}

func (s *slowFirstLoad) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	t, err := s.memStore.Load(ctx, key)
	if s.calls.Add(1) == 1 {
		<-s.release
	}
	return t, err
}

// TestLateJoinerDidNotFetch: a caller that found no token, but whose
// flight starts after another caller's flight saved one, gets the saved
// token and does not report it fetched (its caller would record a token
// request that never happened). It failed now and then in TestSingleFlight.
func TestLateJoinerDidNotFetch(t *testing.T) {
	store := &slowFirstLoad{release: make(chan struct{})}
	c := &Cache{Store: store}
	var fetches atomic.Int32
	fetch := func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		fetches.Add(1)
		return &oauth2.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}, nil
	}
	type got struct {
		tok     *oauth2.Token
		fetched bool
		err     error
	}
	late := make(chan got, 1)
	go func() {
		tok, fetched, err := c.Get(context.Background(), "k", fetch)
		late <- got{tok, fetched, err}
	}()
	require.Eventually(t, func() bool { return store.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	tok, fetched, err := c.Get(context.Background(), "k", fetch)
	require.NoError(t, err)
	assert.True(t, fetched, "the first flight fetched")
	close(store.release)
	g := <-late
	require.NoError(t, g.err)
	assert.Equal(t, tok.AccessToken, g.tok.AccessToken)
	assert.False(t, g.fetched, "the late caller reported a fetch it did not make")
	assert.Equal(t, int32(1), fetches.Load())
}

// TestRotatedRefreshTokenWins: the server rotates refresh tokens and
// forgets the old ones, so the second fetch only works if it sends the
// refresh token saved from the first answer, not the node's.
func TestRotatedRefreshTokenWins(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	rt, err := peer.RefreshToken(context.Background())
	require.NoError(t, err)
	c := newCache()
	cfg := &Config{Grant: GrantRefreshToken, TokenURL: peer.URL + "/token", ClientID: tokenpeer.ClientID, ClientSecret: tokenpeer.ClientSecret, RefreshToken: rt}
	for range 3 {
		tok, fetched, err := c.Token(context.Background(), hc(t), cfg)
		require.NoError(t, err)
		assert.True(t, fetched)
		stored, _ := c.Store.Load(context.Background(), cfg.Key())
		assert.NotEqual(t, rt, stored.RefreshToken, "the rotated refresh token is saved")
		require.NoError(t, c.Invalidate(context.Background(), cfg, tok.AccessToken))
	}
	assert.Equal(t, 3, peer.Requests())
}

func TestPasswordGrantRefreshesThenFallsBack(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	c := newCache()
	cfg := &Config{Grant: GrantPassword, TokenURL: peer.URL + "/token", ClientID: tokenpeer.ClientID, ClientSecret: tokenpeer.ClientSecret,
		Username: tokenpeer.Username, Password: tokenpeer.Password}
	tok, _, err := c.Token(context.Background(), hc(t), cfg)
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)
	// Next time the refresh token is used (one request) ...
	require.NoError(t, c.Invalidate(context.Background(), cfg, tok.AccessToken))
	tok2, _, err := c.Token(context.Background(), hc(t), cfg)
	require.NoError(t, err)
	assert.NotEqual(t, tok.RefreshToken, tok2.RefreshToken)
	assert.Equal(t, 2, peer.Requests())
	// ... and when the server has forgotten it, the password again.
	require.NoError(t, c.Store.Save(context.Background(), cfg.Key(), &oauth2.Token{RefreshToken: "forgotten-refresh-token"}))
	_, _, err = c.Token(context.Background(), hc(t), cfg)
	require.NoError(t, err)
	assert.Equal(t, 4, peer.Requests())
}

func TestWrongPasswordIsInvalidGrant(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	cfg := &Config{Grant: GrantPassword, TokenURL: peer.URL + "/token", ClientID: tokenpeer.ClientID, ClientSecret: tokenpeer.ClientSecret,
		Username: tokenpeer.Username, Password: "wrong"}
	_, _, err := newCache().Token(context.Background(), hc(t), cfg)
	assert.True(t, Refused(err, "invalid_grant"), "%v", err)
}

// TestServerErrorIsNotAStyleProbe: a 5xx is not a refusal of Basic, so
// auto-detection does not send the secret a second way.
func TestServerErrorIsNotAStyleProbe(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	peer.Fail(503)
	_, _, err := newCache().Token(context.Background(), hc(t), clientConfig(peer.URL, StyleAuto))
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 503, re.Response.StatusCode)
	assert.Equal(t, "temporarily_unavailable", re.ErrorCode)
	assert.Equal(t, 1, peer.Requests())
}

func TestParamsAndScopes(t *testing.T) {
	var got []string
	srv := newEcho(t, &got)
	cfg := &Config{Grant: GrantClientCredentials, TokenURL: srv + "/token", ClientID: "id", ClientSecret: "sec", Scopes: []string{"b", "a"},
		Params: []Param{{"audience", "https://api"}, {"grant_type", "evil"}, {"scope", "admin"}}, Style: StyleBody}
	_, _, err := newCache().Token(context.Background(), hc(t), cfg)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "audience=https%3A%2F%2Fapi&client_id=id&client_secret=sec&grant_type=client_credentials&scope=b+a", got[0])
}

func TestKey(t *testing.T) {
	base := Config{Grant: GrantRefreshToken, TokenURL: "https://t/token", ClientID: "id", ClientSecret: "the-client-secret", RefreshToken: "the-refresh-token", Scopes: []string{"a", "b"}}
	k := base.Key()
	assert.NotContains(t, k, "secret")
	assert.NotContains(t, k, "refresh")
	same := base
	same.Scopes = []string{"b", "a"}
	assert.Equal(t, k, same.Key(), "scope order does not change the key")
	for _, change := range []func(*Config){
		func(c *Config) { c.ClientID = "other" },
		func(c *Config) { c.RefreshToken = "another user's" },
		func(c *Config) { c.ClientSecret = "guessed-secret" }, // a client id alone must not get the token
		func(c *Config) { c.Password = "guessed-password" },
		func(c *Config) { c.Params = []Param{{"audience", "x"}} },
		func(c *Config) { c.TokenURL = "https://t/token2" },
		func(c *Config) { c.Grant = GrantClientCredentials },
		func(c *Config) { c.Scopes = nil },
	} {
		c := base
		change(&c)
		assert.NotEqual(t, k, c.Key())
	}
}

func TestWaiterLeavesOnItsOwnCancel(t *testing.T) {
	release := make(chan struct{})
	srv := newSlow(t, release)
	c, cfg, client := newCache(), clientConfig(srv, StyleBody), hc(t)
	done := make(chan error, 1)
	go func() { _, _, err := c.Token(context.Background(), client, cfg); done <- err }()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, _, err := c.Token(ctx, client, cfg)
	assert.ErrorIs(t, err, context.Canceled)
	close(release)
	assert.NoError(t, <-done)
}

// newEcho is a token endpoint that records each request's form and issues
// a token.
func newEcho(t *testing.T, got *[]string) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		*got = append(*got, r.PostForm.Encode())
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"tok-123","token_type":"Bearer","expires_in":3600}`))
	})
	return serve(t, mux)
}

// newSlow is a token endpoint that answers once release is closed.
func newSlow(t *testing.T, release chan struct{}) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"slow-token","expires_in":3600}`))
	})
	return serve(t, mux)
}

func serve(t *testing.T, h http.Handler) string {
	srv := httptestServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimSuffix(srv.URL, "/")
}

// TestFollowerOutlivesLeadersDeadline: a shared request that dies of its
// leader's deadline does not fail a caller with time left, and the next
// caller after a leader gave up starts a request of its own.
func TestFollowerOutlivesLeadersDeadline(t *testing.T) {
	arrived := make(chan struct{}) // the leader's request is under way
	var mu sync.Mutex
	calls := 0
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm() // read the body, so the server notices the client leave
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			close(arrived)
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"second-token","expires_in":3600}`))
	})
	c, cfg, client := newCache(), clientConfig(serve(t, mux), StyleBody), hc(t)
	cfg.Key() // its slow, salted digest (PBKDF2) is remembered: the leader's 100 ms are the request's alone
	leaderCtx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	leaderErr := make(chan error, 1)
	go func() { _, _, err := c.Token(leaderCtx, client, cfg); leaderErr <- err }()
	select { // not a fixed sleep: on a loaded machine the leader's request may not have left yet
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the leader's token request never reached the server")
	}
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second) // bounded, whatever happens
	defer stop()
	tok, _, err := c.Token(ctx, client, cfg)
	require.NoError(t, err)
	assert.Equal(t, "second-token", tok.AccessToken)
	assert.ErrorIs(t, <-leaderErr, context.DeadlineExceeded)
}

// TestKeyDigestIsSlowAndSalted: the secrets in a key are not their plain
// SHA-256 (which a dictionary reverses at once), the same secret under
// another client digests differently, and the digest is remembered.
func TestKeyDigestIsSlowAndSalted(t *testing.T) {
	plain := sha256.Sum256([]byte("hunter2"))
	d := secretDigest("salt-a", "hunter2")
	assert.NotEqual(t, hex.EncodeToString(plain[:]), d)
	assert.NotEqual(t, d, secretDigest("salt-b", "hunter2"))
	assert.Equal(t, d, secretDigest("salt-a", "hunter2"))
	assert.Empty(t, secretDigest("salt-a", ""))
	a := Config{Grant: GrantPassword, TokenURL: "https://t/token", ClientID: "one", Username: "u", Password: "hunter2"}
	b := a
	b.ClientID = "two"
	assert.NotEqual(t, a.Key(), b.Key())
	assert.Equal(t, a.Key(), a.Key())
}

// TestKeyDigestOnceForConcurrentCallers: a burst of runs of one node on a
// cold cache derives its secret's digest once, not once per run (100 runs
// paid 100 times the rounds, which under load outlasted the token
// request's own timeout).
func TestKeyDigestOnceForConcurrentCallers(t *testing.T) {
	var n atomic.Int32
	derive := deriveDigest
	deriveDigest = func(salt, secret string) []byte {
		n.Add(1)
		time.Sleep(20 * time.Millisecond) // long enough for every caller to arrive meanwhile
		return derive(salt, secret)
	}
	t.Cleanup(func() { deriveDigest = derive })
	var wg sync.WaitGroup
	got := make([]string, 50)
	for i := range got {
		wg.Go(func() { got[i] = secretDigest("salt-burst", "s3cret-burst") })
	}
	wg.Wait()
	assert.Equal(t, int32(1), n.Load())
	for _, d := range got {
		assert.Equal(t, got[0], d)
	}
	assert.NotEmpty(t, got[0])
}

// TestKeyJWTBearer: a jwt_bearer token belongs to the key, issuer, subject,
// audience and key id that got it; the key is not in it in clear; other
// grants keep the keys they had before jwt_bearer existed.
func TestKeyJWTBearer(t *testing.T) {
	a := Assertion{KeyPEM: "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n", KeyID: "k1", Issuer: "sa@p", Subject: "ann", Audience: "https://t/token"}
	base := Config{Grant: GrantJWTBearer, TokenURL: "https://t/token", Scopes: []string{"s"}, Assertion: &a}
	k := base.Key()
	assert.NotContains(t, k, "MIIEvQ")
	for _, change := range []func(*Assertion){
		func(a *Assertion) { a.KeyPEM += " " },
		func(a *Assertion) { a.KeyID = "k2" },
		func(a *Assertion) { a.Issuer = "other@p" },
		func(a *Assertion) { a.Subject = "bob" },
		func(a *Assertion) { a.Audience = "x" },
	} {
		other := a
		change(&other)
		c := base
		c.Assertion = &other
		assert.NotEqual(t, k, c.Key())
	}
	cc := Config{Grant: GrantClientCredentials, TokenURL: "https://t/token", ClientID: "id"}
	before := cc.Key()
	cc.Assertion = &a
	assert.Equal(t, before, cc.Key())
}
