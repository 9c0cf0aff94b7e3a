package httpstep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// sf is a short way to write an expected Field in the tables below.
func sf(name, path, typ string, fields ...Field) Field {
	return Field{Name: name, Path: path, Type: typ, Fields: fields}
}

func withFormat(field Field, format string) Field {
	field.Format = format
	return field
}

func TestInferSchema(t *testing.T) {
	tests := []struct {
		name    string
		example string
		want    []Field
	}{
		{"every type", `{"s":"x","n":1.5,"b":false,"o":{"k":1},"a":[1],"z":null}`, []Field{
			sf("s", "s", "string"), sf("n", "n", "number"), sf("b", "b", "boolean"),
			sf("o", "o", "object", sf("k", "o.k", "number")),
			sf("a", "a", "array", sf("item", "@this", "number")), sf("z", "z", "null"),
		}},
		{"member order kept", `{"zeta":1,"alpha":2,"mid":3}`, []Field{
			sf("zeta", "zeta", "number"), sf("alpha", "alpha", "number"), sf("mid", "mid", "number"),
		}},
		{"nested paths", `{"a":{"b":{"c":"d"}}}`, []Field{
			sf("a", "a", "object", sf("b", "a.b", "object", sf("c", "a.b.c", "string"))),
		}},
		{"names with dots", `{"a.b":{"c.d":1}}`, []Field{
			sf("a.b", `a\.b`, "object", sf("c.d", `a\.b.c\.d`, "number")),
		}},
		{"gjson syntax in names", `{"*":1,"?":2,"|":3,"#":4,"@this":5,"\\":6,"!x":7}`, []Field{
			sf("*", `\*`, "number"), sf("?", `\?`, "number"), sf("|", `\|`, "number"),
			sf("#", `\#`, "number"), sf("@this", `\@this`, "number"), sf(`\`, `\\`, "number"),
			sf("!x", `\!x`, "number"),
		}},
		{"empty member names left out", `{"":{"":1},"a":{"":2,"b":3}}`, []Field{
			sf("a", "a", "object", sf("b", "a.b", "number")),
		}},
		{"escaped member name", `{"\u002e\u0041":1}`, []Field{sf(".A", `\.A`, "number")}},
		{"unicode names", `{"名字":"张三","emoji 😀":1}`, []Field{
			sf("名字", "名字", "string"), sf("emoji 😀", "emoji 😀", "number"),
		}},
		{"duplicate keys listed once, first wins", `{"a":1,"b":2,"a":"x"}`, []Field{
			sf("a", "a", "number"), sf("b", "b", "number"),
		}},
		{"huge numbers stay numbers", `{"big":1e400,"long":123456789012345678901234567890}`, []Field{
			sf("big", "big", "number"), sf("long", "long", "number"),
		}},
		{"root array of objects is the union of members", `[{"id":1,"name":"a"},{"id":2,"tag":"t"},{"name":null,"id":3}]`, []Field{sf("items", "@this", "array", sf("id", "id", "number"), sf("name", "name", "string"), sf("tag", "tag", "string"))}},
		{"root array of scalars", `[1,2,3]`, []Field{sf("items", "@this", "array", sf("item", "@this", "number"))}},
		{"root array of arrays", `[[true],[false]]`, []Field{sf("items", "@this", "array", sf("item", "@this", "array", sf("item", "@this", "boolean")))}},
		{"root scalar", `"hello"`, []Field{sf("value", "@this", "string")}},
		{"root empty array", `[]`, []Field{sf("items", "@this", "array")}},
		{"root empty object", ` {} `, []Field{}},
		{"null gives way", `[{"v":null},{"v":"x"},{"v":null}]`, []Field{sf("items", "@this", "array", sf("v", "v", "string"))}},
		{"always null", `[{"v":null},{}]`, []Field{sf("items", "@this", "array", sf("v", "v", "null"))}},
		{"conflicting types become string", `[{"v":1},{"v":true},{"v":2}]`, []Field{sf("items", "@this", "array", sf("v", "v", "string"))}},
		{"object and scalar become string without fields", `{"a":[{"k":1},"x",{"j":2}]}`, []Field{
			sf("a", "a", "array", sf("item", "@this", "string")),
		}},
		{"objects merged in arrays", `{"a":[{"o":{"x":1}},{"o":{"y":[{"z":1},{"w":2}]}}]}`, []Field{
			sf("a", "a", "array", sf("o", "o", "object",
				sf("x", "o.x", "number"),
				sf("y", "o.y", "array", sf("z", "z", "number"), sf("w", "w", "number")))),
		}},
		{"empty array has no fields", `{"a":[],"b":[null]}`, []Field{
			sf("a", "a", "array"), sf("b", "b", "array", sf("item", "@this", "null")),
		}},
		{"duplicates inside elements", `[{"a":1,"a":"x"},{"a":2}]`, []Field{sf("items", "@this", "array", sf("a", "a", "number"))}},
		{"byte order mark", "\xef\xbb\xbf{\"a\":1}", []Field{sf("a", "a", "number")}},
		{"byte order mark and root array", "\xef\xbb\xbf [{\"a\":1}]", []Field{sf("items", "@this", "array", sf("a", "a", "number"))}},
		{"white space around a root array", " \n[[1]]\t", []Field{sf("items", "@this", "array", sf("item", "@this", "array", sf("item", "@this", "number")))}},
		{"formats", `{"t":"2024-05-01T08:30:00Z","d":"2024-05-01","s":"2024-05-01x","dd":["2024-05-01","2024-05-02"],"mix":["2024-05-01","2024-05-01T00:00:00Z"],"late":["x","2024-05-01"]}`, []Field{
			withFormat(sf("t", "t", "string"), "date-time"), withFormat(sf("d", "d", "string"), "date"),
			sf("s", "s", "string"), sf("dd", "dd", "array", withFormat(sf("item", "@this", "string"), "date")),
			sf("mix", "mix", "array", sf("item", "@this", "string")), sf("late", "late", "array", sf("item", "@this", "string")),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InferSchema([]byte(tt.example))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Fields)
			requirePathsResolve(t, []byte(tt.example), got)
		})
	}
}

func TestStringFormat(t *testing.T) {
	tests := map[string]string{
		"2024-05-01T08:30:00Z":                "date-time",
		"2024-05-01t08:30:00z":                "date-time",
		"2024-05-01T08:30:00.123456789+08:00": "date-time",
		"2024-05-01T08:30:00,5Z":              "date-time",
		"2024-05-01 08:30:00":                 "date-time",
		"2024-05-01T08:30:00+0800":            "date-time",
		"2024-05-01T08:30:00+08":              "date-time",
		"2024-05-01T08:30":                    "date-time",
		"2024-05-01T08:30+01:00":              "date-time",
		"2024-05-01":                          "date",
		"2024-02-29":                          "date",
		"2023-02-29":                          "",
		"2024-13-01":                          "",
		"2024-05-01T25:00:00Z":                "",
		"2024-05-01T08:30:00Zjunk":            "",
		"2024-05-01X08:30:00Z":                "",
		"2024-5-1":                            "",
		"20240501":                            "",
		"12345-05-01":                         "",
		"":                                    "",
		"hello":                               "",
		"2024-05-01T08:30:00Z and some more text": "",
	}
	for in, want := range tests {
		assert.Equal(t, want, stringFormat(in), "%q", in)
	}
}

func TestInferSchemaErrors(t *testing.T) {
	tests := []struct {
		name, example, want string
		offset              int64 // json.SyntaxError.Offset, 0 when not a syntax error
	}{
		{"empty", "", "the example is empty", 0},
		{"blank", " \n\t ", "the example is empty", 0},
		{"bom only", "\xef\xbb\xbf", "the example is empty", 0},
		{"truncated", `{"a":[1,2`, "invalid JSON at offset 9 (line 1, column 9): unexpected end of JSON input", 9},
		{"truncated string", `{"a":"b`, "invalid JSON at offset 7 (line 1, column 7): unexpected end", 7},
		{"missing value", `{"a":}`, "invalid JSON at offset 6 (line 1, column 6): invalid character '}'", 6},
		{"trailing garbage", `{"a":1} x`, "invalid JSON at offset 9 (line 1, column 9): invalid character 'x' after top-level value", 9},
		{"two values", `{} {}`, "offset 4", 4},
		{"second line", "{\n  \"名字\": 1,\n  x\n}", "(line 3, column 3): invalid character 'x'", 20},
		{"offset counts the byte order mark", "\xef\xbb\xbf{,}", "invalid JSON at offset 5 (line 1, column 3)", 5},
		{"single quotes", `{'a':1}`, "offset 2", 2},
		{"too deep for encoding/json", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "exceeded max depth", 10001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InferSchema([]byte(tt.example))
			require.Error(t, err)
			assert.Nil(t, got)
			assert.True(t, strings.HasPrefix(err.Error(), "httpstep: schema: "), err.Error())
			assert.Contains(t, err.Error(), tt.want)
			var syntax *json.SyntaxError
			if assert.Equal(t, tt.offset != 0, errors.As(err, &syntax)) && tt.offset != 0 {
				assert.Equal(t, tt.offset, syntax.Offset)
			}
		})
	}
}

func TestInferSchemaDeepNesting(t *testing.T) {
	const levels = 10000
	tests := []struct {
		name, example string
		depth         int // levels of Fields expected: two JSON levels make one in "mixed"
	}{
		{"arrays", strings.Repeat("[", levels) + strings.Repeat("]", levels), schemaMaxDepth + 1}, // the root array's own field
		{"objects", strings.Repeat(`{"a":`, levels) + "1" + strings.Repeat("}", levels), schemaMaxDepth},
		{"mixed", strings.Repeat(`[{"a.b":`, levels/2) + `"2024-05-01"` + strings.Repeat("}]", levels/2), schemaMaxDepth/2 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got, err := InferSchema([]byte(tt.example))
			require.NoError(t, err)
			assert.Less(t, time.Since(start), 2*time.Second)
			requirePathsResolve(t, []byte(tt.example), got)
			depth, last := 0, got.Fields
			for len(last) > 0 {
				depth++
				require.Len(t, last, 1)
				if len(last[0].Fields) == 0 {
					assert.Contains(t, []string{"object", "array"}, last[0].Type, "the deepest level keeps its type")
				}
				last = last[0].Fields
			}
			assert.Equal(t, tt.depth, depth)
		})
	}
	t.Run("far too deep", func(t *testing.T) {
		_, err := InferSchema([]byte(strings.Repeat("[", 1_000_000)))
		require.ErrorContains(t, err, "exceeded max depth")
	})
}

// goldenInputs lists the examples under testdata/schema, golden files aside.
func goldenInputs(tb testing.TB) []string {
	inputs, err := filepath.Glob(filepath.Join("testdata", "schema", "*.json"))
	require.NoError(tb, err)
	kept := inputs[:0]
	for _, in := range inputs {
		if !strings.HasSuffix(in, ".golden.json") {
			kept = append(kept, in)
		}
	}
	require.NotEmpty(tb, kept)
	return kept
}

func TestInferSchemaGolden(t *testing.T) {
	for _, in := range goldenInputs(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			example, err := os.ReadFile(in)
			require.NoError(t, err)
			got, err := InferSchema(example)
			require.NoError(t, err)
			requirePathsResolve(t, example, got)
			out, err := json.MarshalIndent(got, "", "  ")
			require.NoError(t, err)
			out = append(out, '\n')
			golden.Check(t, strings.TrimSuffix(in, ".json")+".golden.json", out)
		})
	}
}

// requirePathsResolve checks that every Field's Path finds a value with gjson:
// from the example itself at the top, or from an element of the enclosing
// array, and that the values found have the Field's type.
func requirePathsResolve(tb testing.TB, example []byte, s *Schema) {
	tb.Helper()
	root := gjson.Result{Type: gjson.JSON, Raw: string(example)} // Get on it is GetBytes(example, ...)
	scope := []gjson.Result{root}
	if parsed := gjson.ParseBytes(bytes.TrimPrefix(example, []byte(utf8BOM))); parsed.IsArray() {
		scope = []gjson.Result{parsed} // the root array's field is @this
	}
	for _, field := range s.Fields {
		require.NoError(tb, pathsResolve(field, scope))
	}
}

// pathsResolve checks field and its children against scope, the values its
// Path is relative to.
func pathsResolve(field Field, scope []gjson.Result) error {
	var found []gjson.Result
	nonNull := false
	for _, v := range scope {
		got := v.Get(field.Path)
		if !got.Exists() {
			continue
		}
		found = append(found, got)
		k := kindOf(got)
		nonNull = nonNull || k != kindNull
		if k != kindNull && k.String() != field.Type && field.Type != "string" {
			return fmt.Errorf("field %q (path %q) is %s but found %s", field.Name, field.Path, field.Type, got.Raw)
		}
	}
	if len(found) == 0 || (field.Type != "null" && !nonNull) {
		return fmt.Errorf("field %q (path %q, %s) resolves to nothing in %d scope values", field.Name, field.Path, field.Type, len(scope))
	}
	childScope := scope // members of objects have paths from the same scope
	if field.Type == "array" {
		childScope = elementsOf(found)
	}
	for _, child := range field.Fields {
		if err := pathsResolve(child, childScope); err != nil {
			return fmt.Errorf("in %q: %w", field.Path, err)
		}
	}
	return nil
}

func elementsOf(arrays []gjson.Result) []gjson.Result {
	var elems []gjson.Result
	for _, a := range arrays {
		if a.IsArray() {
			elems = append(elems, a.Array()...)
		}
	}
	return elems
}

// TestInferSchemaRandomDocuments checks the path property on many generated
// documents whose member names are full of gjson syntax, which random bytes
// from the fuzzer rarely reach.
func TestInferSchemaRandomDocuments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		var buf bytes.Buffer
		writeRandomValue(rng, &buf, 0)
		example := buf.Bytes()
		got, err := InferSchema(example)
		require.NoError(t, err, "document %d: %s", i, example)
		requirePathsResolve(t, example, got)
	}
}

// nameParts are pieces of member names that mean something to gjson paths
// or to JSON string escaping.
var nameParts = []string{
	"a", "id", ".", "*", "?", "|", "#", "@", "@this", "!", `\\`, `\"`, "[", "]", "{", "}",
	"(", ")", "=", ",", " ", `\u002e`, `\u0000`, `\ud800`, `\t`, "名", "😀", "0", "-1", "..",
}

func writeRandomValue(rng *rand.Rand, buf *bytes.Buffer, depth int) {
	switch n := rng.IntN(10); {
	case depth < 6 && n < 3:
		buf.WriteByte('{')
		for i := range rng.IntN(5) {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteByte('"')
			for range 1 + rng.IntN(3) {
				buf.WriteString(nameParts[rng.IntN(len(nameParts))])
			}
			buf.WriteString(`":`)
			writeRandomValue(rng, buf, depth+1)
		}
		buf.WriteByte('}')
	case depth < 6 && n < 6:
		buf.WriteByte('[')
		for i := range rng.IntN(4) {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeRandomValue(rng, buf, depth+1)
		}
		buf.WriteByte(']')
	default:
		buf.WriteString([]string{`null`, `true`, `1e400`, `"x"`, `"2024-05-01"`, `-0.5`}[rng.IntN(6)])
	}
}

func FuzzInferSchema(f *testing.F) {
	for _, in := range goldenInputs(f) {
		example, err := os.ReadFile(in)
		require.NoError(f, err)
		f.Add(example)
	}
	for _, seed := range []string{
		``, `{`, `{"a":1}`, `[1,"a",null]`, `{"a":1,"a":{"b":2}}`, `{"\u0000":1}`, `{"\ud800":1}`,
		`{"a\"b":{"c\\d":[{"e.f":1}]}}`, "{\"\xff\":1}", `1e400`, `[[[[]]]]`, `{"":{"":1}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, example []byte) {
		start := time.Now()
		got, err := InferSchema(example)
		if elapsed := time.Since(start); elapsed > 10*time.Second {
			t.Fatalf("InferSchema took %v on %d bytes", elapsed, len(example))
		}
		valid := json.Valid(bytes.TrimPrefix(example, []byte(utf8BOM))) && len(bytes.TrimSpace(bytes.TrimPrefix(example, []byte(utf8BOM)))) > 0
		if !valid {
			require.Error(t, err)
			require.Nil(t, got)
			return
		}
		require.NoError(t, err)
		requirePathsResolve(t, example, got)
	})
}

func BenchmarkInferSchema(b *testing.B) {
	example := benchmarkExample(1 << 20)
	b.SetBytes(int64(len(example)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := InferSchema(example); err != nil {
			b.Fatal(err)
		}
	}
}

// benchmarkExample builds a paginated-list response of about size bytes.
func benchmarkExample(size int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"errcode":0,"data":{"items":[`)
	for i := 0; buf.Len() < size; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"id":%d,"name":"item \"%d\"","createdAt":"2024-05-%02dT08:30:00Z","price":%d.5,`+
			`"tags":["a","b"],"owner":{"id":%d,"email":"u%d@example.com","since":"2020-01-02"},"note":null,`+
			`"lines":[{"sku":"S%d","qty":%d},{"sku":"T%d","qty":1,"extra%d":true}]}`,
			i, i, i%28+1, i, i%97, i, i, i%5, i, i%3)
	}
	buf.WriteString(`]}}`)
	return buf.Bytes()
}

func ExampleInferSchema() {
	example := []byte(`{
		"errcode": 0,
		"data": [
			{"id": 1, "name": "Ada", "joined": "2024-05-01T08:30:00Z"},
			{"id": 2, "name": null, "tags": ["vip"]}
		]
	}`)
	schema, err := InferSchema(example)
	if err != nil {
		fmt.Println(err)
		return
	}
	var show func(fields []Field, indent string)
	show = func(fields []Field, indent string) {
		for _, field := range fields {
			fmt.Println(strings.TrimRight(indent+field.Path+" "+field.Type+" "+field.Format, " "))
			show(field.Fields, indent+"  ")
		}
	}
	show(schema.Fields, "")

	_, err = InferSchema([]byte(`{"id": 1,}`))
	fmt.Println(err)
	// Output:
	// errcode number
	// data array
	//   id number
	//   name string
	//   joined string date-time
	//   tags array
	//     @this string
	// httpstep: schema: invalid JSON at offset 10 (line 1, column 10): invalid character '}' looking for beginning of object key string; fix the example and paste it again
}

// TestFieldTypeConstants: InferSchema writes exactly the exported constants,
// and the constants are the JSON contract's words.
func TestFieldTypeConstants(t *testing.T) {
	s, err := InferSchema([]byte(`{"s":"x","n":1,"b":true,"o":{},"a":[],"z":null}`))
	require.NoError(t, err)
	got := map[string]string{}
	for _, f := range s.Fields {
		got[f.Name] = f.Type
	}
	assert.Equal(t, map[string]string{"s": TypeString, "n": TypeNumber, "b": TypeBoolean, "o": TypeObject, "a": TypeArray, "z": TypeNull}, got)
	assert.Equal(t, []string{"string", "number", "boolean", "object", "array", "null"},
		[]string{TypeString, TypeNumber, TypeBoolean, TypeObject, TypeArray, TypeNull})
}
