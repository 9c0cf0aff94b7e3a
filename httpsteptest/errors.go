package httpsteptest

import "fmt"

// UnrecordedError is the error of a request a [Cassette] in Replay has no
// exchange for. The replaying round tripper returns it (a Client's Failure
// carries it in Err) and also fails the test, so it cannot pass unseen.
type UnrecordedError struct {
	Method   string // the request's method
	URL      string // its URL, redacted as the cassette is
	Cassette string // the cassette file's path
	Closest  string // the recorded request most like it ("GET https://..."), "" when the cassette is empty
	Why      string // how the closest differs: "another URL", "already replayed: ..."
}

// Error says which request was not recorded, what came closest, and what to do.
func (e *UnrecordedError) Error() string {
	msg := fmt.Sprintf("httpstep: httpsteptest: %s %s is not recorded in %s", e.Method, e.URL, e.Cassette)
	if e.Closest == "" {
		msg += ", which is empty"
	} else {
		msg += "; the closest recorded request is " + e.Closest
		if e.Why != "" {
			msg += " (" + e.Why + ")"
		}
	}
	return msg + ": record the cassette again with mode Record, or fix the request"
}
