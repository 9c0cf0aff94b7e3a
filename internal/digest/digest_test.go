package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	dg "github.com/icholy/digest"
	"github.com/mccutchen/go-httpbin/v2/httpbin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestAnswerRFC7616 checks the answers against the examples of RFC 7616
// section 3.9.1.
func TestAnswerRFC7616(t *testing.T) {
	const nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
	const cn = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	r := Request{Method: "GET", URI: "/dir/index.html", Username: "Mufasa", Password: "Circle of Life"}
	for alg, want := range map[string]string{
		"MD5":     "8ca523f5e9506fed4657c9700eebdbec",
		"SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
	} {
		t.Run(alg, func(t *testing.T) {
			chal := &dg.Challenge{Realm: "http-auth@example.org", Nonce: nonce, Algorithm: alg, QOP: []string{"auth", "auth-int"},
				Opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"}
			h, err := answer(chal, r, 1, cn)
			require.NoError(t, err)
			cred, err := dg.ParseCredentials(h)
			require.NoError(t, err)
			assert.Equal(t, want, cred.Response)
			assert.Equal(t, "auth", cred.QOP)
			assert.Equal(t, 1, cred.Nc)
			assert.Equal(t, alg, cred.Algorithm)
		})
	}
}

// server is a stateful Digest server: it remembers the nonces it issued,
// checks answers independently of this package, and says stale=true for a
// nonce it has expired.
type server struct {
	*httptest.Server
	user, pass, alg string
	mu              sync.Mutex
	nonces          map[string]bool // issued; false once expired
	seq             int
	requests        int
}

func newServer(t *testing.T, alg string) *server {
	s := &server{user: "alice", pass: "pa:ss wörd", alg: alg, nonces: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	ok, stale := s.check(r)
	if ok {
		fmt.Fprint(w, "welcome")
		return
	}
	s.seq++
	nonce := fmt.Sprintf("nonce-%d", s.seq)
	s.nonces[nonce] = true
	v := fmt.Sprintf(`Digest realm="test", qop="auth-int, auth", algorithm=%s, nonce=%q, opaque="op"`, s.alg, nonce)
	if stale {
		v += ", stale=true"
	}
	w.Header().Add("WWW-Authenticate", `Basic realm="test"`)
	w.Header().Add("WWW-Authenticate", v)
	w.WriteHeader(http.StatusUnauthorized)
}

// check verifies the Authorization header; stale reports a right answer to
// an expired nonce.
func (s *server) check(r *http.Request) (ok, stale bool) {
	cred, err := dg.ParseCredentials(r.Header.Get("Authorization"))
	if err != nil || cred.Username != s.user || cred.QOP != "auth" || cred.URI != r.URL.RequestURI() || cred.Opaque != "op" {
		return false, false
	}
	live, issued := s.nonces[cred.Nonce]
	if !issued {
		return false, false
	}
	var h hash.Hash = md5.New()
	if strings.HasPrefix(s.alg, "SHA-256") {
		h = sha256.New()
	}
	hx := func(v string) string { h.Reset(); h.Write([]byte(v)); return hex.EncodeToString(h.Sum(nil)) }
	a1 := hx(s.user + ":test:" + s.pass)
	if strings.HasSuffix(s.alg, "-sess") {
		a1 = hx(a1 + ":" + cred.Nonce + ":" + cred.Cnonce)
	}
	want := hx(fmt.Sprintf("%s:%s:%08x:%s:auth:%s", a1, cred.Nonce, cred.Nc, cred.Cnonce, hx(r.Method+":"+cred.URI)))
	if want != cred.Response {
		return false, false
	}
	return live, !live
}

func (s *server) expireNonces() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n := range s.nonces {
		s.nonces[n] = false
	}
}

// get sends one request the way the library's request path does: answer
// from the cache, and on a 401 learn the challenge and answer once more. It
// returns the final status and how many exchanges it took.
func get(t *testing.T, c *Cache, url, user, pass string) (status, exchanges int) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	r := Request{Method: "GET", URI: req.URL.RequestURI(), Username: user, Password: pass}
	for {
		exchanges++
		if h, ok, err := c.Answer(req.URL.Host, r); err != nil {
			t.Fatal(err)
		} else if ok {
			req.Header.Set("Authorization", h)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || exchanges == 2 {
			return resp.StatusCode, exchanges
		}
		if _, err := c.Learn(req.URL.Host, resp.Header); err != nil {
			return resp.StatusCode, exchanges
		}
	}
}

func TestCacheAgainstStatefulServer(t *testing.T) {
	for _, alg := range []string{"MD5", "SHA-256", "MD5-sess", "SHA-256-sess"} {
		t.Run(alg, func(t *testing.T) {
			s := newServer(t, alg)
			var c Cache
			st, n := get(t, &c, s.URL+"/a?x=1", "alice", "pa:ss wörd")
			assert.Equal(t, []int{200, 2}, []int{st, n}, "first request: challenge, then answer")
			st, n = get(t, &c, s.URL+"/b", "alice", "pa:ss wörd")
			assert.Equal(t, []int{200, 1}, []int{st, n}, "later request: answered on the first try")
			s.expireNonces()
			st, n = get(t, &c, s.URL+"/c", "alice", "pa:ss wörd")
			assert.Equal(t, []int{200, 2}, []int{st, n}, "stale nonce: answered again")
			st, n = get(t, &c, s.URL+"/d", "alice", "wrong")
			assert.Equal(t, []int{401, 2}, []int{st, n}, "wrong password: rejected after one answer")
		})
	}
}

func TestCacheAgainstHTTPBin(t *testing.T) {
	srv := httptest.NewServer(httpbin.New())
	t.Cleanup(srv.Close)
	for _, alg := range []string{"MD5", "SHA-256"} {
		t.Run(alg, func(t *testing.T) {
			var c Cache
			url := srv.URL + "/digest-auth/auth/bob/s3cr%C3%A9t/" + alg
			st, n := get(t, &c, url, "bob", "s3crét")
			assert.Equal(t, []int{200, 2}, []int{st, n})
			st, n = get(t, &c, url, "bob", "s3crét")
			assert.Equal(t, []int{200, 1}, []int{st, n})
			st, _ = get(t, &c, url, "bob", "nope")
			assert.Equal(t, 401, st)
		})
	}
}

func TestLearn(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		stale  bool
		err    bool
	}{
		{"none", nil, false, true},
		{"basic only", []string{`Basic realm="x"`}, false, true},
		{"auth-int only", []string{`Digest realm="x", nonce="n", qop="auth-int"`}, false, true},
		{"unknown algorithm", []string{`Digest realm="x", nonce="n", algorithm=SHA-1`}, false, true},
		{"no qop (RFC 2069)", []string{`Digest realm="x", nonce="n"`}, false, false},
		{"stale", []string{`Digest realm="x", nonce="n", qop="auth", stale=TRUE`}, true, false},
		{"second is usable", []string{`Digest realm="x", nonce="n", algorithm=foo`, `Digest realm="x", nonce="m", algorithm=SHA-256-sess, qop="auth"`}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Cache
			stale, err := c.Learn("h", http.Header{"Www-Authenticate": tt.values})
			assert.Equal(t, tt.err, err != nil, "err %v", err)
			assert.Equal(t, tt.stale, stale)
			h, ok, err := c.Answer("h", Request{Method: "GET", URI: "/", Username: "u", Password: "p"})
			require.NoError(t, err)
			assert.Equal(t, !tt.err, ok)
			if ok {
				assert.True(t, strings.HasPrefix(h, "Digest "))
			}
		})
	}
}

func TestNonceCountIncrements(t *testing.T) {
	var c Cache
	_, err := c.Learn("h", http.Header{"Www-Authenticate": {`Digest realm="x", nonce="n", qop="auth"`}})
	require.NoError(t, err)
	for want := 1; want <= 3; want++ {
		h, _, err := c.Answer("h", Request{Method: "GET", URI: "/"})
		require.NoError(t, err)
		cred, err := dg.ParseCredentials(h)
		require.NoError(t, err)
		assert.Equal(t, want, cred.Nc)
	}
	_, ok, _ := c.Answer("other", Request{})
	assert.False(t, ok, "challenges are per host")
}

func FuzzLearn(f *testing.F) {
	f.Add(`Digest realm="x", nonce="n", qop="auth", algorithm=MD5-sess, stale=true`)
	f.Add(`Digest realm="a\"b", nonce=, qop`)
	f.Fuzz(func(t *testing.T, v string) {
		var c Cache
		if _, err := c.Learn("h", http.Header{"Www-Authenticate": {v}}); err != nil {
			return
		}
		h, ok, err := c.Answer("h", Request{Method: "GET", URI: "/", Username: "u", Password: "p"})
		if err != nil || !ok || !strings.HasPrefix(h, "Digest ") || strings.ContainsAny(h, "\r\n") {
			t.Fatalf("answer %q, %v, %v", h, ok, err)
		}
	})
}
