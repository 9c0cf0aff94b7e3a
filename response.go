package httpstep

import "net/http"

// Result is what one Execute produced. A failed Result still carries the
// status, headers and body that came back.
type Result struct {
	StatusCode int
	Header     http.Header
	Body       []byte    // UTF-8 (converted from the response charset)
	Failure    *Failure  // nil on success
	Attempts   []Attempt // execution history, secrets redacted, JSON-serialisable
}
