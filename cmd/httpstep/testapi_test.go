package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/httpstep/httpstep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// terminalSession runs the CLI in-process with a real pseudo-terminal as
// standard input and standard error, as a person at a terminal would.
type terminalSession struct {
	t      *testing.T
	master *os.File
	tty    *os.File
	mu     sync.Mutex
	seen   bytes.Buffer // everything the terminal showed
	read   int          // how much of seen expect has consumed
	done   chan struct{}
}

func newTerminal(t *testing.T) *terminalSession {
	master, tty, err := pty.Open()
	require.NoError(t, err)
	s := &terminalSession{t: t, master: master, tty: tty, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			s.mu.Lock()
			s.seen.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		// A command still asking (the test failed) gets end of input at
		// every question, so that it returns and frees the terminal.
		for range 8 {
			master.Write([]byte{4}) // Ctrl-D
			time.Sleep(5 * time.Millisecond)
		}
		tty.Close()
		master.Close()
		<-s.done
	})
	return s
}

// run starts args with the terminal; wait returns the exit status and stdout.
func (s *terminalSession) run(args ...string) (wait func() (int, string)) {
	var out bytes.Buffer
	code := make(chan int, 1)
	go func() { code <- run(context.Background(), args, s.tty, &out, s.tty) }()
	return func() (int, string) {
		select {
		case c := <-code:
			return c, out.String()
		case <-time.After(20 * time.Second):
			s.t.Fatalf("the command did not end; the terminal showed:\n%s", s.shown())
			return 0, ""
		}
	}
}

func (s *terminalSession) shown() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen.String()
}

// expect waits until the terminal shows text after what was expected before.
func (s *terminalSession) expect(text string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		i := strings.Index(s.seen.String()[s.read:], text)
		if i >= 0 {
			s.read += i + len(text)
		}
		s.mu.Unlock()
		if i >= 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.t.Fatalf("the terminal never showed %q; it showed:\n%s", text, s.shown())
}

// typeLine types a line, as a person does.
func (s *terminalSession) typeLine(line string) {
	_, err := s.master.Write([]byte(line + "\n"))
	require.NoError(s.t, err)
}

// typeSecret waits until the terminal stopped echoing, then types a line.
func (s *terminalSession) typeSecret(line string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(s.tty.Fd()), unix.TCGETS)
		require.NoError(s.t, err)
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatal("the terminal still echoes while a secret is asked")
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.typeLine(line)
}

// testAPIServer answers with the path, query and Authorization it received.
func testAPIServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path, "q": r.URL.Query().Get("q"), "auth": r.Header.Get("Authorization")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestTestPromptsAndRemembers: on a terminal, test asks for every ref
// without a value, shows the last answer as the default, never echoes nor
// stores a secret, and -fresh forgets.
func TestTestPromptsAndRemembers(t *testing.T) {
	srv := testAPIServer(t)
	node := nodeFile(t, `{"url": "%s/items/{{id}}", "query": [{"key": "q", "value": "{{q}}"}],
		"headers": [{"key": "Authorization", "value": "Bearer {{bearer}}"}]}`, srv.URL)
	term := newTerminal(t)

	wait := term.run("test", "-allow-private", node)
	term.expect("id: ")
	term.typeLine("7")
	term.expect("q: ")
	term.typeLine("x y")
	term.expect("bearer (secret, not shown): ")
	term.typeSecret("s3cret-value")
	code, out := wait()
	require.Equal(t, 0, code, term.shown())
	p := decodeOutput(t, out)
	assert.JSONEq(t, `{"path": "/items/7", "q": "x y", "auth": "[REDACTED]"}`, string(p.Body), "the secret was sent, and redacted in the output")
	assert.NotContains(t, term.shown(), "s3cret-value", "the secret is not echoed")
	stored, err := os.ReadFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "httpstep", "test-values.json"))
	require.NoError(t, err)
	assert.NotContains(t, string(stored), "s3cret-value")
	assert.Contains(t, string(stored), `"q": "x y"`)

	wait = term.run("test", "-allow-private", "-p", "q=given", node)
	term.expect("id [7]: ")
	term.typeLine("")
	term.expect("bearer (secret, not shown): ")
	term.typeSecret("other")
	code, out = wait()
	require.Equal(t, 0, code, term.shown())
	assert.JSONEq(t, `{"path": "/items/7", "q": "given", "auth": "[REDACTED]"}`, string(decodeOutput(t, out).Body))

	wait = term.run("test", "-allow-private", "-fresh", "-s", "bearer=x", node)
	term.expect("id: ")
	term.typeLine("8")
	term.expect("q: ")
	term.typeLine("")
	code, out = wait()
	require.Equal(t, 0, code, term.shown())
	assert.JSONEq(t, `{"path": "/items/8", "q": "", "auth": "[REDACTED]"}`, string(decodeOutput(t, out).Body))
}

// TestTestWithoutTerminal: without a terminal test never asks and uses no
// remembered value; the refs are sent empty, as the note says.
func TestTestWithoutTerminal(t *testing.T) {
	srv := testAPIServer(t)
	node := nodeFile(t, `{"url": "%s/items/{{id}}"}`, srv.URL)
	term := newTerminal(t)
	wait := term.run("test", "-allow-private", node)
	term.expect("id: ")
	term.typeLine("7")
	code, _ := wait()
	require.Equal(t, 0, code)

	got := runCLI(t, "", "test", "-allow-private", node)
	require.Equal(t, 0, got.code, got.stderr)
	assert.JSONEq(t, `{"path": "/items/", "q": "", "auth": ""}`, string(decodeOutput(t, got.stdout).Body))
	assert.Contains(t, got.stderr, "no value for id, sent empty")
	assert.NotContains(t, got.stderr, "id:")
}

// TestRefKinds: which refs are asked as secrets or files.
func TestRefKinds(t *testing.T) {
	node := &httpstep.NodeConfig{URL: "https://a.example.com/{{user}}?api_key={{k}}&page={{page}}",
		Headers: []httpstep.KeyValue{{Key: "X-Api-Key", Value: "{{ apiValue }}"}, {Key: "Cookie", Value: "s={{sess}}"}, {Key: "X-Tenant", Value: "{{tenant}}"}},
		Body:    &httpstep.Body{Kind: httpstep.BodyFormData, Fields: []httpstep.FormField{{Key: "doc", File: "invoice"}, {Key: "n", Value: "{{db.password}}"}}}}
	want := map[string]refKind{"user": refText, "k": refSecret, "page": refText, "apiValue": refSecret, "sess": refSecret,
		"tenant": refText, "invoice": refFile, "db.password": refSecret, "pin": refSecret, "token": refSecret, "monkey": refText}
	for ref, kind := range want {
		assert.Equal(t, kind, refKindOf(node, ref), ref)
	}
}

// TestSaveSchema: test -save-schema writes the inferred schema into the
// node file's response, and keeps the rest of the node.
func TestSaveSchema(t *testing.T) {
	srv := testAPIServer(t)
	node := nodeFile(t, `{"url": "%s/items", "timeout": "3s"}`, srv.URL)
	got := runCLI(t, "", "test", "-allow-private", "-save-schema", "-timeout", "1s", node)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Contains(t, got.stderr, "the inferred schema is saved in "+node)
	saved, err := os.ReadFile(node)
	require.NoError(t, err)
	var back httpstep.NodeConfig
	require.NoError(t, json.Unmarshal(saved, &back))
	require.NotNil(t, back.Response)
	assert.Len(t, back.Response.Fields, 3)
	assert.Equal(t, httpstep.Duration(3*time.Second), back.Timeout, "the node as in the file, not as -timeout ran it")

	got = runCLI(t, "{}", "test", "-save-schema", "-")
	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, "-save-schema writes into the node file")
}

// TestSaveSchemaKeepsTheFile: -save-schema changes only "response" in the
// node file: its layout, the order and spelling of the other keys, codes as
// typed ("200") and settings left out stay as they are; a response already
// there is replaced in place.
func TestSaveSchemaKeepsTheFile(t *testing.T) {
	srv := testAPIServer(t)
	const schema = `{
        "fields": [
            {
                "name": "auth",
                "path": "auth",
                "type": "string"
            },
            {
                "name": "path",
                "path": "path",
                "type": "string"
            },
            {
                "name": "q",
                "path": "q",
                "type": "string"
            }
        ]
    }`
	for _, tc := range []struct{ name, before, after string }{
		{"added", "{\n    \"url\": \"%s/items\",\n    \"success\": {\"codes\": \"200\"},  \"timeout\": 3000\n}\n",
			"{\n    \"url\": \"%s/items\",\n    \"success\": {\"codes\": \"200\"},  \"timeout\": 3000,\n    \"response\": " + schema + "\n}\n"},
		{"replaced", "{\n    \"url\": \"%s/items\",\n    \"response\": {\"fields\": []},\n    \"success\": {\"codes\": \"200\"}\n}",
			"{\n    \"url\": \"%s/items\",\n    \"response\": " + schema + ",\n    \"success\": {\"codes\": \"200\"}\n}"},
		{"one line", `{"url": "%s/items"}`, `{"url": "%s/items", "response": {"fields":[{"name":"auth","path":"auth","type":"string"},` +
			`{"name":"path","path":"path","type":"string"},{"name":"q","path":"q","type":"string"}]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := nodeFile(t, tc.before, srv.URL)
			got := runCLI(t, "", "test", "-allow-private", "-save-schema", node)
			require.Equal(t, 0, got.code, got.stderr)
			saved, err := os.ReadFile(node)
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf(tc.after, srv.URL), string(saved))
		})
	}
}

// TestRefKindsOfCredentials: a ref that fills a credential of the auth
// block, or a password-like form field, is asked without echo and never
// remembered, whatever its name.
func TestRefKindsOfCredentials(t *testing.T) {
	node := &httpstep.NodeConfig{URL: "https://a.example.com/",
		Auth: &httpstep.Auth{Type: "oauth2", Username: "{{u}}", Password: "{{p}}", Token: "{{t}}", Value: "{{v}}",
			OAuth2: &httpstep.OAuth2{ClientID: "{{cid}}", ClientSecret: "{{cs}}", RefreshToken: "{{rt}}"}},
		Body: &httpstep.Body{Kind: httpstep.BodyURLEncoded, Fields: []httpstep.FormField{{Key: "password", Value: "{{f}}"}, {Key: "name", Value: "{{n}}"}}}}
	want := map[string]refKind{"u": refText, "cid": refText, "n": refText,
		"p": refSecret, "t": refSecret, "v": refSecret, "cs": refSecret, "rt": refSecret, "f": refSecret}
	for ref, kind := range want {
		assert.Equal(t, kind, refKindOf(node, ref), ref)
	}
}

// TestTestNeverStoresAnAuthSecret: test asks the ref filling the auth
// block's password without echo, and the test-values file holds neither
// the answer nor a value remembered for that ref before it was known to be
// a secret.
func TestTestNeverStoresAnAuthSecret(t *testing.T) {
	srv := testAPIServer(t)
	node := nodeFile(t, `{"url": "%s/items/{{id}}", "auth": {"type": "basic", "username": "bob", "password": "{{pw}}"}}`, srv.URL)
	abs, err := filepath.Abs(node)
	require.NoError(t, err)
	file := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "httpstep", "test-values.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o700))
	old, _ := json.Marshal(map[string]map[string]string{abs: {"pw": "stale-password-1"}})
	require.NoError(t, os.WriteFile(file, old, 0o600))

	term := newTerminal(t)
	wait := term.run("test", "-allow-private", node)
	term.expect("id: ")
	term.typeLine("7")
	term.expect("pw (secret, not shown): ")
	term.typeSecret("typed-password-2")
	code, _ := wait()
	require.Equal(t, 0, code, term.shown())
	assert.NotContains(t, term.shown(), "typed-password-2")
	stored, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(stored), "typed-password-2")
	assert.NotContains(t, string(stored), "stale-password-1", "a value remembered before is forgotten once the ref is a secret")
	assert.Contains(t, string(stored), `"id": "7"`)
}
