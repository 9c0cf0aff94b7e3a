package webhook

import (
	"crypto/hmac"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/httpstep/httpstep/internal/textcut"
)

// Verifier checks pushes as their receiver. The zero Verifier uses
// DefaultTolerance and time.Now; a Verifier is safe for concurrent use when
// its Now is.
type Verifier struct {
	// Tolerance is how far the webhook-timestamp may be from Now, either
	// way; DefaultTolerance (5 minutes) when <= 0.
	Tolerance time.Duration
	// Now is the receiver's clock; time.Now when nil.
	Now func() time.Time
}

// Verify checks a push with the zero [Verifier]: a tolerance of 5 minutes
// and the clock time.Now.
func Verify(secret string, header http.Header, body []byte) error {
	return Verifier{}.Verify(secret, header, body)
}

// Verify checks one Standard Webhooks push: the webhook-id,
// webhook-timestamp and webhook-signature headers must be present
// ([ErrMissingHeader]), the timestamp written as Unix seconds
// ([ErrTimestamp]) and within the tolerance of now either way
// ([ErrExpired]), and one of the v1 signatures in the space-separated list
// must match body, compared in constant time ([ErrSignature]). Other
// versions (v1a, ...) are skipped. Pass body exactly as received, before
// any JSON decoding. The secret is read as [Sign] reads it ([ErrSecret]).
// After Verify succeeds, deduplicate on the webhook-id header: a retried
// push carries the same id.
func (v Verifier) Verify(secret string, header http.Header, body []byte) error {
	key, err := signingKey(secret)
	if err != nil {
		return err
	}
	id, ts, sigs, err := pushHeaders(header)
	if err != nil {
		return err
	}
	if err := v.checkTime(ts); err != nil {
		return err
	}
	return checkSignatures(sigs, signature(key, id, ts, body))
}

// checkSignatures reports whether one of the v1 signatures is want.
func checkSignatures(sigs []string, want []byte) error {
	versioned := false
	for _, s := range sigs {
		version, sig, _ := strings.Cut(s, ",")
		if version != "v1" {
			continue
		}
		versioned = true
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	if !versioned {
		return fail(ErrSignature, SignatureHeader, "header webhook-signature has no v1 signature")
	}
	return fail(ErrSignature, SignatureHeader, "no signature matches; check the secret, and pass the body exactly as received")
}

// pushHeaders returns the id, the timestamp text and the signatures of a
// push, or an error naming the first missing header.
func pushHeaders(h http.Header) (id, ts string, sigs []string, err error) {
	id = h.Get(IDHeader)
	ts = h.Get(TimestampHeader)
	for _, v := range h.Values(SignatureHeader) {
		sigs = append(sigs, strings.Fields(v)...)
	}
	switch {
	case id == "":
		err = missingHeader(IDHeader)
	case ts == "":
		err = missingHeader(TimestampHeader)
	case len(sigs) == 0:
		err = missingHeader(SignatureHeader)
	}
	if err != nil {
		return "", "", nil, err
	}
	return id, ts, sigs, nil
}

func missingHeader(name string) error {
	return fail(ErrMissingHeader, name, "header "+name+" is missing; the push was not signed with Standard Webhooks")
}

// checkTime parses a webhook-timestamp, which must be written as Sign writes
// it, and rejects it when it lies more than the tolerance before or after
// now.
func (v Verifier) checkTime(text string) error {
	secs, err := strconv.ParseInt(text, 10, 64)
	if err != nil || strconv.FormatInt(secs, 10) != text { // "+1", "01": not as signed
		return fail(ErrTimestamp, TimestampHeader, fmt.Sprintf("header webhook-timestamp %q is not Unix seconds", textcut.Clip(text, 32)))
	}
	tolerance := v.Tolerance
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	t := time.Unix(secs, 0)
	if t.Before(now.Add(-tolerance)) || t.After(now.Add(tolerance)) {
		return fail(ErrExpired, TimestampHeader, fmt.Sprintf("timestamp %d is more than %v from now; reject it as a possible replay, or check the clocks", secs, tolerance))
	}
	return nil
}
