package httpstep

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/oauth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authPeer is an OAuth2 authorization server on loopback, as RFC 6749
// section 4.1 and RFC 7636 say: /authorize takes response_type=code, the
// client id, redirect_uri, scope, state and an S256 code_challenge, and
// (the person consenting at once) sends the browser back to redirect_uri
// with a one-use code and the state; /token exchanges the code for tokens
// only with the same redirect_uri, the client's credentials and a
// code_verifier whose S256 is the challenge (its own crypto/sha256 check),
// and renews tokens with a refresh token it rotates. /api accepts the
// access tokens it issued.
type authPeer struct {
	*httptest.Server
	noRefresh bool // issue no refresh token (Google without access_type=offline)

	mu       sync.Mutex
	codes    map[string]*authGrant
	access   map[string]bool
	refresh  map[string]bool
	requests int // token requests
}

type authGrant struct {
	challenge, redirect string
	used                bool
}

const (
	consentClient = "app-1"
	consentSecret = "app-secret-Hq72+/e"
)

func newAuthPeer(t *testing.T) *authPeer {
	p := startAuthPeer()
	t.Cleanup(p.Close)
	return p
}

// startAuthPeer starts an authPeer; Close stops it.
func startAuthPeer() *authPeer {
	p := &authPeer{codes: map[string]*authGrant{}, access: map[string]bool{}, refresh: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		ok := p.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		p.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	})
	p.Server = httptest.NewServer(mux)
	return p
}

func (p *authPeer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != consentClient || q.Get("redirect_uri") == "" ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		http.Error(w, "invalid_request", http.StatusBadRequest)
		return
	}
	code := newNonce()
	p.mu.Lock()
	p.codes[code] = &authGrant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *authPeer) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	id, secret, basic := r.BasicAuth()
	if basic { // RFC 6749 2.3.1: each form-urlencoded before the Basic encoding
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != consentClient || secret != consentSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	switch r.PostFormValue("grant_type") {
	case "authorization_code":
		g := p.codes[r.PostFormValue("code")]
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		switch {
		case g == nil || g.used:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "the code is unknown or used")
			return
		case g.redirect != r.PostFormValue("redirect_uri"):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs")
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
			return
		}
		g.used = true
	case "refresh_token":
		if !p.refresh[r.PostFormValue("refresh_token")] {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token unknown")
			return
		}
		delete(p.refresh, r.PostFormValue("refresh_token"))
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	answer := map[string]any{"access_token": "at-" + newNonce(), "token_type": "Bearer", "expires_in": 3600}
	p.access[answer["access_token"].(string)] = true
	if !p.noRefresh {
		answer["refresh_token"] = "rt-" + newNonce()
		p.refresh[answer["refresh_token"].(string)] = true
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (p *authPeer) tokenRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// consentNode is a node whose refresh token comes from a consent.
func consentNode(p *authPeer) *NodeConfig {
	return &NodeConfig{URL: p.URL + "/api", Auth: &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantRefreshToken,
		TokenURL: p.URL + "/token", ClientID: "{{app.id}}", ClientSecret: "{{app.secret}}", RefreshToken: "{{conn.refreshToken}}",
		Scopes: []string{"files.read", "files.write"}}}}
}

// givesConsent is the person's browser: it opens the consent URL and
// returns the query it is sent back with.
func givesConsent(t *testing.T, k *Consent) url.Values {
	t.Helper()
	back, err := browse(k.URL)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(back.String(), k.RedirectURL+"?"))
	return back.Query()
}

// browse opens a consent URL as a browser would and returns where the
// server sends it back.
func browse(consentURL string) (*url.URL, error) {
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(consentURL)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	defer hc.CloseIdleConnections()
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("the consent page answered %s", resp.Status)
	}
	return url.Parse(resp.Header.Get("Location"))
}

// A host's "connect account": StartConsent makes the URL the person's
// browser opens; when the browser comes back with the code, FinishConsent
// exchanges it and saves the tokens, and the node's first run uses them
// without asking the token endpoint again.
func ExampleClient_StartConsent() {
	p := startAuthPeer() // an authorization server on loopback
	defer p.Close()
	c := &Client{AllowPrivate: true}
	defer c.CloseIdleConnections()
	ctx := context.Background()

	node := consentNode(p) // oauth2, grant refresh_token, refreshToken "{{conn.refreshToken}}"
	step, err := node.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	params := Values{"app.id": consentClient, "app.secret": Secret(consentSecret)}
	consent, err := c.StartConsent(step, params, ConsentRequest{AuthURL: p.URL + "/authorize", RedirectURL: "https://engine.test/connect/done"})
	if err != nil {
		fmt.Println(err)
		return
	}
	back, err := browse(consent.URL) // the host redirects the browser; the person consents
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := c.FinishConsent(ctx, step, params, consent, back.Query())
	if err != nil {
		fmt.Println(err)
		return
	}
	params["conn.refreshToken"] = Secret(tok.RefreshToken) // the host keeps it with the connection
	res, err := c.Execute(ctx, node, params)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode, string(res.Body), "token requests:", p.tokenRequests())
	// Output: 200 {"ok":true} token requests: 1
}

var pkceUnreserved = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// TestConsent: the consent URL carries the client, scopes, state and S256
// challenge (never the verifier or secret); the code is exchanged with the
// verifier; the tokens are saved where the node finds them, so its first
// run sends the access token at once, and later renews with the refresh
// token. A code is used once.
func TestConsent(t *testing.T) {
	p := newAuthPeer(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := signedClient(t, now)
	node := consentNode(p)
	step, err := node.Compile()
	require.NoError(t, err)
	params := Values{"app.id": consentClient, "app.secret": consentSecret}
	k, err := c.StartConsent(step, params, ConsentRequest{AuthURL: p.URL + "/authorize", RedirectURL: "https://host.test/connect/done",
		Params: []KeyValue{{Key: "access_type", Value: "offline"}}})
	require.NoError(t, err)
	require.Regexp(t, pkceUnreserved, k.Verifier)
	require.Regexp(t, pkceUnreserved, k.State)
	u, err := url.Parse(k.URL)
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(k.Verifier))
	assert.Equal(t, url.Values{"response_type": {"code"}, "client_id": {consentClient}, "redirect_uri": {"https://host.test/connect/done"},
		"scope": {"files.read files.write"}, "state": {k.State}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}, "access_type": {"offline"}}, u.Query())
	assert.Zero(t, p.tokenRequests(), "nothing is sent to make the URL")

	callback := givesConsent(t, k)
	tok, err := c.FinishConsent(context.Background(), step, params, k, callback)
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)
	require.NotEmpty(t, tok.AccessToken)
	assert.Equal(t, now.Add(time.Hour), tok.Expiry, "expires_in counted on Client.Now")
	assert.Equal(t, 1, p.tokenRequests())

	params["conn.refreshToken"] = tok.RefreshToken // the host keeps it with the connection
	res, err := c.Execute(context.Background(), node, params)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ok":true}`, string(res.Body))
	assert.Equal(t, 1, p.tokenRequests(), "the consent's access token is used at once")

	p.mu.Lock()
	p.access = map[string]bool{} // the access token is revoked: the node renews it with the refresh token
	p.mu.Unlock()
	_, err = c.Execute(context.Background(), node, params)
	require.NoError(t, err)
	assert.Equal(t, 2, p.tokenRequests())

	_, err = c.FinishConsent(context.Background(), step, params, k, callback)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindAuth, f.Kind)
	assert.Contains(t, f.Message, "start the consent again")
	for _, secret := range []string{callback.Get("code"), k.Verifier, consentSecret} {
		assert.NotContains(t, err.Error(), secret)
	}
}

// TestConsentRefused: every way a consent fails says what to do, as a
// *Failure of kind auth (the answer) or a *ConfigError (the node or the
// request), and nothing is saved.
func TestConsentRefused(t *testing.T) {
	p := newAuthPeer(t)
	params := Values{"app.id": consentClient, "app.secret": consentSecret}
	req := ConsentRequest{AuthURL: p.URL + "/authorize", RedirectURL: "https://host.test/back"}
	start := func(t *testing.T, node *NodeConfig) (*Step, *Consent) {
		step, err := node.Compile()
		require.NoError(t, err)
		k, err := testClient(t).StartConsent(step, params, req)
		require.NoError(t, err)
		return step, k
	}
	for _, tc := range []struct {
		name string
		edit func(k *Consent, q url.Values)
		want string
	}{
		{"another state", func(_ *Consent, q url.Values) { q.Set("state", "forged") }, "state differs"},
		{"declined", func(_ *Consent, q url.Values) { q.Del("code"); q.Set("error", "access_denied") }, "the person declined"},
		{"other error", func(_ *Consent, q url.Values) {
			q.Set("error", "invalid_scope")
			q.Set("error_description", "files.write")
		}, "invalid_scope: files.write"},
		{"no code", func(_ *Consent, q url.Values) { q.Del("code") }, "no code"},
		{"another verifier", func(k *Consent, _ url.Values) { k.Verifier = strings.Repeat("v", 43) }, "PKCE verification failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, k := start(t, consentNode(p))
			q := givesConsent(t, k)
			tc.edit(k, q)
			_, err := testClient(t).FinishConsent(context.Background(), step, params, k, q)
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindAuth, f.Kind)
			assert.Contains(t, f.Message, tc.want)
		})
	}
	t.Run("no refresh token", func(t *testing.T) {
		p.noRefresh = true
		defer func() { p.noRefresh = false }()
		step, k := start(t, consentNode(p))
		_, err := testClient(t).FinishConsent(context.Background(), step, params, k, givesConsent(t, k))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "access_type=offline")
	})
	for _, tc := range []struct {
		name  string
		edit  func(*NodeConfig, *ConsentRequest)
		field string
	}{
		{"client credentials node", func(n *NodeConfig, _ *ConsentRequest) {
			n.Auth.OAuth2.Grant, n.Auth.OAuth2.RefreshToken = GrantClientCredentials, ""
		}, "auth.oauth2.grant"},
		{"refresh token not one ref", func(n *NodeConfig, _ *ConsentRequest) { n.Auth.OAuth2.RefreshToken = "rt-{{conn.rt}}" }, "auth.oauth2.refreshToken"},
		{"relative auth URL", func(_ *NodeConfig, r *ConsentRequest) { r.AuthURL = "/authorize" }, "authUrl"},
		{"cleartext auth URL", func(_ *NodeConfig, r *ConsentRequest) { r.AuthURL = "http://login.example.test/authorize" }, "authUrl"},
		{"no redirect URL", func(_ *NodeConfig, r *ConsentRequest) { r.RedirectURL = "" }, "redirectUrl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node, r := consentNode(p), req
			tc.edit(node, &r)
			step, err := node.Compile()
			require.NoError(t, err)
			_, err = testClient(t).StartConsent(step, params, r)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
}

// TestConsentChallengeRFC7636: the S256 challenge of RFC 7636 appendix B's
// worked example.
func TestConsentChallengeRFC7636(t *testing.T) {
	octets := []byte{116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186,
		22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121}
	verifier := base64.RawURLEncoding.EncodeToString(octets)
	require.Equal(t, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", verifier)
	raw := consentURL(&oauth.Config{ClientID: "c"}, ConsentRequest{AuthURL: "https://as.test/authorize", RedirectURL: "https://host.test/cb"}, "s", verifier)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", u.Query().Get("code_challenge"))
	assert.Equal(t, "S256", u.Query().Get("code_challenge_method"))
}
