package httpstep

import (
	"io"
	"strings"
)

// Params gives the values of upstream nodes to a node's templates. Lookup
// receives the ref exactly as written between the braces, whitespace trimmed,
// and reports whether it exists. A missing ref renders empty. A host
// implements Params over its own store of node outputs, so nothing is copied
// into a map per run; [Values] is the ready-made one for values a host
// already holds as a map.
type Params interface {
	Lookup(ref string) (any, bool)
}

// Values is a Params backed by a map, for tests, the command line and hosts
// whose upstream values are a map already (over its own store a host
// implements Params). A ref "a.b.c" walks nested maps (map[string]any or
// Values); a literal key "a.b.c" wins over the walk.
type Values map[string]any

// Lookup implements Params.
func (v Values) Lookup(ref string) (any, bool) {
	if x, ok := v[ref]; ok {
		return x, true
	}
	head, rest, found := strings.Cut(ref, ".")
	if !found {
		return nil, false
	}
	x, ok := v[head]
	if !ok {
		return nil, false
	}
	switch m := x.(type) {
	case Values:
		return m.Lookup(rest)
	case map[string]any:
		return Values(m).Lookup(rest)
	case map[string]string:
		s, ok := m[rest]
		return s, ok
	}
	return nil, false
}

// File is an attachment given as a parameter value, for binary bodies and
// form-data file fields. Open is called once per attempt and what it returns
// is closed when the attempt ends, so retries send the whole file again.
type File struct {
	Name        string // file name sent in form-data; also used to guess ContentType
	ContentType string // empty: guessed from Name's extension, else application/octet-stream
	Size        int64  // -1 or 0 when unknown (streamed chunked); a positive size must be exact and lets the request carry Content-Length
	Open        func() (io.ReadCloser, error)
	// Path is where a downloaded file lies (Result.File of a node with
	// Download), directly inside Client.DownloadDir; empty for other files.
	// The host removes the file when done with it.
	Path string

	sha256 string // hex SHA-256 of a downloaded file, for the history
}

// Secret is a parameter value that never appears in the execution history or
// in error text: wherever it is rendered (URL, header, body) the history shows
// [REDACTED] instead. A secret shorter than 3 bytes cannot be told apart from
// ordinary text: it is redacted where it stands whole (a header holding it, a
// query value or path segment equal to it), not inside bodies or response
// text, so give credentials as Secrets of at least that length.
type Secret string

// String returns a redaction marker, so fmt never prints the secret.
func (Secret) String() string { return redacted }

// GoString returns a redaction marker.
func (Secret) GoString() string { return redacted }

// redacted replaces every secret in records and errors.
const redacted = "[REDACTED]"
