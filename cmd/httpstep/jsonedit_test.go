package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzSetMember: on any JSON object, setMember gives valid JSON whose
// members are the original ones, key set to the new value; on anything
// else it refuses or gives valid JSON, never panics.
func FuzzSetMember(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, "{\n  \"a\": [1,2],\n  \"response\": null\n}", `{ "response" : {"x":1} , "b":"c"}`, `[1]`, `{"a":`} {
		f.Add([]byte(s))
	}
	value := map[string]any{"fields": []any{map[string]any{"name": "id"}}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var before map[string]any
		if json.Unmarshal(doc, &before) != nil || before == nil {
			setMember(doc, "response", value) // must not panic
			return
		}
		out, err := setMember(doc, "response", value)
		if err != nil {
			t.Fatalf("setMember(%q): %v", doc, err)
		}
		var after map[string]any
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("setMember(%q) = %q, not JSON: %v", doc, out, err)
		}
		before["response"] = any(map[string]any{"fields": []any{map[string]any{"name": "id"}}})
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("setMember(%q) = %q", doc, out)
		}
	})
}
