package httpstep

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// fillDepth bounds how deep fill follows pointers and slices (schema
// fields nest fields).
const fillDepth = 6

// filledNode is a node with every field reachable from it set: strings
// "a", numbers 1, bools true, pointers to filled values, slices and maps of
// one filled element.
func filledNode() *NodeConfig {
	n := &NodeConfig{}
	fill(reflect.ValueOf(n).Elem(), 0)
	return n
}

func fill(v reflect.Value, depth int) {
	if setLeaf(v, 1) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if depth < fillDepth {
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem(), depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				fill(v.Field(i), depth)
			}
		}
	case reflect.Slice:
		if depth < fillDepth {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			fill(v.Index(0), depth+1)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range []string{"a", "b"} {
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, depth+1)
			m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
		}
		v.Set(m)
	}
}

// mutate changes the target-th place of v (counting leaves, pointers,
// slices and maps in walk order): a leaf gets another value, a reference
// becomes nil. It returns the number of places counted so far, so a
// negative target counts them all.
func mutate(v reflect.Value, target, n int) int {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		if v.IsNil() {
			return n
		}
		if n == target {
			v.Set(reflect.Zero(v.Type()))
			return n + 1
		}
		n++
		switch v.Kind() {
		case reflect.Pointer:
			return mutate(v.Elem(), target, n)
		case reflect.Slice:
			for i := range v.Len() {
				n = mutate(v.Index(i), target, n)
			}
		}
		return n
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				n = mutate(v.Field(i), target, n)
			}
		}
		return n
	}
	if n == target {
		setLeaf(v, 2)
	}
	return n + 1
}

// setLeaf sets a leaf v to its value number i (1: "a", true, 1; 2: "b",
// false, 2); false when v is no leaf.
func setLeaf(v reflect.Value, i int) bool {
	switch v.Kind() {
	case reflect.String:
		v.SetString(string(rune('a' + i - 1)))
	case reflect.Bool:
		v.SetBool(i == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(i))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(i))
	default:
		return false
	}
	return true
}

func nodeKey(t *testing.T, n *NodeConfig) string {
	t.Helper()
	k, ok := appendNodeKey(nil, n)
	if !ok {
		t.Fatal("a node of the library's own types has no key: teach appendKey the new kind of field")
	}
	return string(k)
}

// TestStepKeyCoversEveryField changes each field of a fully set node in
// turn (and turns each pointer, slice and map nil) and checks that the key
// changes: a node edited anywhere is never given a Step compiled for
// another content.
func TestStepKeyCoversEveryField(t *testing.T) {
	base := nodeKey(t, filledNode())
	if again := nodeKey(t, filledNode()); again != base {
		t.Fatal("two nodes of the same content have different keys")
	}
	places := mutate(reflect.ValueOf(filledNode()).Elem(), -1, 0)
	if places < 50 {
		t.Fatalf("only %d places in a filled node: fill did not reach the fields", places)
	}
	for i := range places {
		n := filledNode()
		mutate(reflect.ValueOf(n).Elem(), i, 0)
		if nodeKey(t, n) == base {
			t.Errorf("place %d changed, the key did not: %+v", i, n)
		}
	}
	n := filledNode()
	n.Success.ErrorMessages = map[string]string{"a": "a", "c": "a"}
	if nodeKey(t, n) == base {
		t.Error("a changed map key left the key unchanged")
	}
	n.Success.ErrorMessages = map[string]string{"a": "a", "b": "b"}
	if nodeKey(t, n) == base {
		t.Error("a changed map value left the key unchanged")
	}
}

// TestStepKeyBoundaries: moving text from one field to the next, or an
// empty list in place of none, changes the key.
func TestStepKeyBoundaries(t *testing.T) {
	pairs := [][2]*NodeConfig{
		{{URL: "ab", Method: ""}, {URL: "a", Method: "b"}},
		{{Headers: []KeyValue{{"a", "bc"}}}, {Headers: []KeyValue{{"ab", "c"}}}},
		{{Headers: []KeyValue{}}, {}},
		{{Query: []KeyValue{{"a", "b"}}}, {Headers: []KeyValue{{"a", "b"}}}},
	}
	for i, p := range pairs {
		if nodeKey(t, p[0]) == nodeKey(t, p[1]) {
			t.Errorf("pair %d: different nodes share a key", i)
		}
	}
}

// TestCopyNodeSharesNothing: the cached Step's node is a deep copy, so the
// host's later edits of its own node (in place, in any nested slice or
// map) cannot reach it.
func TestCopyNodeSharesNothing(t *testing.T) {
	n := filledNode()
	c := copyNode(n)
	if !reflect.DeepEqual(n, c) {
		t.Fatal("the copy differs from the node")
	}
	base := nodeKey(t, c)
	places := mutate(reflect.ValueOf(n).Elem(), -1, 0)
	for i := range places {
		mutate(reflect.ValueOf(n).Elem(), i, 0)
	}
	n.Success.ErrorMessages["a"] = "changed"
	if nodeKey(t, c) != base {
		t.Error("editing the node changed its copy")
	}
}

// TestExecuteEditedNode runs a node, edits it in place (a header value in
// the same slice, a success code), and runs it again: each run sends and
// judges what the node says at that moment, while a node decoded afresh
// with the first content shares the first Step.
func TestExecuteEditedNode(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	ctx := context.Background()
	node := &NodeConfig{URL: srv.URL + "/a", Headers: []KeyValue{{"X-Tag", "one"}}, Success: SuccessRule{Codes: []int{201}}}
	stored, _ := json.Marshal(node)
	if res, _ := c.Execute(ctx, node, nil); res.Failure == nil {
		t.Fatal("a 200 passed a rule that wants 201")
	}
	node.Headers[0].Value = "two"
	node.Success.Codes[0] = 200
	if _, err := c.Execute(ctx, node, nil); err != nil {
		t.Fatalf("after the edit: %v", err)
	}
	if got := srv.last(t).Header.Get("X-Tag"); got != "two" {
		t.Fatalf("after the edit the request carried X-Tag %q, want two", got)
	}
	for range 3 {
		var fresh NodeConfig
		if err := json.Unmarshal(stored, &fresh); err != nil {
			t.Fatal(err)
		}
		if res, _ := c.Execute(ctx, &fresh, nil); res.Failure == nil {
			t.Fatal("the first content, decoded afresh, was judged by the edited rule")
		}
		if got := srv.last(t).Header.Get("X-Tag"); got != "one" {
			t.Fatalf("the first content sent X-Tag %q, want one", got)
		}
	}
	if n := len(c.steps.m); n != 2 {
		t.Errorf("two distinct contents left %d cached steps, want 2", n)
	}
}

// TestExecuteInvalidNodeNotCached: an invalid node is refused on every
// call and is not kept.
func TestExecuteInvalidNodeNotCached(t *testing.T) {
	c := testClient(t)
	node := &NodeConfig{URL: "ftp://example.invalid/"}
	for range 2 {
		if _, err := c.Execute(context.Background(), node, nil); err == nil {
			t.Fatal("an ftp URL was accepted")
		}
	}
	if len(c.steps.m) != 0 {
		t.Error("an invalid node was cached")
	}
}

// TestStepCacheBounded: more distinct nodes than the bound keep the cache
// at the bound, and each still gets a Step of its own content.
func TestStepCacheBounded(t *testing.T) {
	var sc stepCache
	for i := range maxCachedSteps + 20 {
		n := &NodeConfig{URL: fmt.Sprintf("http://127.0.0.1/%d", i)}
		s, err := sc.compile(n)
		if err != nil {
			t.Fatal(err)
		}
		if s.node.URL != n.URL {
			t.Fatalf("node %d got the step of %q", i, s.node.URL)
		}
	}
	if len(sc.m) != maxCachedSteps {
		t.Errorf("the cache holds %d steps, want %d", len(sc.m), maxCachedSteps)
	}
	big := &NodeConfig{Method: "POST", URL: "http://127.0.0.1/", Body: &Body{Kind: BodyRaw, Raw: string(make([]byte, maxStepKeyBytes))}}
	if _, err := sc.compile(big); err != nil {
		t.Fatal(err)
	}
	if len(sc.m) != maxCachedSteps {
		t.Error("a node above the key bound was cached")
	}
}

// TestExecuteCompilesOnce: the same content decoded afresh on every call
// allocates no Step after the first.
func TestExecuteCompilesOnce(t *testing.T) {
	var sc stepCache
	stored := []byte(`{"url":"http://127.0.0.1/x","headers":[{"key":"Authorization","value":"Bearer {{token}}"}]}`)
	var first *Step
	for i := range 3 {
		var n NodeConfig
		if err := json.Unmarshal(stored, &n); err != nil {
			t.Fatal(err)
		}
		s, err := sc.compile(&n)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = s
		} else if s != first {
			t.Fatal("the same content was compiled again")
		}
	}
}

// benchNode is the node of bench/'s GetJSON: templated query values and
// a templated Authorization header.
func benchNode() *NodeConfig {
	return &NodeConfig{
		URL:     "http://127.0.0.1/orders",
		Query:   []KeyValue{{"status", "{{status}}"}, {"since", "{{since}}"}},
		Headers: []KeyValue{{"Authorization", "Bearer {{token}}"}},
	}
}

// BenchmarkStepCacheHit is what Execute adds to Run for a node seen
// before: the node's key and the lookup.
func BenchmarkStepCacheHit(b *testing.B) {
	var sc stepCache
	node := benchNode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sc.compile(node); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStepCompile is what a miss costs: Validate, a deep copy and
// compile of the same node.
func BenchmarkStepCompile(b *testing.B) {
	node := benchNode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compileFresh(copyNode(node)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStepCacheConcurrent: goroutines compiling the same and different
// contents at once each get the Step of their own content (run with
// -race).
func TestStepCacheConcurrent(t *testing.T) {
	var sc stepCache
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				u := fmt.Sprintf("http://127.0.0.1/%d", (g+i)%4)
				s, err := sc.compile(&NodeConfig{URL: u})
				if err != nil {
					t.Error(err)
					return
				}
				if s.node.URL != u {
					t.Errorf("%s got the step of %s", u, s.node.URL)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(sc.m) != 4 {
		t.Errorf("four contents left %d steps", len(sc.m))
	}
}
