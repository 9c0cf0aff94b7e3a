// Package redaction lends the module's own packages the redaction of a run
// exactly as its history applies it, without a public name in the root
// package. Package httpstep sets Of when it is initialised; package
// httpsteptest uses it to keep secrets out of the cassettes it writes.
package redaction

import (
	"context"
	"net/http"
	"net/url"
)

// Run redacts what one run sent and received. It is safe for concurrent use
// once the run's request is rendered.
type Run interface {
	// Text scrubs every secret of the run, in every form it can take.
	Text(s string) string
	// URL renders u with user info, token-like query values and the run's
	// secrets hidden.
	URL(u *url.URL) string
	// Header copies h with credential headers (by name, or because they
	// hold a secret) redacted whole and secrets scrubbed from the rest;
	// nothing is shortened.
	Header(h http.Header) http.Header
	// Query hides the values of token-like parameters of a raw query or
	// an x-www-form-urlencoded body, keeping the rest exactly as it was.
	Query(raw string) string
}

// Of returns the redaction of the run whose request carries ctx; a context
// that carries no run gets the redaction by name alone (credential headers,
// token-like parameters, user info). It is set by package httpstep's
// initialisation, so it is nil only in a program that does not link it.
var Of func(ctx context.Context) Run

// Marker is what a redacted value is replaced with.
const Marker = "[REDACTED]"
