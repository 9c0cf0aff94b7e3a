package httpstep

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/httpstep/httpstep/internal/redaction"
)

// TestLentSecrets: the redaction lent to httpsteptest hides what the
// history hides (a run's Secret in a body, a URL and any header, credential
// headers by name, token-like parameters) without cutting long values, and
// a context of no run still redacts by name.
func TestLentSecrets(t *testing.T) {
	assert.Equal(t, redacted, redaction.Marker)
	s := &secrets{}
	s.add("s3cr3t-value")
	h := http.Header{"X-Custom": {"v=s3cr3t-value"}, "Cookie": {"a=b"}, "Link": {strings.Repeat("x", 2*maxHeaderValue)}}
	s.seal(&url.URL{Scheme: "https", Host: "api.test"}, h, nil)
	ctx, _ := withHops(context.Background(), &outgoing{secrets: s}) // a round trip's context, carrying the run's secrets
	run := redaction.Of(ctx)
	u, _ := url.Parse("https://ann:pw@api.test/v1/s3cr3t-value?api_key=k1&page=2")
	assert.Equal(t, "https://[REDACTED]@api.test/v1/[REDACTED]?api_key=[REDACTED]&page=2", run.URL(u))
	assert.Equal(t, `{"token":"[REDACTED]"}`, run.Text(`{"token":"s3cr3t-value"}`))
	assert.Equal(t, "grant_type=password&password=[REDACTED]&user=ann", run.Query("grant_type=password&password=pw1&user=ann"))
	got := run.Header(h)
	assert.Equal(t, []string{redacted}, got["X-Custom"])
	assert.Equal(t, []string{redacted}, got["Cookie"])
	assert.Equal(t, h["Link"], got["Link"], "not shortened")
	none := redaction.Of(context.Background())
	assert.Equal(t, []string{redacted}, none.Header(http.Header{"Authorization": {"Bearer x"}})["Authorization"])
	assert.Equal(t, "https://api.test/?access_token=[REDACTED]", none.URL(&url.URL{Scheme: "https", Host: "api.test", Path: "/", RawQuery: "access_token=abc"}))
	assert.Equal(t, "plain s3cr3t-value", none.Text("plain s3cr3t-value"))
}
