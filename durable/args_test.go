package durable

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestSplitValuesNeverStoresSecrets: a Secret or File that no ref can reach
// (in a list, a struct, a typed map's key, behind a pointer) fails the
// enqueue instead of being written to the database.
func TestSplitValuesNeverStoresSecrets(t *testing.T) {
	type org struct{ Token httpstep.Secret }
	tok := httpstep.Secret("tok-1234567890")
	cases := map[string]any{
		"list":          []any{"a", tok},
		"map in list":   []any{map[string]any{"token": tok}},
		"struct":        org{Token: tok},
		"pointer":       &org{Token: tok},
		"typed list":    []httpstep.Secret{tok},
		"typed map key": map[httpstep.Secret]int{tok: 1},
		"file in list":  []any{httpstep.File{Name: "a.pdf"}},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			raw, _, _, err := splitValues(httpstep.Values{"org": map[string]any{"v": v}})
			var ve *ValueError
			require.True(t, errors.As(err, &ve), "got %v", err)
			assert.Equal(t, "org.v", ve.Ref)
			assert.Nil(t, raw)
		})
	}
	raw, secrets, _, err := splitValues(httpstep.Values{"org": map[string]any{"token": tok, "tags": []any{"a", 1}}})
	require.NoError(t, err)
	assert.NotContains(t, string(raw), string(tok))
	assert.Equal(t, [][]string{{"org", "token"}}, secrets)
}
