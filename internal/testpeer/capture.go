package testpeer

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// WireRequest is what a server saw of one request, made comparable between
// two clients: the multipart boundary is dropped and the parts are parsed,
// a form is decoded, and the headers one client sends by itself are left
// out.
type WireRequest struct {
	Method, Host, URI string
	Header            http.Header
	MediaType         string
	TypeParams        map[string]string // Content-Type parameters but the boundary
	Body              string            // when not multipart or a form
	Form              url.Values        // an x-www-form-urlencoded body, decoded
	Parts             []WirePart
}

// WirePart is one part of a multipart body.
type WirePart struct {
	Name, Filename, ContentType, Content string
}

// wireIgnored are headers one client sends by itself and the other not.
var wireIgnored = []string{"User-Agent", "Accept", "Accept-Encoding", "Content-Length", "Idempotency-Key", "Content-Type"}

// Capture is a loopback server that keeps every request as a WireRequest.
// It answers 200 with no body. It closes with the test.
type Capture struct {
	*httptest.Server
	ownAgents []string
	mu        sync.Mutex
	reqs      []WireRequest
}

// NewCapture starts a Capture. A User-Agent that starts with one of
// ownAgents (the clients' own, such as "curl/") is left out of the
// WireRequest; any other is kept, as a command or node set it.
func NewCapture(t testing.TB, ownAgents ...string) *Capture {
	c := &Capture{ownAgents: ownAgents}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wr := c.read(r)
		c.mu.Lock()
		c.reqs = append(c.reqs, wr)
		c.mu.Unlock()
	}))
	t.Cleanup(c.Close)
	return c
}

// Take returns the requests seen so far and forgets them.
func (c *Capture) Take() []WireRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	reqs := c.reqs
	c.reqs = nil
	return reqs
}

func (c *Capture) read(r *http.Request) WireRequest {
	wr := WireRequest{Method: r.Method, Host: r.Host, URI: r.RequestURI, Header: r.Header.Clone()}
	for _, h := range wireIgnored {
		wr.Header.Del(h)
	}
	if ua := r.Header.Get("User-Agent"); !c.ownAgent(ua) {
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
	// An encoder may write a form in its canonical encoding (space as '+',
	// '@' as %40): compare the fields, which every server decodes.
	if form, err := url.ParseQuery(wr.Body); mt == "application/x-www-form-urlencoded" && err == nil {
		wr.Body, wr.Form = "", form
	}
	return wr
}

func (c *Capture) ownAgent(ua string) bool {
	for _, own := range c.ownAgents {
		if strings.HasPrefix(ua, own) {
			return true
		}
	}
	return false
}

// readParts parses a multipart body; ok is false when it does not parse.
func readParts(body []byte, boundary string) (parts []WirePart, ok bool) {
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
		parts = append(parts, WirePart{Name: p.FormName(), Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Content: string(content)})
	}
}

// LookCurl finds the real curl, the referee of the cURL import and export.
// Without it the test is skipped, unless HTTPSTEP_REQUIRE_CURL is set (as
// .ci/curl.sh sets it), which makes a missing curl a failure.
func LookCurl(t testing.TB) string {
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

// RunCurl runs cmd with bash in dir, the real curl curlBin (silent, output
// discarded) in place of the first word "curl" (cmd as it is when curlBin
// is ""), and returns what srv saw. A failing command fails t.
func RunCurl(t testing.TB, srv *Capture, curlBin, cmd, dir string) []WireRequest {
	t.Helper()
	if curlBin != "" {
		cmd = strings.Replace(cmd, "curl", curlBin+" -s -o /dev/null", 1)
	}
	run := exec.Command("bash", "-c", cmd)
	run.Dir = dir
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return srv.Take()
}
