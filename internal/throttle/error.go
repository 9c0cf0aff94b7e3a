package throttle

import (
	"fmt"
	"time"
)

// Reason says why a request was not sent.
type Reason int

// The reasons.
const (
	Open    Reason = iota + 1 // the host's circuit is open
	Probing                   // the circuit is half open and its one probe is in flight
	Paused                    // the host's Retry-After pause outlasts the context
	Queued                    // the context's deadline comes before a slot or token would
)

// Error is a request the engine held back: nothing was sent. Open, Probing
// and Paused mean the host is unavailable; Queued means the caller's
// deadline is too near to wait for a slot or token.
type Error struct {
	Host     string // host and port
	Reason   Reason
	Until    time.Time // Open: when a probe may go; Probing: the earliest next probe, should this one fail; Paused: when the pause ends
	Failures int       // Open, Probing: consecutive failures
	now      time.Time // for "in 27s"
}

// Error returns "httpstep: " and the Message.
func (e *Error) Error() string { return "httpstep: " + e.Message() }

// Message says what happened and when the host will be tried again, for
// the person reading the execution history.
func (e *Error) Message() string {
	switch e.Reason {
	case Open:
		return fmt.Sprintf("%s failed %d times in a row, so its circuit is open and nothing was sent; it will be tried again at %s: check the service, or run this later", e.Host, e.Failures, e.when())
	case Probing:
		return fmt.Sprintf("%s failed %d times in a row; one trial request is checking whether it is back and the others are held until it answers, so nothing was sent; should it fail, the host will be tried again at %s at the earliest", e.Host, e.Failures, e.when())
	case Paused:
		return fmt.Sprintf("%s asked (Retry-After) for no requests until %s, after this run's deadline, so nothing was sent: run it later or give it more time", e.Host, e.when())
	}
	return fmt.Sprintf("this run's deadline comes before the rate limit of %s lets another request go, so nothing was sent: lower the number of requests in flight or give it more time", e.Host)
}

// Unavailable reports whether the host itself is unavailable (circuit open
// or paused), as opposed to a deadline too near to queue.
func (e *Error) Unavailable() bool { return e.Reason != Queued }

// when is Until as a UTC clock time and a wait from now, e.g.
// "15:04:05 UTC (in 27s)".
func (e *Error) when() string {
	in := e.Until.Sub(e.now)
	switch {
	case e.now.IsZero() || in < 0:
		in = 0
	case in < 10*time.Second:
		in = in.Round(100 * time.Millisecond)
	default:
		in = in.Round(time.Second)
	}
	return fmt.Sprintf("%s UTC (in %v)", e.Until.UTC().Format(time.TimeOnly), in)
}
