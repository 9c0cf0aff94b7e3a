package httpstep_test

import (
	"errors"
	"fmt"

	"github.com/httpstep/httpstep"
)

// Read a node as a node editor saved it: every misspelt or misplaced key is
// named with its path, where encoding/json would have dropped it.
func ExampleParseNode() {
	_, err := httpstep.ParseNode([]byte(`{
		"url": "https://api.example.test/orders",
		"header": [{"key": "X-Tenant", "value": "{{tenant}}"}],
		"Timeout": "5s",
		"success": {"codes": "200,201", "errorPath": "errcode"}
	}`))
	var cfg *httpstep.ConfigError
	if errors.As(err, &cfg) {
		for _, p := range cfg.Problems {
			fmt.Printf("%s: %s\n", p.Field, p.Message)
		}
	}
	// Output:
	// header: "header" is not a setting here, so it would be ignored: did you mean "headers"?
	// Timeout: keys are case-sensitive: write "timeout", not "Timeout"
	// success.errorPath: "errorPath" is not a setting here, so it would be ignored: did you mean "errorCodePath"?
}
