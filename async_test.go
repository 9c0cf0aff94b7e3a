package httpstep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAsyncValidate(t *testing.T) {
	base := func(a *Async) *NodeConfig {
		return &NodeConfig{Method: "POST", URL: "https://api.example.com/jobs", Async: a}
	}
	tests := []struct {
		name  string
		node  *NodeConfig
		field string // "" = valid
	}{
		{"defaults", base(&Async{}), ""},
		{"status values", base(&Async{StatusPath: "status", DoneValues: []string{"succeeded"}, FailedValues: []string{"failed"}}), ""},
		{"failed only", base(&Async{StatusPath: "status", FailedValues: []string{"failed"}}), ""},
		{"negative interval", base(&Async{Interval: -1}), "async.interval"},
		{"tiny interval", base(&Async{Interval: Duration(time.Millisecond)}), "async.interval"},
		{"negative maxWait", base(&Async{MaxWait: -1}), "async.maxWait"},
		{"interval over maxWait", base(&Async{Interval: Duration(time.Minute), MaxWait: Duration(time.Second)}), "async.interval"},
		{"status without values", base(&Async{StatusPath: "status"}), "async.doneValues"},
		{"values without status", base(&Async{DoneValues: []string{"done"}}), "async.statusPath"},
		{"value in both lists", base(&Async{StatusPath: "s", DoneValues: []string{"x"}, FailedValues: []string{"x"}}), "async.failedValues"},
		{"async and paginate", &NodeConfig{URL: "https://a.example/x", Async: &Async{}, Paginate: &Pagination{Mode: "link_header"}}, "async"},
		{"download", &NodeConfig{URL: "https://a.example/x", Download: true}, ""},
		{"download head", &NodeConfig{Method: "HEAD", URL: "https://a.example/x", Download: true}, "download"},
		{"download paginate", &NodeConfig{URL: "https://a.example/x", Download: true, Paginate: &Pagination{Mode: "link_header"}}, "download"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.node.Validate()
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			var fields []string
			for _, p := range ce.Problems {
				fields = append(fields, p.Field)
			}
			assert.Contains(t, fields, tt.field)
		})
	}
}

func TestAsyncJSONRoundTrip(t *testing.T) {
	src := `{"method":"POST","url":"https://api.example.com/exports","async":{"interval":"2s","maxWait":"5m0s","urlPath":"statusUrl","statusPath":"status","doneValues":["succeeded"],"failedValues":["failed"]},"download":true}`
	var n NodeConfig
	require.NoError(t, json.Unmarshal([]byte(src), &n))
	assert.Equal(t, &Async{Interval: Duration(2 * time.Second), MaxWait: Duration(5 * time.Minute), URLPath: "statusUrl",
		StatusPath: "status", DoneValues: []string{"succeeded"}, FailedValues: []string{"failed"}}, n.Async)
	assert.True(t, n.Download)
	out, err := json.Marshal(&n)
	require.NoError(t, err)
	assert.JSONEq(t, src, string(out))
}

func TestAsyncJudge(t *testing.T) {
	status := &Async{StatusPath: "status", DoneValues: []string{"succeeded"}, FailedValues: []string{"failed", "canceled"}}
	plain := &Async{}
	tests := []struct {
		name  string
		a     *Async
		code  int
		body  string
		want  pollState
		value string
	}{
		{"plain 202", plain, 202, ``, pollAgain, ""},
		{"plain 200", plain, 200, `{"x":1}`, pollDone, ""},
		{"plain 500", plain, 500, ``, pollDone, ""},
		{"plain 404", plain, 404, ``, pollDone, ""},
		{"running 200", status, 200, `{"status":"running"}`, pollAgain, "running"},
		{"running 202", status, 202, `{"status":"running"}`, pollAgain, "running"},
		{"succeeded", status, 200, `{"status":"succeeded"}`, pollDone, "succeeded"},
		{"succeeded 202", status, 202, `{"status":"succeeded"}`, pollDone, "succeeded"},
		{"failed", status, 200, `{"status":"failed"}`, pollFailed, "failed"},
		{"result without status", status, 200, `%PDF-1.7`, pollDone, ""},
		{"error status with failed value", status, 500, `{"status":"failed"}`, pollDone, "failed"},
		{"202 without status", status, 202, ``, pollAgain, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, v := tt.a.judge(tt.code, []byte(tt.body))
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.value, v)
		})
	}
}

func TestAsyncStatusURL(t *testing.T) {
	base, _ := url.Parse("https://api.example.com/v1/jobs?x=1")
	prev, _ := url.Parse("https://api.example.com/v1/jobs/9")
	a := &Async{URLPath: "links.status"}
	tests := []struct {
		name     string
		location string
		body     string
		prev     *url.URL
		want     string
		err      string
	}{
		{"absolute location", "https://status.example.com/j/1", ``, nil, "https://status.example.com/j/1", ""},
		{"relative location", "/v1/jobs/1", ``, nil, "https://api.example.com/v1/jobs/1", ""},
		{"relative to path", "jobs/2#frag", ``, nil, "https://api.example.com/v1/jobs/2", ""},
		{"location wins", "/a", `{"links":{"status":"/b"}}`, nil, "https://api.example.com/a", ""},
		{"body path", "", `{"links":{"status":"https://api.example.com/s/3"}}`, nil, "https://api.example.com/s/3", ""},
		{"keep previous", "", `{}`, prev, "https://api.example.com/v1/jobs/9", ""},
		{"nothing", "", `{}`, nil, "", "async.urlPath"},
		{"other scheme", "file:///etc/passwd", ``, nil, "", "not an http or https URL"},
		{"javascript", "javascript:alert(1)", ``, nil, "", "not an http or https URL"},
		{"bad", "http://[::1", ``, nil, "", "not an http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.location != "" {
				h.Set("Location", tt.location)
			}
			u, err := a.statusURL(base, h, []byte(tt.body), tt.prev, nil)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, u.String())
		})
	}
	_, err := (&Async{}).statusURL(base, http.Header{}, nil, nil, nil)
	assert.ErrorContains(t, err, "set async.urlPath")
}

func TestAsyncPollWait(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &Async{Interval: Duration(2 * time.Second)}
	h := func(ra string) http.Header { return http.Header{"Retry-After": {ra}} }
	far := now.Add(time.Hour)
	assert.Equal(t, 2*time.Second, a.pollWait(http.Header{}, now, far), "interval")
	assert.Equal(t, 7*time.Second, a.pollWait(h("7"), now, far), "Retry-After wins")
	assert.Equal(t, time.Second, a.pollWait(h("0"), now, far), "Retry-After: 0 is at least 1s")
	assert.Equal(t, 30*time.Second, a.pollWait(h(now.Add(30*time.Second).Format(http.TimeFormat)), now, far), "HTTP date")
	assert.Equal(t, 2*time.Second, a.pollWait(h("soon"), now, far), "unreadable Retry-After: interval")
	assert.Equal(t, 3*time.Second, a.pollWait(h("3600"), now, now.Add(3*time.Second)), "capped by maxWait")
	assert.Equal(t, time.Duration(0), a.pollWait(http.Header{}, now, now.Add(-time.Second)), "past the deadline")
	assert.Equal(t, DefaultPollInterval, (&Async{}).pollWait(http.Header{}, now, far))
}

func TestSameOrigin(t *testing.T) {
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	assert.True(t, sameOrigin(u("https://API.example.com/a"), u("https://api.example.com:443/b")))
	assert.True(t, sameOrigin(u("http://127.0.0.1:8080/a"), u("http://127.0.0.1:8080/b?x")))
	assert.False(t, sameOrigin(u("http://127.0.0.1:8080/a"), u("http://127.0.0.1:8081/a")), "another port")
	assert.False(t, sameOrigin(u("http://127.0.0.1:8080/a"), u("http://127.0.0.2:8080/a")), "another address")
	assert.False(t, sameOrigin(u("https://api.example.com/a"), u("http://api.example.com/a")), "downgrade")
	assert.False(t, sameOrigin(u("https://api.example.com/a"), u("https://status.example.com/a")), "subdomain")
}

// FuzzAsyncStatusURL: whatever a 202 says, a status URL that is polled is
// an absolute http or https URL without fragment, and nothing panics.
func FuzzAsyncStatusURL(f *testing.F) {
	for _, s := range []string{"/jobs/1", "https://x.example/s?t=1#f", "javascript:alert(1)", "//evil.example/x", "http://[::1", "\x00", "file:///etc/passwd"} {
		f.Add(s, `{"statusUrl":"`+s+`"}`)
	}
	base, _ := url.Parse("https://api.example.com/v1/jobs")
	a := &Async{URLPath: "statusUrl", StatusPath: "status", DoneValues: []string{"done"}}
	f.Fuzz(func(t *testing.T, location, body string) {
		h := http.Header{}
		h.Set("Location", location)
		for _, hh := range []http.Header{h, {}} {
			u, err := a.statusURL(base, hh, []byte(body), nil, nil)
			if err != nil {
				continue
			}
			if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
				t.Fatalf("polls %q", u)
			}
		}
		a.judge(202, []byte(body))
	})
}

// fastPoll polls every 100ms for at most 10s.
func fastPoll() *Async {
	return &Async{Interval: Duration(100 * time.Millisecond), MaxWait: Duration(10 * time.Second)}
}

func TestAsyncLocationRetryAfter(t *testing.T) {
	srv := jobServer(t, 1)
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/jobs", Async: fastPoll(),
		Headers: []KeyValue{{Key: "Authorization", Value: "Bearer {{token}}"}}}
	start := time.Now()
	res, err := testClient(t).Execute(context.Background(), node, Values{"token": Secret("s3cr3t-token")})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "Retry-After: 1 was honoured over the 100ms interval")
	assert.Equal(t, 200, res.StatusCode)
	assert.Equal(t, int64(42), res.Get("report.rows").Int())
	require.Len(t, res.Attempts, 3, "the request and two polls")
	for i, want := range []struct {
		method string
		poll   int
		status int
	}{{"POST", 0, 202}, {"GET", 1, 202}, {"GET", 2, 200}} {
		a := res.Attempts[i]
		assert.Equal(t, i+1, a.N)
		assert.Equal(t, want.method, a.Request.Method)
		assert.Equal(t, want.poll, a.Poll)
		assert.Equal(t, want.status, a.Response.Status)
		assert.Empty(t, a.Kind)
	}
	assert.Equal(t, srv.URL+"/jobs/1", res.Attempts[1].Request.URL, "relative Location resolved against the request URL")
	assert.Equal(t, "Bearer s3cr3t-token", srv.last(t).Header.Get("Authorization"), "same host: the poll keeps the credentials")
	assert.Empty(t, srv.last(t).Header.Get("Idempotency-Key"), "a poll is a GET of its own")
}

func TestAsyncStatusBody(t *testing.T) {
	srv := statusServer(t, 2, "succeeded")
	a := fastPoll()
	a.URLPath, a.StatusPath, a.DoneValues, a.FailedValues = "statusUrl", "status", []string{"succeeded"}, []string{"failed"}
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/exports", Async: a}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	assert.Equal(t, "succeeded", res.Get("status").String())
	assert.Equal(t, "export-7.csv", res.Get("file").String())
	require.Len(t, res.Attempts, 4, "202, running, running, succeeded")
	assert.Equal(t, 3, res.Attempts[3].Poll)
	for _, a := range res.Attempts[1:] {
		assert.Equal(t, "GET", a.Request.Method, "a poll is a GET")
		assert.Equal(t, srv.URL+"/status/7", a.Request.URL, "of the status URL the body gave")
	}
	assert.Equal(t, 4, srv.count())
}

func TestAsyncFailedValue(t *testing.T) {
	srv := statusServer(t, 1, "failed")
	a := fastPoll()
	a.URLPath, a.StatusPath, a.DoneValues, a.FailedValues = "statusUrl", "status", []string{"succeeded"}, []string{"failed"}
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/exports", Async: a, Success: SuccessRule{ErrorMessagePath: "error"}}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindErrorCode, f.Kind)
	assert.Equal(t, "failed", f.Code)
	assert.Equal(t, "disk quota exceeded", f.Message)
	last := res.Attempts[len(res.Attempts)-1]
	assert.Equal(t, KindErrorCode, last.Kind)
	assert.Equal(t, "disk quota exceeded", last.Error)
}

func TestAsyncForeignStatusDropsCredentials(t *testing.T) {
	origin, other := foreignStatus(t)
	node := &NodeConfig{Method: "POST", URL: origin.URL + "/jobs", Async: fastPoll(), Headers: []KeyValue{
		{Key: "Authorization", Value: "Bearer {{token}}"},
		{Key: "X-Api-Key", Value: "{{key}}"},
		{Key: "Accept", Value: "application/json"},
	}}
	res, err := testClient(t).Execute(context.Background(), node, Values{"token": Secret("tok-123456"), "key": Secret("key-abcdef")})
	require.NoError(t, err)
	assert.True(t, res.Get("done").Bool())
	assert.Equal(t, "Bearer tok-123456", origin.last(t).Header.Get("Authorization"))
	poll := other.last(t)
	assert.Empty(t, poll.Header.Get("Authorization"), "another host gets no Authorization")
	assert.Empty(t, poll.Header.Get("X-Api-Key"), "nor a header holding a secret")
	assert.Equal(t, "application/json", poll.Header.Get("Accept"), "other headers go along")
}

func TestAsyncSameAddressOtherPortDropsCredentials(t *testing.T) {
	other := newRecorder(t, nil)
	origin := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", other.URL+"/status")
		w.WriteHeader(http.StatusAccepted)
	})
	node := &NodeConfig{Method: "POST", URL: origin.URL, Async: fastPoll(), Headers: []KeyValue{{Key: "Authorization", Value: "Bearer {{t}}"}}}
	_, err := testClient(t).Execute(context.Background(), node, Values{"t": Secret("tok-123456")})
	require.NoError(t, err)
	assert.Empty(t, other.last(t).Header.Get("Authorization"), "another port is another origin")
}

func TestAsyncMaxWait(t *testing.T) {
	srv := foreverAccepted(t, "")
	a := &Async{Interval: Duration(100 * time.Millisecond), MaxWait: Duration(450 * time.Millisecond), StatusPath: "status", DoneValues: []string{"done"}}
	node := &NodeConfig{Method: "POST", URL: srv.URL, Async: a}
	start := time.Now()
	res, err := testClient(t).Execute(context.Background(), node, nil)
	elapsed := time.Since(start)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindTimeout, f.Kind)
	assert.Contains(t, f.Message, "maxWait 450ms")
	assert.Contains(t, f.Message, `"running" (HTTP 202)`, "the last status seen")
	assert.Equal(t, 202, f.StatusCode)
	assert.Less(t, elapsed, 5*time.Second, "maxWait ends the wait, not the test's own timeout")
	assert.GreaterOrEqual(t, elapsed, 450*time.Millisecond)
	// The first request and at least one poll: how many more fit into
	// 450 ms depends on the machine's load, not on the code.
	assert.GreaterOrEqual(t, len(res.Attempts), 2)
	assert.Equal(t, KindTimeout, res.Attempts[len(res.Attempts)-1].Kind)
}

func TestAsyncCanceledDuringWait(t *testing.T) {
	srv := foreverAccepted(t, "30")
	node := &NodeConfig{Method: "POST", URL: srv.URL, Async: &Async{}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	res, err := testClient(t).Execute(ctx, node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindCanceled, f.Kind)
	assert.Contains(t, f.Message, "canceled while waiting for the job")
	assert.Less(t, time.Since(start), 2*time.Second, "the 30s Retry-After wait stops at once")
	assert.Len(t, res.Attempts, 1)
}

// guardedClient lets 127.0.0.1 through the SSRF guard and nothing else, so
// 127.0.0.2 stands for an internal address.
func guardedClient(t *testing.T) *Client {
	c := &Client{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestAsyncInternalStatusURLBlocked(t *testing.T) {
	origin, other := foreignStatus(t)
	node := &NodeConfig{Method: "POST", URL: origin.URL + "/jobs", Async: fastPoll()}
	res, err := guardedClient(t).Execute(context.Background(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindBlocked, f.Kind)
	var b *BlockedError
	assert.True(t, errors.As(err, &b))
	assert.Equal(t, 0, other.count(), "nothing reached the internal address")
	assert.Len(t, res.Attempts, 2)
}

func TestAsyncRedirectToInternalBlocked(t *testing.T) {
	internal := newRecorderOn(t, "127.0.0.2", nil)
	srv := redirectingStatus(t, internal.URL+"/result")
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/jobs", Async: fastPoll()}
	_, err := guardedClient(t).Execute(context.Background(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindBlocked, f.Kind)
	assert.Equal(t, 0, internal.count())
}

func TestAsyncRedirectToResult(t *testing.T) {
	result := newRecorder(t, nil)
	srv := redirectingStatus(t, result.URL+"/result")
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/jobs", Async: fastPoll()}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "/result", result.last(t).RequestURI)
}

func TestAsyncNoStatusURL(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	node := &NodeConfig{Method: "POST", URL: srv.URL, Async: fastPoll()}
	_, err := testClient(t).Execute(context.Background(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindStatus, f.Kind)
	assert.Contains(t, f.Message, "async.urlPath")
	assert.Equal(t, 1, srv.count())
}

func TestAsyncFinalJudgedBySuccessRule(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Location", "/jobs/1")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"errcode":40001,"errmsg":"report too big"}`))
	})
	node := &NodeConfig{Method: "POST", URL: srv.URL, Async: fastPoll(),
		Success: SuccessRule{Codes: []int{200}, ErrorCodePath: "errcode", SuccessValues: []string{"0"}, ErrorMessagePath: "errmsg"}}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f, "codes [200] still let the 202 through; the final answer fails its business code")
	assert.Equal(t, KindErrorCode, f.Kind)
	assert.Equal(t, "40001", f.Code)
	assert.Equal(t, "report too big", res.Attempts[1].Error)
	assert.Equal(t, KindErrorCode, res.Attempts[1].Kind)
	assert.Empty(t, res.Attempts[0].Kind)
}

func TestAsyncNotFoundPollFails(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Location", "/gone")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		http.NotFound(w, r)
	})
	node := &NodeConfig{Method: "POST", URL: srv.URL, Async: fastPoll()}
	_, err := testClient(t).Execute(context.Background(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindStatus, f.Kind)
	assert.Equal(t, 404, f.StatusCode)
}

func TestWithoutAsync202IsFinal(t *testing.T) {
	srv := jobServer(t, 1)
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/jobs"}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	assert.Equal(t, 202, res.StatusCode)
	assert.Len(t, res.Attempts, 1)
	assert.Equal(t, 1, srv.count())
}

func TestAsyncHistoryRedactsStatusURL(t *testing.T) {
	other := newRecorder(t, nil)
	origin := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", other.URL+"/status?access_token=leaky-token-value")
		w.WriteHeader(http.StatusAccepted)
	})
	node := &NodeConfig{Method: "POST", URL: origin.URL, Async: fastPoll()}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.Len(t, res.Attempts, 2)
	history, err := json.Marshal(res.Attempts)
	require.NoError(t, err)
	assert.NotContains(t, string(history), "leaky-token-value")
}

func TestAsyncPollRetried(t *testing.T) {
	var polls atomic.Int32
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Location", "/jobs/1")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if polls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	})
	node := &NodeConfig{Method: "POST", URL: srv.URL, Async: fastPoll(), Retry: &RetryPolicy{MaxAttempts: 2, InitialInterval: Duration(time.Millisecond)}}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.Len(t, res.Attempts, 3)
	assert.Equal(t, []int{0, 1, 1}, []int{res.Attempts[0].Poll, res.Attempts[1].Poll, res.Attempts[2].Poll}, "the retry belongs to poll 1")
	assert.Equal(t, KindStatus, res.Attempts[1].Kind)
	assert.True(t, res.Attempts[1].Retry.Retry)
	assert.Equal(t, []int{1, 2, 3}, []int{res.Attempts[0].N, res.Attempts[1].N, res.Attempts[2].N})
}

func TestAsyncRunDeadline(t *testing.T) {
	srv := foreverAccepted(t, "")
	node := &NodeConfig{Method: "POST", URL: srv.URL, Async: fastPoll()}
	ctx, cancel := context.WithTimeout(context.Background(), 350*time.Millisecond)
	defer cancel()
	_, err := testClient(t).Execute(ctx, node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindTimeout, f.Kind)
	assert.Contains(t, f.Message, "deadline passed", "while waiting for the job, or (rarely) during a poll")
}

// TestAsyncPollCredentialsStayOnOrigin: polls on the request's origin
// carry the node's auth-block credentials; a status URL elsewhere gets
// none.
func TestAsyncPollCredentialsStayOnOrigin(t *testing.T) {
	other := newRecorderOn(t, "127.0.0.2", nil)
	home := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			w.Header().Set("Location", "/same")
		case "/same":
			w.Header().Set("Location", other.URL+"/elsewhere")
		}
		w.WriteHeader(http.StatusAccepted)
	})
	_, err := testClient(t).Execute(context.Background(), &NodeConfig{Method: "POST", URL: home.URL + "/start",
		Auth: &Auth{Type: AuthBearer, Token: "tok-123456"}, Async: fastPoll()}, nil)
	require.NoError(t, err)
	var got []string
	for _, r := range append(append([]seen(nil), home.reqs...), other.reqs...) {
		got = append(got, r.RequestURI+" "+r.Header.Get("Authorization"))
	}
	assert.Equal(t, []string{"/start Bearer tok-123456", "/same Bearer tok-123456", "/elsewhere "}, got)
}

// TestAsyncPollRules: a Location relative to the request's path resolves
// against the request URL; every poll is a GET; maxWait ends the wait with
// kind timeout, a cancellation with kind canceled.
func TestAsyncPollRules(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/jobs/start":
			w.Header().Set("Location", "status/1") // relative to /v1/jobs/start
			w.WriteHeader(http.StatusAccepted)
		case "/v1/jobs/status/1":
			io.WriteString(w, `{"done":true}`)
		case "/forever":
			w.Header().Set("Location", "/forever")
			w.WriteHeader(http.StatusAccepted)
		default:
			http.NotFound(w, r)
		}
	})
	c := testClient(t)
	ctx := context.Background()
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/v1/jobs/start", Body: &Body{Kind: BodyRaw, Raw: `{"a":1}`}, Async: fastPoll()}
	res, err := c.Execute(ctx, node, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"done":true}`, string(res.Body))
	asked := func() (out []string) {
		for _, r := range srv.reqs {
			out = append(out, r.Method+" "+r.RequestURI)
		}
		return out
	}
	assert.Equal(t, []string{"POST /v1/jobs/start", "GET /v1/jobs/status/1"}, asked())

	forever := &NodeConfig{Method: "POST", URL: srv.URL + "/forever",
		Async: &Async{Interval: Duration(100 * time.Millisecond), MaxWait: Duration(400 * time.Millisecond)}}
	res, err = c.Execute(ctx, forever, nil)
	require.Error(t, err)
	assert.Equal(t, KindTimeout, res.Failure.Kind)
	all := asked()
	assert.Equal(t, "POST /forever", all[2])
	require.Greater(t, len(all), 3)
	for _, s := range all[3:] {
		assert.Equal(t, "GET /forever", s, "every poll is a GET")
	}

	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(250*time.Millisecond, cancel)
	forever.Async.MaxWait = Duration(time.Minute)
	start := time.Now()
	res, err = c.Execute(cctx, forever, nil)
	require.Error(t, err)
	assert.Equal(t, KindCanceled, res.Failure.Kind)
	assert.Less(t, time.Since(start), 2*time.Second)
}

// TestAsyncRetryAfterCappedByMaxWait: a Retry-After longer than the whole
// wait ends at maxWait with kind timeout, not after Retry-After.
func TestAsyncRetryAfterCappedByMaxWait(t *testing.T) {
	srv := foreverAccepted(t, "60")
	start := time.Now()
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{Method: "POST", URL: srv.URL + "/start",
		Async: &Async{MaxWait: Duration(300 * time.Millisecond)}}, nil)
	require.Error(t, err)
	assert.Equal(t, KindTimeout, res.Failure.Kind)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Contains(t, res.Failure.Message, "202")
}

// TestAsyncLongRunning200 (finding 10): Google's long-running operations
// answer 200 {"done": false} and OpenAI's batches 200 {"status":
// "validating"}, the status URL built from the answer; polling started
// only after a 202, so the node succeeded at once with an unfinished job.
// With statusPath set, a first 2xx whose status is not final starts the
// polling, and async.pollUrl builds the URL from {{$response.PATH}}.
func TestAsyncLongRunning200(t *testing.T) {
	t.Run("google operation", func(t *testing.T) {
		srv := googleOperation(t, 2)
		c := testClient(t)
		stubEnv(c, 0, nil)
		node := nodeJSON(t, `{"method": "POST", "url": %q, "body": {"kind": "raw", "raw": "{\"labels\": {}}"},
			"success": {"errorCodePath": "error.code", "missingCode": "success", "errorMessagePath": "error.message"},
			"async": {"statusPath": "done", "doneValues": ["true"], "pollUrl": %q}}`,
			srv.URL+"/v1/projects/p/locations/us-central1/instances", srv.URL+"/v1/{{$response.name}}")
		res, err := c.Execute(context.Background(), node, nil)
		require.NoError(t, err)
		assert.Equal(t, "READY", res.Get("response.state").String(), "the node ends with the finished operation")
		assert.Equal(t, 4, srv.count(), "the request and three polls")
		assert.Equal(t, "/v1/projects/p/locations/us-central1/operations/operation-1", srv.last(t).RequestURI, "the name keeps its slashes")
		assert.Equal(t, "GET", srv.last(t).Method)
	})
	t.Run("openai batch", func(t *testing.T) {
		srv := openaiBatches(t, "in_progress", "finalizing", "completed")
		c := testClient(t)
		stubEnv(c, 0, nil)
		node := nodeJSON(t, `{"method": "POST", "url": %q, "headers": [{"key": "Authorization", "value": "Bearer sk-test"}],
			"body": {"kind": "raw", "raw": "{\"input_file_id\": \"file-abc123\", \"endpoint\": \"/v1/chat/completions\", \"completion_window\": \"24h\"}"},
			"async": {"statusPath": "status", "doneValues": ["completed"], "failedValues": ["failed", "expired", "cancelled"], "pollUrl": %q}}`,
			srv.URL+"/v1/batches", srv.URL+"/v1/batches/{{$response.id}}")
		res, err := c.Execute(context.Background(), node, nil)
		require.NoError(t, err)
		assert.Equal(t, "file-cvaTdG", res.Get("output_file_id").String())
		assert.Equal(t, 4, srv.count())
		assert.Equal(t, "Bearer sk-test", srv.last(t).Header.Get("Authorization"), "polls on the same origin carry the credentials")
	})
	t.Run("failed batch", func(t *testing.T) {
		srv := openaiBatches(t, "failed")
		c := testClient(t)
		stubEnv(c, 0, nil)
		node := nodeJSON(t, `{"method": "POST", "url": %q, "body": {"kind": "raw", "raw": "{}"},
			"async": {"statusPath": "status", "doneValues": ["completed"], "failedValues": ["failed"], "pollUrl": %q}}`,
			srv.URL+"/v1/batches", srv.URL+"/v1/batches/{{$response.id}}")
		_, err := c.Execute(context.Background(), node, nil)
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, KindErrorCode, f.Kind)
		assert.Equal(t, "failed", f.Code)
	})
}

// TestPollURLValues: a $response value keeps its slashes in the path, each
// segment escaped; "." and ".." are refused; in the query it is
// query-escaped; an answer without the value fails with a clear message.
func TestPollURLValues(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			fmt.Fprint(w, r.URL.Query().Get("answer"))
			return
		}
		fmt.Fprint(w, `{"state":"done"}`)
	})
	tests := []struct {
		answer string
		target string
		err    string
	}{
		{`{"state":"run","name":"operations/a b?c"}`, "/v1/operations/a%20b%3Fc?x=operations%2Fa+b%3Fc", ""},
		{`{"state":"run","name":"operations/../admin"}`, "", `"." and ".." are not allowed`},
		{`{"state":"run"}`, "", "the first answer has no name for async.pollUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.answer, func(t *testing.T) {
			c := testClient(t)
			stubEnv(c, 0, nil)
			node := nodeJSON(t, `{"method": "POST", "url": %q, "query": [{"key": "answer", "value": %q}],
				"async": {"statusPath": "state", "doneValues": ["done"], "pollUrl": %q}}`,
				srv.URL, tt.answer, srv.URL+"/v1/{{$response.name}}?x={{ $response.name }}")
			res, err := c.Execute(context.Background(), node, nil)
			if tt.err != "" {
				var f *Failure
				require.ErrorAs(t, err, &f)
				assert.Contains(t, f.Message, tt.err)
				assert.Len(t, res.Attempts, 1, "nothing is polled")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.target, srv.last(t).RequestURI)
		})
	}
}

// TestPollURLRefsAndValidate: Refs lists pollUrl's own refs (not the
// $response values), and Validate reads its template.
func TestPollURLRefsAndValidate(t *testing.T) {
	node := &NodeConfig{URL: "https://x.test/batches", Async: &Async{StatusPath: "status", DoneValues: []string{"completed"},
		PollURL: "{{base}}/v1/batches/{{$response.id}}?tenant={{tenant}}"}}
	assert.Equal(t, []string{"base", "tenant"}, node.Refs())
	require.NoError(t, node.Validate())
	node.Async.PollURL = "https://x.test/{{$response.id"
	var ce *ConfigError
	require.ErrorAs(t, node.Validate(), &ce)
	assert.Equal(t, "async.pollUrl", ce.Problems[0].Field)
}
