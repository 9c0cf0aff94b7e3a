package httpstep

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		src  string
		refs []string
		err  string
	}{
		{"plain", nil, ""},
		{"{{a}}", []string{"a"}, ""},
		{"x{{ a.b }}y{{c}}", []string{"a.b", "c"}, ""},
		{"}} {{a}} }}", []string{"a"}, ""},
		{"{{a}}{{a}}", []string{"a", "a"}, ""},
		{"{{ 名前 }}", []string{"名前"}, ""},
		{"{{{a}}", []string{"a"}, ""},
		{`{"a":{{{x}}}}`, []string{"x"}, ""},
		{"{{a", nil, "unclosed {{ at offset 0"},
		{"ab{{}}", nil, "empty parameter {{}} at offset 2"},
		{"{{ \t }}", nil, "empty parameter"},
		{"{{a{{b}}", nil, "nested {{ at offset 0"},
		{"x}}{{", nil, "unclosed {{ at offset 3"},
	}
	for _, tt := range tests {
		segs, err := parseTemplate(tt.src)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, tt.src)
			continue
		}
		require.NoError(t, err, tt.src)
		assert.Equal(t, tt.refs, (&template{segs: segs}).refs(nil), tt.src)
	}
}

func TestTextOf(t *testing.T) {
	type named string
	when := time.Date(2026, 11, 27, 8, 30, 0, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		v    any
		want string
	}{
		{nil, ""}, {"s", "s"}, {Secret("p"), "p"}, {42, "42"}, {int64(-7), "-7"}, {uint8(9), "9"},
		{1e21, "1000000000000000000000"}, {0.1, "0.1"}, {float32(0.1), "0.1"}, {123456789.0, "123456789"},
		{true, "true"}, {json.Number("1.50"), "1.50"}, {when, "2026-11-27T08:30:00+08:00"},
		{[]any{1, "a"}, `[1,"a"]`}, {map[string]any{"k": "<v>"}, `{"k":"<v>"}`}, {named("n"), "n"},
		{[]byte("raw"), "raw"}, {(*int)(nil), ""},
	}
	for _, tt := range tests {
		got, err := textOf(tt.v)
		require.NoError(t, err, "%T", tt.v)
		assert.Equal(t, tt.want, got, "%T", tt.v)
	}
	_, err := textOf(File{Name: "a"})
	assert.Error(t, err)
	_, err = jsonValue(math.NaN())
	assert.Error(t, err)
}

// FuzzTemplate: parsing and rendering never panic, and a value is never
// expanded again: "{{" inside a value stays text.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"", "{{a}}", "x{{ a }}y", "{{a", "{{}}", "{{a{{b}}}}", "}}{{", "https://h/{{a}}?q={{b}}#{{c}}"} {
		f.Add(s, "v{{a}}")
	}
	f.Fuzz(func(t *testing.T, src, value string) {
		for _, m := range []mode{modeText, modeURL, modeJSON, modeXML} {
			tp, err := compile(src, m)
			if err != nil {
				continue
			}
			r := newRenderer(Values{"a": value, "b": value, "c": value})
			out, err := r.render(tp)
			if err != nil {
				continue
			}
			if m == modeText && !strings.Contains(src, "{{b}}") && !strings.Contains(src, "{{c}}") {
				want := strings.NewReplacer("{{a}}", value).Replace(src)
				if tp.static() || strings.Count(src, "{{") == strings.Count(src, "{{a}}") {
					assert.Equal(t, want, out)
				}
			}
		}
	})
}

// FuzzJSONBody: for a raw JSON template that is valid JSON without its
// placeholders, the rendered body is valid JSON for any string value.
func FuzzJSONBody(f *testing.F) {
	f.Add(`{"a":"{{v}}","b":{{v}}}`, `"quote\`)
	f.Add(`["{{v}}",{{v}}]`, "line\nbreak")
	f.Add(`{"{{v}}":1}`, "\u2028\x00")
	f.Add(`{"x":"a\"{{v}}"}`, `}`)
	f.Fuzz(func(t *testing.T, src, value string) {
		tp, err := compile(src, modeJSON)
		if err != nil {
			return
		}
		var stripped strings.Builder
		for _, s := range tp.segs {
			stripped.WriteString(s.lit)
			if s.ref != "" && s.place == placeJSONBare {
				stripped.WriteString("null")
			}
		}
		if !json.Valid([]byte(stripped.String())) {
			return
		}
		for _, v := range []any{value, 1.5, map[string]any{value: value}, nil} {
			out, err := newRenderer(Values{"v": v}).render(tp)
			require.NoError(t, err)
			require.True(t, json.Valid([]byte(out)), "template %q value %q gave %q", src, value, out)
		}
	})
}
