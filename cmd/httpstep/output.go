package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/internal/bytesize"
	"github.com/httpstep/httpstep/internal/textcut"
)

// output is what run prints, keys in this order.
type output struct {
	OK       bool                `json:"ok"`
	Status   int                 `json:"status"`  // 0 when no response came back
	Headers  map[string][]string `json:"headers"` // {} when no response came back
	Body     any                 `json:"body"`    // json.RawMessage when the body is JSON, else a string
	File     *fileOutput         `json:"file,omitempty"`
	Failure  *failure            `json:"failure"` // null on success
	Attempts []httpstep.Attempt  `json:"attempts"`
}

// testOutput is what test prints: output plus the inferred schema.
type testOutput struct {
	output
	Schema *httpstep.Schema `json:"schema"` // null when none was inferred
}

// failure is a Failure as printed.
type failure struct {
	Kind    httpstep.FailureKind `json:"kind"`
	Code    string               `json:"code"` // the business error code, "" when the status decided
	Message string               `json:"message"`
}

// newOutput builds the printed object, with secrets scrubbed from the body,
// headers and failure message (the library already redacts attempts).
func newOutput(res *httpstep.Result, s scrubber) output {
	out := output{
		OK:       res.OK(),
		Status:   res.StatusCode,
		Headers:  map[string][]string{},
		Body:     s.body(res.Body, !res.OK()),
		Attempts: res.Attempts,
	}
	for k, vs := range res.Header {
		for _, v := range vs {
			out.Headers[k] = append(out.Headers[k], s.text(v))
		}
	}
	if f := res.Failure; f != nil {
		out.Failure = &failure{Kind: f.Kind, Code: s.text(f.Code), Message: s.text(f.Message)}
	}
	if out.Attempts == nil {
		out.Attempts = []httpstep.Attempt{}
	}
	return out
}

// maxFailedBody is how much of a failed result's body is printed: enough to
// read the API's error, never the megabytes of a too_large answer.
const maxFailedBody = 64 << 10

// noteCut says on stderr when a failed result's body was cut; where names
// the result among others ("rows.jsonl:3 (row 2): "), or is empty.
func (c *cli) noteCut(res *httpstep.Result, where string) {
	if res.OK() || len(res.Body) <= maxFailedBody {
		return
	}
	size := bytesize.Format(int64(len(res.Body)))
	if res.Failure.Kind == httpstep.KindTooLarge {
		size += " or more"
	}
	fmt.Fprintf(c.stderr, "httpstep: note: %sthe body is %s; printed its first %s\n", where, size, bytesize.Format(maxFailedBody))
}

// printJSON writes v to stdout indented by two spaces, with & < > as they
// are, and returns the exit status.
func (c *cli) printJSON(v any) int {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return c.fail(exitFailed, fmt.Errorf("httpstep: writing the output: %w", err))
	}
	return exitOK
}

// scrubber replaces the run's secrets in what the API sent back, which may
// echo them (as httpbin does).
type scrubber struct {
	res *httpstep.Result
}

func (s scrubber) text(t string) string { return s.res.Redact(t) }

// body returns the scrubbed body as a JSON value when it is JSON, else as a
// string ("" when empty). A failed result's body is cut to maxFailedBody
// (on a rune boundary, after scrubbing, so no secret is cut in half).
func (s scrubber) body(b []byte, failed bool) any {
	t := s.text(string(b))
	if failed && len(t) > maxFailedBody {
		cut, _ := textcut.Prefix([]byte(t), maxFailedBody)
		return cut
	}
	if strings.TrimSpace(t) != "" && json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	return t
}
