package curl

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/internal/shellwords"
	"github.com/httpstep/httpstep/internal/testpeer"
)

// curlReferee are commands whose import must send what curl 7.88 sends.
// BASE stands for the capture server's URL; files named in them are
// created in curl's working directory and bound to the import's refs.
var curlReferee = []struct {
	name, cmd string
	files     map[string]string // file ref → file name (its content is "content of NAME")
}{
	{name: "form-data part types", cmd: `curl BASE/up -F 'meta={"a":1};type=application/json' -F 'note="x;y";type=text/plain' -F 'f=@a.pdf;type=application/pdf;filename=b.pdf'`,
		files: map[string]string{"file": "a.pdf"}},
	{name: "form-data file with a type only", cmd: `curl BASE/up -F 'f=@a.txt;type=text/csv' -F n=1`, files: map[string]string{"file": "a.txt"}},
	{name: "form-data file with a filename only", cmd: `curl BASE/up -F 'f=@a.txt;filename=report.csv'`, files: map[string]string{"file": "a.txt"}},
	{name: "multipart subtype", cmd: `curl BASE/rel -H 'Content-Type: multipart/related; type="application/json"' -F 'a={};type=application/json'`},
	{name: "host header", cmd: `curl BASE/h -H 'Host: api.example.com'`},
	{name: "content type parameters", cmd: `curl BASE/f -H 'Content-Type: application/x-www-form-urlencoded; charset=UTF-8' --data 'a=1&b=2'`},
	{name: "content type parameters on json", cmd: `curl BASE/j -H 'content-type: application/json;charset=utf-8' -d '{"a":"b"}'`},
	{name: "second line ignored", cmd: "curl BASE/one -d a=1\ncurl BASE/two"},
	{name: "long option prefix", cmd: `curl --sil --head BASE/p --heade 'X-A: 1'`},
	{name: "range", cmd: `curl --range 600 BASE/r`},
	{name: "range short with an end", cmd: `curl -r 0-499 BASE/r`},
	{name: "custom method", cmd: `curl -X PURGE BASE/cache/1`},
	{name: "options method", cmd: `curl -X OPTIONS BASE/x`},
	{name: "lower-case custom method", cmd: `curl -X purge BASE/x`},
	{name: "data urlencode", cmd: `curl BASE/q --data-urlencode 'q=a b&c' -d x=1`},
	{name: "get with data", cmd: `curl -G BASE/g -d a=1 -d b=2`},
}

// curlFileTypes are the types curl gives files by their extension; the
// test's attachments carry them, as a host's attachments carry theirs.
var curlFileTypes = map[string]string{".pdf": "application/pdf", ".txt": "text/plain"}

// TestCurlReferee runs each command with the real curl and imports it,
// runs the node against the same server and compares what arrived.
func TestCurlReferee(t *testing.T) {
	curlBin := testpeer.LookCurl(t)
	srv := testpeer.NewCapture(t, "curl/", httpstep.UserAgent)
	client := testClient(t)
	for _, tc := range curlReferee {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := strings.ReplaceAll(tc.cmd, "BASE", srv.URL)
			params := httpstep.Values{}
			for ref, name := range tc.files {
				path := filepath.Join(dir, name)
				require.NoError(t, os.WriteFile(path, []byte("content of "+name), 0o644))
				params[ref] = httpstep.File{Name: name, ContentType: curlFileTypes[filepath.Ext(name)], Size: int64(len("content of " + name)),
					Open: func() (io.ReadCloser, error) { return os.Open(path) }}
			}
			want := testpeer.RunCurl(t, srv, curlBin, cmd, dir)
			require.NotEmpty(t, want)

			node, err := Parse(cmd)
			require.NoError(t, err)
			require.NoError(t, node.Validate())
			_, err = client.Execute(context.Background(), node, params)
			require.NoError(t, err)
			got := srv.Take()
			require.Len(t, got, 1)
			assert.Equal(t, want[0], got[0])
		})
	}
}

// hostPrefix matches the scheme and host of a URL in a command.
var hostPrefix = regexp.MustCompile(`https?://[A-Za-z0-9.-]+(:[0-9]+)?`)

// onServer reports whether raw is an http URL of the loopback server at
// addr ("127.0.0.1:port"), with nothing between the scheme and the host.
func onServer(raw, addr string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "http" && u.User == nil && u.Host == addr
}

// runnableInBash reports whether bash runs cmd the way Parse reads it:
// no cmd.exe or PowerShell dialect, no shell variable, no pipe, no
// template, no file, no proxy.
func runnableInBash(cmd string, node *httpstep.NodeConfig) bool {
	if shellwords.IsCmdStyle(cmd) || strings.ContainsAny(cmd, "`|") || strings.Contains(cmd, "{{") || node.UseProxy {
		return false
	}
	if regexp.MustCompile(`\$[A-Za-z{(]`).MatchString(cmd) {
		return false
	}
	if b := node.Body; b != nil && (b.Kind == httpstep.BodyBinary || slices.ContainsFunc(b.Fields, func(f httpstep.FormField) bool { return f.File != "" })) {
		return false
	}
	return true
}

// corpusDifferences are the corpus commands where the node knowingly sends
// something else than bash and curl do, and why.
var corpusDifferences = map[string]string{
	"unquoted query and a redirect":     "bash runs curl in the background at the unquoted &; the import keeps the query, as the person meant",
	"chrome bash URL with glob escapes": "curl sends { } \" in the query raw; the node sends a valid URL, percent-encoding them",
	"curl path and exe":                 "curl sends -X patch as typed; the node sends the standard methods in upper case",
	"empty option values add nothing":   "curl -X '' sends no valid request",
}

// TestCurlRefereeCorpus sends every command of the import's corpus (the
// cases of TestParse and testdata) that bash can run with the real
// curl and as imported, to one loopback server, and compares. Every URL's
// host becomes the server; curl is also told to connect nowhere else
// (--connect-to), and only nodes whose URL names the server's own loopback
// address and port run (the server never redirects, and no node uses a
// proxy), so nothing leaves the machine.
func TestCurlRefereeCorpus(t *testing.T) {
	curlBin := testpeer.LookCurl(t)
	srv := testpeer.NewCapture(t, "curl/", httpstep.UserAgent)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	client := testClient(t)
	cmds := map[string]string{}
	for _, tc := range curlCases {
		cmds[tc.name] = tc.cmd
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		cmds[filepath.Base(name)] = string(b)
	}
	ran := 0
	for name, cmd := range cmds {
		cmd = hostPrefix.ReplaceAllString(cmd, srv.URL)
		node, notes, err := Import(cmd)
		if err != nil || node.Validate() != nil || !runnableInBash(cmd, node) || corpusDifferences[name] != "" ||
			!onServer(node.URL, srv.Listener.Addr().String()) {
			continue
		}
		ran++
		t.Run(name, func(t *testing.T) {
			program := regexp.MustCompile(`^\s*(\$\s+)?\S*curl(\.exe)?`)
			run := program.ReplaceAllLiteralString(cmd, fmt.Sprintf("%s -s -o /dev/null --noproxy '*' --connect-to ::127.0.0.1:%d", curlBin, port))
			want := testpeer.RunCurl(t, srv, "", run, t.TempDir())
			require.NotEmpty(t, want, run)
			_, err := client.Execute(context.Background(), node, nil)
			require.NoError(t, err)
			got := srv.Take()
			require.Len(t, got, 1)
			if slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "looks like JSON") }) {
				// The documented difference: the same bytes, as application/json.
				assert.Equal(t, node.Body.Raw, got[0].Body)
				want[0].MediaType, want[0].Body, want[0].Form = "application/json", got[0].Body, nil
			}
			assert.Equal(t, want[0], got[0], cmd)
		})
	}
	assert.GreaterOrEqual(t, ran, 30, "most of the corpus runs")
}
