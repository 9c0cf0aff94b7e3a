package httpstep

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestForeignJSONForms: the forms other encoders write, checked against
// Go's own encoder and against what Python and PHP print.
func TestForeignJSONForms(t *testing.T) {
	goJSON := func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"plain-ascii", nil},
		{"a&b<c>d", []string{goJSON("a&b<c>d")}},
		{"😀/é\"", []string{`\ud83d\ude00/\u00e9\"`, `\ud83d\ude00\/\u00e9\"`}}, // json.dumps, json_encode
		{"a/b&", []string{`a/b\u0026`, `a\/b&`}},                               // Go, PHP
	} {
		assert.Equal(t, tc.want, foreignJSONForms(tc.in), tc.in)
	}
}
