package httpstep

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers (https://www.standardwebhooks.com) a signed
// push carries.
const (
	WebhookIDHeader        = "webhook-id"        // message id, the same on every attempt: deduplicate on it
	WebhookTimestampHeader = "webhook-timestamp" // Unix seconds of this attempt
	WebhookSignatureHeader = "webhook-signature" // space-separated "v1,<base64>" signatures
)

// DefaultWebhookTolerance is how far a webhook timestamp may be from the
// receiver's clock, either way, when Verify is given no tolerance.
const DefaultWebhookTolerance = 5 * time.Minute

// webhookSecretPrefix marks a secret in the Standard Webhooks serialization.
const webhookSecretPrefix = "whsec_"

// Sign returns the Standard Webhooks signature of one push attempt:
// "v1," followed by the base64 HMAC-SHA256 of "<id>.<ts in Unix seconds>.<body>".
//
// A secret written as "whsec_<base64>", the form Standard Webhooks issues,
// is keyed with the bytes the base64 decodes to, so it interoperates with
// the reference libraries; any other secret is keyed with its bytes as they
// are. The id must be non-empty and free of '.', which would make the signed
// content ambiguous. Sign fails on an empty secret or broken base64.
func Sign(secret Secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := webhookKey(secret)
	if err != nil {
		return "", err
	}
	if id == "" || strings.Contains(id, ".") {
		return "", errors.New("httpstep: webhook: the message id must be non-empty and contain no '.'")
	}
	mac := webhookMAC(key, id, strconv.FormatInt(ts.Unix(), 10), body)
	return "v1," + base64.StdEncoding.EncodeToString(mac), nil
}

// Verify checks a Standard Webhooks push as its receiver: the webhook-id,
// webhook-timestamp and webhook-signature headers must be present, the
// timestamp within tolerance of now either way (DefaultWebhookTolerance when
// tolerance <= 0), and one of the v1 signatures in the space-separated list
// must match body, compared in constant time. Other versions (v1a, ...) are
// skipped. Pass body exactly as received, before any JSON decoding. The
// secret is read as [Sign] reads it. After Verify succeeds, deduplicate on
// the webhook-id header: a retried push carries the same id.
func Verify(secret Secret, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	key, err := webhookKey(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs, err := webhookHeaders(header)
	if err != nil {
		return err
	}
	if err := checkWebhookTime(tsText, tolerance, now); err != nil {
		return err
	}
	want := webhookMAC(key, id, tsText, body)
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
		return errors.New("httpstep: webhook: header webhook-signature has no v1 signature")
	}
	return errors.New("httpstep: webhook: no signature matches; check the secret, and pass the body exactly as received")
}

// webhookHeaders returns the id, the timestamp text and the signatures of a
// push, or an error naming the first missing header.
func webhookHeaders(h http.Header) (id, ts string, sigs []string, err error) {
	id = h.Get(WebhookIDHeader)
	ts = h.Get(WebhookTimestampHeader)
	for _, v := range h.Values(WebhookSignatureHeader) {
		sigs = append(sigs, strings.Fields(v)...)
	}
	switch {
	case id == "":
		err = missingHeader(WebhookIDHeader)
	case ts == "":
		err = missingHeader(WebhookTimestampHeader)
	case len(sigs) == 0:
		err = missingHeader(WebhookSignatureHeader)
	}
	if err != nil {
		return "", "", nil, err
	}
	return id, ts, sigs, nil
}

func missingHeader(name string) error {
	return fmt.Errorf("httpstep: webhook: header %s is missing; the push was not signed with Standard Webhooks", name)
}

// checkWebhookTime parses a webhook-timestamp, which must be written as
// Sign writes it, and rejects it when it lies more than tolerance before or
// after now.
func checkWebhookTime(text string, tolerance time.Duration, now time.Time) error {
	secs, err := strconv.ParseInt(text, 10, 64)
	if err != nil || strconv.FormatInt(secs, 10) != text { // "+1", "01": not as signed
		return fmt.Errorf("httpstep: webhook: header webhook-timestamp %q is not Unix seconds", clip(text, 32))
	}
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	t := time.Unix(secs, 0)
	if t.Before(now.Add(-tolerance)) || t.After(now.Add(tolerance)) {
		return fmt.Errorf("httpstep: webhook: timestamp %d is more than %v from now; reject it as a possible replay, or check the clocks", secs, tolerance)
	}
	return nil
}

// webhookKey returns the HMAC key of a signing secret: the base64-decoded
// bytes after "whsec_", or the secret's own bytes. The error never contains
// the secret.
func webhookKey(secret Secret) ([]byte, error) {
	s := string(secret)
	if s == "" {
		return nil, errors.New("httpstep: webhook: the signing secret is empty; set Client.SigningSecret (or pass the receiver's secret)")
	}
	b64, ok := strings.CutPrefix(s, webhookSecretPrefix)
	if !ok {
		return []byte(s), nil
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, errors.New("httpstep: webhook: the signing secret after whsec_ is not valid base64; copy the whole secret as issued")
	}
	return key, nil
}

// webhookMAC returns HMAC-SHA256(key, id + "." + ts + "." + body).
func webhookMAC(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// signHeaders sets the three Standard Webhooks headers on h for one attempt:
// the run's id, ts as this attempt's timestamp, and the signature of body.
func signHeaders(h http.Header, secret Secret, id string, ts time.Time, body []byte) error {
	sig, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	h.Set(WebhookIDHeader, id)
	h.Set(WebhookTimestampHeader, strconv.FormatInt(ts.Unix(), 10))
	h.Set(WebhookSignatureHeader, sig)
	return nil
}
