package httpstep

import (
	"context"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deepArray is "[[[...]]]" nested n deep; deepObject {"a":{"a":...1}}.
func deepArray(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
func deepObject(n int) string {
	return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n)
}

// within fails the test when fn takes longer than d; fn goes on in the
// background then (the failed run skips the leak check).
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
		t.Logf("%s: %v", what, time.Since(start).Round(time.Microsecond))
	case <-time.After(d):
		t.Fatalf("%s took more than %v", what, d)
	}
}

// TestDeepBodyReaders: a body nested 100,000 deep (200 KB of "[", 600 KB of
// {"a":) costs every reader one pass at most: declared object and array
// fields, a path that applies a modifier, and the success rule's business
// code, which says the body nests too deep rather than blowing the stack.
func TestDeepBodyReaders(t *testing.T) {
	const depth = 100000
	bodies := map[string]string{"/array": deepArray(depth), "/object": deepObject(depth)}
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(bodies[r.URL.Path]))
	})
	c := testClient(t)
	run := func(path string, node NodeConfig) *Result {
		node.URL = srv.URL + path
		res, _ := c.Execute(context.Background(), &node, nil)
		return res
	}
	fields := []struct {
		name, path string
		field      Field
	}{
		{"array field", "/array", Field{Name: "f", Path: "0", Type: TypeArray}},
		{"root array field", "/array", Field{Name: "f", Path: "@this", Type: TypeArray}},
		{"object field", "/object", Field{Name: "f", Path: "a", Type: TypeObject}},
		{"untyped field", "/object", Field{Name: "f", Path: "a.a"}},
		{"modifier path", "/object", Field{Name: "f", Path: "a|@pretty", Type: TypeString}},
	}
	for _, tt := range fields {
		t.Run(tt.name, func(t *testing.T) {
			res := run(tt.path, NodeConfig{Response: &Schema{Fields: []Field{tt.field}}})
			require.True(t, res.OK())
			var got map[string]any
			within(t, 2*time.Second, "Fields", func() { got = res.Fields() })
			assert.NotContains(t, got, "f", "a value nested past 10,000 levels is missing")
		})
	}
	for _, path := range []string{"@pretty", "@dig:a", `@flatten:{"deep":true}`, "a|@valid"} {
		t.Run("Lookup "+path, func(t *testing.T) {
			res := run("/array", NodeConfig{})
			within(t, 2*time.Second, "Lookup", func() { _, _ = res.Lookup(path) })
			res = run("/object", NodeConfig{})
			within(t, 2*time.Second, "Lookup", func() { _, _ = res.Lookup(path) })
		})
	}
	t.Run("errorCodePath", func(t *testing.T) {
		res := run("/array", NodeConfig{Success: SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}}})
		require.NotNil(t, res.Failure)
		assert.Equal(t, KindErrorCode, res.Failure.Kind)
		assert.Contains(t, res.Failure.Message, "nests more than 10000 levels deep")
	})
}

// TestModifierPathsShallow: a path with a modifier still reads a body
// nested as deep as real APIs nest theirs.
func TestModifierPathsShallow(t *testing.T) {
	r := &Result{Body: []byte(`{"list":[3,[2,[1]]],"deep":` + deepObject(maxModifierNesting-2) + `}`)}
	assert.Equal(t, "[[2,[1]],3]", r.Get("list|@reverse").Raw)
	assert.Equal(t, "[3,2,1]", r.Get(`list|@flatten:{"deep":true}`).Raw)
	assert.True(t, r.Get("deep|@pretty").Exists())
	r.Body = []byte(`{"deep":` + deepObject(maxModifierNesting) + `}`)
	assert.False(t, r.Get("deep|@pretty").Exists(), "past 100 levels a modifier path finds nothing")
	assert.True(t, r.Get("deep.a").Exists(), "a path without a modifier reads on")
}

// TestPlainValue: declared fields decode as gjson's Value did: float64
// numbers (±Inf out of range), maps, slices, the last of repeated keys.
func TestPlainValue(t *testing.T) {
	v, ok := plainValue(`{"n":1,"big":1e400,"a":[true,null,"x",{"k":2}],"d":1,"d":2}`)
	require.True(t, ok)
	want := map[string]any{"n": 1.0, "a": []any{true, nil, "x", map[string]any{"k": 2.0}}, "d": 2.0}
	big := v.(map[string]any)["big"]
	delete(v.(map[string]any), "big")
	assert.Equal(t, want, v)
	assert.True(t, math.IsInf(big.(float64), 1), "%v", big)
	_, ok = plainValue(`{"a":1,}`)
	assert.False(t, ok)
	_, ok = plainValue(deepArray(maxNesting + 1))
	assert.False(t, ok)
}

// TestDeepBodyStack: 30 MiB of "[" (within the default size limit) with a
// business-code rule: gjson's validator, which recursed once per level,
// overflowed the 1 GB stack and killed the process; the check is now one
// pass without recursion. Full size in .ci/longrun.sh only.
func TestDeepBodyStack(t *testing.T) {
	longrun(t)
	body := []byte(strings.Repeat("[", 30<<20))
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	node := &NodeConfig{URL: srv.URL, Success: SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}}, OnFailure: Continue}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.NotNil(t, res.Failure)
	assert.Equal(t, KindErrorCode, res.Failure.Kind)
	assert.Contains(t, res.Failure.Message, "nests more than 10000 levels deep")
}
