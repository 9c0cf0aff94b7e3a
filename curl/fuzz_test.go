package curl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// FuzzParse checks that no command makes Parse panic, that every
// error carries the package prefix, and that every node it returns survives
// a round trip through encoding/json unchanged.
func FuzzParse(f *testing.F) {
	for _, tc := range curlCases {
		f.Add(tc.cmd)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{"curl ^", "curl $'\\", "curl -m 1e300 x", "curl -m 9223372036.854775807 x", "curl \"", "curl -F a=\"b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		node, err := Parse(cmd)
		if err != nil {
			require.Nil(t, node)
			require.True(t, strings.HasPrefix(err.Error(), "httpstep: curl: "), err.Error())
			return
		}
		b, err := json.Marshal(node)
		require.NoError(t, err)
		var back httpstep.NodeConfig
		require.NoError(t, json.Unmarshal(b, &back), string(b))
		require.Equal(t, node, &back, string(b))
	})
}
