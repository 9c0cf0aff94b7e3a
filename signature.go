package httpstep

import (
	"crypto"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"hash"
	"net/url"
	"slices"
	"strings"
)

// Signature is a request signature the API defines (auth type
// "signature"), computed on every attempt, page and poll to the node's
// origin with a fresh timestamp and nonce, and never sent to another.
//
// On each request: the places (Headers, Query) whose value does not use
// {{$signature}} are set first, so {{$query}}, {{$sortedQuery}} and
// {{$header.NAME}} see them; then Message is rendered and signed with Key;
// then the places that use {{$signature}} are set, and a raw body that uses
// the signature variables is rendered. See the README for the canonical
// forms of the message variables.
type Signature struct {
	Algorithm string     `json:"algorithm"`          // "hmac-sha256" | "hmac-sha1" | "hmac-sha512" | "hmac-md5" | "sha256" | "md5" | "rsa-sha256"
	Key       string     `json:"key"`                // template: the secret, or a PEM private key for rsa-sha256; may use $timestamp, $timestampMs, $nonce
	Message   string     `json:"message"`            // template of what is signed: the node's refs and the message variables
	Encoding  string     `json:"encoding,omitempty"` // "hex" (default) | "base64" | "base64url" (URL-safe alphabet, no padding)
	Headers   []KeyValue `json:"headers,omitempty"`  // where it goes; values are templates that may use {{$signature}}, {{$timestamp}}, {{$timestampMs}}, {{$nonce}}, {{$date}}
	Query     []KeyValue `json:"query,omitempty"`    // the same, as query parameters (values query-escaped)
}

// The signature algorithms (Signature.Algorithm). The digests (sha256,
// md5) sign nothing with the key: they hash the message, in which
// {{$key}} stands for the rendered key (md5(params + secret) schemes).
const (
	SignHMACSHA256 = "hmac-sha256"
	SignHMACSHA1   = "hmac-sha1"
	SignHMACSHA512 = "hmac-sha512"
	SignHMACMD5    = "hmac-md5"
	SignSHA256     = "sha256"
	SignMD5        = "md5"
	SignRSASHA256  = "rsa-sha256" // RSASSA-PKCS1-v1_5 with SHA-256; the key is a PKCS #1 or PKCS #8 PEM
)

// The signature encodings (Signature.Encoding).
const (
	EncodingHex       = "hex" // lower case; the default
	EncodingBase64    = "base64"
	EncodingBase64URL = "base64url" // RFC 4648 URL-safe alphabet, no padding
)

// The variables of signature templates. Which template may use which is
// checked by Validate (sigVarsFor).
const (
	varSignature   = "$signature"
	varTimestamp   = "$timestamp"
	varTimestampMs = "$timestampMs"
	varNonce       = "$nonce"
	varDate        = "$date"
	varMethod      = "$method"
	varPath        = "$path"
	varQuery       = "$query"
	varSortedQuery = "$sortedQuery"
	varTarget      = "$target"
	varBody        = "$body"
	varKey         = "$key"
	varHeader      = "$header." // a prefix: $header.NAME
)

// Where a signature template sits, for the variables it may use.
type sigField uint8

const (
	sigKey sigField = iota
	sigMessage
	sigAtPlace // a header or query value
	sigBody    // the node's raw body
)

// sigVarAllowed reports whether the template at f may use variable v.
func sigVarAllowed(f sigField, algorithm, v string) bool {
	switch v {
	case varTimestamp, varTimestampMs, varNonce:
		return true
	case varSignature:
		return f == sigAtPlace || f == sigBody
	case varDate:
		return f != sigKey
	case varMethod, varPath, varQuery, varSortedQuery, varTarget, varBody:
		return f == sigMessage
	case varKey:
		return f == sigMessage && (algorithm == SignSHA256 || algorithm == SignMD5)
	}
	return f == sigMessage && strings.HasPrefix(v, varHeader) && len(v) > len(varHeader)
}

// isSigVar reports whether ref is one of the signature variables (or
// looks like one: every ref starting with "$" is the library's).
func isSigVar(ref string) bool { return strings.HasPrefix(ref, "$") }

// signatureAlgorithms lists the algorithms, for messages.
var signatureAlgorithms = []string{SignHMACSHA256, SignHMACSHA1, SignHMACSHA512, SignHMACMD5, SignSHA256, SignMD5, SignRSASHA256}

// keyed reports whether the algorithm signs with the key.
func keyed(algorithm string) bool { return algorithm != SignSHA256 && algorithm != SignMD5 }

// sign computes the signature of msg with key, encoded.
func sign(algorithm, encoding string, key, msg []byte) (string, error) {
	var sum []byte
	switch algorithm {
	case SignRSASHA256:
		pk, err := parseRSAKey(string(key))
		if err != nil {
			return "", err
		}
		d := sha256.Sum256(msg)
		if sum, err = rsa.SignPKCS1v15(nil, pk, crypto.SHA256, d[:]); err != nil {
			return "", errorf("auth signature: the RSA key cannot sign: %v", err)
		}
	case SignSHA256:
		d := sha256.Sum256(msg)
		sum = d[:]
	case SignMD5:
		d := md5.Sum(msg)
		sum = d[:]
	default:
		m := hmac.New(hmacHash(algorithm), key)
		m.Write(msg)
		sum = m.Sum(nil)
	}
	return encode(encoding, sum), nil
}

func hmacHash(algorithm string) func() hash.Hash {
	switch algorithm {
	case SignHMACSHA1:
		return sha1.New
	case SignHMACSHA512:
		return sha512.New
	case SignHMACMD5:
		return md5.New
	}
	return sha256.New
}

func encode(encoding string, sum []byte) string {
	switch encoding {
	case EncodingBase64:
		return base64.StdEncoding.EncodeToString(sum)
	case EncodingBase64URL:
		return base64.RawURLEncoding.EncodeToString(sum)
	}
	return hex.EncodeToString(sum)
}

// parseRSAKey reads a PEM RSA private key, PKCS #1 or PKCS #8. Its errors
// never quote the key.
func parseRSAKey(key string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(unescapeKey(key)))
	if block == nil {
		return nil, errorf("auth: the private key is not PEM: paste it with its -----BEGIN ... PRIVATE KEY----- line")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errorf("auth: the private key cannot be read as PKCS #1 or PKCS #8")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errorf("auth: the private key is not an RSA key")
	}
	return rk, nil
}

// unescapeKey turns the literal "\n" of a key pasted from JSON (a service
// account file's private_key copied with its escapes) into line breaks.
func unescapeKey(key string) string {
	if !strings.Contains(key, "\n") && strings.Contains(key, `\n`) {
		return strings.ReplaceAll(key, `\n`, "\n")
	}
	return key
}

// keyForms are the forms of a key to redact besides the key itself: for a
// PEM key, its base64 body joined and each of its lines, and the key with
// its line breaks written as "\n".
func keyForms(key string) []string {
	key = unescapeKey(key)
	out := []string{key, strings.ReplaceAll(key, "\n", `\n`)}
	if !strings.Contains(key, "-----BEGIN") {
		return out
	}
	var body strings.Builder
	for line := range strings.Lines(key) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-----") || strings.Contains(line, ":") {
			continue
		}
		body.WriteString(line)
		out = append(out, line)
	}
	return append(out, body.String())
}

// nonceAlphabet is what a {{$nonce}} is made of.
const nonceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newNonce returns 32 random characters of [A-Za-z0-9] from crypto/rand.
func newNonce() string {
	var b [32]byte
	out := make([]byte, 0, len(b))
	for len(out) < len(b) {
		_, _ = rand.Read(b[:])
		for _, c := range b {
			if c < 248 && len(out) < len(b) { // 248 = 4*62: no bias
				out = append(out, nonceAlphabet[int(c)%len(nonceAlphabet)])
			}
		}
	}
	return string(out)
}

// sortedQuery is the canonical query of {{$sortedQuery}}: the parameters
// of raw (split at "&" and the first "="; "+" and percent escapes decoded;
// empty pieces dropped) sorted by name, then value, in byte order, each
// name and value percent-encoded as RFC 3986 wants (letters, digits and
// "-._~" stay, everything else is %XX in upper case, a space is %20),
// joined as name=value with "&". A parameter without "=" keeps none.
func sortedQuery(raw string) string {
	type kv struct {
		k, v  string
		hasEq bool
	}
	var kvs []kv
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		k, v, eq := strings.Cut(piece, "=")
		kvs = append(kvs, kv{unescapeQuery(k), unescapeQuery(v), eq})
	}
	slices.SortStableFunc(kvs, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range kvs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(strictEscape(p.k))
		if p.hasEq {
			b.WriteByte('=')
			b.WriteString(strictEscape(p.v))
		}
	}
	return b.String()
}

// unescapeQuery decodes a query piece; a malformed escape stays as it is.
func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
