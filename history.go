package httpstep

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Attempt is the execution-history record of one HTTP exchange. Every secret
// is redacted. Keys are stable.
type Attempt struct {
	N        int             `json:"n"`                  // 1-based attempt number (pages count on)
	Start    time.Time       `json:"start"`              // when the attempt began
	Duration Duration        `json:"duration"`           // how long it took
	Request  RequestRecord   `json:"request"`            // what was sent
	Response *ResponseRecord `json:"response,omitempty"` // what came back, nil when nothing did
	Kind     FailureKind     `json:"kind,omitempty"`     // failure kind, empty on success
	Error    string          `json:"error,omitempty"`    // failure message, redacted
	Missing  []string        `json:"missing,omitempty"`  // refs that had no value and rendered empty
	Notes    []string        `json:"notes,omitempty"`    // anything else worth knowing (charset fallback, ...)
	Retry    *RetryRecord    `json:"retry,omitempty"`    // the retry decision after this attempt
	Timing   *TimingRecord   `json:"timing,omitempty"`   // connection phases
	Auth     string          `json:"auth,omitempty"`     // what the exchange was for the credentials: RecordToken, RecordChallenge, RecordExpired; empty for the request itself
	Poll     int             `json:"poll,omitempty"`     // async: which poll of the job this is (1, 2, ...); 0 for the request itself
	Queued   Duration        `json:"queued,omitempty"`   // waited for the host's Limit or Retry-After pause before sending; part of Duration
	// Callback marks the API's call to {{$callback.url}} (the durable
	// queue): Request is that call as it arrived, redacted, and Response
	// what the queue answered.
	Callback bool `json:"callback,omitempty"`
	// Redirects are the redirects the request met, in order, each with the
	// method it led to; the last is the one refused when Followed is false.
	Redirects []RedirectRecord `json:"redirects,omitempty"`
}

// RequestRecord is the request as sent, redacted.
type RequestRecord struct {
	Method    string              `json:"method"`
	URL       string              `json:"url"`
	Header    map[string][]string `json:"header,omitempty"`
	Body      string              `json:"body,omitempty"`      // preview of a text body
	Truncated bool                `json:"truncated,omitempty"` // the preview is shorter than the body
	Files     []FileRecord        `json:"files,omitempty"`     // attachments: name, type and size only
}

// FileRecord describes an attachment without its content.
type FileRecord struct {
	Field       string `json:"field,omitempty"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`             // -1 when unknown
	SHA256      string `json:"sha256,omitempty"` // downloads: hex SHA-256 of the saved file
}

// ResponseRecord is the response head and a body preview, redacted. As in
// RequestRecord, a header value longer than 4 KiB is kept only up to there,
// followed by "...", and the attempt has a note naming the header.
type ResponseRecord struct {
	Status    int                 `json:"status"`
	Proto     string              `json:"proto,omitempty"`
	Header    map[string][]string `json:"header,omitempty"`
	Body      string              `json:"body,omitempty"`
	Truncated bool                `json:"truncated,omitempty"`
	Bytes     int64               `json:"bytes"`          // body size after decoding
	File      *FileRecord         `json:"file,omitempty"` // downloads: the saved file's name, type, size and SHA-256, never its content
}

// RetryRecord says whether another attempt followed this one, why, and after
// how long.
type RetryRecord struct {
	Retry  bool     `json:"retry"`
	Reason string   `json:"reason"`
	Wait   Duration `json:"wait,omitempty"`
}

// TimingRecord holds connection phase durations of one attempt.
type TimingRecord struct {
	Reused    bool     `json:"reused"`              // an idle connection was reused
	DNS       Duration `json:"dns,omitempty"`       // name resolution
	Connect   Duration `json:"connect,omitempty"`   // TCP connect
	TLS       Duration `json:"tls,omitempty"`       // TLS handshake
	FirstByte Duration `json:"firstByte,omitempty"` // from start to the first response byte
}

// previewBytes is how much of a body the history keeps.
const previewBytes = 4 << 10

// maxHeaderValue is how much of one header value the history keeps, as of
// a body; a value cut shorter ends in "..." and the attempt has a note.
const maxHeaderValue = previewBytes

// headerNotes says which values of h (on the side named, "request" or
// "response") the history keeps only the start of.
func headerNotes(side string, h http.Header) []string {
	var notes []string
	for k, vs := range h {
		for _, v := range vs {
			if len(v) > maxHeaderValue {
				notes = append(notes, fmt.Sprintf("the %s header %s is %d bytes long; the history keeps its first %d",
					side, quoteLabel(k), len(v), maxHeaderValue))
				break
			}
		}
	}
	slices.Sort(notes)
	return notes
}

// recordURL is the URL of the request as sent (req), with what its
// signature added, or as rendered when it was not sent (req nil), its
// secrets redacted; the URL as typed when it did not render.
func (o *outgoing) recordURL(req *http.Request) string {
	switch {
	case o.url == nil:
		return o.secrets.text(redactRawURL(o.step.node.URL)) // its credentials hidden
	case req != nil:
		return o.secrets.url(req.URL)
	}
	return o.secrets.url(o.url)
}

// record is the history record of the request as sent (req), or as rendered
// when it was not sent (req nil).
func (o *outgoing) record(req *http.Request) RequestRecord {
	rec := RequestRecord{Method: o.method, URL: o.recordURL(req)}
	if req != nil {
		rec.Header = o.secrets.header(req.Header)
	} else {
		rec.Header = o.secrets.header(o.header)
	}
	if o.body == nil {
		return rec
	}
	rec.Files = o.body.files
	if o.body.parts == nil {
		preview := o.body.data
		if strings.HasPrefix(o.body.contentType, "application/x-www-form-urlencoded") {
			preview = redactQuery(preview)
		}
		rec.Body, rec.Truncated = o.secrets.previewString(preview)
	}
	return rec
}

// response is the history record of a response, its secrets redacted.
func (s *secrets) response(resp *http.Response, body []byte) *ResponseRecord {
	rec := &ResponseRecord{Status: resp.StatusCode, Proto: resp.Proto, Header: s.header(resp.Header), Bytes: int64(len(body))}
	rec.Body, rec.Truncated = s.preview(body)
	return rec
}

// HistoryMode says how much of each attempt the execution history keeps
// ([Client.History]).
type HistoryMode int

// The history modes.
const (
	// HistoryFull records every attempt whole: the request as sent (method,
	// URL, header, body preview), the response head and body preview,
	// timing, redirects, notes. The default.
	HistoryFull HistoryMode = iota
	// HistorySummary records a failed attempt whole, as HistoryFull does,
	// and a successful one as a summary: method, URL (redacted as ever),
	// attachments, status, protocol, body size, timing, redirects and
	// notes, without headers or body previews. Steps that poll a job
	// (Async) keep every attempt whole, since their verdict comes later.
	// For hosts that run many rows through Each and read the history of
	// the failures.
	HistorySummary
)

// summarizes reports whether the Client keeps a successful attempt of o
// as a summary.
func (c *Client) summarizes(o *outgoing) bool {
	return c.History == HistorySummary && o.step.node.Async == nil
}

// requestRecord is the record of the request as sent, or its summary when
// the Client keeps summaries; completeRecord makes a failed attempt's
// summary whole.
func (c *Client) requestRecord(o *outgoing, req *http.Request) RequestRecord {
	if !c.summarizes(o) {
		return o.record(req)
	}
	rec := RequestRecord{Method: o.method, URL: o.recordURL(req)}
	if o.body != nil {
		rec.Files = o.body.files
	}
	return rec
}

// completeRecord adds the notes on the request's header to a whole
// record, after making a failed attempt's summary whole.
func (c *Client) completeRecord(o *outgoing, req *http.Request, out *outcome) {
	if c.summarizes(o) {
		if out.failure == nil {
			return // a summary keeps no header, so no note on one
		}
		out.record.Request = o.record(req)
	}
	if req != nil {
		out.note(headerNotes("request", req.Header)...)
	}
}

// recordResponse records the response in out, whose verdict is made: whole,
// or as a summary for a success when the Client keeps summaries (read adds
// the header notes of a whole record before the verdict, except then).
func (c *Client) recordResponse(o *outgoing, resp *http.Response, body []byte, out *outcome) {
	if !c.summarizes(o) {
		out.record.Response = o.secrets.response(resp, body)
		return
	}
	if out.failure == nil {
		out.record.Response = &ResponseRecord{Status: resp.StatusCode, Proto: resp.Proto, Bytes: int64(len(body))}
		return
	}
	out.record.Response = o.secrets.response(resp, body)
	out.note(headerNotes("response", resp.Header)...)
}
