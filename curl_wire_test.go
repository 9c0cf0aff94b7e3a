package httpstep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/httpstep/httpstep/internal/shellwords"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wireRequest is what a server saw of one request, made comparable: the
// multipart boundary is dropped and the parts are parsed, a form is
// decoded.
type wireRequest struct {
	Method, Host, URI string
	Header            http.Header
	MediaType         string
	TypeParams        map[string]string // Content-Type parameters but the boundary
	Body              string            // when not multipart or a form
	Form              url.Values        // an x-www-form-urlencoded body, decoded
	Parts             []wirePart
}

type wirePart struct {
	Name, Filename, ContentType, Content string
}

// wireIgnored are headers one client sends by itself and the other not.
var wireIgnored = []string{"User-Agent", "Accept", "Accept-Encoding", "Content-Length", "Idempotency-Key", "Content-Type"}

// capture is a loopback server that keeps every request as a wireRequest.
type capture struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []wireRequest
}

func newCapture(t *testing.T) *capture {
	c := &capture{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wr := readWire(r)
		c.mu.Lock()
		c.reqs = append(c.reqs, wr)
		c.mu.Unlock()
	}))
	t.Cleanup(c.Close)
	return c
}

// take returns the requests seen so far and forgets them.
func (c *capture) take() []wireRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	reqs := c.reqs
	c.reqs = nil
	return reqs
}

func readWire(r *http.Request) wireRequest {
	wr := wireRequest{Method: r.Method, Host: r.Host, URI: r.RequestURI, Header: r.Header.Clone()}
	for _, h := range wireIgnored {
		wr.Header.Del(h)
	}
	// The clients' own User-Agent and Accept, when the command sets none.
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "curl/") && ua != UserAgent {
		wr.Header.Set("User-Agent", ua)
	}
	if accept := r.Header.Values("Accept"); len(accept) > 0 && accept[0] != "*/*" {
		wr.Header["Accept"] = accept
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		wr.Body = "reading the body: " + err.Error()
		return wr
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	wr.MediaType, wr.TypeParams, wr.Body = mt, params, string(body)
	if b := params["boundary"]; b != "" && strings.HasPrefix(mt, "multipart/") {
		if parts, ok := readParts(body, b); ok {
			delete(params, "boundary")
			wr.Body, wr.Parts = "", parts
		}
	}
	// The node's encoder writes a form in its canonical encoding (space as
	// '+', '@' as %40): compare the fields, which every server decodes.
	if form, err := url.ParseQuery(wr.Body); mt == formURLEncoded && err == nil {
		wr.Body, wr.Form = "", form
	}
	return wr
}

// readParts parses a multipart body; ok is false when it does not parse.
func readParts(body []byte, boundary string) (parts []wirePart, ok bool) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts, true
		}
		if err != nil {
			return nil, false
		}
		content, err := io.ReadAll(p)
		if err != nil {
			return nil, false
		}
		parts = append(parts, wirePart{Name: p.FormName(), Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Content: string(content)})
	}
}

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

// lookCurl finds the real curl, the referee of the import and the export.
// Without it the test is skipped, unless HTTPSTEP_REQUIRE_CURL is set (as
// .ci/curl.sh sets it), which makes a missing curl a failure.
func lookCurl(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("curl")
	switch {
	case err == nil:
		return bin
	case os.Getenv("HTTPSTEP_REQUIRE_CURL") != "":
		t.Fatalf("curl is required (HTTPSTEP_REQUIRE_CURL is set) but not found: %v", err)
	}
	t.Skip("curl is not installed: .ci/curl.sh installs it")
	return ""
}

// runRealCurl runs cmd with bash in dir, the real curl curlBin in place of
// the first word (cmd as it is when curlBin is ""), and returns what srv
// saw.
func runRealCurl(t *testing.T, srv *capture, curlBin, cmd, dir string) []wireRequest {
	t.Helper()
	if curlBin != "" {
		cmd = strings.Replace(cmd, "curl", curlBin+" -s -o /dev/null", 1)
	}
	run := exec.Command("bash", "-c", cmd)
	run.Dir = dir
	out, err := run.CombinedOutput()
	require.NoError(t, err, string(out))
	return srv.take()
}

// TestCurlReferee runs each command with the real curl and imports it,
// runs the node against the same server and compares what arrived.
func TestCurlReferee(t *testing.T) {
	curlBin := lookCurl(t)
	srv := newCapture(t)
	client := testClient(t)
	for _, tc := range curlReferee {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := strings.ReplaceAll(tc.cmd, "BASE", srv.URL)
			params := Values{}
			for ref, name := range tc.files {
				path := filepath.Join(dir, name)
				require.NoError(t, os.WriteFile(path, []byte("content of "+name), 0o644))
				params[ref] = File{Name: name, ContentType: curlFileTypes[filepath.Ext(name)], Size: int64(len("content of " + name)),
					Open: func() (io.ReadCloser, error) { return os.Open(path) }}
			}
			want := runRealCurl(t, srv, curlBin, cmd, dir)
			require.NotEmpty(t, want)

			node, err := ParseCurl(cmd)
			require.NoError(t, err)
			require.NoError(t, node.Validate())
			_, err = client.Execute(context.Background(), node, params)
			require.NoError(t, err)
			got := srv.take()
			require.Len(t, got, 1)
			assert.Equal(t, want[0], got[0])
		})
	}
}

// TestPartSettingsOnTheWire checks, without curl, what the referee checks:
// the Host header is sent, a part's type and file name are honoured, and a
// multipart subtype stays with its parameters and "attachment" parts.
func TestPartSettingsOnTheWire(t *testing.T) {
	srv := newCapture(t)
	file := File{Name: "a.pdf", ContentType: "application/pdf", Size: 3, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("pdf")), nil }}
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/up",
		Headers: []KeyValue{{Key: "Host", Value: "api.example.com"}, {Key: "Content-Type", Value: `multipart/related; type="application/json"`}},
		Body: &Body{Kind: BodyFormData, Fields: []FormField{
			{Key: "meta", Value: `{"a":1}`, ContentType: "application/json"},
			{Key: "f", File: "doc", ContentType: "application/x-pdf", Filename: "b.pdf"},
		}}}
	_, err := testClient(t).Execute(context.Background(), node, Values{"doc": file})
	require.NoError(t, err)
	got := srv.take()
	require.Len(t, got, 1)
	assert.Equal(t, "api.example.com", got[0].Host)
	assert.Equal(t, "multipart/related", got[0].MediaType)
	assert.Equal(t, map[string]string{"type": "application/json"}, got[0].TypeParams)
	assert.Equal(t, []wirePart{{ContentType: "application/json", Content: `{"a":1}`}, {Filename: "b.pdf", ContentType: "application/x-pdf", Content: "pdf"}}, got[0].Parts,
		"parts of multipart/related are attachments, which FormName does not read")
}

// TestValidatePartSettings: part settings belong to form-data, and a type
// must be a media type, which keeps a line break out of the part header.
func TestValidatePartSettings(t *testing.T) {
	cases := map[string]Body{
		"body.fields[0].contentType": {Kind: BodyFormData, Fields: []FormField{{Key: "a", ContentType: "text/plain\r\nX-Evil: 1"}}},
		"body.fields[0].filename":    {Kind: BodyFormData, Fields: []FormField{{Key: "a", Filename: "x.txt"}}},
		"body.fields[0]":             {Kind: BodyURLEncoded, Fields: []FormField{{Key: "a", ContentType: "text/plain"}}},
	}
	for field, body := range cases {
		err := (&NodeConfig{Method: "POST", URL: "https://a.example.com/", Body: &body}).Validate()
		var ce *ConfigError
		require.ErrorAs(t, err, &ce, field)
		assert.Equal(t, field, ce.Problems[0].Field)
	}
}

// hostPrefix matches the scheme and host of a URL in a command.
var hostPrefix = regexp.MustCompile(`https?://[A-Za-z0-9.-]+(:[0-9]+)?`)

// runnableInBash reports whether bash runs cmd the way ParseCurl reads it:
// no cmd.exe or PowerShell dialect, no shell variable, no pipe, no
// template, no file, no proxy.
func runnableInBash(cmd string, node *NodeConfig) bool {
	if shellwords.IsCmdStyle(cmd) || strings.ContainsAny(cmd, "`|") || strings.Contains(cmd, "{{") || node.UseProxy {
		return false
	}
	if regexp.MustCompile(`\$[A-Za-z{(]`).MatchString(cmd) {
		return false
	}
	if b := node.Body; b != nil && (b.Kind == BodyBinary || slices.ContainsFunc(b.Fields, func(f FormField) bool { return f.File != "" })) {
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
// cases of TestParseCurl and testdata/curl) that bash can run with the real
// curl and as imported, to one loopback server, and compares. Every URL's
// host becomes the server; curl is also told to connect nowhere else
// (--connect-to), and the Client resolves every name to loopback, so
// nothing leaves the machine.
func TestCurlRefereeCorpus(t *testing.T) {
	curlBin := lookCurl(t)
	srv := newCapture(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	client := &Client{AllowPrivate: true, lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}, fence: loopbackOnly}
	t.Cleanup(client.CloseIdleConnections)
	cmds := map[string]string{}
	for _, tc := range curlCases {
		cmds[tc.name] = tc.cmd
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "curl", "*.txt"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		cmds[filepath.Base(name)] = string(b)
	}
	ran := 0
	for name, cmd := range cmds {
		cmd = hostPrefix.ReplaceAllString(cmd, srv.URL)
		imp, err := ImportCurl(cmd)
		if err != nil || imp.Node.Validate() != nil || !runnableInBash(cmd, imp.Node) || corpusDifferences[name] != "" ||
			!strings.HasPrefix(imp.Node.URL, srv.URL) {
			continue
		}
		ran++
		t.Run(name, func(t *testing.T) {
			program := regexp.MustCompile(`^\s*(\$\s+)?\S*curl(\.exe)?`)
			run := program.ReplaceAllLiteralString(cmd, fmt.Sprintf("%s -s -o /dev/null --noproxy '*' --connect-to ::127.0.0.1:%d", curlBin, port))
			want := runRealCurl(t, srv, "", run, t.TempDir())
			require.NotEmpty(t, want, run)
			_, err := client.Execute(context.Background(), imp.Node, nil)
			require.NoError(t, err)
			got := srv.take()
			require.Len(t, got, 1)
			if slices.ContainsFunc(imp.Notes, func(n string) bool { return strings.Contains(n, "looks like JSON") }) {
				// The documented difference: the same bytes, as application/json.
				assert.Equal(t, imp.Node.Body.Raw, got[0].Body)
				want[0].MediaType, want[0].Body, want[0].Form = "application/json", got[0].Body, nil
			}
			assert.Equal(t, want[0], got[0], cmd)
		})
	}
	assert.GreaterOrEqual(t, ran, 30, "most of the corpus runs")
}
