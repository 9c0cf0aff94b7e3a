package httpstep

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullNode reads a node that sets every field, so that clone can be checked
// to copy each one.
func fullNode(t *testing.T) *NodeConfig {
	t.Helper()
	b, err := os.ReadFile("testdata/clone/every-field.json")
	require.NoError(t, err)
	var n NodeConfig
	require.NoError(t, json.Unmarshal(b, &n))
	return &n
}

// TestCloneShares: a compiled Step shares no slice, map or pointer with the
// node it came from, for every field a node has. A field added to
// NodeConfig without a matching line in clone fails here (add it to
// testdata/clone/every-field.json too).
func TestCloneShares(t *testing.T) {
	n := fullNode(t)
	assertAllSet(t, reflect.ValueOf(*n), "node")
	c := n.clone()
	require.Equal(t, n, c)
	assertNoSharing(t, reflect.ValueOf(n).Elem(), reflect.ValueOf(c).Elem(), "node")
}

// assertAllSet fails for an exported field left at its zero value, so the
// fixture keeps up with NodeConfig.
func assertAllSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.IsExported() && v.Field(i).IsZero() {
			t.Errorf("%s.%s is not set in testdata/clone/every-field.json", path, f.Name)
		}
	}
}

// assertNoSharing walks a and b in step and fails where they share memory.
func assertNoSharing(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s is shared", path)
		assertNoSharing(t, a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() == 0 {
			return
		}
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s is shared", path)
		for i := range a.Len() {
			assertNoSharing(t, a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if a.Len() > 0 {
			assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s is shared", path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				assertNoSharing(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
			}
		}
	}
}

// TestStepImmutable: editing a node after Compile changes nothing the Step
// sends.
func TestStepImmutable(t *testing.T) {
	srv := newRecorder(t, nil)
	node := &NodeConfig{
		Method:  "POST",
		URL:     srv.URL + "/a/{{id}}",
		Query:   []KeyValue{{Key: "q", Value: "{{q}}"}},
		Headers: []KeyValue{{Key: "X-Tag", Value: "t-{{q}}"}},
		Body:    &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "f", Value: "{{q}}"}}},
		Success: SuccessRule{Codes: []int{200}},
	}
	step, err := node.Compile()
	require.NoError(t, err)
	node.URL = srv.URL + "/b"
	node.Query[0].Value = "changed"
	node.Headers[0].Value = "changed"
	node.Body.Fields[0].Value = "changed"
	node.Success.Codes[0] = 299
	node.Method = "GET"

	res, err := testClient(t).Run(context.Background(), step, Values{"id": "7", "q": "x"})
	require.NoError(t, err)
	assert.True(t, res.OK())
	got := srv.last(t)
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, "/a/7?q=x", got.RequestURI)
	assert.Equal(t, "t-x", got.Header.Get("X-Tag"))
	assert.Equal(t, "f=x", string(got.Body))
}

// TestRunConcurrent: one Step runs from many goroutines at once, each with
// its own values, under the race detector.
func TestRunConcurrent(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":%q,"key":%q}`, r.URL.Query().Get("id"), r.Header.Get("X-Key"))
	})
	step, err := (&NodeConfig{URL: srv.URL + "/?id={{id}}", Headers: []KeyValue{{Key: "X-Key", Value: "{{key}}"}}}).Compile()
	require.NoError(t, err)
	c := testClient(t)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			id := strconv.Itoa(i)
			res, err := c.Run(context.Background(), step, Values{"id": id, "key": Secret("key-" + id)})
			if assert.NoError(t, err) {
				assert.Equal(t, id, res.Get("id").String())
				assert.Equal(t, redacted, res.Redact(res.Get("key").String()))
				b, _ := json.Marshal(res.Attempts)
				assert.NotContains(t, string(b), "key-"+id)
			}
		})
	}
	wg.Wait()
}

// TestRunNilStep: a nil Step is a configuration error, nothing is sent.
func TestRunNilStep(t *testing.T) {
	res, err := testClient(t).Run(context.Background(), nil, nil)
	assert.Nil(t, res)
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "Compile")
}

// TestCompileInvalid: Compile reports every problem, as Validate does.
func TestCompileInvalid(t *testing.T) {
	_, err := (&NodeConfig{Method: "GET ALL", URL: ""}).Compile()
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Problems, 2)
}

// TestTimingFrozen: the history does not change after Run returned, even
// though net/http goes on dialling after an attempt timed out: a hook that
// fires late is ignored (and, under -race, no write races the host's read).
func TestTimingFrozen(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	release := make(chan struct{})
	c.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		<-release // the name answers only after the attempt has given up
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	node := &NodeConfig{URL: "http://slow.test:" + port + "/", Timeout: Duration(50 * time.Millisecond)}
	res, err := c.Execute(context.Background(), node, nil)
	require.Error(t, err)
	assert.Equal(t, KindTimeout, res.Failure.Kind)
	before, err := json.Marshal(res.Attempts)
	require.NoError(t, err)
	close(release) // now the dial goes on, and its hooks fire
	time.Sleep(300 * time.Millisecond)
	after, err := json.Marshal(res.Attempts)
	require.NoError(t, err)
	assert.JSONEq(t, string(before), string(after))
}

// TestQueuedOnlyWhenWaiting: without a limit or a pause an attempt waits
// for nothing, and the history says so (no "queued" for the bookkeeping of
// admission).
func TestQueuedOnlyWhenWaiting(t *testing.T) {
	srv := newRecorder(t, nil)
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.NoError(t, err)
	assert.Zero(t, res.Attempts[0].Queued)
	b, err := json.Marshal(res.Attempts[0])
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"queued"`)
}

// TestExecuteIsCompileThenRun: Execute sends the request and gives the
// result that Compile then Run give, and fails an invalid node with the
// same *ConfigError.
func TestExecuteIsCompileThenRun(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"uri":%q}`, r.RequestURI)
	})
	c := testClient(t)
	node := &NodeConfig{URL: srv.URL + "/a/{{x}}", Query: []KeyValue{{Key: "i", Value: "{{i}}"}}}
	p := Values{"x": "a/b", "i": "7 8"}
	r1, err1 := c.Execute(context.Background(), node, p)
	s, err := node.Compile()
	require.NoError(t, err)
	r2, err2 := c.Run(context.Background(), s, p)
	require.NoError(t, err1)
	require.NoError(t, err2)
	assert.Equal(t, string(r1.Body), string(r2.Body))
	assert.Equal(t, r1.Attempts[0].Request.URL, r2.Attempts[0].Request.URL)
	require.Equal(t, 2, srv.count())
	assert.Equal(t, srv.reqs[0].RequestURI, srv.reqs[1].RequestURI)

	bad := &NodeConfig{Method: "GET", URL: ""}
	_, e1 := c.Execute(context.Background(), bad, nil)
	_, e2 := bad.Compile()
	var c1, c2 *ConfigError
	require.ErrorAs(t, e1, &c1)
	require.ErrorAs(t, e2, &c2)
	assert.Equal(t, c1.Error(), c2.Error())
}

// TestNilStepRefs: a nil Step answers Refs as a nil NodeConfig does (Run
// already treats a nil Step as a clear error, not a panic).
func TestNilStepRefs(t *testing.T) {
	var s *Step
	assert.NotPanics(t, func() { assert.Empty(t, s.Refs()) })
}

// TestCompileTakesCheckedTemplates: compile takes the templates the node's
// check parsed rather than parsing them again, and parses what the check
// did not.
func TestCompileTakesCheckedTemplates(t *testing.T) {
	node := &NodeConfig{Method: "POST", URL: "https://api.test/{{id}}", Headers: []KeyValue{{Key: "X-A", Value: "{{a}}"}},
		Body: &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "f", Value: "{{f}}"}}}}
	ts, err := node.check()
	require.NoError(t, err)
	s, err := node.compile(ts)
	require.NoError(t, err)
	assert.Same(t, ts[templateKey{node.URL, modeURL}], s.url)
	assert.Same(t, ts[templateKey{"{{a}}", modeText}], s.headers[0].value)
	assert.Same(t, ts[templateKey{"{{f}}", modeText}], s.fields[0])

	fresh, err := node.compile(nil)
	require.NoError(t, err)
	assert.NotSame(t, s.url, fresh.url, "without a check's templates compile parses afresh: no cache shares them")
	assert.Equal(t, s.url, fresh.url)
}
