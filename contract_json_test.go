package httpstep_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestContractNodeFilesRoundTrip: each file in testdata/contract uses only
// keys the NodeConfig knows (unknown keys are refused) and re-encodes to
// the same JSON, key for key, and validates.
func TestContractNodeFilesRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/contract/*.json")
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			var n httpstep.NodeConfig
			require.NoError(t, dec.Decode(&n))
			require.NoError(t, n.Validate())
			out, err := json.Marshal(&n)
			require.NoError(t, err)
			assert.JSONEq(t, string(data), string(out))
		})
	}
}

// TestContractKeysCovered: every key DESIGN fixes appears in some file of
// testdata/contract (so the round trip above covers it), and the Token's
// keys round-trip too.
func TestContractKeysCovered(t *testing.T) {
	seen := map[string]bool{}
	files, _ := filepath.Glob("testdata/contract/*.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal(data, &v))
		collectKeys(v, seen)
	}
	tok := httpstep.Token{AccessToken: "a", TokenType: "Bearer", RefreshToken: "r", Expiry: time.Unix(1e9, 0).UTC()}
	data, err := json.Marshal(tok)
	require.NoError(t, err)
	var back httpstep.Token
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, tok, back)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	collectKeys(m, seen)
	var missing []string
	for obj, keys := range contractKeys {
		for _, k := range keys {
			if !seen[k] {
				missing = append(missing, obj+"."+k)
			}
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "keys fixed by DESIGN that no contract file uses: %s", strings.Join(missing, ", "))
	for k, s := range contractKinds {
		assert.Equal(t, s, string(k))
	}
}

func collectKeys(v any, seen map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			seen[k] = true
			collectKeys(e, seen)
		}
	case []any:
		for _, e := range v {
			collectKeys(e, seen)
		}
	}
}
