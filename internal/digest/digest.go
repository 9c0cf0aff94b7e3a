// Package digest answers HTTP Digest challenges (RFC 7616) one request at a
// time: MD5 and SHA-256 (and SHA-512-256), their -sess variants, qop "auth"
// or no qop. A [Cache] remembers the last challenge of each host, so later
// requests to that host authenticate on the first try; the caller sends,
// and on a 401 calls [Cache.Learn] and answers once more.
//
// Parsing and formatting the header parameters is done by
// github.com/icholy/digest; this package adds the per-host memory, the
// nonce count, the -sess variants and the choice of qop.
package digest

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"

	dg "github.com/icholy/digest"
)

// ErrNoChallenge means a 401 carried no Digest challenge this package can
// answer.
var ErrNoChallenge = errors.New("the server sent no Digest challenge that can be answered (MD5 or SHA-256, qop auth)")

// Request is what one answer is computed over: the request's method and
// request-target ("/path?query") and the credentials.
type Request struct {
	Method, URI        string
	Username, Password string
}

// Cache remembers the last Digest challenge of each host. The zero value is
// ready; a Cache is safe for concurrent use.
type Cache struct {
	mu    sync.Mutex
	hosts map[string]*entry
}

type entry struct {
	chal *dg.Challenge
	nc   int // answers made with chal's nonce so far
}

// Answer returns the Authorization header value for r, computed from the
// challenge remembered for host, and false when none is remembered. Each
// answer counts one more use of the nonce (nc).
func (c *Cache) Answer(host string, r Request) (string, bool, error) {
	c.mu.Lock()
	e := c.hosts[host]
	var chal dg.Challenge
	nc := 0
	if e != nil {
		e.nc++
		chal, nc = *e.chal, e.nc
	}
	c.mu.Unlock()
	if e == nil {
		return "", false, nil
	}
	h, err := answer(&chal, r, nc, cnonce())
	return h, err == nil, err
}

// Learn remembers for host the first Digest challenge in h (the headers of
// a 401) that can be answered, replacing the one before, and reports
// whether the server said the nonce was stale. It returns ErrNoChallenge
// when there is none.
func (c *Cache) Learn(host string, h http.Header) (stale bool, err error) {
	chal, err := find(h)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hosts == nil {
		c.hosts = make(map[string]*entry)
	}
	c.hosts[host] = &entry{chal: chal}
	return chal.Stale, nil
}

// find returns the first challenge in h that this package can answer.
func find(h http.Header) (*dg.Challenge, error) {
	for _, v := range h.Values("WWW-Authenticate") {
		if !dg.IsDigest(v) {
			continue
		}
		chal, err := dg.ParseChallenge(v)
		if err != nil {
			continue
		}
		for i, q := range chal.QOP {
			chal.QOP[i] = strings.ToLower(strings.TrimSpace(q))
		}
		if _, _, err := hasher(chal.Algorithm); err == nil && (len(chal.QOP) == 0 || chal.SupportsQOP("auth")) {
			return chal, nil
		}
	}
	return nil, ErrNoChallenge
}

// answer computes the Authorization value for chal with nonce count nc.
// For a -sess algorithm, A1 is H(H(user:realm:password):nonce:cnonce).
func answer(chal *dg.Challenge, r Request, nc int, cn string) (string, error) {
	h, sess, err := hasher(chal.Algorithm)
	if err != nil {
		return "", err
	}
	base := *chal
	base.Algorithm = strings.TrimSuffix(strings.ToUpper(chal.Algorithm), "-SESS")
	if len(base.QOP) > 0 {
		base.QOP = []string{"auth"} // never auth-int: the body is not hashed
	}
	opts := dg.Options{Method: r.Method, URI: r.URI, Count: nc, Username: r.Username, Password: r.Password, Cnonce: cn}
	if sess {
		opts.A1 = hashJoin(h, hashJoin(h, r.Username, chal.Realm, r.Password), chal.Nonce, cn)
	}
	cred, err := dg.Digest(&base, opts)
	if err != nil {
		return "", err
	}
	cred.Algorithm = chal.Algorithm
	return cred.String(), nil
}

// hasher returns the hash of an algorithm name and whether it is a -sess
// variant.
func hasher(alg string) (hash.Hash, bool, error) {
	name, sess := strings.CutSuffix(strings.ToUpper(alg), "-SESS")
	switch name {
	case "":
		if !sess {
			return md5.New(), false, nil
		}
	case "MD5":
		return md5.New(), sess, nil
	case "SHA-256":
		return sha256.New(), sess, nil
	case "SHA-512-256":
		return sha512.New512_256(), sess, nil
	}
	return nil, false, fmt.Errorf("digest: the algorithm %q is not supported: use MD5 or SHA-256", alg)
}

func hashJoin(h hash.Hash, parts ...string) string {
	h.Reset()
	h.Write([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(h.Sum(nil))
}

// cnonce is a fresh client nonce.
func cnonce() string {
	return rand.Text()
}
