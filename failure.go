package httpstep

// FailureKind classifies why a node failed.
type FailureKind string

// The failure kinds.
const (
	KindTimeout     FailureKind = "timeout"     // an attempt exceeded its timeout
	KindNetwork     FailureKind = "network"     // DNS, connect, reset, a body cut short, too many redirects
	KindTLS         FailureKind = "tls"         // certificate or handshake failure
	KindBlocked     FailureKind = "blocked"     // the SSRF guard refused the destination; never retried
	KindStatus      FailureKind = "status"      // the status was not a success code
	KindErrorCode   FailureKind = "error_code"  // the business code in the body was not a success value
	KindTooLarge    FailureKind = "too_large"   // the response exceeded Client.MaxResponseBytes
	KindParam       FailureKind = "param"       // a parameter could not be placed in the request; nothing was sent, or an attachment broke off mid-stream so no complete request arrived
	KindCanceled    FailureKind = "canceled"    // the caller's context was canceled
	KindUnavailable FailureKind = "unavailable" // the host's circuit is open, or its Retry-After pause outlasts the context; nothing was sent
	KindAuth        FailureKind = "auth"        // the OAuth2 token endpoint refused or could not be reached
)

// Failure is a classified failure of a node. It implements error; Unwrap
// gives the underlying transport or parameter error, if any. Message is
// written for the person reading the execution history.
type Failure struct {
	Kind       FailureKind
	StatusCode int    // the status that came back, 0 when none did
	Code       string // the value at ErrorCodePath, when that decided
	Message    string
	Err        error

	transient bool       // kind auth: the token endpoint may answer next time (5xx, 429, timeout, network)
	answered  answerCode // the value at success.errorCodePath in the answer, failing status or not, for retry.stopOnCodes
}

// answerCode is the business code an answer carried at a path.
type answerCode struct{ path, value string }

// Error returns "httpstep: <kind>: <message>".
func (f *Failure) Error() string {
	return errorPrefix + string(f.Kind) + ": " + f.Message
}

// Unwrap returns the underlying error.
func (f *Failure) Unwrap() error { return f.Err }
