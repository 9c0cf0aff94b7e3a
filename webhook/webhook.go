// Package webhook signs and verifies Standard Webhooks pushes
// (https://www.standardwebhooks.com), the signatures httpstep puts on a
// node's requests when its Client has a SigningSecret.
//
// A service that only receives signed pushes needs this package alone: it
// imports none of the httpstep engine. Verify checks one push; a [Verifier]
// sets the tolerance and the clock. Errors wrap the sentinel errors below, so
// a receiver can tell a stale timestamp ([ErrExpired]) from a forged or
// re-encoded body ([ErrSignature]) with errors.Is.
//
// A secret written as "whsec_<base64>", the form Standard Webhooks issues,
// is keyed with the bytes the base64 decodes to, so it interoperates with
// the reference libraries; any other secret is keyed with its bytes as they
// are.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers a signed push carries.
const (
	IDHeader        = "webhook-id"        // message id, the same on every attempt: deduplicate on it
	TimestampHeader = "webhook-timestamp" // Unix seconds of this attempt
	SignatureHeader = "webhook-signature" // space-separated "v1,<base64>" signatures
)

// DefaultTolerance is how far a webhook timestamp may be from the receiver's
// clock, either way, when a Verifier sets no tolerance.
const DefaultTolerance = 5 * time.Minute

// secretPrefix marks a secret in the Standard Webhooks serialization.
const secretPrefix = "whsec_"

// Sign returns the Standard Webhooks signature of one push attempt:
// "v1," followed by the base64 HMAC-SHA256 of "<id>.<ts in Unix seconds>.<body>".
//
// The id must be non-empty and free of '.', which would make the signed
// content ambiguous ([ErrMessageID]). Sign fails with [ErrSecret] on an empty
// secret or broken base64 after "whsec_"; the error never contains the
// secret.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := signingKey(secret)
	if err != nil {
		return "", err
	}
	if id == "" || strings.Contains(id, ".") {
		return "", fail(ErrMessageID, "", "the message id must be non-empty and contain no '.'")
	}
	mac := signature(key, id, strconv.FormatInt(ts.Unix(), 10), body)
	return "v1," + base64.StdEncoding.EncodeToString(mac), nil
}

// SetHeaders signs body with [Sign] and sets the three Standard Webhooks
// headers on h: id, ts in Unix seconds, and the signature. On error h is
// left as it was.
func SetHeaders(h http.Header, secret, id string, ts time.Time, body []byte) error {
	sig, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	h.Set(IDHeader, id)
	h.Set(TimestampHeader, strconv.FormatInt(ts.Unix(), 10))
	h.Set(SignatureHeader, sig)
	return nil
}

// signingKey returns the HMAC key of a signing secret: the base64-decoded
// bytes after "whsec_", or the secret's own bytes.
func signingKey(secret string) ([]byte, error) {
	if secret == "" {
		return nil, fail(ErrSecret, "", "the signing secret is empty; pass the secret the sender signs with (the sender's Client.SigningSecret)")
	}
	b64, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, fail(ErrSecret, "", "the signing secret after whsec_ is not valid base64; copy the whole secret as issued")
	}
	return key, nil
}

// signature returns HMAC-SHA256(key, id + "." + ts + "." + body).
func signature(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}
