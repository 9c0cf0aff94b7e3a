package httpstep

import (
	"errors"
	"fmt"
)

// errorPrefix starts the text of every error the package returns.
const errorPrefix = "httpstep: "

// stepError is the package's own error: a message written for the person
// reading the execution history (what went wrong and what to do), and the
// cause, if any. Error adds the httpstep: prefix; the message itself never
// carries it, so nothing has to be cut back out of text.
type stepError struct {
	msg string // for a person, without prefix
	err error  // the cause; nil when there is none
}

// errorf returns a *stepError whose message is the formatted text. A %w verb
// makes that operand the cause, as with fmt.Errorf.
func errorf(format string, args ...any) *stepError {
	e := fmt.Errorf(format, args...)
	return &stepError{msg: e.Error(), err: errors.Unwrap(e)}
}

// Error returns "httpstep: " and the message.
func (e *stepError) Error() string { return errorPrefix + e.msg }

// Unwrap returns the cause.
func (e *stepError) Unwrap() error { return e.err }

func (e *stepError) message() string { return e.msg }

// Message returns the message without the prefix, for a program that puts
// the error into a sentence of its own, as the command-line tool does: it
// reaches it through errors.As with an interface{ Message() string }.
func (e *stepError) Message() string { return e.msg }

// messenger is implemented by every error type of the package: message is
// the error's text for a person, without the httpstep: prefix.
type messenger interface{ message() string }

// messageOf returns err's message for a person: the package's own words when
// err is, or wraps, one of its errors; otherwise err's text.
func messageOf(err error) string {
	var m messenger
	if errors.As(err, &m) {
		return m.message()
	}
	return err.Error()
}
