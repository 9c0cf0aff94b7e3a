package httpstep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/httpstep/httpstep/internal/jsoncheck"
	"github.com/tidwall/gjson"
)

// maxRowsNesting is how deeply arrays and objects may nest in a body read
// for rows, the same limit encoding/json applies.
const maxRowsNesting = maxNesting

// quoteBytes is how much of a string or number an error quotes.
const quoteBytes = 20

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
func (e *TooManyRowsError) Error() string { return errorPrefix + e.message() }

func (e *TooManyRowsError) message() string {
	return fmt.Sprintf("rows: %s has %d rows, more than the %d this host allows at once; "+
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
	arr, n, err := arrayAt(body, path)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		n = countRows(arr)
	}
	if err := checkRowCap(path, maxRows, n); err != nil {
		return nil, err
	}
	if err := checkRowsMemory(path, n, len(body)); err != nil {
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
	arr, n, err := arrayAt(body, path)
	if err != nil {
		return err
	}
	if maxRows > 0 {
		if n < 0 {
			n = countRows(arr)
		}
		if err := checkRowCap(path, maxRows, n); err != nil {
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

// arrayAt checks the body and returns the array at path and its length, or
// -1 when the length is not known yet: the check counts the elements of the
// body itself, not those of an array deeper in. For a null at path it
// returns the zero Result, which has no elements.
func arrayAt(body []byte, path string) (gjson.Result, int, error) {
	body = bytes.TrimPrefix(body, []byte(utf8BOM))
	n, err := checkRowsBody(body)
	if err != nil {
		return gjson.Result{}, 0, err
	}
	var v gjson.Result
	if isRootPath(path) {
		v = gjson.ParseBytes(body) // also right when gjson.DisableModifiers is set
	} else {
		v, n = pathGet(body, path), -1
	}
	switch {
	case v.IsArray():
		return v, n, nil
	case v.Type == gjson.Null && v.Exists():
		return gjson.Result{}, 0, nil
	}
	return gjson.Result{}, 0, notAnArray(path, v, rootIsArray(body))
}

// checkRowsBody refuses a body that is empty, not valid JSON, or nested
// deeper than maxRowsNesting; for a body that is an array it returns the
// number of elements.
func checkRowsBody(body []byte) (int, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return 0, errorf("rows: the response body is empty; " +
			"the API sent no JSON to take rows from")
	}
	switch v, n := jsoncheck.CheckCount(body, maxRowsNesting); v {
	case jsoncheck.Valid:
		return n, nil
	case jsoncheck.TooDeep:
		return 0, errorf("rows: the response body nests arrays or objects "+
			"more than %d levels deep; it cannot be read as rows", maxRowsNesting)
	}
	where := ""
	var syn *json.SyntaxError
	if err := json.Unmarshal(body, new(json.RawMessage)); errors.As(err, &syn) {
		where = fmt.Sprintf(" (at byte %d: %v)", syn.Offset, syn)
	}
	return 0, errorf("rows: the response body is not valid JSON%s; "+
		"check that the API answers with JSON", where)
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

// rowBytes is what Rows costs per element beyond the body: one
// gjson.Result, whatever the element (the text is not copied).
const rowBytes = int(unsafe.Sizeof(gjson.Result{}))

// Rows refuses an array whose rows would take more than rowsBodyMultiple
// times the body, and more than rowsMemoryFloor: an array of small scalars
// ("0," is two bytes, its row 80) would make a 32 MiB body cost 1.3 GB.
const (
	rowsBodyMultiple = 8
	rowsMemoryFloor  = 16 << 20
)

// checkRowsMemory refuses n rows from a body of bodyLen bytes when their
// slice would take more than rowsBodyMultiple times the body and more than
// rowsMemoryFloor.
func checkRowsMemory(path string, n, bodyLen int) error {
	need := n * rowBytes
	if need <= rowsMemoryFloor || need <= rowsBodyMultiple*bodyLen {
		return nil
	}
	return errorf("rows: %s has %d elements, which as rows would take %d MiB (%d bytes each), more than %d times "+
		"the %d KiB body; read them with EachRow, which holds one row at a time",
		rowsSubject(path), n, need>>20, rowBytes, rowsBodyMultiple, bodyLen>>10)
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
		return errorf("rows: %s is missing from the response body; %s", subject, fix)
	}
	if arrays := arrayMembers(path, v, 3); len(arrays) > 0 {
		return errorf("rows: %s is %s, not an array; point the rows path at one of its arrays: %s", subject, describeValue(v), strings.Join(arrays, ", "))
	}
	return errorf("rows: %s is %s, not an array", subject, describeValue(v))
}

// rootIsArray reports whether a valid JSON body is an array.
func rootIsArray(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	return len(body) > 0 && body[0] == '['
}

// rowsSubject names the rows path in an error.
func rowsSubject(path string) string {
	if isRootPath(path) {
		return "the response body"
	}
	return fmt.Sprintf("%q", path)
}

// describeValue names the type of a value that is not an array, quoting
// strings, numbers and booleans shortened to quoteBytes bytes.
func describeValue(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		return fmt.Sprintf("a string (%q)", clip(v.Str, quoteBytes))
	case gjson.Number:
		return "a number (" + clip(v.Raw, quoteBytes) + ")"
	case gjson.True, gjson.False:
		return "a boolean (" + v.Raw + ")"
	case gjson.JSON:
		return "an object"
	}
	return "null"
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
