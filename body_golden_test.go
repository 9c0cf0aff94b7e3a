package httpstep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/httpstep/httpstep/internal/golden"
	"github.com/stretchr/testify/require"
)

// goldenBoundary is the fixed multipart boundary of the golden captures.
const goldenBoundary = "httpstep-golden-7b3f0c"

// TestGoldenBodies compares the request of every body kind, as a loopback
// server received it, with testdata/golden/<name>.http byte for byte.
// Regenerate with: go test -run TestGoldenBodies -update
func TestGoldenBodies(t *testing.T) {
	var mu sync.Mutex
	var wire []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := wireForm(r)
		if err != nil {
			b = []byte("capture failed: " + err.Error())
		}
		mu.Lock()
		wire = b
		mu.Unlock()
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	c := testClient(t)
	c.boundary = goldenBoundary
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff"
	params := Values{
		"id":    "a/b c",
		"name":  "He said \"hi\"\n\t\\ <b>&</b> {{id}}",
		"uni":   "ünïcødé ☃ 😀",
		"n":     42,
		"tags":  []any{"a", 1.5, nil},
		"token": Secret("s3cr3t"),
		"doc":   textFile("notes \"v2\".json", "", `{"k":"v"}`),
		"pics":  []File{textFile("a.png", "", png), textFile("b", "image/webp", "RIFF")},
		"photo": textFile("photo.png", "", png),
		"blob":  (&fileCounter{}).file("report.pdf", "", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", -1),
		"record": map[string]any{"id": "PO-1", "lines": []any{map[string]any{"sku": "A\"1", "qty": 2}}, "note": nil,
			"total": 12.5, "ünï": "<&>"},
	}
	post := func(b *Body) NodeConfig {
		return NodeConfig{Method: "POST", URL: srv.URL + "/upload/{{id}}?v=1", Body: b}
	}
	tests := []struct {
		name string
		node NodeConfig
	}{
		{"raw-json", post(&Body{Kind: BodyRaw, Raw: `{"name":"{{name}}","uni":"{{uni}}","n":{{n}},"tags":{{tags}},"missing":{{nope}},"token":"{{token}}"}`})},
		{"raw-xml", post(&Body{Kind: BodyRaw, ContentType: "application/xml; charset=utf-8", Raw: `<order id="{{name}}"><note>{{uni}}</note></order>`})},
		{"raw-text", post(&Body{Kind: BodyRaw, ContentType: "text/plain", Raw: "name: {{name}}\nuni: {{uni}}"})},
		{"urlencoded", post(&Body{Kind: BodyURLEncoded, OmitEmpty: true, Fields: []FormField{
			{Key: "name", Value: "{{name}}"}, {Key: "gone", Value: "{{nope}}"}, {Key: "a b&c", Value: "{{uni}}"}, {Key: "n", Value: "{{n}}"}}})},
		{"form-data", post(&Body{Kind: BodyFormData, Fields: []FormField{
			{Key: "title", Value: "{{name}}"}, {Key: "doc", File: "doc"}, {Key: "pics", File: "pics"}, {Key: "empty", Value: "{{nope}}"}}})},
		{"form-data-chunked", post(&Body{Kind: BodyFormData, Fields: []FormField{{Key: "file", File: "blob"}, {Key: "after", Value: "{{uni}}"}}})},
		{"binary", post(&Body{Kind: BodyBinary, File: "photo"})},
		{"binary-chunked", NodeConfig{Method: "PUT", URL: srv.URL + "/files/{{id}}", Body: &Body{Kind: BodyBinary, File: "blob"}}},
		{"object", NodeConfig{URL: srv.URL + "/hooks", Object: "record"}},
		{"delete-json", NodeConfig{Method: "DELETE", URL: srv.URL + "/items", Body: &Body{Kind: BodyRaw, Raw: `{"ids":{{tags}}}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Execute(context.Background(), &tt.node, params)
			require.NoError(t, err)
			require.True(t, res.OK())
			mu.Lock()
			got := wire
			mu.Unlock()
			golden.Check(t, filepath.Join("testdata", "golden", "body-"+tt.name+".http"), got)
		})
	}
}

var idempotencyKey = regexp.MustCompile(`^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`)

// wireForm renders a received request: the request line, the headers sorted
// by name (framing headers restored, the loopback port and a well-formed
// Idempotency-Key masked), a blank line and the body as sent (de-chunked).
func wireForm(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	h := r.Header.Clone()
	h.Set("Host", "127.0.0.1:PORT")
	h.Del("Content-Length")
	if len(r.TransferEncoding) > 0 {
		h["Transfer-Encoding"] = r.TransferEncoding
	} else if r.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	if k := h.Get("Idempotency-Key"); k != "" {
		if !idempotencyKey.MatchString(k) {
			return nil, fmt.Errorf("malformed Idempotency-Key %q", k)
		}
		h.Set("Idempotency-Key", `"<random>"`)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s\r\n", r.Method, r.RequestURI, r.Proto)
	if err := h.Write(&b); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes(), nil
}
