package httpstep

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseNodeProblems: every key or value encoding/json would drop or
// bend in silence is a problem of its own, with its JSON path and, for an
// unknown key, the setting it most likely meant.
func TestParseNodeProblems(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       []Problem
	}{
		{"unknown keys, all of them", `{"url":"https://api.example.test","retries":3,"header":[{"key":"A","value":"b"}]}`, []Problem{
			{"retries", `"retries" is not a setting here, so it would be ignored: did you mean "retry"?`},
			{"header", `"header" is not a setting here, so it would be ignored: did you mean "headers"?`}}},
		{"nested unknown keys", `{"url":"https://a.test","success":{"code":[200],"errorPath":"errcode"}}`, []Problem{
			{"success.code", `"code" is not a setting here, so it would be ignored: did you mean "codes"?`},
			{"success.errorPath", `"errorPath" is not a setting here, so it would be ignored: did you mean "errorCodePath"?`}}},
		{"wrong case", `{"url":"https://a.test","Timeout":"5s","onfailure":"continue"}`, []Problem{
			{"Timeout", `keys are case-sensitive: write "timeout", not "Timeout"`},
			{"onfailure", `keys are case-sensitive: write "onFailure", not "onfailure"`}}},
		{"deep in arrays", `{"url":"https://a.test","headers":[{"key":"a","value":"b"},{"key":"c","val":"d"}],"response":{"fields":[{"name":"a","path":"a","type":"string","fields":[{"nmae":"x"}]}]}}`, []Problem{
			{"headers[1].val", `"val" is not a setting here, so it would be ignored: did you mean "value"?`},
			{"response.fields[0].fields[0].nmae", `"nmae" is not a setting here, so it would be ignored: did you mean "name"?`}}},
		{"no suggestion when nothing is near", `{"url":"https://a.test","zzzzzzzz":1}`, []Problem{
			{"zzzzzzzz", `"zzzzzzzz" is not a setting here, so it would be ignored`}}},
		{"wrong types", `{"url":"https://a.test","useProxy":"true","timeout":true,"headers":{"A":"b"},"retry":{"maxAttempts":"3","multiplier":[]},"query":[{"key":1,"value":"x"}],"paginate":{"mode":"page","itemsPath":"a","maxPages":2.5}}`, []Problem{
			{"useProxy", `wants true or false, not the string "true"`},
			{"timeout", `duration true: write it as "10s" or as a number of milliseconds`},
			{"headers", `wants an array of objects, not an object`},
			{"retry.maxAttempts", `wants a whole number, not the string "3"`},
			{"retry.multiplier", `wants a number, not an array`},
			{"query[0].key", `wants a string, not the number 1`},
			{"paginate.maxPages", `wants a whole number, not the number 2.5`}}},
		{"codes that are not codes", `{"url":"https://a.test","success":{"codes":{"a":1}}}`, []Problem{
			{"success.codes", `success codes: write them as [200,201] or "200,201"`}}},
		{"a key twice", `{"url":"https://a.test","method":"GET","method":"POST"}`, []Problem{
			{"method", `"method" is given twice; only the last would count: keep one`}}},
		{"not an object", `[1,2]`, []Problem{{"node", `wants an object, not an array`}}},
		{"empty", "  \n", []Problem{{"node", `the node is empty; it must be a JSON object such as {"url": "https://..."}`}}},
		{"trailing", `{"url":"https://a.test"} {}`, []Problem{{"node", `there is more after the node's JSON object at line 1, column 26: remove it`}}},
		{"broken", "{\"url\":\"https://a.test\",\n \"method\" \"GET\"}", []Problem{{"node", `not valid JSON at line 2, column 11: invalid character '"' after object key`}}},
		{"cut short", `{"url":"https://a.test","headers":[`, []Problem{{"node", `the JSON ends too early at line 1, column 36: check for a missing } or ]`}}},
		{"then Validate", `{"url":"ftp://a.test","method":"FETCH"}`, nil},
		{"with Validate", `{"url":"ftp://a.test","colour":"red","method":7,"onFailure":"maybe"}`, []Problem{
			{"colour", `"colour" is not a setting here, so it would be ignored`},
			{"method", `wants a string, not the number 7`},
			{"url", `the API URL must start with http:// or https://`},
			{"onFailure", `"maybe" is not a policy: use terminate or continue`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNode([]byte(tc.json))
			assert.Nil(t, n)
			var cfg *ConfigError
			require.ErrorAs(t, err, &cfg)
			if tc.want == nil {
				var plain NodeConfig
				require.NoError(t, json.Unmarshal([]byte(tc.json), &plain))
				assert.Equal(t, plain.Validate(), err, "no decoding problem: Validate's")
				return
			}
			assert.Equal(t, tc.want, cfg.Problems)
		})
	}
}

// TestParseNodeAccepts: what encoding/json reads correctly, ParseNode reads
// the same: the shorthands of Duration and success codes, null for unset,
// and every node file of the repository.
func TestParseNodeAccepts(t *testing.T) {
	n, err := ParseNode([]byte(`{"url":"https://a.test","timeout":1500,"success":{"codes":"200,201","errorMessages":{"500":"down"}},
		"retry":{"maxAttempts":3,"initialInterval":"2s","multiplier":1.5},"auth":null,"headers":[{"key":"A","value":"{{x}}"}]}`))
	require.NoError(t, err)
	assert.Equal(t, Duration(1500*time.Millisecond), n.Timeout)
	assert.Equal(t, []int{200, 201}, n.Success.Codes)
	assert.Equal(t, Duration(2*time.Second), n.Retry.InitialInterval)
	assert.Equal(t, []KeyValue{{"A", "{{x}}"}}, n.Headers)

	files, err := filepath.Glob("testdata/nodes/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		got, err := ParseNode(data)
		require.NoError(t, err, f)
		var want NodeConfig
		require.NoError(t, json.Unmarshal(data, &want))
		assert.Equal(t, &want, got, f)
	}
}

// FuzzParseNode: ParseNode never panics; what it accepts, encoding/json
// reads to the same node, which is valid; what encoding/json refuses,
// ParseNode refuses too.
func FuzzParseNode(f *testing.F) {
	files, _ := filepath.Glob("testdata/nodes/*.json")
	for _, name := range files {
		data, _ := os.ReadFile(name)
		f.Add(data)
	}
	for _, s := range []string{`{"url":"https://a.test","Timeout":"5s"}`, `{"success":{"codes":"2xx"}}`, `{"headers":{"a":1}}`, `[[[`, `{"url":"x","url":"y"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseNode(data)
		var plain NodeConfig
		plainErr := json.Unmarshal(data, &plain)
		if err != nil {
			var cfg *ConfigError
			if !errors.As(err, &cfg) || len(cfg.Problems) == 0 {
				t.Fatalf("ParseNode error is not a *ConfigError with problems: %v", err)
			}
			return
		}
		if plainErr != nil {
			t.Fatalf("ParseNode accepted what encoding/json refuses (%v): %q", plainErr, data)
		}
		if vErr := plain.Validate(); vErr != nil {
			t.Fatalf("ParseNode accepted an invalid node: %v", vErr)
		}
		assert.Equal(t, &plain, got)
	})
}

// BenchmarkParseNode compares the strict read with encoding/json and
// Validate on the same node file.
func BenchmarkParseNode(b *testing.B) {
	data, err := os.ReadFile("testdata/nodes/ip-location.json")
	require.NoError(b, err)
	b.Run("ParseNode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseNode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Unmarshal+Validate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var n NodeConfig
			if err := json.Unmarshal(data, &n); err != nil || n.Validate() != nil {
				b.Fatal(err)
			}
		}
	})
}
