package httpstep

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/httpstep/httpstep/internal/jsoncheck"
)

// How deeply a body may nest for each way of reading it. A single answer
// must not cost a worker more than one pass over it: gjson's readers that
// build or walk whole values (Value, its validator, the @pretty, @dig and
// @flatten modifiers) go over a value once per level it nests, so they are
// quadratic in depth, and its validator recurses once per level.
const (
	// maxNesting bounds bodies read as a whole (rows, a schema example,
	// the success rule's check, a declared object or array field): the
	// limit encoding/json applies.
	maxNesting = 10000
	// maxModifierNesting bounds bodies read through a path that applies a
	// gjson modifier ("@reverse", "@pretty", ...).
	maxModifierNesting = 100
)

// tooDeepForPath reports whether path applies a modifier and body nests
// deeper than maxModifierNesting, which costs one pass over body; other
// paths cost nothing here.
func tooDeepForPath(body []byte, path string) bool {
	return usesModifier(path) && jsoncheck.Check(body, maxModifierNesting) == jsoncheck.TooDeep
}

// usesModifier reports whether a gjson path may apply a modifier: it holds
// an '@' other than the root path "@this" (an escaped "\@" counts too; the
// check only costs a pass over the body).
func usesModifier(path string) bool {
	return path != thisPath && strings.Contains(path, "@")
}

// plainValue decodes a JSON value into Go values as gjson's Value does
// (objects map[string]any, arrays []any, numbers float64, a number too large
// for float64 ±Inf) but in one pass, however deeply it nests. A value that
// is not valid JSON, or nests deeper than maxNesting, has none.
func plainValue(raw string) (any, bool) {
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return floats(v), true
}

// floats replaces the json.Numbers in v by float64 values, in place.
func floats(v any) any {
	switch t := v.(type) {
	case json.Number:
		f, _ := strconv.ParseFloat(string(t), 64) // out of range: ±Inf, as gjson gives
		return f
	case []any:
		for i, e := range t {
			t[i] = floats(e)
		}
	case map[string]any:
		for k, e := range t {
			t[k] = floats(e)
		}
	}
	return v
}
