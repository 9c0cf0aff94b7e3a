package httpstep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// maxRowsNesting is how deeply arrays and objects may nest in a body read
// for rows, the same limit encoding/json applies.
const maxRowsNesting = 10000

// previewRunes is how much of a string or number an error quotes.
const previewRunes = 20

// TooManyRowsError reports an array longer than the host's cap on rows (the
// product caps batches at 100 rows for record nodes and 10,000 for
// sub-processes). Path is the rows path ("" for the root), Max the cap and
// Count the length of the array that came back.
type TooManyRowsError struct {
	Path  string
	Max   int
	Count int
}

// Error says how many rows came back, what the cap is and what to do.
func (e *TooManyRowsError) Error() string {
	return fmt.Sprintf("httpstep: rows: %s has %d rows, more than the %d this host allows at once; "+
		"narrow the request with query parameters (a filter or a smaller page size) or turn on pagination",
		rowsSubject(e.Path), e.Count, e.Max)
}

// rowsAt returns the elements of the array at the gjson path in a JSON body;
// "" and "@this" both mean the root. Elements are gjson results over one copy
// of the array's text: nothing is decoded into maps. A leading UTF-8 BOM and
// white space are skipped. Paths follow gjson, # queries included; where an
// object repeats a key, the path follows the first (encoding/json keeps the
// last).
//
// An empty array gives an empty, non-nil slice. A null at path gives zero
// rows and no error, because many APIs send null for an empty list. Anything
// else that is not an array is an error naming what was found (missing, an
// object, a string, a number, a boolean), as is a body that is empty, not
// valid JSON or nested deeper than 10,000 levels. With maxRows > 0 an array
// of more than maxRows elements is a *TooManyRowsError and no rows are
// returned; maxRows <= 0 means no cap.
func rowsAt(body []byte, path string, maxRows int) ([]gjson.Result, error) {
	arr, err := arrayAt(body, path)
	if err != nil {
		return nil, err
	}
	n := countRows(arr)
	if err := checkRowCap(path, maxRows, n); err != nil {
		return nil, err
	}
	rows := make([]gjson.Result, 0, n)
	arr.ForEach(func(_, row gjson.Result) bool {
		rows = append(rows, row)
		return true
	})
	return rows, nil
}

// eachRow calls fn with the index and value of each element of the array at
// path, in order, without building a slice; it stops early when fn returns
// false. Paths, the treatment of null and the errors are those of rowsAt.
// With maxRows > 0 the elements are counted in a first pass (fast and free of
// allocation), so a *TooManyRowsError comes before any call to fn: a host
// never acts on part of a batch it is about to refuse. A nil fn only checks.
func eachRow(body []byte, path string, maxRows int, fn func(i int, row gjson.Result) bool) error {
	arr, err := arrayAt(body, path)
	if err != nil {
		return err
	}
	if maxRows > 0 {
		if err := checkRowCap(path, maxRows, countRows(arr)); err != nil {
			return err
		}
	}
	if fn == nil {
		return nil
	}
	i := 0
	arr.ForEach(func(_, row gjson.Result) bool {
		more := fn(i, row)
		i++
		return more
	})
	return nil
}

// arrayAt checks the body and returns the array at path. For a null at path
// it returns the zero Result, which has no elements.
func arrayAt(body []byte, path string) (gjson.Result, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if err := checkRowsBody(body); err != nil {
		return gjson.Result{}, err
	}
	var v gjson.Result
	if isRootPath(path) {
		v = gjson.ParseBytes(body) // also right when gjson.DisableModifiers is set
	} else {
		v = gjson.GetBytes(body, path)
	}
	switch {
	case v.IsArray():
		return v, nil
	case v.Type == gjson.Null && v.Exists():
		return gjson.Result{}, nil
	}
	return gjson.Result{}, notAnArray(path, v, rootIsArray(body))
}

// checkRowsBody refuses a body that is empty, not valid JSON, or nested
// deeper than maxRowsNesting.
func checkRowsBody(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("httpstep: rows: the response body is empty; " +
			"the API sent no JSON to take rows from")
	}
	switch checkJSON(body, maxRowsNesting) {
	case jsonValid:
		return nil
	case jsonTooDeep:
		return fmt.Errorf("httpstep: rows: the response body nests arrays or objects "+
			"more than %d levels deep; it cannot be read as rows", maxRowsNesting)
	}
	where := ""
	var syn *json.SyntaxError
	if err := json.Unmarshal(body, new(json.RawMessage)); errors.As(err, &syn) {
		where = fmt.Sprintf(" (at byte %d: %v)", syn.Offset, syn)
	}
	return fmt.Errorf("httpstep: rows: the response body is not valid JSON%s; "+
		"check that the API answers with JSON", where)
}

// jsonVerdict is what checkJSON found.
type jsonVerdict int

const (
	jsonValid jsonVerdict = iota
	jsonInvalid
	jsonTooDeep // valid or not, nested deeper than allowed
)

// checkJSON reports whether b is one JSON value with optional white space
// around it, nested at most maxDepth deep. It accepts exactly what
// encoding/json's Valid accepts (FuzzCheckJSON compares them), in one pass
// and without recursion, so no input can exhaust the stack. It exists
// because gjson's validator recurses once per level (ten megabytes of "["
// overflow the stack and kill the process) and encoding/json's is about
// three times slower on large bodies.
func checkJSON(b []byte, maxDepth int) jsonVerdict {
	var buf [64]byte
	open := buf[:0] // the '[' or '{' of each container not yet closed
	i := skipSpace(b, 0)
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return jsonInvalid
		}
		switch c := b[i]; c {
		case '[', '{':
			if len(open) == maxDepth {
				return jsonTooDeep
			}
			if i = skipSpace(b, i+1); i < len(b) && b[i] == c+2 { // "[]" or "{}"
				i++
				break
			}
			open = append(open, c)
			if c == '{' {
				i = scanKey(b, i)
			}
			if i < 0 {
				return jsonInvalid
			}
			continue
		case '"':
			if i = plainEnd(b, i+1); i < len(b) && b[i] == '"' {
				i++
			} else {
				i = stringEndEscaped(b, i)
			}
		case 't':
			i = scanWord(b, i, "true")
		case 'f':
			i = scanWord(b, i, "false")
		case 'n':
			i = scanWord(b, i, "null")
		default:
			i = scanNumber(b, i)
		}
		if i < 0 {
			return jsonInvalid
		}
		// A value ended at b[i]: close containers until a comma or the end.
		for {
			i = skipSpace(b, i)
			if len(open) == 0 {
				if i == len(b) {
					return jsonValid
				}
				return jsonInvalid
			}
			if i >= len(b) {
				return jsonInvalid
			}
			top := open[len(open)-1]
			if b[i] != top+2 { // not "]" or "}"
				break
			}
			open = open[:len(open)-1]
			i++
		}
		if b[i] != ',' {
			return jsonInvalid
		}
		if i = skipSpace(b, i+1); open[len(open)-1] == '{' {
			if i = scanKey(b, i); i < 0 {
				return jsonInvalid
			}
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// scanKey checks an object key and its colon at b[i] and returns the index
// of the value after them, or -1.
func scanKey(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if i = plainEnd(b, i+1); i < len(b) && b[i] == '"' {
		i++
	} else if i = stringEndEscaped(b, i); i < 0 {
		return -1
	}
	if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
		return -1
	}
	return skipSpace(b, i+1)
}

// plainByte marks the bytes that may appear unescaped in a JSON string.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainEnd returns the index of the first byte at or after i that cannot
// stand unescaped in a string. It is small enough to inline, so that a
// string without escapes costs no call.
func plainEnd(b []byte, i int) int {
	for i < len(b) && plainByte[b[i]] {
		i++
	}
	return i
}

// stringEndEscaped returns the index just past the quote that ends a string
// whose contents continue at b[i], with escapes, or -1.
func stringEndEscaped(b []byte, i int) int {
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c != '\\':
			i++
		case i+1 < len(b) && strings.IndexByte(`"\\/bfnrt`, b[i+1]) >= 0:
			i += 2
		case i+5 < len(b) && b[i+1] == 'u' && isHex(b[i+2]) && isHex(b[i+3]) && isHex(b[i+4]) && isHex(b[i+5]):
			i += 6
		default:
			return -1
		}
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanWord checks the literal word (true, false or null) at b[i] and returns
// the index just past it, or -1.
func scanWord(b []byte, i int, word string) int {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return -1
	}
	return i + len(word)
}

// scanNumber checks a number, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
// at b[i] and returns the index just past it, or -1.
func scanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i = skipDigits(b, i+1); b[i-1] == '.' {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		if i = skipDigits(b, i); i == start {
			return -1
		}
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// countRows returns the number of elements of an array result.
func countRows(arr gjson.Result) int {
	n := 0
	arr.ForEach(func(_, _ gjson.Result) bool {
		n++
		return true
	})
	return n
}

// checkRowCap returns a *TooManyRowsError when maxRows > 0 and n exceeds it.
func checkRowCap(path string, maxRows, n int) error {
	if maxRows > 0 && n > maxRows {
		return &TooManyRowsError{Path: path, Max: maxRows, Count: n}
	}
	return nil
}

// notAnArray says what was found at path instead of an array. rootArray
// tells whether the body itself is an array, the usual fix when a path
// is missing.
func notAnArray(path string, v gjson.Result, rootArray bool) error {
	subject := rowsSubject(path)
	if !v.Exists() {
		fix := "check the rows path against a response example"
		if rootArray {
			fix = "the response body is itself an array: leave the rows path empty to take its elements"
		}
		return fmt.Errorf("httpstep: rows: %s is missing from the response body; %s", subject, fix)
	}
	msg := fmt.Sprintf("httpstep: rows: %s is %s, not an array", subject, describeValue(v))
	if arrays := arrayMembers(path, v, 3); len(arrays) > 0 {
		msg += "; point the rows path at one of its arrays: " + strings.Join(arrays, ", ")
	}
	return errors.New(msg)
}

// rootIsArray reports whether a valid JSON body is an array.
func rootIsArray(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	return len(body) > 0 && body[0] == '['
}

// isRootPath reports whether a rows path means the whole body.
func isRootPath(path string) bool {
	return path == "" || path == "@this"
}

// rowsSubject names the rows path in an error.
func rowsSubject(path string) string {
	if isRootPath(path) {
		return "the response body"
	}
	return fmt.Sprintf("%q", path)
}

// describeValue names the type of a value that is not an array, quoting
// strings, numbers and booleans shortened to previewRunes runes.
func describeValue(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		return fmt.Sprintf("a string (%q)", preview(v.Str))
	case gjson.Number:
		return "a number (" + preview(v.Raw) + ")"
	case gjson.True, gjson.False:
		return "a boolean (" + v.Raw + ")"
	case gjson.JSON:
		return "an object"
	}
	return "null"
}

// preview shortens s to previewRunes runes, marking a cut with "…".
func preview(s string) string {
	if utf8.RuneCountInString(s) <= previewRunes {
		return s
	}
	return string([]rune(s)[:previewRunes]) + "…"
}

// arrayMembers returns, quoted, the paths of up to limit members of object v
// (found at path) whose values are arrays: likely intended rows paths.
func arrayMembers(path string, v gjson.Result, limit int) []string {
	if !v.IsObject() {
		return nil
	}
	var out []string
	v.ForEach(func(key, val gjson.Result) bool {
		if val.IsArray() {
			p := gjson.Escape(key.Str)
			if !isRootPath(path) {
				p = path + "." + p
			}
			out = append(out, fmt.Sprintf("%q", p))
		}
		return len(out) < limit
	})
	return out
}
