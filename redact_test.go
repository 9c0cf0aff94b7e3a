package httpstep

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFormCache: a cached secret has exactly the forms computed afresh, the
// cache forgets everything when full rather than grow, and concurrent runs
// of one Step may share it (go test -race).
func TestFormCache(t *testing.T) {
	var c formCache
	for _, s := range []string{"t0k3n", " padded ", `quo"te<&>`, "p@ss/word?", "ab"} {
		assert.Equal(t, secretForms(s), c.forms(s), s)
		assert.Equal(t, secretForms(s), c.forms(s), "%s, from the cache", s)
	}
	assert.Contains(t, secretForms(`quo"te<&>`), `quo\"te<&>`, "JSON-escaped")
	assert.Empty(t, secretForms("ab"), "too short to find in text")

	for i := range 3 * maxCachedSecrets {
		c.forms(fmt.Sprintf("secret-%d", i))
	}
	assert.LessOrEqual(t, len(c.m), maxCachedSecrets)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				s := fmt.Sprintf("value-%d", (i*j)%100)
				if got := c.forms(s); !assert.Equal(t, secretForms(s), got) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestStepRedactsFromTheCache: the second run of a Step, whose secret forms
// come from the cache, redacts the echoed credential as the first did.
func TestStepRedactsFromTheCache(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"echo":%q,"query":%q}`, r.Header.Get("Authorization"), r.URL.RawQuery)
	}))
	defer srv.Close()
	step, err := (&NodeConfig{
		URL:     srv.URL + "/x",
		Query:   []KeyValue{{"q", "{{token}}"}},
		Headers: []KeyValue{{"Authorization", "Bearer {{token}}"}},
	}).Compile()
	require.NoError(t, err)
	c := testClient(t)
	for run := range 3 {
		res, err := c.Run(t.Context(), step, Values{"token": Secret("s3cr3t value")})
		require.NoError(t, err)
		assert.Equal(t, "Bearer s3cr3t value", res.Get("echo").String(), "the secret was sent")
		b, err := json.Marshal(res.Attempts)
		require.NoError(t, err)
		for _, form := range []string{"s3cr3t value", "s3cr3t+value", "s3cr3t%20value"} {
			assert.NotContains(t, string(b), form, "run %d", run)
		}
	}
}

// BenchmarkSecretForms: the redaction forms of one secret, computed once
// per value and Step (a bearer token with a character JSON and URLs
// escape).
func BenchmarkSecretForms(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(secretForms("t0k3n/with&odd<chars>é")) == 0 {
			b.Fatal("no forms")
		}
	}
}
