package httpstep

import (
	"encoding/json"
	"net/http"
	"net/url"
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
			u, err := a.statusURL(base, h, []byte(tt.body), tt.prev)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, u.String())
		})
	}
	_, err := (&Async{}).statusURL(base, http.Header{}, nil, nil)
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
			u, err := a.statusURL(base, hh, []byte(body), nil)
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
