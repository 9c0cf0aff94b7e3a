package oauth

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"golang.org/x/sync/singleflight"
)

// The slow digest of a secret in a cache key: PBKDF2-HMAC-SHA256 with
// digestRounds rounds, salted with the key's public parts. Whoever can read
// the keys of a shared TokenStore (but not this process's memory) can then
// not test guesses of a weak password or client secret quickly, and the
// same secret under another token URL or client gives another digest.
const (
	digestRounds = 20_000
	digestLen    = 32
	// digestMemo bounds the remembered digests; when full it starts afresh.
	digestMemo = 1024
)

// digests remembers each (salt, secret) digest, so a node run many times
// pays the rounds once. Safe for concurrent use.
var digests struct {
	sync.Mutex
	m map[[2]string]string
}

// secretDigest returns the hex digest of secret under salt; "" for an empty
// secret. Concurrent callers with the same salt and secret share one
// derivation, so a burst of runs on a cold cache pays the rounds once.
func secretDigest(salt, secret string) string {
	if secret == "" {
		return ""
	}
	k := [2]string{salt, secret}
	digests.Lock()
	d, ok := digests.m[k]
	digests.Unlock()
	if ok {
		return d
	}
	v, _, _ := deriving.Do(salt+"\x00"+secret, func() (any, error) {
		d := hex.EncodeToString(deriveDigest(salt, secret))
		digests.Lock()
		if digests.m == nil || len(digests.m) >= digestMemo {
			digests.m = make(map[[2]string]string)
		}
		digests.m[k] = d
		digests.Unlock()
		return d, nil
	})
	return v.(string)
}

// deriving joins concurrent derivations of one digest.
var deriving singleflight.Group

// deriveDigest computes the digest; a variable so a test can count calls.
var deriveDigest = func(salt, secret string) []byte {
	b, err := pbkdf2.Key(sha256.New, secret, []byte(salt), digestRounds, digestLen)
	if err != nil { // only for parameters FIPS mode refuses; still no secret in clear
		sum := sha256.Sum256([]byte(salt + "\x00" + secret))
		b = sum[:]
	}
	return b
}
