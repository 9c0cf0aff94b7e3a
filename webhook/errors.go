package webhook

import "errors"

// The sentinel errors. Every error of Sign and Verify is an [*Error] that
// wraps exactly one of them; test with errors.Is.
var (
	ErrSecret        = errors.New("httpstep: webhook: unusable signing secret")
	ErrMessageID     = errors.New("httpstep: webhook: unusable message id")
	ErrMissingHeader = errors.New("httpstep: webhook: missing header")
	ErrTimestamp     = errors.New("httpstep: webhook: timestamp is not Unix seconds")
	ErrExpired       = errors.New("httpstep: webhook: timestamp outside the tolerance")
	ErrSignature     = errors.New("httpstep: webhook: no valid signature")
)

// Error is an error of Sign or Verify. Its text starts "httpstep: webhook: "
// and says what to do; it never contains the secret.
type Error struct {
	Kind   error  // the sentinel: ErrSecret, ErrMessageID, ErrMissingHeader, ErrTimestamp, ErrExpired or ErrSignature
	Header string // the header at fault, or "" when the fault is not in one header
	Detail string // what went wrong and what to do, without the prefix
}

// Error returns "httpstep: webhook: " followed by Detail.
func (e *Error) Error() string { return "httpstep: webhook: " + e.Detail }

// Unwrap returns Kind, so errors.Is(err, ErrExpired) and the like work.
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, header, detail string) *Error {
	return &Error{Kind: kind, Header: header, Detail: detail}
}
