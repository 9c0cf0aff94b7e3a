package httpstep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// raws returns the raw text of each row.
func raws(rows []gjson.Result) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Raw
	}
	return out
}

func TestRowsAt(t *testing.T) {
	orders := `{"data":{"items":[{"id":1,"status":"paid"},{"id":2,"status":"open"},{"id":3,"status":"paid"}]}}`
	tests := []struct {
		name, body, path string
		want             []string
	}{
		{"root array", `[1,"two",{"three":3},[4],null,true]`, "", []string{`1`, `"two"`, `{"three":3}`, `[4]`, `null`, `true`}},
		{"root by @this", `[1,2]`, "@this", []string{`1`, `2`}},
		{"BOM and white space", "\xef\xbb\xbf \r\n\t[ 1 , 2 ]\n", "", []string{`1`, `2`}},
		{"BOM before an object", "\xef\xbb\xbf{\"a\":[1]}", "a", []string{`1`}},
		{"nested path", orders, "data.items", []string{`{"id":1,"status":"paid"}`, `{"id":2,"status":"open"}`, `{"id":3,"status":"paid"}`}},
		{"query for all matches", orders, `data.items.#(status=="paid")#`, []string{`{"id":1,"status":"paid"}`, `{"id":3,"status":"paid"}`}},
		{"query with no match", orders, `data.items.#(status=="void")#`, []string{}},
		{"field of every element", orders, "data.items.#.id", []string{`1`, `2`, `3`}},
		{"index into a root array", `[[1,2],[3]]`, "0", []string{`1`, `2`}},
		{"escaped key", `{"a.b":["x"]}`, `a\.b`, []string{`"x"`}},
		{"duplicate keys: the first wins", `{"a":[1],"a":[2,3]}`, "a", []string{`1`}},
		{"empty array", `{"items":[]}`, "items", []string{}},
		{"null at path", `{"items":null}`, "items", []string{}},
		{"null at the root", ` null `, "", []string{}},
		{"number too large for float64", `[1e400,123456789012345678901234567890]`, "", []string{`1e400`, `123456789012345678901234567890`}},
		{"escapes in strings", `["a\"]b","\\",{"k":"}"}]`, "", []string{`"a\"]b"`, `"\\"`, `{"k":"}"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := rowsAt([]byte(tt.body), tt.path, 0)
			require.NoError(t, err)
			require.NotNil(t, rows)
			assert.Equal(t, tt.want, raws(rows))
		})
	}
}

func TestRowsAtReadsFields(t *testing.T) {
	body := []byte(`{"items":[{"id":7,"customer":{"name":"Ann \"A\" Lee"}}]}`)
	rows, err := rowsAt(body, "items", 0)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, int64(7), rows[0].Get("id").Int())
	assert.Equal(t, `Ann "A" Lee`, rows[0].Get("customer.name").String())
}

func TestRowsOutliveBody(t *testing.T) {
	for _, path := range []string{"", "@this"} {
		body := []byte(`[{"id":1},{"id":2}]`)
		rows, err := rowsAt(body, path, 0)
		require.NoError(t, err)
		for i := range body {
			body[i] = ' ' // a host reusing its buffer must not change the rows
		}
		assert.Equal(t, []string{`{"id":1}`, `{"id":2}`}, raws(rows))
	}
}

// rowsErrorCases are bodies and paths that give no rows, with the exact error.
var rowsErrorCases = []struct {
	name, body, path, want string
}{
	{"object", `{"data":{"items":{"x":1}}}`, "data.items",
		`httpstep: rows: "data.items" is an object, not an array`},
	{"object with arrays at the root", `{"data":[1],"meta":{},"errors":[],"more":[1],"most":[2]}`, "",
		`httpstep: rows: the response body is an object, not an array; point the rows path at one of its arrays: "data", "errors", "more"`},
	{"object with an array inside", `{"d":{"list":[],"n":1}}`, "d",
		`httpstep: rows: "d" is an object, not an array; point the rows path at one of its arrays: "d.list"`},
	{"object with an awkward key", `{"a.b":[1]}`, "@this",
		`httpstep: rows: the response body is an object, not an array; point the rows path at one of its arrays: "a\\.b"`},
	{"missing", `{"data":{}}`, "data.items",
		`httpstep: rows: "data.items" is missing from the response body; check the rows path against a response example`},
	{"missing in an array", ` [{"items":[1]}]`, "items",
		`httpstep: rows: "items" is missing from the response body; the response body is itself an array: leave the rows path empty to take its elements`},
	{"index past the end", `[1,2]`, "5",
		`httpstep: rows: "5" is missing from the response body; the response body is itself an array: leave the rows path empty to take its elements`},
	{"query on a missing array", `{}`, `items.#(a==1)#`,
		`httpstep: rows: "items.#(a==1)#" is missing from the response body; check the rows path against a response example`},
	{"long string", `{"s":"abcdefghijklmnopqrstuvwxyz"}`, "s",
		`httpstep: rows: "s" is a string ("abcdefghijklmnopqrst..."), not an array`},
	{"short string with escapes", `{"s":"é\n"}`, "s",
		`httpstep: rows: "s" is a string ("é\n"), not an array`},
	{"string at the root", `"abc"`, "",
		`httpstep: rows: the response body is a string ("abc"), not an array`},
	{"number", `{"n":12.5}`, "n",
		`httpstep: rows: "n" is a number (12.5), not an array`},
	{"long number", `{"n":123456789012345678901234567890}`, "n",
		`httpstep: rows: "n" is a number (12345678901234567890...), not an array`},
	{"count of an array", `[1,2]`, "#",
		`httpstep: rows: "#" is a number (2), not an array`},
	{"boolean", `{"b":false}`, "b",
		`httpstep: rows: "b" is a boolean (false), not an array`},
	{"empty body", ``, "",
		`httpstep: rows: the response body is empty; the API sent no JSON to take rows from`},
	{"blank body with a BOM", "\xef\xbb\xbf \n", "items",
		`httpstep: rows: the response body is empty; the API sent no JSON to take rows from`},
	{"truncated", `[{"a":1},{"a":`, "",
		`httpstep: rows: the response body is not valid JSON (at byte 14: unexpected end of JSON input); check that the API answers with JSON`},
	{"HTML", `<html>oops</html>`, "items",
		`httpstep: rows: the response body is not valid JSON (at byte 1: invalid character '<' looking for beginning of value); check that the API answers with JSON`},
	{"trailing garbage", `[1]x`, "",
		`httpstep: rows: the response body is not valid JSON (at byte 4: invalid character 'x' after top-level value); check that the API answers with JSON`},
	{"too deep", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "",
		`httpstep: rows: the response body nests arrays or objects more than 10000 levels deep; it cannot be read as rows`},
	{"over the cap", `{"items":[1,2,3]}`, "items",
		`httpstep: rows: "items" has 3 rows, more than the 2 this host allows at once; narrow the request with query parameters (a filter or a smaller page size) or turn on pagination`},
	{"over the cap at the root", `[1,2,3]`, "",
		`httpstep: rows: the response body has 3 rows, more than the 2 this host allows at once; narrow the request with query parameters (a filter or a smaller page size) or turn on pagination`},
}

func TestRowsErrors(t *testing.T) {
	for _, tt := range rowsErrorCases {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := rowsAt([]byte(tt.body), tt.path, 2)
			require.EqualError(t, err, tt.want)
			assert.Nil(t, rows)
			called := false
			err = eachRow([]byte(tt.body), tt.path, 2, func(int, gjson.Result) bool {
				called = true
				return true
			})
			require.EqualError(t, err, tt.want)
			assert.False(t, called, "fn must not run when the rows are refused")
		})
	}
}

func TestRowsCap(t *testing.T) {
	body := []byte(`{"items":[1,2,3]}`)
	for _, tt := range []struct {
		max     int
		refused bool
	}{{0, false}, {-1, false}, {3, false}, {4, false}, {2, true}, {1, true}} {
		rows, err := rowsAt(body, "items", tt.max)
		n := 0
		err2 := eachRow(body, "items", tt.max, func(int, gjson.Result) bool { n++; return true })
		if !tt.refused {
			require.NoError(t, err, "max %d", tt.max)
			require.NoError(t, err2, "max %d", tt.max)
			assert.Len(t, rows, 3)
			assert.Equal(t, 3, n)
			continue
		}
		var tooMany *TooManyRowsError
		require.ErrorAs(t, err, &tooMany, "max %d", tt.max)
		assert.Equal(t, TooManyRowsError{Path: "items", Max: tt.max, Count: 3}, *tooMany)
		require.ErrorAs(t, err2, &tooMany)
		assert.Zero(t, n)
	}
}

func TestEachRow(t *testing.T) {
	body := []byte(`{"data":{"items":[{"id":1},{"id":2},{"id":3},{"id":4}]}}`)
	want, err := rowsAt(body, "data.items", 0)
	require.NoError(t, err)
	for _, stopAt := range []int{0, 1, 3, 10} {
		var got []gjson.Result
		var idx []int
		err := eachRow(body, "data.items", 0, func(i int, row gjson.Result) bool {
			idx = append(idx, i)
			got = append(got, row)
			return i < stopAt
		})
		require.NoError(t, err)
		n := min(stopAt+1, len(want))
		assert.Equal(t, raws(want[:n]), raws(got), "stop at %d", stopAt)
		for i, v := range idx {
			assert.Equal(t, i, v)
		}
	}
}

func TestEachRowNullAndNilFunc(t *testing.T) {
	called := false
	require.NoError(t, eachRow([]byte(`{"items":null}`), "items", 5, func(int, gjson.Result) bool {
		called = true
		return true
	}))
	assert.False(t, called)
	require.NoError(t, eachRow([]byte(`[1,2]`), "", 0, nil))
	var tooMany *TooManyRowsError
	require.ErrorAs(t, eachRow([]byte(`[1,2]`), "", 1, nil), &tooMany)
}

func TestRowsHugeArray(t *testing.T) {
	const n = 1_000_000
	body := []byte("[" + strings.Repeat(`0,`, n-1) + `0]`)
	_, err := rowsAt(body, "", 0)
	assert.ErrorContains(t, err, "read them with EachRow", "80 MB of rows for a 2 MB body")

	count := 0
	require.NoError(t, eachRow(body, "@this", 0, func(i int, row gjson.Result) bool {
		if i != count || row.Raw != "0" {
			return false
		}
		count++
		return true
	}))
	assert.Equal(t, n, count)

	_, err = rowsAt(body, "", 10_000)
	var tooMany *TooManyRowsError
	require.ErrorAs(t, err, &tooMany)
	assert.Equal(t, n, tooMany.Count)
	assert.Equal(t, 10_000, tooMany.Max)
}

func TestRowsDeepNesting(t *testing.T) {
	deepest := strings.Repeat("[", maxRowsNesting) + strings.Repeat("]", maxRowsNesting)
	rows, err := rowsAt([]byte(deepest), "", 0)
	require.NoError(t, err)
	assert.Len(t, rows, 1)

	// Megabytes of "[" would crash gjson's recursive validator.
	bomb := bytes.Repeat([]byte("["), 8<<20)
	_, err = rowsAt(bomb, "", 0)
	require.ErrorContains(t, err, "more than 10000 levels deep")
	_, err = rowsAt(bytes.Repeat([]byte(`{"a":`), 1<<20), "a", 0)
	require.ErrorContains(t, err, "more than 10000 levels deep")

	// Brackets inside strings do not nest.
	inString := `["` + strings.Repeat("[{", 20000) + `"]`
	rows, err = rowsAt([]byte(inString), "", 0)
	require.NoError(t, err)
	assert.Len(t, rows, 1)
}

func FuzzRows(f *testing.F) {
	paths := []string{"", "@this", "items", "data.items", `items.#(status=="paid")#`, "items.#.id", "0", "#"}
	for _, tt := range rowsErrorCases {
		f.Add([]byte(tt.body), uint8(0), uint8(2))
	}
	for _, s := range []string{`[1,2,3]`, "\xef\xbb\xbf[{}]", `{"items":[{"status":"paid","id":1},{"status":"open"}]}`,
		`{"data":{"items":null}}`, `[[1],[2,3]]`, `[1e999, "a\u0000b", {"a":[]}]`, "[\"\xff\"]", `[1,]`, `[01]`} {
		f.Add([]byte(s), uint8(0), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, pathIndex, max uint8) {
		path := paths[int(pathIndex)%len(paths)]
		rows, err := rowsAt(body, path, int(max))
		checkEachRowAgrees(t, body, path, int(max), rows, err)
		checkCapError(t, body, path, int(max), err)
		if !json.Valid(body) {
			if !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
				require.Error(t, err, "gjson accepted JSON that encoding/json refuses")
			}
			return
		}
		if err != nil {
			require.NotContains(t, err.Error(), "not valid JSON", "gjson refused JSON that encoding/json accepts")
		}
		checkRootArrayAgrees(t, body)
	})
}

// checkEachRowAgrees checks that eachRow sees what rowsAt returned.
func checkEachRowAgrees(t *testing.T, body []byte, path string, max int, rows []gjson.Result, err error) {
	var got []string
	err2 := eachRow(body, path, max, func(i int, row gjson.Result) bool {
		require.Equal(t, len(got), i)
		got = append(got, row.Raw)
		return true
	})
	if err != nil {
		require.EqualError(t, err2, err.Error())
		require.Nil(t, rows)
		require.Empty(t, got)
		return
	}
	require.NoError(t, err2)
	require.NotNil(t, rows)
	require.Equal(t, raws(rows), append([]string{}, got...))
}

// checkCapError checks that a refusal for too many rows is true.
func checkCapError(t *testing.T, body []byte, path string, max int, err error) {
	var tooMany *TooManyRowsError
	if !errors.As(err, &tooMany) {
		return
	}
	all, err := rowsAt(body, path, 0)
	require.NoError(t, err)
	require.Equal(t, TooManyRowsError{Path: path, Max: max, Count: len(all)}, *tooMany)
	require.Greater(t, tooMany.Count, max)
}

// checkRootArrayAgrees compares the rows of a valid body whose root is an
// array with what encoding/json finds.
func checkRootArrayAgrees(t *testing.T, body []byte) {
	var want []json.RawMessage
	if err := json.Unmarshal(body, &want); err != nil || want == nil {
		return // not an array (null leaves want nil)
	}
	rows, err := rowsAt(body, "", 0)
	require.NoError(t, err)
	require.Len(t, rows, len(want))
	for i, w := range want {
		require.Equal(t, string(bytes.TrimSpace(w)), rows[i].Raw, "element %d", i)
	}
}

// TestRowsMemory: Rows costs 80 bytes a row beyond the body, so an array
// of small scalars (five million zeros in 10 MB peaked at 400 MiB) would
// cost forty times its body: Rows refuses past 8 times the body (and 16
// MiB), pointing to EachRow, and an array of records still comes back as
// rows within that bound. Five million zeros in .ci/longrun.sh.
func TestRowsMemory(t *testing.T) {
	zeros := 1_000_000
	if os.Getenv("HTTPSTEP_LONGRUN") != "" {
		zeros = 5_000_000
	}
	bodies := map[string][]byte{
		"/zeros":   []byte("[" + strings.Repeat("0,", zeros-1) + "0]"),
		"/records": []byte("[" + strings.Repeat(`{"id":12345,"ok":true},`, 99_999) + `{"id":1,"ok":true}]`),
	}
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { w.Write(bodies[r.URL.Path]) })
	c := testClient(t)
	for path, body := range bodies {
		t.Run(path, func(t *testing.T) {
			res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + path}, nil)
			require.NoError(t, err)
			var rows []gjson.Result
			use := measureMem(func() { rows, err = res.Rows("") })
			t.Logf("%d KiB body: Rows %v", len(body)>>10, use)
			assert.Less(t, use.total, uint64(8*len(body)+1<<20), "Rows allocates within 8 times the body")
			if path == "/zeros" {
				assert.ErrorContains(t, err, "read them with EachRow")
				n := 0
				require.NoError(t, res.EachRow("", func(int, gjson.Result) bool { n++; return true }))
				assert.Equal(t, zeros, n)
				return
			}
			require.NoError(t, err)
			assert.Len(t, rows, 100_000)
		})
	}
}
