package httpstep

import (
	"net/http"
	"net/url"

	"github.com/tidwall/gjson"
)

// Result is what one Execute produced. A failed Result still carries the
// status, headers and body that came back.
type Result struct {
	StatusCode int
	Header     http.Header
	// Body is UTF-8, converted from the response charset as it arrives. A
	// body that names a charset (or starts with a byte order mark) is valid
	// UTF-8: in one declared UTF-8, each invalid byte is replaced by U+FFFD
	// and the attempt has a note. A body that names none keeps its bytes
	// (a textual one that is not UTF-8 has a note); so does a download.
	Body     []byte
	Failure  *Failure  // nil on success
	Attempts []Attempt // execution history, secrets redacted, JSON-serialisable
	// File is the body of a node with Download, streamed to a file in
	// Client.DownloadDir; Body is then empty. It is nil when the node failed:
	// a failed or retried attempt leaves no file behind. Only the final
	// successful attempt's file remains, and the host removes it (os.Remove
	// of File.Path) when done. Pass it as a parameter to another node's
	// binary or form-data body to upload it without loading it into memory.
	File *File

	maxRows int      // the Client's MaxRows
	schema  *Schema  // the node's declared output fields
	secrets *secrets // the secrets of this run
	source  *url.URL // the URL of the last request, for a download's label
	tree    []byte   // an XML Body's JSON tree, which every path reads; nil for JSON
}

// Redact replaces every secret of the run in s (Secret values, credential
// header values, token-like query values, in their raw, URL- and
// JSON-escaped forms) with [REDACTED]. Use it before logging anything that
// came back, since some APIs echo credentials.
func (r *Result) Redact(s string) string {
	if r == nil {
		return s
	}
	return r.secrets.text(s)
}

// OK reports whether the node succeeded.
func (r *Result) OK() bool { return r != nil && r.Failure == nil }

// Get returns the value at a gjson path of the body ("" is the whole body),
// whether or not the node succeeded: for reading a failed answer's body (its
// error message, say). A path naming a key the body has literally
// ("@odata.nextLink") reads that key; an XML body is read through its JSON
// tree (see the README's "XML answers"). Any other non-JSON body gives an
// empty result. Downstream
// field operations use Lookup, which respects the failure policy, or
// [Result.Field] for the node's declared output fields.
// A path reads the body once, up to its value; a path that applies a gjson
// modifier ("@reverse", "@pretty", ...) finds nothing in a body nested
// deeper than 100 levels, since modifiers go over a value once per level.
func (r *Result) Get(path string) gjson.Result {
	if r == nil {
		return gjson.Result{}
	}
	if isRootPath(path) {
		return gjson.ParseBytes(r.doc())
	}
	return pathGet(r.doc(), path)
}

// Lookup returns the value at a gjson path and whether it is there: for a
// path the user picked in the body. It answers false when the node failed,
// so under the "continue" policy the host skips exactly the field operations
// that depend on this node. An empty string or a null is present.
func (r *Result) Lookup(path string) (gjson.Result, bool) {
	if !r.OK() {
		return gjson.Result{}, false
	}
	v := r.Get(path)
	return v, v.Exists()
}

// Rows returns the array at a gjson path ("" = the body itself) as rows, for
// the "Get Multiple Data" node. Elements are not copied. An error says what
// was found instead of an array, or that there are more rows than
// Client.MaxRows (*TooManyRowsError). Each row costs 80 bytes (a
// gjson.Result) beyond the body it points into; an array whose rows would
// take more than 8 times the body and more than 16 MiB (millions of small
// numbers, say) is refused with an error that points to EachRow, which
// holds one row at a time. Like Lookup, Rows refuses a failed
// node: its error wraps the *Failure, so a "continue" workflow skips the
// rows; Body still holds what came back (under pagination, the pages read
// before the failure).
func (r *Result) Rows(path string) ([]gjson.Result, error) {
	if err := r.rowsReady(); err != nil {
		return nil, err
	}
	body, path := r.list(path)
	return rowsAt(body, path, r.maxRows)
}

// rowsReady reports why rows cannot be read: no result, or a failed node.
func (r *Result) rowsReady() error {
	if r == nil {
		return errNoResult
	}
	if r.Failure != nil {
		return errorf("rows: the node failed, so its rows are skipped: %w", r.Failure)
	}
	return nil
}

var errNoResult = errorf("no result: the node did not run")

// EachRow calls fn for each element of the array at path ("" = the body
// itself), in order, without building a slice, until fn returns false. It
// fails like Rows: for a failed node, when the value at path is not an
// array, or when it holds more rows than Client.MaxRows (before fn is
// called at all).
func (r *Result) EachRow(path string, fn func(i int, row gjson.Result) bool) error {
	if err := r.rowsReady(); err != nil {
		return err
	}
	body, path := r.list(path)
	return eachRow(body, path, r.maxRows, fn)
}

// thisPath is the gjson path of the value itself (the @this modifier).
const thisPath = "@this"

// isRootPath reports whether a gjson path means the whole body: "" or
// "@this".
func isRootPath(path string) bool {
	return path == "" || path == thisPath
}
