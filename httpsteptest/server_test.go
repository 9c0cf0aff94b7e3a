package httpsteptest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/httpsteptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// reporter is a testing.TB that keeps the failures the helpers report, so
// a test can check their messages; the rest goes to the real test.
type reporter struct {
	testing.TB
	mu    sync.Mutex
	fails []string
}

func (r *reporter) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fails = append(r.fails, fmt.Sprintf(format, args...))
}

func (r *reporter) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func (r *reporter) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.fails...)
}

// run executes node against the Client c, AllowPrivate for loopback.
func run(t *testing.T, c *httpstep.Client, nodeJSON string, params httpstep.Values) *httpstep.Result {
	t.Helper()
	node, err := httpstep.ParseNode([]byte(nodeJSON))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	res, err := c.Execute(context.Background(), node, params)
	require.NotNil(t, res, "%v", err)
	return res
}

// TestServerAnswers: each route answers in turn, the last answer
// repeating, with its status, headers and body; a delay outlasting the
// node's timeout is a timeout; and every request is kept.
func TestServerAnswers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answers  []httpsteptest.Answer
		node     string // after "url"
		ok       bool
		kind     httpstep.FailureKind
		calls    int
		header   string // X-Answer of the result
		wantBody string
	}{
		{name: "retried until it answers", node: `"retry": {"maxAttempts": 4, "initialInterval": "1ms"}`,
			answers: []httpsteptest.Answer{httpsteptest.Status(503), httpsteptest.Text(502, "bad gateway"), httpsteptest.JSON(200, `{"n": 3}`).WithHeader("X-Answer", "third")},
			ok:      true, calls: 3, header: "third", wantBody: `{"n": 3}`},
		{name: "the last answer repeats", node: `"retry": {"maxAttempts": 3, "initialInterval": "1ms"}`,
			answers: []httpsteptest.Answer{httpsteptest.JSON(500, map[string]string{"error": "down"})},
			kind:    httpstep.KindStatus, calls: 3, wantBody: `{"error":"down"}`},
		{name: "no answers is 200", ok: true, calls: 1},
		{name: "slower than the timeout", node: `"timeout": "50ms"`,
			answers: []httpsteptest.Answer{httpsteptest.JSON(200, `{}`).After(10 * time.Second)},
			kind:    httpstep.KindTimeout, calls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := httpsteptest.NewServer(t)
			api.Handle("GET /v1/status", tc.answers...)
			node := `{"url": "` + api.URL + `/v1/status?q=1"` + strings.TrimSuffix(","+tc.node, ",") + `}`
			start := time.Now()
			res := run(t, &httpstep.Client{AllowPrivate: true}, node, nil)
			assert.Less(t, time.Since(start), 5*time.Second)
			assert.Equal(t, tc.ok, res.OK(), "%+v", res.Failure)
			if !tc.ok {
				assert.Equal(t, tc.kind, res.Failure.Kind)
			}
			assert.Equal(t, tc.header, res.Header.Get("X-Answer"))
			if tc.kind != httpstep.KindTimeout {
				assert.Equal(t, tc.wantBody, string(res.Body))
			}
			reqs := api.Received(t, "GET /v1/status", tc.calls)
			for i, r := range reqs {
				assert.Equal(t, i+1, r.N)
				r.AssertQuery(t, "q", "1")
			}
			assert.Len(t, api.Requests(), tc.calls)
		})
	}
}

// TestServerPages: a sequence serves a paginated pull page after page.
func TestServerPages(t *testing.T) {
	api := httpsteptest.NewServer(t)
	api.Handle("GET /v1/items",
		httpsteptest.JSON(200, `{"items": [1, 2]}`),
		httpsteptest.JSON(200, `{"items": [3]}`),
		httpsteptest.JSON(200, `{"items": []}`))
	res := run(t, &httpstep.Client{AllowPrivate: true},
		`{"url": "`+api.URL+`/v1/items", "paginate": {"mode": "page", "param": "page", "itemsPath": "items"}}`, nil)
	require.True(t, res.OK(), "%+v", res.Failure)
	assert.JSONEq(t, `[1, 2, 3]`, string(res.Body))
	for i, r := range api.Received(t, "GET /v1/items", 3) {
		r.AssertQuery(t, "page", fmt.Sprint(i+1))
	}
}

// TestServerPatterns: ServeMux patterns route by method and wildcard, a
// HandleFunc sees the body the Server kept, and one route per pattern.
func TestServerPatterns(t *testing.T) {
	api := httpsteptest.NewServer(t)
	api.HandleFunc("POST /v1/orders/{id}/refunds", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"order": %q}`, r.PathValue("id"))
	})
	res := run(t, &httpstep.Client{AllowPrivate: true}, `{"method": "POST", "url": "`+api.URL+`/v1/orders/SO-7/refunds",
	  "body": {"kind": "x-www-form-urlencoded", "fields": [{"key": "amount", "value": "12.50"}]}}`, nil)
	require.True(t, res.OK(), "%+v", res.Failure)
	assert.Equal(t, "SO-7", res.Get("order").String())
	last := api.Last(t)
	assert.Equal(t, "POST /v1/orders/{id}/refunds", last.Pattern)
	last.AssertBody(t, "amount=12.50")
	last.AssertHeader(t, "Content-Type", "application/x-www-form-urlencoded")

	rep := &reporter{TB: t}
	httpsteptest.NewServer(rep).Handle("GET /a", httpsteptest.Status(204))
	other := httpsteptest.NewServer(rep)
	other.Handle("GET /a")
	other.Handle("GET /a")
	other.Handle("GET a b c")
	f := rep.failures()
	require.Len(t, f, 2)
	assert.Contains(t, f[0], `route "GET /a"`)
	assert.Contains(t, f[1], `route "GET a b c"`)
}

// TestServerUnrouted: a request no route answers gets a 404 and fails
// the test, naming it and the routes there are.
func TestServerUnrouted(t *testing.T) {
	rep := &reporter{TB: t}
	api := httpsteptest.NewServer(rep)
	api.Handle("GET /v1/orders")
	api.Handle("POST /v1/orders")
	res := run(t, &httpstep.Client{AllowPrivate: true}, `{"method": "DELETE", "url": "`+api.URL+`/v1/orders?id=3"}`, nil)
	assert.Equal(t, 404, res.StatusCode)
	assert.Equal(t, "httpsteptest: no route answers DELETE /v1/orders", res.Get("error").String(), "a JSON body")
	assert.Equal(t, []string{"httpsteptest: #1 DELETE /v1/orders?id=3 arrived, but no route answers it; the routes: GET /v1/orders, POST /v1/orders"}, rep.failures())
	assert.Empty(t, api.Last(t).Pattern)
}

// TestAssertions: each assertion passes on what arrived and, on what did
// not, says what arrived and what was expected.
func TestAssertions(t *testing.T) {
	api := httpsteptest.NewServer(t)
	api.Handle("POST /v1/push")
	res := run(t, &httpstep.Client{AllowPrivate: true}, `{"method": "POST", "url": "`+api.URL+`/v1/push?page=2",
	  "headers": [{"key": "X-Tenant", "value": "acme"}],
	  "body": {"kind": "raw", "raw": "{\"b\": [1, 2.0], \"a\": \"x\"}"}}`, nil)
	require.True(t, res.OK(), "%+v", res.Failure)
	r := api.Last(t)
	for _, tc := range []struct {
		name   string
		assert func(testing.TB)
		want   string // the failure; "" passes
	}{
		{"header", func(tb testing.TB) { r.AssertHeader(tb, "x-tenant", "acme") }, ""},
		{"header differs", func(tb testing.TB) { r.AssertHeader(tb, "X-Tenant", "umbrella") }, `#1 POST /v1/push?page=2: header X-Tenant is "acme", want "umbrella"`},
		{"header absent", func(tb testing.TB) { r.AssertHeader(tb, "X-Trace", "1") }, `header X-Trace is absent, want "1"`},
		{"no header", func(tb testing.TB) { r.AssertNoHeader(tb, "Authorization") }, ""},
		{"a header that should not be", func(tb testing.TB) { r.AssertNoHeader(tb, "X-Tenant") }, `header X-Tenant is ["acme"], want it absent`},
		{"query", func(tb testing.TB) { r.AssertQuery(tb, "page", "2") }, ""},
		{"query differs", func(tb testing.TB) { r.AssertQuery(tb, "page", "3") }, `query parameter page is "2", want "3"`},
		{"query absent", func(tb testing.TB) { r.AssertQuery(tb, "cursor", "c1") }, `query parameter cursor is absent, want "c1"`},
		{"JSON, keys in any order", func(tb testing.TB) { r.AssertJSON(tb, `{"a": "x", "b": [1, 2.0]}`) }, ""},
		{"JSON differs", func(tb testing.TB) { r.AssertJSON(tb, `{"a": "x", "b": [1, 2]}`) }, "the JSON body is\n\t{\"b\":[1,2.0],\"a\":\"x\"}\nwant\n\t{\"a\":\"x\",\"b\":[1,2]}"},
		{"body", func(tb testing.TB) { r.AssertBody(tb, `{"b": [1, 2.0], "a": "x"}`) }, ""},
		{"body differs", func(tb testing.TB) { r.AssertBody(tb, `{}`) }, "the body is\n\t\"{\\\"b\\\": [1, 2.0], \\\"a\\\": \\\"x\\\"}\"\nwant\n\t\"{}\""},
		{"count", func(tb testing.TB) { api.Received(tb, "POST /v1/push", 1) }, ""},
		{"count differs", func(tb testing.TB) { api.Received(tb, "POST /v1/push", 2) }, `route "POST /v1/push" answered 1 requests, want 2; what arrived: #1 POST /v1/push?page=2`},
		{"nothing arrived", func(tb testing.TB) { httpsteptest.NewServer(tb).Last(tb) }, "no request arrived at http://127.0.0.1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &reporter{TB: t}
			tc.assert(rep)
			f := rep.failures()
			if tc.want == "" {
				assert.Empty(t, f)
				return
			}
			require.Len(t, f, 1)
			assert.Contains(t, f[0], tc.want)
			assert.True(t, strings.HasPrefix(f[0], "httpsteptest: "), f[0])
		})
	}
}

// TestJSONAnswerNotJSON: a JSON answer that is not JSON fails the test
// when it is served, and the client gets a 500.
func TestJSONAnswerNotJSON(t *testing.T) {
	rep := &reporter{TB: t}
	api := httpsteptest.NewServer(rep)
	api.Handle("GET /a", httpsteptest.JSON(200, "{not json"))
	api.Handle("GET /b", httpsteptest.JSON(200, func() {}))
	c := &httpstep.Client{AllowPrivate: true}
	assert.Equal(t, 500, run(t, c, `{"url": "`+api.URL+`/a"}`, nil).StatusCode)
	assert.Equal(t, 500, run(t, c, `{"url": "`+api.URL+`/b"}`, nil).StatusCode)
	f := rep.failures()
	require.Len(t, f, 2)
	assert.Contains(t, f[0], "the answer to GET /a: the JSON answer's body is not JSON")
	assert.Contains(t, f[1], "the answer to GET /b: json: unsupported type")
}
