package jsoncheck_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/httpstep/httpstep/internal/jsoncheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		in       string
		maxDepth int
		want     jsoncheck.Verdict
	}{
		{`[]`, 1, jsoncheck.Valid},
		{`[]`, 0, jsoncheck.TooDeep},
		{` {"a" : [1, -0.5e+3, "x\u00e9\n", true, false, null, {}]} `, 3, jsoncheck.Valid},
		{`[[]]`, 1, jsoncheck.TooDeep},
		{`[[[]]]`, 2, jsoncheck.TooDeep},
		{`{"a":{"b":1}}`, 2, jsoncheck.Valid},
		{`{"a":{"b":{}}}`, 2, jsoncheck.TooDeep},
		{`["[[[", "{{{", "\"[["]`, 1, jsoncheck.Valid},
		{`0`, 0, jsoncheck.Valid},
		{`[1,]`, 9, jsoncheck.Invalid},
		{`{"a":1,}`, 9, jsoncheck.Invalid},
		{`{"a" 1}`, 9, jsoncheck.Invalid},
		{`{1:2}`, 9, jsoncheck.Invalid},
		{`[1 2]`, 9, jsoncheck.Invalid},
		{`[1}`, 9, jsoncheck.Invalid},
		{`[01]`, 9, jsoncheck.Invalid},
		{`[1.]`, 9, jsoncheck.Invalid},
		{`[1e]`, 9, jsoncheck.Invalid},
		{`[-]`, 9, jsoncheck.Invalid},
		{`[tru]`, 9, jsoncheck.Invalid},
		{`"\x"`, 9, jsoncheck.Invalid},
		{`"\u12g4"`, 9, jsoncheck.Invalid},
		{"\"a\tb\"", 9, jsoncheck.Invalid},
		{`"never closed`, 9, jsoncheck.Invalid},
		{`[1] [2]`, 9, jsoncheck.Invalid},
		{"\f[]", 9, jsoncheck.Invalid},
		{``, 9, jsoncheck.Invalid},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, jsoncheck.Check([]byte(tt.in), tt.maxDepth), "%s", tt.in)
		if tt.want != jsoncheck.TooDeep {
			assert.Equal(t, tt.want == jsoncheck.Valid, json.Valid([]byte(tt.in)), "encoding/json on %s", tt.in)
		}
	}
}

// TestCheckDeep: ten megabytes of "[" neither exhaust the stack nor pass.
// TestCheckCount: the elements of a root array are counted in the same
// pass; anything else counts 0.
func TestCheckCount(t *testing.T) {
	for in, want := range map[string]int{
		`[]`: 0, ` [ ] `: 0, `[1]`: 1, `[1,"a,b",[2,3],{"x":[4,5]}]`: 4, `[[],[]]`: 2,
		`{"a":[1,2]}`: 0, `"[1,2]"`: 0, `7`: 0,
	} {
		v, n := jsoncheck.CheckCount([]byte(in), 10)
		assert.Equal(t, jsoncheck.Valid, v, in)
		assert.Equal(t, want, n, in)
	}
}

func TestCheckDeep(t *testing.T) {
	open := bytes.Repeat([]byte("["), 10<<20)
	assert.Equal(t, jsoncheck.TooDeep, jsoncheck.Check(open, 10000))
	assert.Equal(t, jsoncheck.Invalid, jsoncheck.Check(open, len(open)+1))
	closed := append(bytes.Clone(open), bytes.Repeat([]byte("]"), len(open))...)
	assert.Equal(t, jsoncheck.Valid, jsoncheck.Check(closed, len(open)))
}

// TestCheckAllocs: the open containers of up to 64 levels live on the stack.
func TestCheckAllocs(t *testing.T) {
	b := []byte(strings.Repeat(`{"a":[`, 32) + "1" + strings.Repeat("]}", 32))
	require.Equal(t, jsoncheck.Valid, jsoncheck.Check(b, 64))
	assert.Zero(t, testing.AllocsPerRun(100, func() { jsoncheck.Check(b, 64) }))
}

// depth returns how deeply the JSON value b nests, read with encoding/json's
// tokenizer; b must be valid.
func depth(t *testing.T, b []byte) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // a number too large for a float64 is still valid JSON
	d, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return deepest
		}
		require.NoError(t, err)
		switch tok {
		case json.Delim('['), json.Delim('{'):
			d++
			deepest = max(deepest, d)
		case json.Delim(']'), json.Delim('}'):
			d--
		}
	}
}

// FuzzCheck holds Check to encoding/json: Valid exactly when json.Valid
// accepts b and b nests within the limit, TooDeep exactly when b nests
// deeper. (gjson.Valid is no oracle: it recurses, and differs on inputs
// encoding/json refuses.)
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`[]`, `{"a":[1,{"b":null}],"c":"\u00e9"}`, `-0.5E-3`, `[1,]`, `"\ud800"`, "\"\xff\"", `[[[`, `{"a"}`, `[[1],[[2]]]`} {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, b []byte, maxDepth uint8) {
		got, n := jsoncheck.CheckCount(b, 10000)
		require.Equal(t, json.Valid(b), got == jsoncheck.Valid, "%q gave %d", b, got)
		if got != jsoncheck.Valid {
			return
		}
		var elems []json.RawMessage
		if json.Unmarshal(b, &elems) != nil {
			elems = nil // not an array
		}
		require.Equal(t, len(elems), n, "elements of %q", b)
		limited := jsoncheck.Check(b, int(maxDepth))
		if depth(t, b) > int(maxDepth) {
			require.Equal(t, jsoncheck.TooDeep, limited, "%q at most %d deep", b, maxDepth)
		} else {
			require.Equal(t, jsoncheck.Valid, limited, "%q at most %d deep", b, maxDepth)
		}
	})
}
