package httpstep

import (
	"net/http"
	"time"

	"github.com/httpstep/httpstep/webhook"
)

// The Standard Webhooks headers (https://www.standardwebhooks.com) a signed
// push carries; the same as the webhook package's.
const (
	WebhookIDHeader        = webhook.IDHeader        // message id, the same on every attempt: deduplicate on it
	WebhookTimestampHeader = webhook.TimestampHeader // Unix seconds of this attempt
	WebhookSignatureHeader = webhook.SignatureHeader // space-separated "v1,<base64>" signatures
)

// DefaultWebhookTolerance is how far a webhook timestamp may be from the
// receiver's clock, either way, when Verify is given no tolerance.
const DefaultWebhookTolerance = webhook.DefaultTolerance

// Sign returns the Standard Webhooks signature of one push attempt, as
// [webhook.Sign] does; errors are [*webhook.Error].
func Sign(secret Secret, id string, ts time.Time, body []byte) (string, error) {
	return webhook.Sign(string(secret), id, ts, body)
}

// Verify checks a Standard Webhooks push as its receiver, as
// [webhook.Verifier] does with the given tolerance (DefaultWebhookTolerance
// when tolerance <= 0) and now as the clock. A receiver that needs nothing
// else of httpstep imports the webhook package alone.
func Verify(secret Secret, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	v := webhook.Verifier{Tolerance: tolerance, Now: func() time.Time { return now }}
	return v.Verify(string(secret), header, body)
}

// signHeaders sets the three Standard Webhooks headers on h for one attempt:
// the run's id, ts as this attempt's timestamp, and the signature of body.
func signHeaders(h http.Header, secret Secret, id string, ts time.Time, body []byte) error {
	return webhook.SetHeaders(h, string(secret), id, ts, body)
}
