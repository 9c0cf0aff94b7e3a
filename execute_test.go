package httpstep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMethods sends every method through go-httpbin's /anything.
func TestMethods(t *testing.T) {
	base := httpbinURL(t)
	c := testClient(t)
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "get", "", "OPTIONS", "options", "PURGE", "purge"} {
		t.Run(m, func(t *testing.T) {
			node := &NodeConfig{Method: m, URL: base + "/anything/{{id}}", Query: []KeyValue{{"page", "{{page}}"}},
				Headers: []KeyValue{{"X-Tenant", "{{tenant}}"}}}
			res, err := c.Execute(context.Background(), node, Values{"id": 7, "page": 2, "tenant": "acme"})
			require.NoError(t, err)
			assert.Equal(t, 200, res.StatusCode)
			want := strings.ToUpper(m)
			switch m {
			case "":
				want = "GET"
			case "purge": // not a standard method: sent as typed
				want = m
			}
			assert.Equal(t, want, res.Attempts[0].Request.Method)
			if want == "HEAD" {
				assert.Empty(t, res.Body)
				return
			}
			if want == "OPTIONS" { // go-httpbin answers it as a CORS preflight
				return
			}
			assert.Equal(t, want, res.Get("method").String())
			assert.Equal(t, "2", res.Get("args.page.0").String())
			assert.Equal(t, "acme", res.Get("headers.X-Tenant.0").String())
			assert.True(t, strings.HasSuffix(res.Get("url").String(), "/anything/7?page=2"), res.Get("url").String())
		})
	}
}

// TestObjectDefaultsToPOST: a data-object node without a method is a POST.
func TestObjectDefaultsToPOST(t *testing.T) {
	base := httpbinURL(t)
	record := map[string]any{"id": "PR-1", "lines": []any{map[string]any{"sku": "A", "qty": 2.0}}, "approved": true}
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: base + "/post", Object: "record"}, Values{"record": record})
	require.NoError(t, err)
	var echoed map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.Get("json").Raw), &echoed))
	assert.Equal(t, record, echoed)
}

// TestSuccessRule covers codes, business codes and the message precedence.
func TestSuccessRule(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		var status int
		fmt.Sscan(r.URL.Query().Get("status"), &status)
		w.Header().Set("X-Why", "because")
		w.WriteHeader(status)
		io.WriteString(w, r.URL.Query().Get("body"))
	})
	tests := []struct {
		name, status, body string
		rule               SuccessRule
		kind               FailureKind
		code, message      string
	}{
		{"2xx by default", "204", "", SuccessRule{}, "", "", ""},
		{"201 outside codes", "201", "", SuccessRule{Codes: []int{200}}, KindStatus, "", "the API answered 201 Created"},
		{"listed code", "201", "", SuccessRule{Codes: []int{200, 201}}, "", "", ""},
		{"message by status", "500", `{"errmsg":"x"}`, SuccessRule{ErrorMessages: map[string]string{"500": "order system down"}, ErrorMessagePath: "errmsg", ErrorMessage: "generic"}, KindStatus, "", "order system down"},
		{"message from body", "503", `{"errmsg":"maintenance"}`, SuccessRule{ErrorMessages: map[string]string{"500": "no"}, ErrorMessagePath: "errmsg", ErrorMessage: "generic"}, KindStatus, "", "maintenance"},
		{"generic message", "503", `{}`, SuccessRule{ErrorMessagePath: "errmsg", ErrorMessage: "generic"}, KindStatus, "", "generic"},
		{"status text", "404", ``, SuccessRule{}, KindStatus, "", "the API answered 404 Not Found"},
		{"status decides before the code", "200", `{}`, SuccessRule{Codes: []int{201}, ErrorCodePath: "errcode", SuccessValues: []string{"0"}}, KindStatus, "", "the API answered 200 OK"},
		{"business success", "200", `{"errcode":0}`, SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}}, "", "", ""},
		{"business code absent", "200", `{"data":1}`, SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}}, KindErrorCode, "", "the response has no errcode, so it cannot show success (expected 0)"},
		{"not JSON", "200", `<html>maintenance</html>`, SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}}, KindErrorCode, "", "the response is not complete JSON, so its errcode cannot confirm success (expected 0)"},
		{"business error", "200", `{"errcode":40001,"errmsg":"invalid credential"}`, SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}, ErrorMessagePath: "errmsg"}, KindErrorCode, "40001", "invalid credential"},
		{"business error default message", "200", `{"code":"E1"}`, SuccessRule{ErrorCodePath: "code", SuccessValues: []string{"OK"}}, KindErrorCode, "E1", "the API answered with error code E1 (code is not one of the success values OK)"},
	}
	c := testClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &NodeConfig{URL: srv.URL + "/?status={{s}}&body={{b}}", Success: tt.rule, OnFailure: Continue}
			res, err := c.Execute(context.Background(), node, Values{"s": tt.status, "b": tt.body})
			require.NoError(t, err, "continue never returns the failure")
			if tt.kind == "" {
				assert.Nil(t, res.Failure)
				return
			}
			require.NotNil(t, res.Failure)
			assert.Equal(t, tt.kind, res.Failure.Kind)
			assert.Equal(t, tt.code, res.Failure.Code)
			assert.Equal(t, tt.message, res.Failure.Message)
			assert.Equal(t, tt.status, fmt.Sprint(res.StatusCode), "a failed result keeps its status")
			assert.Equal(t, tt.body, string(res.Body), "a failed result keeps its body")
			assert.Equal(t, "because", res.Header.Get("X-Why"), "a failed result keeps its headers")
		})
	}
}

// TestPolicies: terminate returns the *Failure, continue returns nil and
// every Lookup answers false.
func TestPolicies(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, `{"city":"Hangzhou"}`)
	})
	c := testClient(t)
	node := &NodeConfig{URL: srv.URL}
	res, err := c.Execute(context.Background(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Same(t, res.Failure, f)
	assert.Equal(t, 500, f.StatusCode)
	assert.Equal(t, "httpstep: status: the API answered 500 Internal Server Error", err.Error())

	node.OnFailure = Continue
	res, err = c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.NotNil(t, res.Failure)
	_, ok := res.Lookup("city")
	assert.False(t, ok, "Lookup answers false on a failed node")
	assert.Equal(t, "Hangzhou", res.Get("city").String(), "Get still reads the body")
}

// TestLookup: present, empty string, null and absent paths.
func TestLookup(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"a":"","b":null,"c":{"d":[1,2]}}`)
	})
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.NoError(t, err)
	for path, want := range map[string]bool{"a": true, "b": true, "c.d.1": true, "x": false, "c.d.5": false} {
		_, ok := res.Lookup(path)
		assert.Equal(t, want, ok, path)
	}
}

// TestInvalidNodeSendsNothing: a *ConfigError comes back whatever the policy.
func TestInvalidNodeSendsNothing(t *testing.T) {
	rec := newRecorder(t, nil)
	node := &NodeConfig{Method: "GET ALL", URL: rec.URL, OnFailure: Continue}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Nil(t, res)
	assert.Zero(t, rec.count())
	_, err = Execute(context.Background(), nil, nil)
	require.ErrorAs(t, err, &ce)
}

// TestTimeout: the node's timeout is per attempt and gives kind timeout; a
// server that drips its body cannot hold an attempt past it.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/drip" {
			w.WriteHeader(200)
			for i := 0; i < 100; i++ {
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
				select {
				case <-release:
					return
				case <-r.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c := testClient(t)
	for _, path := range []string{"/hang", "/drip"} {
		start := time.Now()
		res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + path, Timeout: Duration(200 * time.Millisecond)}, nil)
		elapsed := time.Since(start)
		var f *Failure
		require.ErrorAs(t, err, &f, path)
		assert.Equal(t, KindTimeout, f.Kind, path)
		assert.Equal(t, "the API did not answer within 200ms", f.Message)
		assert.Less(t, elapsed, 2*time.Second, path)
		assert.Equal(t, KindTimeout, res.Attempts[0].Kind)
	}
	assert.Equal(t, DefaultTimeout, (&NodeConfig{}).timeout())
}

// TestCanceled: the caller's context ends the attempt with kind canceled.
func TestCanceled(t *testing.T) {
	release := make(chan struct{})
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := testClient(t).Execute(ctx, &NodeConfig{URL: srv.URL}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindCanceled, f.Kind)
	assert.True(t, errors.Is(err, context.Canceled))
}

// TestNetworkFailures: a closed port, a reset and a cut-short body are kind
// network.
func TestNetworkFailures(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	l.Close()

	cut := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\":")
		buf.Flush()
		conn.Close()
	})
	c := testClient(t)
	for name, u := range map[string]string{"refused": closed, "cut short": cut.URL} {
		res, err := c.Execute(context.Background(), &NodeConfig{URL: u}, nil)
		var f *Failure
		require.ErrorAs(t, err, &f, name)
		assert.Equal(t, KindNetwork, f.Kind, name)
		assert.False(t, res.OK())
	}
}

// TestTLSFailure: an untrusted certificate is kind tls; skipping
// verification on one node does not affect another node's connections.
func TestTLSFailure(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	defer srv.Close()
	c := testClient(t)
	_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindTLS, f.Kind)
	assert.Contains(t, f.Message, "certificate")

	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, InsecureSkipVerify: true}, nil)
	require.NoError(t, err)
	assert.True(t, res.OK())
	_, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.ErrorAs(t, err, &f, "verification stays on for other nodes")
	assert.Equal(t, KindTLS, f.Kind)
}

// TestTLSToPlainServer: an https URL whose server does not speak TLS is
// kind tls, not network, so it is not retried: one answering in plain HTTP
// (Go's "server gave HTTP response to HTTPS client") and one answering with
// some other protocol's greeting. The message says what is wrong, not that
// a certificate failed.
func TestTLSToPlainServer(t *testing.T) {
	plain := newRecorder(t, nil)
	greeting := rawServer(t, func(conn net.Conn) { io.WriteString(conn, "SSH-2.0-OpenSSH_9.6\r\n") })
	tests := []struct{ name, url, says string }{
		{"plain HTTP", strings.Replace(plain.URL, "http:", "https:", 1), "plain HTTP"},
		{"another protocol", "https://" + greeting, "does not speak TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &NodeConfig{URL: tt.url, Retry: &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(time.Millisecond)}}
			res, err := testClient(t).Execute(context.Background(), node, nil)
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindTLS, f.Kind, f.Message)
			assert.Contains(t, f.Message, tt.says)
			assert.NotContains(t, f.Message, "certificate could not be verified")
			assert.Len(t, res.Attempts, 1, "a TLS problem is not retried")
		})
	}
}

// TestBlockedByDefault: DefaultClient keeps the SSRF guard on; loopback is
// refused before any byte is sent and the failure is kind blocked.
func TestBlockedByDefault(t *testing.T) {
	rec := newRecorder(t, nil)
	res, err := Execute(context.Background(), &NodeConfig{URL: rec.URL}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindBlocked, f.Kind)
	assert.Equal(t, KindBlocked, res.Attempts[0].Kind)
	assert.Equal(t, 1, strings.Count(err.Error(), "httpstep: blocked:"), err.Error())
	assert.Contains(t, f.Message, "127.0.0.1 is a loopback address")
	assert.Zero(t, rec.count())
}

// TestConnectionReuse: one Client reuses its connections across Executes.
func TestConnectionReuse(t *testing.T) {
	srv, conns := countingServer(t)
	c := testClient(t)
	for i := 0; i < 20; i++ {
		res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
		require.NoError(t, err)
		if i > 0 {
			assert.True(t, res.Attempts[0].Timing.Reused)
		}
	}
	assert.EqualValues(t, 1, conns.Load())
}

// TestMissingRef: a missing ref renders empty and is named in the record.
func TestMissingRef(t *testing.T) {
	rec := newRecorder(t, nil)
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: rec.URL + "/x?a={{nope}}&b={{ here.too }}"}, Values{})
	require.NoError(t, err)
	assert.Equal(t, "/x?a=&b=", rec.last(t).RequestURI)
	assert.Equal(t, []string{"nope", "here.too"}, res.Attempts[0].Missing)
}

// TestUserAgentAndOverrides: the default User-Agent and the node's own.
func TestUserAgentAndOverrides(t *testing.T) {
	rec := newRecorder(t, nil)
	c := testClient(t)
	_, err := c.Execute(context.Background(), &NodeConfig{URL: rec.URL}, nil)
	require.NoError(t, err)
	assert.Equal(t, UserAgent, rec.last(t).Header.Get("User-Agent"))
	_, err = c.Execute(context.Background(), &NodeConfig{URL: rec.URL, Headers: []KeyValue{{"user-agent", "mine"}}}, nil)
	require.NoError(t, err)
	assert.Equal(t, "mine", rec.last(t).Header.Get("User-Agent"))
}

// TestFailureMessagesReadable: messages are plain sentences without a
// doubled "httpstep:" prefix or Go error plumbing.
func TestFailureMessagesReadable(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, UseProxy: true}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, 1, strings.Count(err.Error(), "httpstep:"), err.Error())
	assert.NotContains(t, f.Message, "dial tcp")
}

// TestTruncatedJSONNoBusinessCode: a body cut short cannot confirm a
// business code, even when the code it still holds reads as success.
func TestTruncatedJSONNoBusinessCode(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":0,"msg":"accepted","id":`)
	})
	node := &NodeConfig{URL: srv.URL, Success: SuccessRule{ErrorCodePath: "code", SuccessValues: []string{"0"}}}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.Error(t, err)
	assert.Equal(t, KindErrorCode, res.Failure.Kind)
	assert.Contains(t, res.Failure.Message, "not complete JSON")
}
