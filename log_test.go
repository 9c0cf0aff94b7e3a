package httpstep

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/httpstep/httpstep/internal/tokenpeer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logCapture is a Logger writing JSON records, at Debug and above, to a
// buffer the test reads.
type logCapture struct{ bytes.Buffer }

func (l *logCapture) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&l.Buffer, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// records decodes the captured records.
func (l *logCapture) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
		out = append(out, rec)
	}
	return out
}

// withMsg are the records with message msg.
func withMsg(recs []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// assertNoForm fails when any of forms is in the captured output, as
// written or once its JSON is decoded.
func (l *logCapture) assertNoForm(t *testing.T, forms map[string]string) {
	t.Helper()
	var decoded strings.Builder
	for _, rec := range l.records(t) {
		collectStrings(&decoded, rec)
	}
	for name, f := range forms {
		assert.NotContains(t, l.String(), f, "the %s form, as written", name)
		assert.NotContains(t, l.String(), jsonInner(f), "the %s form, JSON-escaped", name)
		assert.NotContains(t, decoded.String(), f, "the %s form, decoded", name)
	}
}

// collectStrings writes every string in a decoded JSON value to b.
func collectStrings(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		b.WriteString(v + "\n")
	case map[string]any:
		for k, e := range v {
			b.WriteString(k + "\n")
			collectStrings(b, e)
		}
	case []any:
		for _, e := range v {
			collectStrings(b, e)
		}
	}
}

// TestLoggerRedactsEveryForm: a Client's Logger gets a Debug record of
// every attempt and a Warn record of every failed run, with the host's run
// identity, and no form of any credential (raw, Basic, URL- and
// JSON-escaped, as an API echoes them) in any record, for every auth type,
// a Secret parameter, and a failure message built from the answer.
func TestLoggerRedactsEveryForm(t *testing.T) {
	echo := newEchoServer(t)
	refuse := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "key " + echoedSecret + " is not valid"})
	})
	var logs logCapture
	c := testClient(t)
	c.Logger = logs.logger()
	ctx := WithRunIdentity(context.Background(), RunIdentity{Workflow: "wf-1", Node: "send-1", Run: "run-7"})
	nodes := []*NodeConfig{
		{URL: echo.URL + "/{{s}}?q={{s}}", Headers: []KeyValue{{"X-Sig", "{{s}}"}}},
		{Method: "POST", URL: echo.URL, Body: &Body{Kind: BodyRaw, Raw: `{"k":"{{s}}"}`}},
		{URL: refuse.URL, Headers: []KeyValue{{"X-Sig", "{{s}}"}}, OnFailure: Continue,
			Success: SuccessRule{ErrorMessagePath: "error"}, Retry: &RetryPolicy{MaxAttempts: 2, InitialInterval: Duration(1)}},
	}
	for _, a := range []*Auth{
		{Type: AuthBasic, Username: "bob", Password: "{{p}}"},
		{Type: AuthBearer, Token: "{{p}}"},
		{Type: AuthAPIKey, Name: "X-K", Value: "{{p}}"},
		{Type: AuthAPIKey, Name: "k", In: InQuery, Value: "{{p}}"},
		{Type: AuthDigest, Username: "bob", Password: "{{p}}"},
	} {
		nodes = append(nodes, &NodeConfig{URL: echo.URL, Auth: a})
	}
	attempts := 0
	for _, node := range nodes {
		res, _ := c.Execute(ctx, node, Values{"p": echoedSecret, "s": Secret(echoedSecret)})
		attempts += len(res.Attempts)
		c.Logger.Info("host logs the run", "result", res, "failure", res.Failure, "attempt", res.Attempts[0])
	}
	logs.assertNoForm(t, echoedForms)

	recs := logs.records(t)
	debug := withMsg(recs, logAttempt)
	assert.Len(t, debug, attempts, "one Debug record per exchange")
	for _, r := range debug {
		assert.Equal(t, "DEBUG", r["level"])
		assert.Equal(t, "send-1", r["node"])
		assert.Equal(t, "run-7", r["run"])
		assert.Equal(t, "wf-1", r["workflow"])
		assert.NotEmpty(t, r["method"])
		assert.Contains(t, r["url"], "http://127.0.0.1:")
		assert.Contains(t, r, "duration")
	}
	assert.Equal(t, "/[REDACTED]?q=[REDACTED]", strings.TrimPrefix(debug[0]["url"].(string), echo.URL))
	warn := withMsg(recs, logFailure)
	require.Len(t, warn, 1, "one failed run")
	assert.Equal(t, "WARN", warn[0]["level"])
	assert.Equal(t, string(KindStatus), warn[0]["kind"])
	assert.EqualValues(t, 503, warn[0]["status"])
	assert.EqualValues(t, 2, warn[0]["attempts"])
	assert.Equal(t, "key [REDACTED] is not valid", warn[0]["message"])
	assert.Equal(t, "run-7", warn[0]["run"])

	hosts := withMsg(recs, "host logs the run")
	require.Len(t, hosts, len(nodes))
	failed := hosts[2]["result"].(map[string]any)
	assert.Equal(t, false, failed["ok"])
	assert.Equal(t, "key [REDACTED] is not valid", failed["failure"].(map[string]any)["message"])
	assert.Len(t, failed["attempts"], 2)
	assert.EqualValues(t, 503, hosts[2]["attempt"].(map[string]any)["status"])
}

// TestLoggerTokenRequests: the requests to an OAuth2 token endpoint are
// logged at Debug, marked auth=token, with no client secret, password,
// Basic form or issued token in any record.
func TestLoggerTokenRequests(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	var logs logCapture
	c := testClient(t)
	c.Logger = logs.logger()
	res, err := c.Execute(context.Background(), oauthNode(peer, GrantClientCredentials), oauthParams())
	require.NoError(t, err)
	require.True(t, res.OK(), res.Failure)
	forms := map[string]string{}
	for i, f := range credentialForms(oauthSecrets(peer)...) {
		forms[strings.Repeat("*", i)] = f
	}
	logs.assertNoForm(t, forms)
	debug := withMsg(logs.records(t), logAttempt)
	require.Len(t, debug, 2, "the token request, then the request")
	assert.Equal(t, RecordToken, debug[0]["auth"])
	assert.Contains(t, debug[0]["url"], "/token")
	assert.EqualValues(t, 200, debug[1]["status"])
	assert.NotContains(t, debug[1], "node", "no identity was given")
}

// TestLoggerLevels: a Logger above Debug gets only the failures.
func TestLoggerLevels(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	var buf bytes.Buffer
	c := testClient(t)
	c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) // Info
	_, _ = c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	_, _ = c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Success: SuccessRule{Codes: []int{418}}}, nil)
	assert.Equal(t, 1, strings.Count(buf.String(), "\n"), buf.String())
	assert.Contains(t, buf.String(), `"msg":"httpstep failure"`)
}

// TestAttemptEventsNumberAsHistory: on a pull of several pages and on a
// polled job, each Debug record and each AttemptDone hook carries the
// attempt number and poll of the history record it describes, so the log,
// a tracer and the execution history can be read side by side.
func TestAttemptEventsNumberAsHistory(t *testing.T) {
	pages, jobs := orders(t), jobServer(t, 1)
	for _, tc := range []struct {
		name string
		node *NodeConfig
	}{
		{"pages", &NodeConfig{URL: pages.URL + "/page?size=10", Paginate: &Pagination{Mode: "page", Param: "page", ItemsPath: "data.items"}}},
		{"polls", &NodeConfig{Method: "POST", URL: jobs.URL + "/jobs", Async: fastPoll()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs logCapture
			c := testClient(t)
			c.Logger = logs.logger()
			var hooked []Attempt
			c.Hooks = &Hooks{AttemptDone: func(_ context.Context, a *Attempt) { hooked = append(hooked, *a) }}
			res, err := c.Execute(context.Background(), tc.node, nil)
			require.NoError(t, err)
			debug := withMsg(logs.records(t), logAttempt)
			require.Len(t, debug, len(res.Attempts))
			require.Len(t, hooked, len(res.Attempts))
			require.Greater(t, len(res.Attempts), 2)
			for i, a := range res.Attempts {
				assert.Equal(t, [2]int{a.N, a.Poll}, [2]int{hooked[i].N, hooked[i].Poll}, "hook %d", i)
				assert.EqualValues(t, a.N, debug[i]["attempt"], "record %d", i)
				if a.Poll == 0 {
					assert.NotContains(t, debug[i], "poll", "record %d", i)
				} else {
					assert.EqualValues(t, a.Poll, debug[i]["poll"], "record %d", i)
				}
			}
		})
	}
}
