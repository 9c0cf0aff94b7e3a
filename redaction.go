package httpstep

import (
	"context"
	"net/http"
	"net/url"

	"github.com/httpstep/httpstep/internal/redaction"
)

// The run's secrets lent to package httpsteptest, which writes exchanges
// to files: the same rules as the history, minus the shortening.
func init() {
	redaction.Of = func(ctx context.Context) redaction.Run { return lentSecrets{secretsOf(ctx)} }
}

// lentSecrets is a run's *secrets (nil for a request of no run) seen
// through redaction.Run.
type lentSecrets struct{ s *secrets }

func (l lentSecrets) Text(t string) string    { return l.s.text(t) }
func (l lentSecrets) URL(u *url.URL) string   { return l.s.url(u) }
func (l lentSecrets) Query(raw string) string { return l.s.text(redactQuery(raw)) }

// Header redacts h as the history does, without cutting long values: a
// cassette's Link header must still lead to the next page.
func (l lentSecrets) Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		cp := make([]string, len(vs))
		for i, v := range vs {
			switch {
			case l.s.credential(k):
				cp[i] = redacted
			case k == "Location" || k == "Content-Location":
				cp[i] = l.s.text(redactQuery(v))
			default:
				cp[i] = l.s.text(v)
			}
		}
		out[k] = cp
	}
	return out
}
