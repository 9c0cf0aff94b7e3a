package httpstep

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// encodingJSON is what jsonValue must write: encoding/json without HTML
// escaping.
func encodingJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), err
}

// checkJSONValue fails t when jsonValue(v) differs from encoding/json.
func checkJSONValue(t *testing.T, v any) {
	t.Helper()
	want, werr := encodingJSON(v)
	got, err := jsonValue(v)
	if (err != nil) != (werr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("jsonValue(%#v) = %q, %v; encoding/json: %q, %v", v, got, err, want, werr)
	}
}

// FuzzJSONValue: the scalar fast path and appendJSONString write exactly
// what encoding/json writes, for strings (every escape, non-ASCII, invalid
// UTF-8, U+2028), floats
// (exponent bounds, -0, NaN, Inf), ints and bools.
func FuzzJSONValue(f *testing.F) {
	for _, s := range []string{"", "plain", "Zoë Example", "says \"hi\"\nthen", "a\u2028b", "\xff", "<&>", "tab\t", "\b\f\r\x01\x1f\x7f", `a\b"c`, "\u2029\xc3"} {
		f.Add(s, 19.5, int64(3), true)
	}
	for _, x := range []float64{0, math.Copysign(0, -1), 1e-6, 9.99e-7, 1e21, 9.9e20, 123456789.125, math.NaN(), math.Inf(-1), -0.000001} {
		f.Add("", x, int64(-1), false)
	}
	f.Fuzz(func(t *testing.T, s string, x float64, n int64, b bool) {
		for _, v := range []any{s, Secret(s), x, n, int(n), b, nil} {
			checkJSONValue(t, v)
		}
		if got, want := needsJSONEscape(s), string(jsonString(s)) != `"`+s+`"`; got != want {
			t.Fatalf("needsJSONEscape(%q) = %v, escaped differs: %v", s, got, want)
		}
	})
}
