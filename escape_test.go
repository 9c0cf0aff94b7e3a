package httpstep

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEscapingTable covers every row of the design's escaping table against a
// loopback server: whatever the value, the request keeps its shape.
func TestEscapingTable(t *testing.T) {
	rec := newRecorder(t, nil)
	hostile := `a/b?c=d&e#f"g'<h>` + "\u00e9 %20"
	tests := []struct {
		name  string
		node  NodeConfig
		check func(t *testing.T, s seen)
	}{
		{"path segment", NodeConfig{URL: rec.URL + "/orders/{{v}}/items"}, func(t *testing.T, s seen) {
			assert.Equal(t, "/orders/a%2Fb%3Fc=d&e%23f%22g%27%3Ch%3E%C3%A9%20%2520/items", s.RequestURI)
		}},
		{"dot segments cannot walk up", NodeConfig{URL: rec.URL + "/a/{{dots}}/b"}, func(t *testing.T, s seen) {
			assert.Equal(t, "/a/%2E%2E/b", s.RequestURI)
		}},
		{"query in URL", NodeConfig{URL: rec.URL + "/s?q={{v}}&n=1"}, func(t *testing.T, s seen) {
			u, err := url.ParseRequestURI(s.RequestURI)
			require.NoError(t, err)
			assert.Equal(t, url.Values{"q": {hostile}, "n": {"1"}}, u.Query())
		}},
		{"query entries", NodeConfig{URL: rec.URL + "/s?fixed=1", Query: []KeyValue{{"q", "x-{{v}}"}, {"empty", "{{missing}}"}}}, func(t *testing.T, s seen) {
			u, _ := url.ParseRequestURI(s.RequestURI)
			assert.Equal(t, url.Values{"fixed": {"1"}, "q": {"x-" + hostile}, "empty": {""}}, u.Query())
		}},
		{"typed URL stays as typed", NodeConfig{URL: rec.URL + "/a%20b/c d?x=%2F&y=1 2"}, func(t *testing.T, s seen) {
			assert.Equal(t, "/a%20b/c%20d?x=%2F&y=1%202", s.RequestURI)
		}},
		{"whole URL", NodeConfig{URL: "{{base}}/orders?id={{v}}"}, func(t *testing.T, s seen) {
			u, _ := url.ParseRequestURI(s.RequestURI)
			assert.Equal(t, "/api/orders", u.Path)
			assert.Equal(t, hostile, u.Query().Get("id"))
		}},
		{"header value as is", NodeConfig{URL: rec.URL, Headers: []KeyValue{{"X-V", "{{v}}"}}}, func(t *testing.T, s seen) {
			assert.Equal(t, hostile, s.Header.Get("X-V"))
		}},
		{"json string", NodeConfig{Method: "POST", URL: rec.URL, Body: &Body{Kind: BodyRaw, Raw: `{"name":"{{v}}","note":"say {{quote}}"}`}}, func(t *testing.T, s seen) {
			var got map[string]any
			require.NoError(t, json.Unmarshal(s.Body, &got), string(s.Body))
			assert.Equal(t, map[string]any{"name": hostile, "note": "say \"hi\"\n}"}, got)
			assert.Equal(t, "application/json", s.Header.Get("Content-Type"))
		}},
		{"json bare values", NodeConfig{Method: "POST", URL: rec.URL, Body: &Body{Kind: BodyRaw, Raw: `{"n":{{n}},"f":{{f}},"m":{{m}},"s":{{v}},"missing":{{missing}},"ok":{{b}}}`}}, func(t *testing.T, s seen) {
			var got map[string]any
			require.NoError(t, json.Unmarshal(s.Body, &got), string(s.Body))
			assert.Equal(t, map[string]any{"n": 42.0, "f": 0.1, "m": map[string]any{"k": "v"}, "s": hostile, "missing": nil, "ok": true}, got)
		}},
		{"xml", NodeConfig{Method: "POST", URL: rec.URL, Body: &Body{Kind: BodyRaw, ContentType: "application/xml", Raw: `<a b="{{v}}">{{v}}</a>`}}, func(t *testing.T, s seen) {
			assert.Equal(t, `<a b="a/b?c=d&amp;e#f&#34;g&#39;&lt;h&gt;é %20">a/b?c=d&amp;e#f&#34;g&#39;&lt;h&gt;é %20</a>`, string(s.Body))
		}},
		{"raw text as is", NodeConfig{Method: "POST", URL: rec.URL, Body: &Body{Kind: BodyRaw, ContentType: "text/plain", Raw: "v={{v}}"}}, func(t *testing.T, s seen) {
			assert.Equal(t, "v="+hostile, string(s.Body))
		}},
		{"form fields", NodeConfig{Method: "POST", URL: rec.URL, Body: &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "v", Value: "{{v}}"}, {Key: "n", Value: "{{n}}"}}}}, func(t *testing.T, s seen) {
			form, err := url.ParseQuery(string(s.Body))
			require.NoError(t, err)
			assert.Equal(t, url.Values{"v": {hostile}, "n": {"42"}}, form)
		}},
	}
	params := Values{"v": hostile, "dots": "..", "quote": "\"hi\"\n}", "n": 42, "f": 0.1, "b": true,
		"m": map[string]any{"k": "v"}, "base": rec.URL + "/api"}
	c := testClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Execute(context.Background(), &tt.node, params)
			require.NoError(t, err)
			require.True(t, res.OK())
			tt.check(t, rec.last(t))
		})
	}
}

// TestHeaderInjection: a value with CR, LF or NUL fails with kind param and
// nothing is sent.
func TestHeaderInjection(t *testing.T) {
	rec := newRecorder(t, nil)
	c := testClient(t)
	for _, v := range []string{"a\r\nX-Evil: 1", "a\nb", "a\x00b", "a\rb"} {
		node := &NodeConfig{URL: rec.URL, Headers: []KeyValue{{"X-V", "{{v}}"}}}
		res, err := c.Execute(context.Background(), node, Values{"v": v})
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, KindParam, f.Kind)
		assert.Equal(t, KindParam, res.Attempts[0].Kind)
		assert.Equal(t, rec.URL, res.Attempts[0].Request.URL)
	}
	assert.Zero(t, rec.count(), "nothing may be sent")
}

// TestHostPlaceholder: a value in the authority may only hold host-name
// characters, so it cannot add user info, a port or a path.
func TestHostPlaceholder(t *testing.T) {
	rec := newRecorder(t, nil)
	c := testClient(t)
	u, _ := url.Parse(rec.URL)
	node := &NodeConfig{URL: "http://{{host}}:" + u.Port() + "/x"}
	res, err := c.Execute(context.Background(), node, Values{"host": "127.0.0.1"})
	require.NoError(t, err)
	assert.True(t, res.OK())
	for _, bad := range []string{"evil.com/", "a@127.0.0.1", "127.0.0.1:1", "a b", "x?y"} {
		_, err := c.Execute(context.Background(), node, Values{"host": bad})
		var f *Failure
		require.ErrorAs(t, err, &f, bad)
		assert.Equal(t, KindParam, f.Kind, bad)
	}
	assert.Equal(t, 1, rec.count())
}

// TestWholeURLChecked: a URL given whole by a parameter is parsed and
// checked; a non-http scheme fails with kind param.
func TestWholeURLChecked(t *testing.T) {
	c := testClient(t)
	for _, v := range []string{"file:///etc/passwd", "gopher://x", "", "not a url", "//no-scheme"} {
		_, err := c.Execute(context.Background(), &NodeConfig{URL: "{{u}}"}, Values{"u": v})
		var f *Failure
		require.ErrorAs(t, err, &f, v)
		assert.Equal(t, KindParam, f.Kind, v)
	}
	res, _ := c.Execute(context.Background(), &NodeConfig{URL: "{{u}}/x"}, Values{"u": "ftp://h"})
	assert.Equal(t, "{{u}}/x", res.Attempts[0].Request.URL, "the record shows the URL as typed when it could not be rendered")
}

// TestAfterWholeURL: a value right after a whole-URL placeholder cannot
// change the host (an "@" would turn the base into user info).
func TestAfterWholeURL(t *testing.T) {
	api := newRecorder(t, nil)
	evil := newRecorderOn(t, "127.0.0.2", nil)
	evilHost := strings.TrimPrefix(evil.URL, "http://")
	c := testClient(t)
	_, _ = c.Execute(context.Background(), &NodeConfig{URL: "{{base}}{{id}}"}, Values{"base": api.URL, "id": "@" + evilHost})
	_, _ = c.Execute(context.Background(), &NodeConfig{URL: "{{base}}x{{id}}/y"}, Values{"base": api.URL, "id": ":1@" + evilHost})
	assert.Zero(t, evil.count())
	res, err := c.Execute(context.Background(), &NodeConfig{URL: "{{base}}/items/{{id}}?q={{q}}"}, Values{"base": api.URL, "id": "a b", "q": "x&y"})
	require.NoError(t, err)
	assert.True(t, res.OK())
	assert.Equal(t, "/items/a%20b?q=x%26y", api.last(t).RequestURI)
}

// TestContentTypeHeaderDecidesEscaping: values are escaped for the type that
// is sent, the node's Content-Type header included; ndjson is JSON.
func TestContentTypeHeaderDecidesEscaping(t *testing.T) {
	rec := newRecorder(t, nil)
	c := testClient(t)
	node := &NodeConfig{Method: "POST", URL: rec.URL, Headers: []KeyValue{{"Content-Type", "application/xml"}},
		Body: &Body{Kind: BodyRaw, Raw: `<note>{{note}}</note>`}}
	_, err := c.Execute(context.Background(), node, Values{"note": "x</note><admin>true</admin><note>"})
	require.NoError(t, err)
	assert.Equal(t, `<note>x&lt;/note&gt;&lt;admin&gt;true&lt;/admin&gt;&lt;note&gt;</note>`, string(rec.last(t).Body))

	node = &NodeConfig{Method: "POST", URL: rec.URL, Body: &Body{Kind: BodyRaw, ContentType: "application/x-ndjson", Raw: `{"index":{}}` + "\n" + `{"name":"{{name}}"}` + "\n"}}
	_, err = c.Execute(context.Background(), node, Values{"name": "a\"}\n{\"delete\":{}}"})
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(rec.last(t).Body), "\n"), "a value cannot add an ndjson line")
}

// FuzzQueryEscaped: writeQueryEscaped writes exactly url.QueryEscape.
func FuzzQueryEscaped(f *testing.F) {
	for _, s := range []string{"", "paid & shipped", "2026-01-02T03:04:05+01:00", "a/b?c=d&e#f", "é~_.-", "\x00\xff%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		writeQueryEscaped(&b, s)
		if want := url.QueryEscape(s); b.String() != want {
			t.Fatalf("writeQueryEscaped(%q) = %q, url.QueryEscape: %q", s, b.String(), want)
		}
	})
}

// TestHeaderControlCharacterIsParam: a header value with a control
// character HTTP forbids (not only CR, LF and NUL) fails with kind param,
// is not retried, and nothing is sent; a tab and non-ASCII text are fine.
func TestHeaderControlCharacterIsParam(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	for _, v := range []string{"a\x01b", "a\x7fb", "a\x0bb", "a\x1bb"} {
		for name, node := range map[string]*NodeConfig{
			"header": {URL: srv.URL, Headers: []KeyValue{{"X-A", "{{v}}"}}, Retry: &RetryPolicy{MaxAttempts: 3}},
			"apiKey": {URL: srv.URL, Auth: &Auth{Type: AuthAPIKey, Name: "X-Key", Value: "{{v}}"}, Retry: &RetryPolicy{MaxAttempts: 3}},
			"bearer": {URL: srv.URL, Auth: &Auth{Type: AuthBearer, Token: "{{v}}"}, Retry: &RetryPolicy{MaxAttempts: 3}},
		} {
			res, err := c.Execute(context.Background(), node, Values{"v": v})
			require.Error(t, err, "%s %q", name, v)
			assert.Equal(t, KindParam, res.Failure.Kind, "%s %q", name, v)
			assert.Len(t, res.Attempts, 1, "%s %q: not retried", name, v)
		}
	}
	assert.Zero(t, srv.count())
	for _, v := range []string{"a\tb", "é"} {
		_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Headers: []KeyValue{{"X-A", "{{v}}"}}}, Values{"v": v})
		require.NoError(t, err, "%q", v)
	}
}

// TestHostHeaderInvalidIsParam: a Host header that renders to something
// net/http refuses as a host fails with kind param before sending, not as a
// network fault retried with back-off.
func TestHostHeaderInvalidIsParam(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	for _, v := range []string{"a b", "a\"b", "a{b}"} {
		res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Headers: []KeyValue{{"host", "{{v}}"}}, Retry: &RetryPolicy{MaxAttempts: 3}}, Values{"v": v})
		require.Error(t, err, v)
		assert.Equal(t, KindParam, res.Failure.Kind, v)
		assert.Len(t, res.Attempts, 1, v)
	}
	assert.Zero(t, srv.count())
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Headers: []KeyValue{{"Host", "api.example.com:8080"}}}, nil)
	require.NoError(t, err)
	assert.True(t, res.OK())
}

// TestValuesKeepRequestShape: no parameter value changes the shape of the
// request: host, header and whole-URL values that would are kind param (or
// blocked), with nothing sent; path and query values are escaped.
func TestValuesKeepRequestShape(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	for _, tc := range []struct {
		node   NodeConfig
		params Values
	}{
		{NodeConfig{URL: "http://{{h}}/x"}, Values{"h": "evil.example/@" + host}},
		{NodeConfig{URL: srv.URL + "/x", Headers: []KeyValue{{Key: "X-A", Value: "{{v}}"}}}, Values{"v": "a\r\nX-Injected: 1"}},
		{NodeConfig{URL: "{{u}}"}, Values{"u": "file:///etc/passwd"}},
	} {
		res, err := c.Execute(ctx, &tc.node, tc.params)
		require.Error(t, err)
		assert.Contains(t, []FailureKind{KindParam, KindBlocked}, res.Failure.Kind, tc.node.URL)
		assert.Zero(t, srv.count(), tc.node.URL)
	}
	_, err := c.Execute(ctx, &NodeConfig{URL: srv.URL + "/a%20b/{{p}}?q={{q}}"}, Values{"p": "../x?y=1#z", "q": "1&admin=true"})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.count())
	u, err := url.ParseRequestURI(srv.last(t).RequestURI)
	require.NoError(t, err)
	got := u.RawPath + "|" + u.EscapedPath() + "|" + u.RawQuery
	assert.Contains(t, got, "/a%20b/")
	assert.NotContains(t, got, "admin=true&")
	assert.NotContains(t, got, "|y=1")
	assert.Contains(t, got, "q=1%26admin%3Dtrue")
}
