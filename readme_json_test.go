package httpstep_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

var jsonBlock = regexp.MustCompile("(?s)```json\n(.*?)```")

// TestReadmeJSONExamples: every JSON example in the README is a valid
// node, or a stream of auth blocks that are valid on an https node, with
// no key the library does not know.
func TestReadmeJSONExamples(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := jsonBlock.FindAllSubmatch(data, -1)
	require.NotEmpty(t, blocks)
	for _, b := range blocks {
		dec := json.NewDecoder(bytes.NewReader(b[1]))
		dec.DisallowUnknownFields()
		var probe map[string]any
		require.NoError(t, json.NewDecoder(bytes.NewReader(b[1])).Decode(&probe))
		if _, isAuth := probe["type"]; isAuth {
			for {
				var a httpstep.Auth
				if err := dec.Decode(&a); err == io.EOF {
					break
				} else {
					require.NoError(t, err, string(b[1]))
				}
				n := &httpstep.NodeConfig{URL: "https://api.example.com/", Auth: &a}
				if a.OAuth2 != nil && len(a.OAuth2.ExpiredCodes) > 0 { // read at success.errorCodePath, as the README says
					n.Success = httpstep.SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}}
				}
				require.NoError(t, n.Validate(), a.Type)
			}
			continue
		}
		var n httpstep.NodeConfig
		require.NoError(t, dec.Decode(&n), string(b[1]))
		require.NoError(t, n.Validate(), string(b[1]))
	}
}
