package httpstep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHistoryRedaction: no credential reaches the history, even when the
// API echoes it back (go-httpbin does).
func TestHistoryRedaction(t *testing.T) {
	base := strings.Replace(httpbinURL(t), "http://", "http://admin:hunter2@", 1)
	const token, apiKey, pw = "tok-AAA111", "key-BBB222", "pw-CCC333"
	node := &NodeConfig{
		Method: "POST",
		URL:    base + "/anything/{{pw}}?access_token=plain-DDD444&page=1",
		Query:  []KeyValue{{"api_key", "{{apikey}}"}, {"q", "ok"}},
		Headers: []KeyValue{
			{"Authorization", "Bearer " + token},
			{"Cookie", "session=EEE555"},
			{"X-Api-Key", "{{apikey}}"},
			{"X-Trace", "trace-{{pw}}"},
		},
		Body:      &Body{Kind: BodyRaw, Raw: `{"password":"{{pw}}","user":"ann"}`},
		OnFailure: Continue,
	}
	res, err := testClient(t).Execute(context.Background(), node, Values{"pw": Secret(pw), "apikey": Secret(apiKey)})
	require.NoError(t, err)
	require.True(t, res.OK(), res.Failure)
	assert.Contains(t, string(res.Body), token, "the API itself received the real values")

	history, err := json.Marshal(res.Attempts)
	require.NoError(t, err)
	for _, secret := range []string{token, apiKey, pw, "hunter2", "plain-DDD444", "EEE555"} {
		assert.NotContains(t, string(history), secret)
	}
	a := res.Attempts[0]
	assert.Contains(t, a.Request.URL, "access_token=[REDACTED]")
	assert.Contains(t, a.Request.URL, "page=1&api_key=[REDACTED]&q=ok")
	assert.Equal(t, []string{"[REDACTED]"}, a.Request.Header["Authorization"])
	assert.Equal(t, []string{"[REDACTED]"}, a.Request.Header["X-Trace"], "a header holding a Secret is a credential")
	assert.Equal(t, `{"password":"[REDACTED]","user":"ann"}`, a.Request.Body)
	assert.Equal(t, 200, a.Response.Status)
	assert.NotEmpty(t, a.Response.Body)
}

// TestTokenLikeQueryRedacted: token-like query parameters the node typed
// in its URL are redacted in the history; the others are kept.
func TestTokenLikeQueryRedacted(t *testing.T) {
	srv := newRecorder(t, nil)
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL + "/x?access_token=AT-abc123&api_key=AK-abc123&page=2"}, nil)
	require.NoError(t, err)
	hist, _ := json.Marshal(res.Attempts)
	assert.NotContains(t, string(hist), "AT-abc123")
	assert.NotContains(t, string(hist), "AK-abc123")
	assert.Contains(t, string(hist), "page=2")
}

// TestSecretInErrorText: a secret in a failure message is redacted.
func TestSecretInErrorText(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		w.Write([]byte(`{"msg":"token ` + r.Header.Get("X-Token") + ` expired"}`))
	})
	node := &NodeConfig{URL: srv.URL, Headers: []KeyValue{{"X-Token", "{{t}}"}}, Success: SuccessRule{ErrorMessagePath: "msg"}}
	res, err := testClient(t).Execute(context.Background(), node, Values{"t": Secret("sekrit-999")})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "sekrit-999")
	assert.Equal(t, "token [REDACTED] expired", res.Failure.Message)
	assert.Equal(t, "token [REDACTED] expired", res.Attempts[0].Error)
}

// TestSecretNotPrinted: fmt never prints a Secret.
func TestSecretNotPrinted(t *testing.T) {
	s := Secret("x")
	assert.Equal(t, "[REDACTED]", s.String())
	assert.Equal(t, "[REDACTED]", s.GoString())
}

// TestHistoryPreviewBounded: a large body is previewed, not copied whole.
func TestHistoryPreviewBounded(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(big)) })
	node := &NodeConfig{Method: "POST", URL: srv.URL, Body: &Body{Kind: BodyRaw, ContentType: "text/plain", Raw: "{{v}}"}}
	res, err := testClient(t).Execute(context.Background(), node, Values{"v": big})
	require.NoError(t, err)
	a := res.Attempts[0]
	assert.LessOrEqual(t, len(a.Request.Body), previewBytes)
	assert.True(t, a.Request.Truncated)
	assert.LessOrEqual(t, len(a.Response.Body), previewBytes)
	assert.True(t, a.Response.Truncated)
	assert.Equal(t, int64(len(big)), a.Response.Bytes)
	assert.Len(t, res.Body, len(big))
}

// TestHistoryHeaderBounded: a 900 KiB response header (and a large request
// header) is kept in the history only up to the preview size, with a note
// naming it; the Result's own Header keeps it whole, and a secret the API
// echoes at its end is still hidden.
func TestHistoryHeaderBounded(t *testing.T) {
	big := strings.Repeat("h", 900<<10)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Huge", big+r.Header.Get("X-Key"))
		w.Header().Set("X-Small", "kept")
	})
	node := &NodeConfig{URL: srv.URL, Headers: []KeyValue{{Key: "X-Key", Value: "{{k}}"}, {Key: "X-Sent", Value: "{{v}}"}}}
	res, err := testClient(t).Execute(context.Background(), node, Values{"k": Secret("s3cr3t-value"), "v": strings.Repeat("q", 8<<10)})
	require.NoError(t, err)
	history, err := json.Marshal(res.Attempts)
	require.NoError(t, err)
	assert.Less(t, len(history), 32<<10, "the history of one call stays small")
	assert.NotContains(t, string(history), "s3cr3t-value")
	a := res.Attempts[0]
	assert.LessOrEqual(t, len(a.Response.Header["X-Huge"][0]), maxHeaderValue+len("..."))
	assert.True(t, strings.HasSuffix(a.Response.Header["X-Huge"][0], "..."))
	assert.LessOrEqual(t, len(a.Request.Header["X-Sent"][0]), maxHeaderValue+len("..."))
	assert.Equal(t, []string{"kept"}, a.Response.Header["X-Small"])
	assert.Contains(t, a.Notes, fmt.Sprintf(`the response header "X-Huge" is %d bytes long; the history keeps its first %d`, len(big)+len("s3cr3t-value"), maxHeaderValue))
	assert.Contains(t, a.Notes, fmt.Sprintf(`the request header "X-Sent" is %d bytes long; the history keeps its first %d`, 8<<10, maxHeaderValue))
	assert.Len(t, res.Header.Get("X-Huge"), len(big)+len("s3cr3t-value"), "the Result keeps the header whole")
}

// TestSecretNotInErrorChain: the URL net/http puts in its errors is
// redacted, so no level of Failure.Err carries the secret.
func TestSecretNotInErrorChain(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	l.Close()
	node := &NodeConfig{URL: "http://" + closed + "/hook/{{tok}}?access_token=plain-q-secret"}
	_, err = testClient(t).Execute(context.Background(), node, Values{"tok": Secret("path-secret-1")})
	require.Error(t, err)
	for e := err; e != nil; e = errors.Unwrap(e) {
		assert.NotContains(t, e.Error(), "path-secret-1")
		assert.NotContains(t, e.Error(), "plain-q-secret")
	}
}

// TestURLCredentialsInFailedRecords: when the URL cannot be rendered or
// parsed, the record and the message still hide user info and tokens.
func TestURLCredentialsInFailedRecords(t *testing.T) {
	c := testClient(t)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: "http://alice:hunter2@127.0.0.1:1/x?access_token=LITERALTOKEN&id={{id}}"}, Values{"id": File{}})
	require.Error(t, err)
	res2, err2 := c.Execute(context.Background(), &NodeConfig{URL: "{{base}}/x"}, Values{"base": "http://alice:hunter2@127.0.0.1:abc/?access_token=TOK123"})
	require.Error(t, err2)
	cfgErr := (&NodeConfig{URL: "http://alice:hunter2@127.0.0.1:abc/?access_token=TOK123"}).Validate()
	require.Error(t, cfgErr)
	for _, text := range []string{fmt.Sprint(res.Attempts), err.Error(), fmt.Sprint(res2.Attempts), err2.Error(), cfgErr.Error()} {
		for _, secret := range []string{"hunter2", "LITERALTOKEN", "TOK123"} {
			assert.NotContains(t, text, secret)
		}
	}
	assert.Equal(t, "http://[REDACTED]@127.0.0.1:1/x?access_token=[REDACTED]&id={{id}}", res.Attempts[0].Request.URL)
}

// TestEchoedCredentials: credentials an API echoes back (user info as Basic
// auth, cookies, password form fields, XML-escaped secrets) stay out of the
// response preview.
func TestEchoedCredentials(t *testing.T) {
	base := httpbinURL(t)
	c := testClient(t)
	withUser := strings.Replace(base, "http://", "http://alice:hunter2pw@", 1)
	nodes := []*NodeConfig{
		{URL: withUser + "/headers"},
		{URL: base + "/cookies", Headers: []KeyValue{{"Cookie", "sid=abc123xyz; theme=dark"}}},
		{Method: "POST", URL: base + "/post", Body: &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "password", Value: "formpw123"}, {Key: "user", Value: "ann"}}}},
		{Method: "POST", URL: base + "/post", Body: &Body{Kind: BodyRaw, ContentType: "application/xml", Raw: "<pw>{{pw}}</pw>"}},
		{URL: base + "/get?x={{pw}}", Headers: []KeyValue{{"X-Client", "{{padded}}"}}},
	}
	params := Values{"pw": Secret("hunter2&<co>"), "padded": Secret("s3cr3tvalue ")}
	for i, n := range nodes {
		res, err := c.Execute(context.Background(), n, params)
		require.NoError(t, err, i)
		history, _ := json.Marshal(res.Attempts)
		for _, secret := range []string{"hunter2pw", "YWxpY2U6aHVudGVyMnB3", "abc123xyz", "formpw123", "hunter2&amp;&lt;co&gt;", "hunter2", "s3cr3tvalue"} {
			assert.NotContains(t, string(history), secret, "node %d", i)
		}
	}
}

// TestNotesRedacted: notes and retry reasons go through the redactor too.
func TestNotesRedacted(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset="+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		w.Write([]byte("x"))
	})
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL, Headers: []KeyValue{{"Authorization", "Bearer {{t}}"}}}, Values{"t": Secret("tok3nvalue")})
	require.NoError(t, err)
	require.NotEmpty(t, res.Attempts[0].Notes)
	history, _ := json.Marshal(res.Attempts)
	assert.NotContains(t, string(history), "tok3nvalue")
}

// TestShortSecrets: a Secret too short to find in text is still redacted
// where it stands whole: a query value, a path segment, a header.
func TestShortSecrets(t *testing.T) {
	srv := newRecorder(t, nil)
	node := &NodeConfig{URL: srv.URL + "/pin/{{pin}}/x?pin={{pin}}&page=42", Headers: []KeyValue{{"X-Pin", "{{pin}}"}}}
	res, err := testClient(t).Execute(context.Background(), node, Values{"pin": Secret("42")})
	require.NoError(t, err)
	rec := res.Attempts[0].Request
	assert.True(t, strings.HasSuffix(rec.URL, "/pin/[REDACTED]/x?pin=[REDACTED]&page=[REDACTED]"), rec.URL)
	assert.Equal(t, []string{"[REDACTED]"}, rec.Header["X-Pin"])
	assert.Equal(t, "/pin/42/x?pin=42&page=42", srv.last(t).RequestURI, "the API gets the real value")
}

// TestHistorySummary: under HistorySummary a failed attempt is recorded
// whole and the successful retry after it as a summary, its URL redacted
// as ever; the same run under the default keeps both whole.
func TestHistorySummary(t *testing.T) {
	var calls atomic.Int32
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Reply", "r")
		w.Header().Set("X-Long", strings.Repeat("l", maxHeaderValue+1))
		if calls.Add(1)%2 == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintf(w, `{"echo":%q}`, r.Header.Get("Authorization"))
	})
	node := &NodeConfig{URL: srv.URL + "/x?api_key={{k}}", Headers: []KeyValue{{"Authorization", "Bearer {{k}}"}},
		Retry: &RetryPolicy{MaxAttempts: 2, InitialInterval: Duration(time.Millisecond)}}
	params := Values{"k": Secret("s3cret-token")}
	for _, mode := range []HistoryMode{HistoryFull, HistorySummary} {
		c := testClient(t)
		c.History = mode
		res, err := c.Execute(context.Background(), node, params)
		require.NoError(t, err)
		require.Len(t, res.Attempts, 2)
		failed, ok := res.Attempts[0], res.Attempts[1]
		assert.Equal(t, KindStatus, failed.Kind)
		assert.NotEmpty(t, failed.Request.Header, "a failed attempt's request header")
		require.NotNil(t, failed.Response)
		assert.NotEmpty(t, failed.Response.Header)
		assert.Contains(t, failed.Response.Body, "[REDACTED]")
		assert.Equal(t, "GET", ok.Request.Method)
		assert.Contains(t, ok.Request.URL, "/x?api_key=")
		assert.NotNil(t, ok.Timing)
		require.NotNil(t, ok.Response)
		assert.Equal(t, 200, ok.Response.Status)
		assert.Equal(t, int64(len(res.Body)), ok.Response.Bytes)
		assert.True(t, slices.ContainsFunc(failed.Notes, func(n string) bool { return strings.Contains(n, "X-Long") }),
			"a whole record notes the header it cut: %q", failed.Notes)
		notesLong := slices.ContainsFunc(ok.Notes, func(n string) bool { return strings.Contains(n, "X-Long") })
		if mode == HistoryFull {
			assert.NotEmpty(t, ok.Request.Header)
			assert.NotEmpty(t, ok.Response.Body)
			assert.True(t, notesLong, "a whole record notes the header it cut")
		} else {
			assert.False(t, notesLong, "a summary keeps no header, so notes none: %q", ok.Notes)
			assert.Empty(t, ok.Request.Header, "a summary has no request header")
			assert.Empty(t, ok.Response.Header, "a summary has no response header")
			assert.Empty(t, ok.Response.Body, "a summary has no body preview")
		}
		b, err := json.Marshal(res.Attempts)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "s3cret-token")
	}
}

// TestRequestPreviewIsTheBody: a rendered body that fits the preview is
// its own preview in the record (a string does not change, so no copy is
// needed); a longer one's preview is a copy of its start, so the history
// never keeps a large body alive; a secret in either is still scrubbed.
func TestRequestPreviewIsTheBody(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		shared    bool
	}{
		{"fits", `{"id":"{{id}}"}`, true},
		{"longer", `{"id":"{{id}}","pad":"` + strings.Repeat("x", previewBytes) + `"}`, false},
		{"secret", `{"id":"{{id}}","key":"{{key}}"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, err := (&NodeConfig{Method: "POST", URL: "http://api.example.test/x", Body: &Body{Kind: BodyRaw, Raw: tc.raw}}).Compile()
			require.NoError(t, err)
			o, f := testClient(t).render(step, Values{"id": "o1", "key": Secret("k3y-9f8e7d6c")})
			require.Nil(t, f)
			rec := o.record(nil)
			assert.Equal(t, tc.shared, unsafe.StringData(rec.Body) == unsafe.StringData(o.body.data))
			assert.NotContains(t, rec.Body, "k3y-9f8e7d6c")
			assert.LessOrEqual(t, len(rec.Body), previewBytes)
		})
	}
}
