package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/internal/golden"
	"github.com/mccutchen/go-httpbin/v2/httpbin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain fails the run when a test leaves a goroutine behind: run must
// close the connections it opened. The user's configuration directory,
// where test remembers values, is a temporary one.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "httpstep-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	os.Setenv("HOME", dir)
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { os.RemoveAll(dir) }))
}

// outcome is what one command line did.
type outcome struct {
	code           int
	stdout, stderr string
}

// runCLI runs args in-process with stdin as standard input.
func runCLI(t *testing.T, stdin string, args ...string) outcome {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return outcome{code, out.String(), errOut.String()}
}

// printed is the output object of run and test, as read back.
type printed struct {
	Row      int                 `json:"row"`  // -each only
	Line     int                 `json:"line"` // -each only
	OK       bool                `json:"ok"`
	Status   int                 `json:"status"`
	Headers  map[string][]string `json:"headers"`
	Body     json.RawMessage     `json:"body"`
	Failure  *failure            `json:"failure"`
	Attempts []httpstep.Attempt  `json:"attempts"`
	Schema   json.RawMessage     `json:"schema"`
}

func decodeOutput(t *testing.T, stdout string) printed {
	t.Helper()
	var p printed
	require.NoError(t, json.Unmarshal([]byte(stdout), &p), "stdout: %s", stdout)
	return p
}

// topKeys returns the keys of the JSON object s, in order.
func topKeys(t *testing.T, s string) []string {
	t.Helper()
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(s), &raw))
	dec := json.NewDecoder(strings.NewReader(s))
	var keys []string
	_, _ = dec.Token() // {
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

// writeFile writes content under a temporary directory and returns the path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// nodeFile writes a node whose text has %[1]s where the server URL goes.
func nodeFile(t *testing.T, format, base string) string {
	t.Helper()
	return writeFile(t, "node.json", fmt.Sprintf(format, base))
}

// apiServer is a loopback API with one route per outcome; hits counts the
// requests it received.
func apiServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	hits := &atomic.Int64{}
	mux := http.NewServeMux()
	jsonReply := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Trace", "abc")
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	mux.Handle("/ok", jsonReply(200, `{"id":7,"name":"mug","tags":["gift"]}`))
	mux.Handle("/fail", jsonReply(500, `{"error":"down"}`))
	mux.Handle("/errcode", jsonReply(200, `{"errcode":40001,"errmsg":"bad token"}`))
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello <world> & co")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

// httpbinServer starts go-httpbin in-process on loopback.
func httpbinServer(t *testing.T) string {
	srv := httptest.NewServer(httpbin.New())
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRun(t *testing.T) {
	srv, _ := apiServer(t)
	tests := []struct {
		name       string
		node       string // %[1]s is the server URL
		flags      []string
		code       int
		ok         bool
		status     int
		body       string // JSON
		failure    *failure
		stderrHas  string
		headerSeen bool
	}{
		{name: "success", node: `{"url": "%[1]s/ok"}`, code: 0, ok: true, status: 200,
			body: `{"id":7,"name":"mug","tags":["gift"]}`, headerSeen: true},
		{name: "status failure under terminate", node: `{"url": "%[1]s/fail"}`, code: 1, status: 500,
			body: `{"error":"down"}`, failure: &failure{Kind: "status", Message: "the API answered 500 Internal Server Error"},
			stderrHas: "httpstep: status: the API answered 500"},
		{name: "status failure under continue", node: `{"url": "%[1]s/fail", "onFailure": "continue", "success": {"errorMessages": {"500": "the shop is down"}}}`,
			code: 0, status: 500, body: `{"error":"down"}`, failure: &failure{Kind: "status", Message: "the shop is down"}},
		{name: "business error code", node: `{"url": "%[1]s/errcode", "onFailure": "continue", "success": {"errorCodePath": "errcode", "successValues": ["0"], "errorMessagePath": "errmsg"}}`,
			code: 0, status: 200, body: `{"errcode":40001,"errmsg":"bad token"}`, failure: &failure{Kind: "error_code", Code: "40001", Message: "bad token"}},
		{name: "text body is a string", node: `{"url": "%[1]s/text"}`, code: 0, ok: true, status: 200,
			body: `"hello <world> & co"`},
		{name: "timeout flag overrides the node", node: `{"url": "%[1]s/slow", "timeout": "5s"}`, flags: []string{"-timeout", "50ms"},
			code: 1, body: `""`, failure: &failure{Kind: "timeout"}, stderrHas: "httpstep: timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"run", "-allow-private"}, tt.flags...)
			got := runCLI(t, "", append(args, nodeFile(t, tt.node, srv.URL))...)
			require.Equal(t, tt.code, got.code, "stderr: %s", got.stderr)
			assert.Equal(t, []string{"ok", "status", "headers", "body", "failure", "attempts"}, topKeys(t, got.stdout))
			assert.True(t, strings.HasPrefix(got.stdout, "{\n  \"ok\": "), "indented by two spaces")
			out := decodeOutput(t, got.stdout)
			assert.Equal(t, tt.ok, out.OK)
			assert.Equal(t, tt.status, out.Status)
			assert.JSONEq(t, tt.body, string(out.Body))
			if tt.failure == nil {
				assert.Nil(t, out.Failure)
				assert.Contains(t, got.stdout, `"failure": null`)
			} else {
				require.NotNil(t, out.Failure)
				assert.Equal(t, tt.failure.Kind, out.Failure.Kind)
				assert.Equal(t, tt.failure.Code, out.Failure.Code)
				if tt.failure.Message != "" {
					assert.Equal(t, tt.failure.Message, out.Failure.Message)
				}
			}
			require.NotEmpty(t, out.Attempts)
			assert.Contains(t, got.stderr, tt.stderrHas)
			if tt.headerSeen {
				assert.Equal(t, []string{"abc"}, out.Headers["X-Trace"])
			}
		})
	}
}

// TestSSRFGuard: loopback is blocked unless -allow-private is given.
func TestSSRFGuard(t *testing.T) {
	srv, hits := apiServer(t)
	node := nodeFile(t, `{"url": "%[1]s/ok"}`, srv.URL)

	got := runCLI(t, "", "run", node)
	require.Equal(t, 1, got.code, got.stderr)
	out := decodeOutput(t, got.stdout)
	require.NotNil(t, out.Failure)
	assert.Equal(t, httpstep.KindBlocked, out.Failure.Kind)
	assert.Equal(t, 0, out.Status)
	assert.Equal(t, "{}", string(mustCompact(t, got.stdout, "headers")))
	assert.Zero(t, hits.Load(), "nothing reached the server")
	want := "127.0.0.1 is a loopback address; requests to internal networks are blocked: " +
		"run with -allow-private (or -allow-network 127.0.0.1/32) if the request is meant to reach it"
	assert.Equal(t, want, out.Failure.Message, "the CLI's fix, not an administrator's")
	assert.Equal(t, "httpstep: blocked: "+want+"\n", got.stderr)

	got = runCLI(t, "", "run", node, "-allow-private")
	require.Equal(t, 0, got.code, got.stderr)
	assert.True(t, decodeOutput(t, got.stdout).OK)
	assert.EqualValues(t, 1, hits.Load())

	got = runCLI(t, "", "run", node, "-allow-network", "127.0.0.0/8")
	require.Equal(t, 0, got.code, got.stderr)
	assert.EqualValues(t, 2, hits.Load())

	meta := writeFile(t, "meta.json", `{"url": "http://169.254.169.254/latest/meta-data/"}`)
	got = runCLI(t, "", "run", meta, "-allow-private")
	require.Equal(t, 1, got.code, got.stderr)
	assert.Equal(t, "169.254.169.254 is a link-local address (cloud metadata); a cloud platform endpoint stays blocked "+
		"under -allow-private: run with -allow-network 169.254.169.254/32 if the request is meant to reach it",
		decodeOutput(t, got.stdout).Failure.Message)
}

// TestLargeBodies: -max-response raises or lowers the response limit, the
// limit reads in MiB, and a failed result prints at most 64 KiB of its
// body, with a note saying how much there was.
func TestLargeBodies(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 3<<16) // 3 MiB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		io.WriteString(w, big)
	}))
	t.Cleanup(srv.Close)
	ok := nodeFile(t, `{"url": "%s/ok"}`, srv.URL)
	got := runCLI(t, "", "run", "-allow-private", "-max-response", "1MiB", ok)
	require.Equal(t, 1, got.code, got.stderr)
	out := decodeOutput(t, got.stdout)
	assert.Equal(t, httpstep.KindTooLarge, out.Failure.Kind)
	assert.Contains(t, out.Failure.Message, "the limit of 1 MiB;")
	assert.Less(t, len(got.stdout), 80<<10, "the body printed is capped")
	assert.Contains(t, got.stderr, "httpstep: note: the body is 1 MiB or more; printed its first 64 KiB\n")

	got = runCLI(t, "", "run", "-allow-private", "-max-response", "4MiB", ok)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, len(big)+len(`""`), len(mustCompact(t, got.stdout, "body")), "a success prints its body whole")

	fail := nodeFile(t, `{"url": "%s/fail", "onFailure": "continue"}`, srv.URL)
	got = runCLI(t, "", "run", "-allow-private", "-max-response", "4MiB", fail)
	require.Equal(t, 0, got.code, got.stderr)
	var body string
	require.NoError(t, json.Unmarshal(decodeOutput(t, got.stdout).Body, &body))
	assert.Equal(t, big[:64<<10], body)
	assert.Equal(t, "httpstep: note: the body is 3 MiB; printed its first 64 KiB\n", got.stderr)

	got = runCLI(t, "", "run", "-max-response", "lots", ok)
	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, `"lots" is not a size`)
}

// mustCompact returns the compacted value of key in the JSON object s.
func mustCompact(t *testing.T, s, key string) []byte {
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(s), &m))
	var b bytes.Buffer
	require.NoError(t, json.Compact(&b, m[key]))
	return b.Bytes()
}

// TestRunUnknownKeys: a node file that misspells settings ("header" for
// "headers", "Timeout" for "timeout", a nested "success.code") is refused
// with every key named and a suggestion, and nothing is sent: dropping the
// headers in silence sends a request nobody asked for.
func TestRunUnknownKeys(t *testing.T) {
	srv, hits := apiServer(t)
	node := writeFile(t, "typo.json", `{"url": "`+srv.URL+`/ok", "retries": 3, "header": [{"key": "X-A", "value": "1"}],
	 "Timeout": "5s", "success": {"code": [200]}}`)
	got := runCLI(t, "", "run", "-allow-private", node)
	require.Equal(t, 2, got.code, got.stderr)
	assert.Empty(t, got.stdout)
	assert.Zero(t, hits.Load(), "nothing was sent")
	assert.Equal(t, []string{
		`httpstep: ` + node + ` is not a valid node; fix these settings:`,
		`  retries: "retries" is not a setting here, so it would be ignored: did you mean "retry"?`,
		`  header: "header" is not a setting here, so it would be ignored: did you mean "headers"?`,
		`  Timeout: keys are case-sensitive: write "timeout", not "Timeout"`,
		`  success.code: "code" is not a setting here, so it would be ignored: did you mean "codes"?`,
	}, strings.Split(strings.TrimSpace(got.stderr), "\n"))
}

func TestRunInvalidNode(t *testing.T) {
	node := writeFile(t, "bad.json", `{"method": "GET ALL", "url": "ftp://example.com/x", "onFailure": "maybe", "colour": "red"}`)
	got := runCLI(t, "", "run", node)
	require.Equal(t, 2, got.code)
	assert.Empty(t, got.stdout)
	lines := strings.Split(strings.TrimSpace(got.stderr), "\n")
	assert.Equal(t, []string{
		`httpstep: ` + node + ` is not a valid node; fix these settings:`,
		`  colour: "colour" is not a setting here, so it would be ignored`,
		`  method: "GET ALL" is not a method: use GET, POST, PUT, DELETE, HEAD, PATCH or another token of letters, digits and !#$%&'*+-.^_` + "`" + `|~`,
		`  url: the API URL must start with http:// or https://`,
		`  onFailure: "maybe" is not a policy: use terminate or continue`,
	}, lines)
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	good := file("good.json", `{"url": "http://127.0.0.1:1/"}`)
	broken := file("broken.json", "{\n  \"url\": \"http://x\",,\n}")
	list := file("list.json", `[1, 2]`)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"no arguments", nil, "", 2, "", "Usage:"},
		{"help", []string{"help"}, "", 0, "Usage:", ""},
		{"-h", []string{"-h"}, "", 0, "Usage:", ""},
		{"run -h", []string{"run", "-h"}, "", 0, "-p ref:=JSON", ""},
		{"schema -h", []string{"schema", "-h"}, "", 0, "Usage:", ""},
		{"jsonschema with an argument", []string{"jsonschema", "node.json"}, "", 2, "", "jsonschema takes no arguments"},
		{"unknown command", []string{"fetch"}, "", 2, "", `unknown command "fetch"`},
		{"run without node", []string{"run"}, "", 2, "", "run takes one node file"},
		{"run with two nodes", []string{"run", good, good}, "", 2, "", "not 2"},
		{"unknown flag", []string{"run", "-bogus", good}, "", 2, "", "flag provided but not defined: -bogus"},
		{"refs is for test only", []string{"run", "-refs", good}, "", 2, "", "-refs"},
		{"-p without =", []string{"run", "-p", "novalue", good}, "", 2, "", `invalid value "novalue" for flag -p: write ref=value`},
		{"-p bad JSON", []string{"run", "-p", "n:={bad", good}, "", 2, "", "is not JSON"},
		{"-p two JSON values", []string{"run", "-p", "n:=1 2", good}, "", 2, "", "more after the first JSON value"},
		{"-s JSON", []string{"run", "-s", `k:="x"`, good}, "", 2, "", "a secret is text"},
		{"-p @ without file", []string{"run", "-p", "f=@", good}, "", 2, "", "name the file after @"},
		{"-p missing attachment", []string{"run", "-p", "f=@" + filepath.Join(dir, "nope.bin"), good}, "", 2, "", "nope.bin"},
		{"-p directory attachment", []string{"run", "-p", "f=@" + dir, good}, "", 2, "", "not a regular file"},
		{"-s missing file", []string{"run", "-s", "k=@" + filepath.Join(dir, "nope.txt"), good}, "", 2, "", "-s k:"},
		{"bad proxy", []string{"run", "-proxy", "ftp://proxy", good}, "", 2, "", "socks5://"},
		{"negative timeout", []string{"run", "-timeout", "-1s", good}, "", 2, "", "cannot be negative"},
		{"missing node file", []string{"run", filepath.Join(dir, "missing.json")}, "", 2, "", "missing.json"},
		{"broken node file", []string{"run", broken}, "", 2, "", broken + " is not a valid node; fix these settings:\n  node: not valid JSON at line 2, column 21: invalid character ','"},
		{"empty node from stdin", []string{"run", "-"}, " \n", 2, "", "standard input is not a valid node; fix these settings:\n  node: the node is empty"},
		{"truncated node", []string{"run", "-"}, `{"url": "http://x"`, 2, "", "node: the JSON ends too early at line 1, column 19"},
		{"trailing text", []string{"run", "-"}, `{"url": "http://x"} {}`, 2, "", "node: there is more after the node's JSON object at line 1, column 21"},
		{"node and params both stdin", []string{"run", "-params", "-", "-"}, "", 2, "", "cannot both come from standard input"},
		{"params not an object", []string{"run", "-params", list, good}, "", 2, "", "must be a JSON object"},
		{"params broken", []string{"run", "-params", broken, good}, "", 2, "", broken + ":2:"},
		{"schema without file", []string{"schema"}, "", 2, "", "schema takes one"},
		{"schema of broken JSON", []string{"schema", broken}, "", 2, "", broken + ":2:21"},
		{"curl of another program", []string{"curl", "wget https://example.com"}, "", 2, "", "not curl"},
		{"curl of nothing", []string{"curl"}, "", 2, "", "the command is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, tt.stdin, tt.args...)
			assert.Equal(t, tt.code, got.code, "stderr: %s", got.stderr)
			assert.Contains(t, got.stdout, tt.stdout)
			assert.Contains(t, got.stderr, tt.stderr)
			if tt.code == 2 {
				assert.Empty(t, got.stdout, "nothing on stdout on misuse")
			}
		})
	}
}

// TestParams: -params, -p (text, JSON, dotted refs) and -s reach the request
// as written, -p overrides -params, and no secret reaches the output.
func TestParams(t *testing.T) {
	base := httpbinServer(t)
	node := nodeFile(t, `{
		"method": "POST",
		"url": "%[1]s/anything/{{user.id}}",
		"query": [{"key": "q", "value": "{{q}}"}],
		"headers": [
			{"key": "Authorization", "value": "Bearer {{token}}"},
			{"key": "X-Client", "value": "{{clientKey}}"}
		],
		"body": {"kind": "raw", "raw": "{\"n\": {{n}}, \"tags\": {{tags}}, \"name\": \"{{user.name}}\", \"big\": {{big}}, \"user\": {{user}}}"}
	}`, base)
	params := writeFile(t, "params.json", `{"user": {"id": 7, "name": "from-file"}, "q": "from-file", "big": 12345678901234567890}`)
	keyFile := writeFile(t, "key.txt", "key-from-file-9f8e\n")

	got := runCLI(t, "", "run", "-allow-private", "-params", params,
		"-p", "user.name=from-cli", "-p", "n:=42", "-p", `tags:=["a","b"]`, "-p", "q=first", "-p", "q=second",
		"-s", "token=s3cr3t-token", "-s", "clientKey=@"+keyFile, node)
	require.Equal(t, 0, got.code, got.stderr)
	out := decodeOutput(t, got.stdout)

	var echo struct {
		URL     string              `json:"url"`
		Args    map[string][]string `json:"args"`
		Headers map[string][]string `json:"headers"`
		Data    string              `json:"data"`
	}
	require.NoError(t, json.Unmarshal(out.Body, &echo))
	assert.Contains(t, echo.URL, "/anything/7")
	assert.Equal(t, []string{"second"}, echo.Args["q"], "the last -p wins")
	assert.JSONEq(t, `{"n": 42, "tags": ["a","b"], "name": "from-cli", "big": 12345678901234567890, "user": {"id": 7, "name": "from-cli"}}`, echo.Data)
	assert.Contains(t, echo.Data, `"big": 12345678901234567890`, "large numbers stay exact")
	assert.Equal(t, []string{"[REDACTED]"}, echo.Headers["Authorization"], "echoed secrets are scrubbed from the body")
	assert.Equal(t, []string{"[REDACTED]"}, echo.Headers["X-Client"], "a secret file loses its trailing newline")

	assert.NotContains(t, got.stdout, "s3cr3t-token")
	assert.NotContains(t, got.stdout, "key-from-file")
	require.Len(t, out.Attempts, 1)
	assert.Equal(t, []string{"[REDACTED]"}, out.Attempts[0].Request.Header["Authorization"])
	assert.Equal(t, []string{"[REDACTED]"}, out.Attempts[0].Request.Header["X-Client"])
	assert.Empty(t, got.stderr)
}

// TestMissingRefs: a ref without a value is sent empty, and stderr says so.
func TestMissingRefs(t *testing.T) {
	srv, _ := apiServer(t)
	node := nodeFile(t, `{"url": "%[1]s/ok", "query": [{"key": "a", "value": "{{absent}}"}, {"key": "b", "value": "{{given}}"}]}`, srv.URL)
	got := runCLI(t, "", "run", "-allow-private", "-p", "given=1", node)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, "httpstep: note: no value for absent, sent empty: give values with -p ref=value\n", got.stderr)
	assert.Equal(t, []string{"absent"}, decodeOutput(t, got.stdout).Attempts[0].Missing)
}

// TestMissingSecretRefs: a ref that is a secret (by its name, or by the
// credential it fills) is suggested with -s, which keeps it out of the
// history and of the remembered test values, not -p.
func TestMissingSecretRefs(t *testing.T) {
	srv, _ := apiServer(t)
	for _, tc := range []struct{ node, want string }{
		{`{"url": "%[1]s/ok", "headers": [{"key": "Authorization", "value": "Bearer {{org.bearer}}"}]}`,
			"httpstep: note: no value for org.bearer, sent empty: give secrets with -s ref=value\n"},
		{`{"url": "%[1]s/ok", "query": [{"key": "q", "value": "{{absent}}"}, {"key": "k", "value": "{{org.apiKey}}"}]}`,
			"httpstep: note: no value for absent, org.apiKey, sent empty: give values with -p ref=value, and the secret org.apiKey with -s ref=value\n"},
	} {
		got := runCLI(t, "", "run", "-allow-private", nodeFile(t, tc.node, srv.URL))
		require.Equal(t, 0, got.code, got.stderr)
		assert.Equal(t, tc.want, got.stderr)
	}
}

// TestUpload: -p f=@PATH attaches a local file to form-data and binary
// bodies.
func TestUpload(t *testing.T) {
	base := httpbinServer(t)
	content, err := os.ReadFile("testdata/file.txt")
	require.NoError(t, err)

	form := nodeFile(t, `{"method": "POST", "url": "%[1]s/post", "body": {"kind": "form-data", "fields": [
		{"key": "title", "value": "{{title}}"}, {"key": "attachment", "file": "f"}]}}`, base)
	got := runCLI(t, "", "run", "-allow-private", "-p", "f=@testdata/file.txt", "-p", "title=Report", form)
	require.Equal(t, 0, got.code, got.stderr)
	out := decodeOutput(t, got.stdout)
	var echo struct {
		Form  map[string][]string `json:"form"`
		Files map[string][]string `json:"files"`
		Data  string              `json:"data"`
	}
	require.NoError(t, json.Unmarshal(out.Body, &echo))
	assert.Equal(t, []string{"Report"}, echo.Form["title"])
	assert.Equal(t, []string{string(content)}, echo.Files["attachment"])
	require.Len(t, out.Attempts[0].Request.Files, 1)
	assert.Equal(t, httpstep.FileRecord{Field: "attachment", Name: "file.txt", ContentType: out.Attempts[0].Request.Files[0].ContentType, Size: int64(len(content))}, out.Attempts[0].Request.Files[0])

	binary := nodeFile(t, `{"method": "PUT", "url": "%[1]s/put", "body": {"kind": "binary", "file": "f"}}`, base)
	got = runCLI(t, "", "run", "-allow-private", "-p", "f=@testdata/file.txt", binary)
	require.Equal(t, 0, got.code, got.stderr)
	out = decodeOutput(t, got.stdout)
	require.NoError(t, json.Unmarshal(out.Body, &echo))
	assert.Equal(t, string(content), echo.Data)
}

// TestProxy: -proxy is the Client's proxy, used by nodes with useProxy.
func TestProxy(t *testing.T) {
	var seen atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.RequestURI)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"via": "proxy"}`)
	}))
	t.Cleanup(proxy.Close)
	node := writeFile(t, "node.json", `{"url": "http://127.0.0.1:9/orders", "useProxy": true}`)

	got := runCLI(t, "", "run", "-allow-private", "-proxy", proxy.URL, node)
	require.Equal(t, 0, got.code, got.stderr)
	assert.JSONEq(t, `{"via": "proxy"}`, string(decodeOutput(t, got.stdout).Body))
	assert.Equal(t, "http://127.0.0.1:9/orders", seen.Load())

	got = runCLI(t, "", "run", "-allow-private", node)
	require.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, "give it with -proxy URL")
}

// TestCurl: the curl subcommand prints the node for a command, given as one
// argument, on standard input, or as unquoted words.
func TestCurl(t *testing.T) {
	inputs, err := filepath.Glob("testdata/curl/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			command, err := os.ReadFile(in)
			require.NoError(t, err)
			got := runCLI(t, "", "curl", string(command))
			require.Equal(t, 0, got.code, got.stderr)
			golden.Check(t, strings.TrimSuffix(in, ".txt")+".json", []byte(got.stdout))
			for _, args := range [][]string{{"curl", "-"}, {"curl"}} {
				again := runCLI(t, string(command), args...)
				assert.Equal(t, got, again, "%v reads standard input", args)
			}
		})
	}
}

func TestCurlWords(t *testing.T) {
	quoted := runCLI(t, "", "curl", `curl -X POST -H 'X-Note: it'\''s "fine"' 'https://api.example.com/a?b=1&c=2' -d '{"a": 1}'`)
	require.Equal(t, 0, quoted.code, quoted.stderr)
	words := []string{"-X", "POST", "-H", `X-Note: it's "fine"`, "https://api.example.com/a?b=1&c=2", "-d", `{"a": 1}`}
	assert.Equal(t, quoted, runCLI(t, "", append([]string{"curl", "curl"}, words...)...))
	assert.Equal(t, quoted, runCLI(t, "", append([]string{"curl"}, words...)...), "curl is added when missing")
}

// TestCurlNotes: what the import kept as typed or left out is said on
// stderr, and the node is printed.
func TestCurlNotes(t *testing.T) {
	got := runCLI(t, "", "curl", "curl https://api.example.com/users/<ID>\ncurl https://api.example.com/b")
	require.Equal(t, 0, got.code)
	assert.Contains(t, got.stdout, `"url": "https://api.example.com/users/<ID>"`)
	assert.Equal(t, "httpstep: note: the URL holds <ID>, a placeholder of the documentation: replace it with a value or a {{ref}}\n"+
		"httpstep: note: a second curl command follows the first: only the first was imported; import the other one on its own\n", got.stderr)
}

// TestCurlNeedsAttention: an imported node that would not validate is
// printed, with what to fix on stderr.
func TestCurlNeedsAttention(t *testing.T) {
	got := runCLI(t, "", "curl", "curl -X CONNECT https://api.example.com/")
	require.Equal(t, 0, got.code)
	assert.Contains(t, got.stdout, `"method": "CONNECT"`)
	assert.Contains(t, got.stderr, "the imported node is not a valid node; fix these settings before running it:\n  method:")
}

// skipWithoutSchema skips when InferSchema is not implemented on this branch.
func skipWithoutSchema(t *testing.T) {
	t.Helper()
	if _, err := httpstep.InferSchema([]byte(`{"a": 1}`)); err != nil && strings.Contains(err.Error(), "not implemented") {
		t.Skip("InferSchema is not implemented yet:", err)
	}
}

func TestSchema(t *testing.T) {
	skipWithoutSchema(t)
	example, err := os.ReadFile("testdata/example.json")
	require.NoError(t, err)
	want, err := httpstep.InferSchema(example)
	require.NoError(t, err)

	for _, got := range []outcome{runCLI(t, "", "schema", "testdata/example.json"), runCLI(t, string(example), "schema", "-")} {
		require.Equal(t, 0, got.code, got.stderr)
		var schema httpstep.Schema
		require.NoError(t, json.Unmarshal([]byte(got.stdout), &schema))
		assert.Equal(t, *want, schema)
		assert.Contains(t, got.stdout, "\n  \"fields\": [")
		assert.Contains(t, got.stdout, `"path": "data.id"`)
	}
}

// TestJSONSchema: jsonschema prints NodeConfigSchema as it is.
func TestJSONSchema(t *testing.T) {
	got := runCLI(t, "", "jsonschema")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, string(httpstep.NodeConfigSchema()), got.stdout)
	assert.Contains(t, got.stdout, `"$schema": "https://json-schema.org/draft/2020-12/schema"`)
}

// TestSchemaOfArrays: a root array is marked as one (a field of type
// array at @this holding the elements), and no field is nameless.
func TestSchemaOfArrays(t *testing.T) {
	got := runCLI(t, `[1, 2, 3]`, "schema", "-")
	require.Equal(t, 0, got.code, got.stderr)
	assert.JSONEq(t, `{"fields": [{"name": "items", "path": "@this", "type": "array",
		"fields": [{"name": "item", "path": "@this", "type": "number"}]}]}`, got.stdout)
	got = runCLI(t, `[{"id": 1, "tags": ["a"]}]`, "schema", "-")
	require.Equal(t, 0, got.code, got.stderr)
	assert.JSONEq(t, `{"fields": [{"name": "items", "path": "@this", "type": "array", "fields": [
		{"name": "id", "path": "id", "type": "number"},
		{"name": "tags", "path": "tags", "type": "array", "fields": [{"name": "item", "path": "@this", "type": "string"}]}]}]}`, got.stdout)
	assert.NotContains(t, got.stdout, `"name": ""`)
}

// TestTestRefs: test -refs prints what the host prompts for, without
// sending anything.
func TestTestRefs(t *testing.T) {
	srv, hits := apiServer(t)
	node := nodeFile(t, `{"method": "POST", "url": "%[1]s/ok/{{user.id}}", "query": [{"key": "q", "value": "{{q}}"}],
		"headers": [{"key": "Authorization", "value": "Bearer {{ org.token }}"}],
		"body": {"kind": "form-data", "fields": [{"key": "a", "value": "{{q}}"}, {"key": "f", "file": "record.file"}]}}`, srv.URL)
	got := runCLI(t, "", "test", "-refs", node)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, "[\n  \"user.id\",\n  \"q\",\n  \"org.token\",\n  \"record.file\"\n]\n", got.stdout)
	assert.Zero(t, hits.Load())

	plain := nodeFile(t, `{"url": "%[1]s/ok"}`, srv.URL)
	assert.Equal(t, outcome{0, "[]\n", ""}, runCLI(t, "", "test", "-refs", plain))
}

// TestTestCommand: test prints run's object plus the schema of a
// successful JSON response.
func TestTestCommand(t *testing.T) {
	srv, _ := apiServer(t)
	got := runCLI(t, "", "test", "-allow-private", nodeFile(t, `{"url": "%[1]s/ok"}`, srv.URL))
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, []string{"ok", "status", "headers", "body", "failure", "attempts", "schema"}, topKeys(t, got.stdout))
	out := decodeOutput(t, got.stdout)
	assert.True(t, out.OK)

	failed := runCLI(t, "", "test", "-allow-private", nodeFile(t, `{"url": "%[1]s/fail"}`, srv.URL))
	assert.Equal(t, 1, failed.code)
	assert.Equal(t, "null", string(decodeOutput(t, failed.stdout).Schema), "no schema from a failure")

	skipWithoutSchema(t)
	var schema httpstep.Schema
	require.NoError(t, json.Unmarshal(out.Schema, &schema))
	want, err := httpstep.InferSchema([]byte(`{"id":7,"name":"mug","tags":["gift"]}`))
	require.NoError(t, err)
	assert.Equal(t, *want, schema)
	assert.Empty(t, got.stderr)
}

// TestTestWithoutSchema: while InferSchema cannot answer, test still prints
// its object, with a null schema and a note.
func TestTestWithoutSchema(t *testing.T) {
	if _, err := httpstep.InferSchema([]byte(`{}`)); err == nil {
		t.Skip("InferSchema is implemented")
	}
	srv, _ := apiServer(t)
	got := runCLI(t, "", "test", "-allow-private", nodeFile(t, `{"url": "%[1]s/ok"}`, srv.URL))
	require.Equal(t, 0, got.code)
	assert.Equal(t, "null", string(decodeOutput(t, got.stdout).Schema))
	assert.Contains(t, got.stderr, "httpstep: note: no schema:")
}

// TestCanceled: canceling the context (Ctrl-C) ends a running node.
func TestCanceled(t *testing.T) {
	srv, _ := apiServer(t)
	node := nodeFile(t, `{"url": "%[1]s/slow", "onFailure": "continue"}`, srv.URL)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"run", "-allow-private", node}, strings.NewReader(""), &out, &errOut)
	assert.Equal(t, 0, code, "continue policy")
	f := decodeOutput(t, out.String()).Failure
	require.NotNil(t, f)
	assert.Equal(t, httpstep.KindCanceled, f.Kind)
}

// TestCurlExport: curl -export prints a node file as a command that the
// curl subcommand reads back; with parameters it carries their values and
// never a secret.
func TestCurlExport(t *testing.T) {
	node := writeFile(t, "node.json", `{"method": "PUT", "url": "https://api.example.com/orders/{{id}}",
		"headers": [{"key": "Authorization", "value": "Bearer {{token}}"}],
		"body": {"kind": "raw", "raw": "{\"qty\": {{qty}}}"}, "timeout": "5s"}`)
	got := runCLI(t, "", "curl", "-export", node)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, `curl -X PUT \
  -g \
  'https://api.example.com/orders/{{id}}' \
  -H 'Authorization: Bearer {{token}}' \
  -H 'Content-Type: application/json' \
  --data-raw '{"qty": {{qty}}}' \
  -m 5
`, got.stdout)
	back := runCLI(t, got.stdout, "curl", "-")
	require.Equal(t, 0, back.code, back.stderr)
	assert.Contains(t, back.stdout, `"url": "https://api.example.com/orders/{{id}}"`)

	got = runCLI(t, "", "curl", "-export", "-p", "id=7", "-s", "token=tok-secret", "-p", "qty:=3", node)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Contains(t, got.stdout, "https://api.example.com/orders/7")
	assert.Contains(t, got.stdout, `--data-raw '{"qty": 3}'`)
	assert.NotContains(t, got.stdout, "tok-secret")

	got = runCLI(t, "", "curl", "-export")
	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, "curl -export takes one node file")
}
