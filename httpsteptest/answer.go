package httpsteptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Answer is one response of a [Server]'s route. The zero Answer is a 200
// with an empty body.
type Answer struct {
	// Status is the status code; 0 means 200.
	Status int
	// Header holds the response headers; JSON and Text set Content-Type.
	Header http.Header
	// Body is the response body.
	Body []byte
	// Delay is how long the server waits before it answers. A client that
	// gives up (its timeout) ends the wait, so a slow answer never holds
	// the test up past the client's own deadline.
	Delay time.Duration

	err error // why JSON could not encode its value; reported when served
}

// JSON is an Answer with status and v as its JSON body (Content-Type
// application/json). A string, []byte or json.RawMessage is taken as JSON
// text as it is; anything else is encoded with encoding/json. A value that
// does not encode, or text that is not JSON, fails the test when the
// answer is served.
func JSON(status int, v any) Answer {
	a := Answer{Status: status, Header: http.Header{"Content-Type": {"application/json"}}}
	switch x := v.(type) {
	case string:
		a.Body = []byte(x)
	case []byte:
		a.Body = x
	case json.RawMessage:
		a.Body = x
	default:
		a.Body, a.err = json.Marshal(v)
	}
	if a.err == nil && !json.Valid(a.Body) {
		a.err = fmt.Errorf("the JSON answer's body is not JSON: %.80q", a.Body)
	}
	return a
}

// Text is an Answer with status and body s (Content-Type text/plain).
func Text(status int, s string) Answer {
	return Answer{Status: status, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte(s)}
}

// Status is an Answer with status code and no body.
func Status(code int) Answer { return Answer{Status: code} }

// WithHeader returns a copy of a with the header key set to values (none
// deletes it).
func (a Answer) WithHeader(key string, values ...string) Answer {
	a.Header = a.Header.Clone()
	if a.Header == nil {
		a.Header = http.Header{}
	}
	if len(values) == 0 {
		a.Header.Del(key)
	} else {
		a.Header[http.CanonicalHeaderKey(key)] = values
	}
	return a
}

// After returns a copy of a that the server sends only after d.
func (a Answer) After(d time.Duration) Answer {
	a.Delay = d
	return a
}
