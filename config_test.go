package httpstep

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNodeRoundTrip: every stored node decodes, re-encodes and decodes to
// the same value.
func TestNodeRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/nodes/*.json")
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			var a, b NodeConfig
			require.NoError(t, json.Unmarshal(data, &a))
			require.NoError(t, a.Validate())
			out, err := json.Marshal(&a)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(out, &b))
			assert.Equal(t, a, b)
		})
	}
}

func TestDurationJSON(t *testing.T) {
	for in, want := range map[string]time.Duration{`"10s"`: 10 * time.Second, `1500`: 1500 * time.Millisecond,
		`"1m30s"`: 90 * time.Second, `"2500"`: 2500 * time.Millisecond, `0.5`: 500 * time.Microsecond, `""`: 0, `null`: 0} {
		var d Duration
		require.NoError(t, json.Unmarshal([]byte(in), &d), in)
		assert.Equal(t, want, time.Duration(d), in)
	}
	var d Duration
	assert.ErrorContains(t, json.Unmarshal([]byte(`"soon"`), &d), "httpstep: duration")
	assert.ErrorContains(t, json.Unmarshal([]byte(`1e300`), &d), "too long")
	assert.ErrorContains(t, json.Unmarshal([]byte(`"NaN"`), &d), "httpstep: duration")
	out, _ := json.Marshal(Duration(1500 * time.Millisecond))
	assert.Equal(t, `"1.5s"`, string(out))
}

func TestSuccessCodesJSON(t *testing.T) {
	tests := map[string][]int{
		`[200,201]`:     {200, 201},
		`"200,201"`:     {200, 201},
		`" 200 , 201 "`: {200, 201},
		`"200，202"`:     {200, 202},
		`"204-206"`:     {204, 205, 206},
		`["200","3xx"]`: append([]int{200}, codeRange(300, 399)...),
		`""`:            nil,
		`null`:          nil,
		`"2xx"`:         codeRange(200, 299),
		`[200, "4xx" ]`: append([]int{200}, codeRange(400, 499)...),
		`"200 201;202"`: {200, 201, 202},
		`"200-200"`:     {200},
		`"100,599"`:     {100, 599},
		`"  "`:          nil,
		`"201\n202"`:    {201, 202},
		`["200-201"]`:   {200, 201},
		`"5XX"`:         codeRange(500, 599),
		`"1xx,2xx"`:     append(codeRange(100, 199), codeRange(200, 299)...),
		`[]`:            nil,
		`"204-204,200"`: {204, 200},
		`"299"`:         {299},
		`"600"`:         {600}, // parses; Validate rejects it
		`"0200"`:        {200},
		`"200, 201, "`:  {200, 201},
		`"200-201-202"`: nil,
		`"abc"`:         nil,
		`"300-200"`:     nil,
		`{"a":1}`:       nil,
		`"6xx"`:         nil,
		`"2x"`:          nil,
		`true`:          nil,
		`"100-700"`:     nil,
		`"200 - 204"`:   nil,
		`"20x"`:         nil,
		`"200,,201"`:    {200, 201},
		`"200-"`:        nil,
	}
	bad := map[string]bool{`"200-201-202"`: true, `"abc"`: true, `"300-200"`: true, `{"a":1}`: true, `"6xx"`: true,
		`"2x"`: true, `true`: true, `"100-700"`: true, `"200 - 204"`: true, `"20x"`: true, `"200-"`: true}
	for in, want := range tests {
		var s SuccessRule
		err := json.Unmarshal([]byte(`{"codes":`+in+`,"errorMessage":"m"}`), &s)
		if bad[in] {
			assert.Error(t, err, in)
			continue
		}
		require.NoError(t, err, in)
		assert.Equal(t, want, s.Codes, in)
		assert.Equal(t, "m", s.ErrorMessage, in)
	}
}

// TestValidateReportsEverything: one call lists every problem.
func TestValidateReportsEverything(t *testing.T) {
	node := &NodeConfig{
		Method:    "GET ALL",
		URL:       "ftp://example.com/{{unclosed",
		Query:     []KeyValue{{"", "x"}},
		Headers:   []KeyValue{{"Bad Header", "v"}, {"X-Ok", "{{}}"}},
		Body:      &Body{Kind: "yaml"},
		Success:   SuccessRule{Codes: []int{99, 600}, ErrorMessages: map[string]string{"boom": "x"}, ErrorCodePath: "errcode", MissingCode: "maybe"},
		OnFailure: "retry",
		Timeout:   Duration(-time.Second),
		Retry:     &RetryPolicy{MaxAttempts: -1, Multiplier: 0.5, Jitter: "half"},
		Paginate:  &Pagination{Mode: "scroll", In: "cookie"},
	}
	err := node.Validate()
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	fields := map[string]bool{}
	for _, p := range ce.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"method", "url", "query[0].key", "headers[0].key", "headers[1].value", "body.kind",
		"success.codes", "success.errorMessages", "success.missingCode", "onFailure", "timeout", "retry.maxAttempts",
		"retry.multiplier", "retry.jitter", "paginate.mode", "paginate.in"} {
		assert.True(t, fields[f], "missing problem for %s in\n%v", f, err)
	}
	assert.True(t, strings.HasPrefix(err.Error(), "httpstep: invalid node configuration\n"))
}

func TestValidateBodies(t *testing.T) {
	tests := []struct {
		name  string
		node  NodeConfig
		field string
	}{
		{"binary without file", NodeConfig{Method: "POST", URL: "https://x.test", Body: &Body{Kind: BodyBinary}}, "body.file"},
		{"binary with fields", NodeConfig{Method: "POST", URL: "https://x.test", Body: &Body{Kind: BodyBinary, File: "f", Fields: []FormField{{Key: "a"}}}}, "body"},
		{"file on urlencoded", NodeConfig{Method: "POST", URL: "https://x.test", Body: &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "a", File: "f"}}}}, "body.fields[0].file"},
		{"body on GET", NodeConfig{URL: "https://x.test", Body: &Body{Kind: BodyRaw, Raw: "{}"}}, "body"},
		{"object and body", NodeConfig{URL: "https://x.test", Object: "r", Body: &Body{Kind: BodyRaw}}, "object"},
		{"unclosed raw", NodeConfig{Method: "POST", URL: "https://x.test", Body: &Body{Kind: BodyRaw, Raw: `{"a":"{{x"}`}}, "body.raw"},
		{"header line break", NodeConfig{URL: "https://x.test", Headers: []KeyValue{{"X", "a\nb"}}}, "headers[0].value"},
		{"no host", NodeConfig{URL: "https:///path"}, "url"},
		{"empty url", NodeConfig{}, "url"},
		{"no scheme", NodeConfig{URL: "example.com/{{x}}"}, "url"},
		{"cursor without next", NodeConfig{URL: "https://x.test", Paginate: &Pagination{Mode: "cursor", Param: "c"}}, "paginate.nextPath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ce *ConfigError
			require.ErrorAs(t, tt.node.Validate(), &ce)
			var fields []string
			for _, p := range ce.Problems {
				fields = append(fields, p.Field)
			}
			assert.Contains(t, fields, tt.field)
		})
	}
	ok := []NodeConfig{
		{URL: "{{base}}/x"},
		{URL: "https://x.test/{{a}}", Method: "delete", Body: &Body{Kind: BodyRaw, Raw: "{}"}},
		{URL: "https://x.test", Body: &Body{Kind: BodyNone}},
		{URL: "https://x.test", Object: "r"},
	}
	for _, n := range ok {
		assert.NoError(t, n.Validate(), n.URL)
	}
}

func TestRefs(t *testing.T) {
	node := &NodeConfig{
		URL:     "https://x.test/{{ a }}/{{b}}",
		Query:   []KeyValue{{"q", "{{a}}-{{c}}"}},
		Headers: []KeyValue{{"Authorization", "Bearer {{token}}"}},
		Body:    &Body{Kind: BodyFormData, Raw: "", Fields: []FormField{{Key: "t", Value: "{{d.e}}"}, {Key: "f", File: "file"}}},
		Object:  "",
	}
	assert.Equal(t, []string{"a", "b", "c", "token", "d.e", "file"}, node.Refs())
	assert.Equal(t, []string{"rec"}, (&NodeConfig{URL: "https://x", Object: "rec"}).Refs())
	assert.Nil(t, (*NodeConfig)(nil).Refs())
}

func TestValuesLookup(t *testing.T) {
	v := Values{"a.b": "literal", "a": map[string]any{"b": "walked", "c": Values{"d": 1}}, "s": map[string]string{"k": "v"}}
	for ref, want := range map[string]any{"a.b": "literal", "a.c.d": 1, "s.k": "v"} {
		got, ok := v.Lookup(ref)
		assert.True(t, ok, ref)
		assert.Equal(t, want, got, ref)
	}
	for _, ref := range []string{"x", "a.x", "a.b.c", "s.x", ""} {
		_, ok := v.Lookup(ref)
		assert.False(t, ok, ref)
	}
}
