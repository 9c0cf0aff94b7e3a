package httpstep

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/oauth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// saPeer emulates Google's OAuth 2.0 token endpoint for service accounts
// ("Using OAuth 2.0 for Server to Server Applications"): a POST of
// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and assertion=JWT.
// It verifies the JWT on its own (crypto/rsa, crypto/ecdsa): the header's
// alg (RS256, ES256) and kid, the signature, iss (the account's email),
// aud (the token URL), scope (space-separated, required), iat and exp (at
// most an hour apart, around the peer's clock). It answers as Google does:
// access_token, expires_in 3599, token_type Bearer; invalid_grant with
// Google's descriptions. /api accepts the tokens it issued.
type saPeer struct {
	*httptest.Server
	now   time.Time
	email string
	keys  map[string]crypto.PublicKey // by kid
	echo  bool                        // refuse, quoting the assertion back

	mu       sync.Mutex
	requests int
	issued   []string
	seen     []jwtSeen
}

// jwtSeen is one assertion as the peer read it.
type jwtSeen struct {
	header map[string]any
	claims map[string]any
	raw    string
	authz  string // the token request's Authorization header: none is sent
}

const saEmail = "robot@project-1.iam.gserviceaccount.test"

func newSAPeer(t *testing.T, now time.Time, keys map[string]crypto.PublicKey) *saPeer {
	p := &saPeer{now: now, email: saEmail, keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("/api", p.api)
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

func (p *saPeer) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests++
	p.mu.Unlock()
	if r.PostFormValue("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		googleError(w, "unsupported_grant_type", "Invalid grant_type: "+r.PostFormValue("grant_type"))
		return
	}
	raw := r.PostFormValue("assertion")
	seen, problem := p.verify(raw)
	seen.authz = r.Header.Get("Authorization")
	p.mu.Lock()
	p.seen = append(p.seen, seen)
	p.mu.Unlock()
	switch {
	case p.echo:
		googleError(w, "invalid_grant", "Invalid JWT: "+raw)
	case problem == "no scope":
		googleError(w, "invalid_scope", "Empty or missing scope not allowed.")
	case problem != "":
		googleError(w, "invalid_grant", problem)
	default:
		tok := "ya29." + newNonce()
		p.mu.Lock()
		p.issued = append(p.issued, tok)
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
	}
}

func googleError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// verify checks the assertion as Google would; "" when it is good.
func (p *saPeer) verify(raw string) (jwtSeen, string) {
	s := jwtSeen{raw: raw}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || jwtPart(parts[0], &s.header) != nil || jwtPart(parts[1], &s.claims) != nil {
		return s, "Invalid JWT: cannot be parsed"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || s.header["typ"] != "JWT" || !p.signedBy(s.header, parts[0]+"."+parts[1], sig) {
		return s, "Invalid JWT Signature."
	}
	iat, _ := s.claims["iat"].(float64)
	exp, _ := s.claims["exp"].(float64)
	now := float64(p.now.Unix())
	switch {
	case s.claims["iss"] != p.email:
		return s, "Invalid email or User ID"
	case s.claims["aud"] != p.URL+"/token":
		return s, "Invalid JWT: Failed audience check."
	case exp-iat > 3600 || iat > now+300 || exp < now:
		return s, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	case s.claims["scope"] == nil || s.claims["scope"] == "":
		return s, "no scope"
	}
	return s, ""
}

// signedBy verifies sig over signed with the key the header names (every
// key when it names none), by the header's alg.
func (p *saPeer) signedBy(header map[string]any, signed string, sig []byte) bool {
	sum := sha256.Sum256([]byte(signed))
	for kid, key := range p.keys {
		if k, ok := header["kid"].(string); ok && k != kid {
			continue
		}
		switch pub := key.(type) {
		case *rsa.PublicKey:
			if header["alg"] == "RS256" && rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil {
				return true
			}
		case *ecdsa.PublicKey:
			if header["alg"] == "ES256" && len(sig) == 64 && // RFC 7518 3.4: R and S, 32 bytes each
				ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
				return true
			}
		}
	}
	return false
}

func jwtPart(s string, into *map[string]any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

func (p *saPeer) api(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tok := range p.issued {
		if r.Header.Get("Authorization") == "Bearer "+tok {
			w.Write([]byte(`{"ok":true}`))
			return
		}
	}
	w.WriteHeader(http.StatusUnauthorized)
}

func (p *saPeer) counts() (requests int, seen []jwtSeen, issued []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests, append([]jwtSeen(nil), p.seen...), append([]string(nil), p.issued...)
}

// testEC is one P-256 key for the tests (generating keys is slow under -race).
var testEC struct {
	once sync.Once
	key  *ecdsa.PrivateKey
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	testEC.once.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		testEC.key = k
	})
	return testEC.key
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// saNode is a node that calls p's API with a service account.
func saNode(p *saPeer) *NodeConfig {
	return &NodeConfig{URL: p.URL + "/api", Auth: &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantJWTBearer,
		TokenURL: p.URL + "/token", PrivateKey: "{{sa.private_key}}", KeyID: "{{sa.private_key_id}}", Issuer: "{{sa.client_email}}",
		Scopes: []string{"https://www.googleapis.com/auth/devstorage.read_only", "https://www.googleapis.com/auth/sqlservice.admin"}}}}
}

// TestJWTBearerServiceAccount: a service account's token, RS256 and
// ES256, from keys in each PEM form (PKCS #1, PKCS #8, SEC 1, and the
// JSON file's escaped "\n"): the peer verifies the assertion on its own;
// the token is fetched once for two runs and cached; neither the key, in
// any form, nor the assertion nor the token is in the history or errors.
func TestJWTBearerServiceAccount(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rk, _ := rsaKey(t)
	ek := ecKey(t)
	pkcs1 := pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk))
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rk)
	sec1, _ := x509.MarshalECPrivateKey(ek)
	ec8, _ := x509.MarshalPKCS8PrivateKey(ek)
	for _, tc := range []struct {
		name, key, kid, alg string
		pub                 crypto.PublicKey
	}{
		{"RS256 PKCS8", pemOf("PRIVATE KEY", pkcs8), "4f1e2a", "RS256", &rk.PublicKey},
		{"RS256 PKCS1 escaped", strings.ReplaceAll(pkcs1, "\n", `\n`), "", "RS256", &rk.PublicKey},
		{"ES256 SEC1", pemOf("EC PRIVATE KEY", sec1), "ec-1", "ES256", &ek.PublicKey},
		{"ES256 PKCS8", pemOf("PRIVATE KEY", ec8), "ec-2", "ES256", &ek.PublicKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newSAPeer(t, now, map[string]crypto.PublicKey{tc.kid: tc.pub})
			c := signedClient(t, now)
			params := Values{"sa.private_key": tc.key, "sa.private_key_id": tc.kid, "sa.client_email": saEmail}
			var history []byte
			for range 2 {
				res, err := c.Execute(context.Background(), saNode(p), params)
				require.NoError(t, err)
				assert.JSONEq(t, `{"ok":true}`, string(res.Body))
				h, _ := json.Marshal(res.Attempts)
				history = append(history, h...)
			}
			requests, seen, issued := p.counts()
			require.Equal(t, 1, requests, "the token is cached")
			assert.Contains(t, string(history), `"auth":"token"`)
			a := seen[0]
			assert.Equal(t, map[string]any{"alg": tc.alg, "typ": "JWT", "kid": tc.kid}, withoutEmpty(a.header))
			iat := now.Add(-10 * time.Second).Unix()
			assert.Equal(t, map[string]any{"iss": saEmail, "aud": p.URL + "/token", "iat": float64(iat), "exp": float64(iat + 3600),
				"scope": "https://www.googleapis.com/auth/devstorage.read_only https://www.googleapis.com/auth/sqlservice.admin"}, a.claims)
			assert.Empty(t, a.authz, "no client authentication")
			for _, secret := range append(keyForms(tc.key), a.raw, issued[0]) {
				assert.NotContains(t, string(history), secret)
			}
		})
	}
}

// withoutEmpty drops a header's empty kid: a key without id sends none.
func withoutEmpty(m map[string]any) map[string]any {
	out := map[string]any{"kid": ""}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestJWTBearerClaims: subject and audience, when given, are sub and aud;
// parameters go in the form; another key (or issuer) is another token.
func TestJWTBearerClaims(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rk, key := rsaKey(t)
	p := newSAPeer(t, now, map[string]crypto.PublicKey{"k1": &rk.PublicKey})
	c := signedClient(t, now)
	store := &memTokens{}
	c.Tokens = store
	node := saNode(p)
	node.Auth.OAuth2.Subject = "{{user}}"
	params := Values{"sa.private_key": key, "sa.private_key_id": "k1", "sa.client_email": saEmail, "user": "ann@example.test"}
	_, err := c.Execute(context.Background(), node, params)
	require.NoError(t, err)
	node.Auth.OAuth2.Audience = p.URL + "/token" // the default, given
	params["user"] = "bob@example.test"
	_, err = c.Execute(context.Background(), node, params)
	require.NoError(t, err)
	requests, seen, _ := p.counts()
	require.Equal(t, 2, requests, "another subject is another token")
	assert.Equal(t, "ann@example.test", seen[0].claims["sub"])
	assert.Equal(t, "bob@example.test", seen[1].claims["sub"])
	assert.Equal(t, p.URL+"/token", seen[1].claims["aud"])
	store.mu.Lock()
	defer store.mu.Unlock()
	assert.Len(t, store.m, 2, "the tokens are in Client.Tokens")
	for k, tok := range store.m {
		assert.NotContains(t, k, "MII")
		assert.Equal(t, now.Add(3599*time.Second), tok.Expiry, "expires_in counted on Client.Now")
	}
}

// TestJWTBearerRefused: what Google answers to a key it does not know, a
// clock far off, or no scope is a failure of kind auth that says what to
// check, without the key or the assertion, and nothing reaches the API.
func TestJWTBearerRefused(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rk, key := rsaKey(t)
	other, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, tc := range []struct {
		name  string
		known crypto.PublicKey
		clock time.Time
		edit  func(*saPeer, *NodeConfig)
		want  []string
	}{
		{"another key", &other.PublicKey, now, nil, []string{"Invalid JWT Signature", "check the private key", "clock"}},
		{"clock two hours behind", &rk.PublicKey, now.Add(-2 * time.Hour), nil, []string{"short-lived", "clock"}},
		{"no scope", &rk.PublicKey, now, func(_ *saPeer, n *NodeConfig) { n.Auth.OAuth2.Scopes = nil }, []string{"invalid_scope", "check the scopes"}},
		{"assertion echoed", &rk.PublicKey, now, func(p *saPeer, _ *NodeConfig) { p.echo = true }, []string{"invalid_grant"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newSAPeer(t, now, map[string]crypto.PublicKey{"k1": tc.known})
			node := saNode(p)
			if tc.edit != nil {
				tc.edit(p, node)
			}
			res, err := signedClient(t, tc.clock).Execute(context.Background(), node,
				Values{"sa.private_key": key, "sa.private_key_id": "k1", "sa.client_email": saEmail})
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindAuth, f.Kind)
			for _, w := range tc.want {
				assert.Contains(t, f.Message, w)
			}
			history, _ := json.Marshal(res.Attempts)
			_, seen, issued := p.counts()
			assert.Empty(t, issued)
			for _, secret := range append(keyForms(key), seen[0].raw) {
				assert.NotContains(t, string(history), secret)
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

// TestJWTBearerValidate: Validate names auth and the missing piece; a key
// typed in must be one that signs; no client id is needed. A key ref
// without a value fails the run with kind param and sends nothing.
func TestJWTBearerValidate(t *testing.T) {
	_, key := rsaKey(t)
	for _, tc := range []struct {
		name  string
		edit  func(*OAuth2)
		field string
	}{
		{"good", func(*OAuth2) {}, ""},
		{"typed key", func(o *OAuth2) { o.PrivateKey = key }, ""},
		{"no key", func(o *OAuth2) { o.PrivateKey = "" }, "auth.oauth2.privateKey"},
		{"not PEM", func(o *OAuth2) { o.PrivateKey = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" }, "auth.oauth2.privateKey"},
		{"broken PEM", func(o *OAuth2) { o.PrivateKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }, "auth.oauth2.privateKey"},
		{"no issuer", func(o *OAuth2) { o.Issuer = " " }, "auth.oauth2.issuer"},
		{"bad subject", func(o *OAuth2) { o.Subject = "{{x" }, "auth.oauth2.subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := saNode(&saPeer{Server: &httptest.Server{URL: "https://oauth2.example.test"}})
			tc.edit(n.Auth.OAuth2)
			err := n.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tc.field)
			assert.NotContains(t, err.Error(), "MIIEvQ", "the key is not quoted")
		})
	}
	p := newSAPeer(t, time.Now(), nil)
	res, err := testClient(t).Execute(context.Background(), saNode(p), Values{"sa.client_email": saEmail, "sa.private_key_id": ""})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindParam, f.Kind, f.Message)
	assert.Contains(t, f.Message, "{{sa.private_key}}")
	requests, _, _ := p.counts()
	assert.Zero(t, requests)
	assert.NotNil(t, res)
}

// TestJWTBearerDryRun: the preview signs nothing and asks the token
// endpoint nothing; the key is in no form of it.
func TestJWTBearerDryRun(t *testing.T) {
	rk, key := rsaKey(t)
	p := newSAPeer(t, time.Now(), map[string]crypto.PublicKey{"k1": &rk.PublicKey})
	step, err := saNode(p).Compile()
	require.NoError(t, err)
	rec, err := testClient(t).DryRun(context.Background(), step, Values{"sa.private_key": key, "sa.private_key_id": "k1", "sa.client_email": saEmail})
	require.NoError(t, err)
	assert.Equal(t, []string{placeholderOAuth2}, rec.Header["Authorization"])
	requests, _, _ := p.counts()
	assert.Zero(t, requests)
	b, _ := json.Marshal(rec)
	for _, secret := range keyForms(key) {
		assert.NotContains(t, string(b), secret)
	}
}

// FuzzSigningKey: whatever is pasted as a jwt_bearer key, parsing does not
// panic, an accepted key can sign, and a refusal does not quote the key's
// body.
func FuzzSigningKey(f *testing.F) {
	rk, key := rsaKey(f)
	sec1, _ := x509.MarshalECPrivateKey(ecKey(f))
	f.Add(key)
	f.Add(strings.ReplaceAll(pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)), "\n", `\n`))
	f.Add(pemOf("EC PRIVATE KEY", sec1))
	f.Add("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	f.Add("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")
	f.Fuzz(func(t *testing.T, text string) {
		k, err := parseSigningKey(text)
		if err == nil {
			if oauth.Method(k) == nil {
				t.Fatalf("accepted a key that cannot sign: %T", k)
			}
			return
		}
		block, _ := pem.Decode([]byte(unescapeKey(strings.TrimSpace(text))))
		if block == nil {
			return
		}
		if body := base64.StdEncoding.EncodeToString(block.Bytes); len(body) >= 8 && strings.Contains(err.Error(), body[:8]) {
			t.Fatalf("the refusal quotes the key: %v", err)
		}
	})
}
