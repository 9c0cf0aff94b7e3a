package httpstep

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileCounter makes in-memory attachments and counts how often they are
// opened and closed.
type fileCounter struct{ opens, closes atomic.Int32 }

// file is an attachment holding content; size -1 hides its length.
func (fc *fileCounter) file(name, contentType, content string, size int64) File {
	return File{Name: name, ContentType: contentType, Size: size, Open: func() (io.ReadCloser, error) {
		fc.opens.Add(1)
		return &countedReader{Reader: strings.NewReader(content), fc: fc}, nil
	}}
}

type countedReader struct {
	io.Reader
	fc     *fileCounter
	closed atomic.Bool
}

func (c *countedReader) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.fc.closes.Add(1)
	}
	return nil
}

// textFile is an attachment of known size.
func textFile(name, contentType, content string) File {
	return (&fileCounter{}).file(name, contentType, content, int64(len(content)))
}

// hostile values: quotes, line breaks, unicode, JSON and template syntax.
var hostileParams = Values{
	"name": "He said \"hi\"\n\t\\ {\"x\":1} </a> & 'q'",
	"uni":  "ünïcødé ☃ \u2028 😀",
	"tpl":  "{{name}}",
	"n":    42,
	"tags": []any{"a", 1.5, nil, map[string]any{"k": "<v>"}},
	"b":    true,
}

// TestBodyKindsHTTPBin sends every body kind through go-httpbin's /post,
// /put, /patch and /delete and checks what it parsed.
func TestBodyKindsHTTPBin(t *testing.T) {
	base := httpbinURL(t)
	c := testClient(t)
	binary := "\x89PNG\r\n\x1a\n\x00\xff{{name}}"
	record := map[string]any{
		"Order-ID": "PO-1", "snake_key": nil, "ünï": "☃", "total": 12.5, "count": 3.0, "ok": false,
		"lines": []any{map[string]any{"sku": "A\"1", "qty": 2.0}, []any{}, nil},
		"meta":  map[string]any{"empty": map[string]any{}, "note": "line\nbreak {{name}}"},
	}
	params := Values{
		"doc":    textFile("doc.txt", "text/plain", "file one"),
		"pics":   []File{textFile("a.png", "", "pic A"), textFile("b.png", "", "pic B")},
		"photo":  textFile("photo.png", "", binary),
		"record": record,
	}
	for k, v := range hostileParams {
		params[k] = v
	}
	name := hostileParams["name"].(string)
	tests := []struct {
		name  string
		node  NodeConfig
		check func(t *testing.T, res *Result)
	}{
		{"raw json", NodeConfig{Body: &Body{Kind: BodyRaw,
			Raw: `{"name":"{{name}}","uni":"{{uni}}","tpl":"{{tpl}}","n":{{n}},"tags":{{tags}},"missing":{{nope}},"mixed":"<{{name}}>"}`}},
			func(t *testing.T, res *Result) {
				assert.JSONEq(t, mustJSON(t, map[string]any{"name": name, "uni": hostileParams["uni"], "tpl": "{{name}}", "n": 42,
					"tags": hostileParams["tags"], "missing": nil, "mixed": "<" + name + ">"}), res.Get("json").Raw)
			}},
		{"raw xml", NodeConfig{Body: &Body{Kind: BodyRaw, ContentType: "application/xml",
			Raw: `<order id="{{name}}"><note>{{uni}}{{tpl}}</note></order>`}},
			func(t *testing.T, res *Result) {
				var got struct {
					ID   string `xml:"id,attr"`
					Note string `xml:"note"`
				}
				require.NoError(t, xml.Unmarshal(dataURL(t, res, "application/xml"), &got))
				assert.Equal(t, name, got.ID)
				assert.Equal(t, hostileParams["uni"].(string)+"{{name}}", got.Note)
			}},
		{"raw text", NodeConfig{Body: &Body{Kind: BodyRaw, ContentType: "text/plain", Raw: "hi {{name}}\n{{tpl}} {{uni}}"}},
			func(t *testing.T, res *Result) {
				assert.Equal(t, "hi "+name+"\n{{name}} "+hostileParams["uni"].(string), res.Get("data").String())
			}},
		{"urlencoded omitEmpty", NodeConfig{Body: &Body{Kind: BodyURLEncoded, OmitEmpty: true, Fields: []FormField{
			{Key: "name", Value: "{{name}}"}, {Key: "gone", Value: "{{nope}}"}, {Key: "a b&c=", Value: "x y&z=1+2%"}, {Key: "tpl", Value: "{{tpl}}"}}}},
			func(t *testing.T, res *Result) {
				assert.JSONEq(t, mustJSON(t, map[string][]string{"name": {name}, "a b&c=": {"x y&z=1+2%"}, "tpl": {"{{name}}"}}), res.Get("form").Raw)
			}},
		{"urlencoded keeps empty", NodeConfig{Body: &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "e", Value: "{{nope}}"}, {Key: "u", Value: "{{uni}}"}}}},
			func(t *testing.T, res *Result) {
				assert.JSONEq(t, mustJSON(t, map[string][]string{"e": {""}, "u": {hostileParams["uni"].(string)}}), res.Get("form").Raw)
			}},
		{"form-data", NodeConfig{Body: &Body{Kind: BodyFormData, OmitEmpty: true, Fields: []FormField{
			{Key: "title", Value: "{{name}}"}, {Key: "doc", File: "doc"}, {Key: "gone", Value: "{{nope}}"},
			{Key: "pics", File: "pics"}, {Key: "tpl", Value: "{{tpl}}"}}}},
			func(t *testing.T, res *Result) {
				assert.JSONEq(t, mustJSON(t, map[string][]string{"title": {name}, "tpl": {"{{name}}"}}), res.Get("form").Raw)
				assert.JSONEq(t, `{"doc":["file one"],"pics":["pic A","pic B"]}`, res.Get("files").Raw)
			}},
		{"binary", NodeConfig{Body: &Body{Kind: BodyBinary, File: "photo"}},
			func(t *testing.T, res *Result) {
				assert.Equal(t, binary, string(dataURL(t, res, "image/png")))
			}},
		{"data object", NodeConfig{Object: "record"},
			func(t *testing.T, res *Result) {
				assert.JSONEq(t, mustJSON(t, record), res.Get("json").Raw)
			}},
	}
	for _, tt := range tests {
		for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			t.Run(tt.name+"/"+method, func(t *testing.T) {
				node := tt.node
				node.Method, node.URL = method, base+"/"+strings.ToLower(method)
				res, err := c.Execute(context.Background(), &node, params)
				require.NoError(t, err)
				require.Equal(t, 200, res.StatusCode, string(res.Body))
				assert.Equal(t, method, res.Get("method").String())
				tt.check(t, res)
			})
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// dataURL decodes go-httpbin's data field, a base64 data URL for content
// types it does not parse, checking the type.
func dataURL(t *testing.T, res *Result, contentType string) []byte {
	t.Helper()
	prefix := "data:" + contentType + ";base64,"
	data := res.Get("data").String()
	require.True(t, strings.HasPrefix(data, prefix), data)
	b, err := base64.URLEncoding.DecodeString(strings.TrimPrefix(data, prefix))
	require.NoError(t, err)
	return b
}

// TestDataObjectExact: the record is sent byte for byte as encoding/json
// writes it (no HTML escaping, keys as the record has them, big integers
// exact), as POST unless the node says otherwise, for maps and structs.
func TestDataObjectExact(t *testing.T) {
	type line struct {
		SKU string  `json:"sku"`
		Qty int     `json:"qty,omitempty"`
		Tag *string `json:"tag"`
	}
	type order struct {
		ID       string
		Lines    []line         `json:"lines"`
		Extra    map[string]any `json:"extra,omitempty"`
		internal string
	}
	rec := newRecorder(t, nil)
	c := testClient(t)
	tests := []struct {
		name, method, want string
		record             any
		body               string
	}{
		{"map", "", "POST", map[string]any{"b": []any{1, nil, "<&>"}, "a": map[string]any{"Z": int64(9007199254740993)}, "é": "\u2028"},
			`{"a":{"Z":9007199254740993},"b":[1,null,"<&>"],"é":"\u2028"}`},
		{"struct", "", "POST", order{ID: "PO-1", Lines: []line{{SKU: "A", Qty: 2}, {SKU: "B"}}, internal: "x"},
			`{"ID":"PO-1","lines":[{"sku":"A","qty":2,"tag":null},{"sku":"B","tag":null}]}`},
		{"pointer to struct", "PUT", "PUT", &order{ID: "x", Extra: map[string]any{"k": json.Number("1.50")}},
			`{"ID":"x","lines":null,"extra":{"k":1.50}}`},
		{"raw message", "patch", "PATCH", json.RawMessage(`{"keep" : [1, 2]}`), `{"keep":[1,2]}`},
		{"slice", "DELETE", "DELETE", []any{"a", 1.5}, `["a",1.5]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Execute(context.Background(), &NodeConfig{Method: tt.method, URL: rec.URL, Object: " r "}, Values{"r": tt.record})
			require.NoError(t, err)
			require.True(t, res.OK())
			s := rec.last(t)
			assert.Equal(t, tt.want, s.Method)
			assert.Equal(t, tt.body, string(s.Body))
			assert.Equal(t, "application/json", s.Header.Get("Content-Type"))
			assert.Equal(t, int64(len(tt.body)), s.Length)
		})
	}
}

// TestAttachmentWire checks what the server saw: Content-Length when every
// size is known, chunked otherwise, and each attachment's content type: the
// File's, else the one its name's extension implies, else
// application/octet-stream.
func TestAttachmentWire(t *testing.T) {
	rec := newRecorder(t, nil)
	fc := &fileCounter{}
	params := Values{
		"csv": fc.file("report.png", "text/csv", "a,b\n1,2\n", 8),
		"png": fc.file("photo.PNG", "", "png!", 4),
		"pdf": fc.file("doc.pdf", "", "%PDF-1.7", -1),
		"bin": fc.file("noext", "", "\x00\x01", 2),
	}
	known := []FormField{{Key: "t", Value: "text"}, {Key: "a", File: "csv"}, {Key: "b", File: "png"}, {Key: "c", File: "bin"}}
	tests := []struct {
		name    string
		body    *Body
		header  []KeyValue
		chunked bool
		want    []string // binary: content type and body; form-data: name|filename|type|content per part
	}{
		{"binary known size", &Body{Kind: BodyBinary, File: " png "}, nil, false, []string{"image/png", "png!"}},
		{"binary unknown size", &Body{Kind: BodyBinary, File: "pdf"}, nil, true, []string{"application/pdf", "%PDF-1.7"}},
		{"binary no extension", &Body{Kind: BodyBinary, File: "bin"}, nil, false, []string{"application/octet-stream", "\x00\x01"}},
		{"binary type from File", &Body{Kind: BodyBinary, File: "csv"}, nil, false, []string{"text/csv", "a,b\n1,2\n"}},
		{"binary node header wins", &Body{Kind: BodyBinary, File: "png"}, []KeyValue{{"Content-Type", "application/x-custom"}}, false, []string{"application/x-custom", "png!"}},
		{"form-data sizes known", &Body{Kind: BodyFormData, Fields: known}, nil, false,
			[]string{"t|||text", "a|report.png|text/csv|a,b\n1,2\n", "b|photo.PNG|image/png|png!", "c|noext|application/octet-stream|\x00\x01"}},
		{"form-data one size unknown", &Body{Kind: BodyFormData, Fields: append(known[1:2:2], FormField{Key: "d", File: "pdf"})}, nil, true,
			[]string{"a|report.png|text/csv|a,b\n1,2\n", "d|doc.pdf|application/pdf|%PDF-1.7"}},
	}
	c := testClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &NodeConfig{Method: "POST", URL: rec.URL, Headers: tt.header, Body: tt.body}
			res, err := c.Execute(context.Background(), node, params)
			require.NoError(t, err)
			require.True(t, res.OK())
			s := rec.last(t)
			assert.Equal(t, tt.chunked, s.Chunked, "chunked")
			if tt.chunked {
				assert.Equal(t, int64(-1), s.Length)
			} else {
				assert.Equal(t, int64(len(s.Body)), s.Length, "Content-Length")
			}
			if tt.body.Kind == BodyBinary {
				assert.Equal(t, tt.want, []string{s.Header.Get("Content-Type"), string(s.Body)})
				return
			}
			assert.Equal(t, tt.want, formParts(t, s))
		})
	}
	assert.Equal(t, fc.opens.Load(), fc.closes.Load())
}

// formParts reads a multipart body as name|filename|content type|content
// lines; text parts carry no content type.
func formParts(t *testing.T, s seen) []string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(s.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/form-data", mt)
	r := multipart.NewReader(strings.NewReader(string(s.Body)), params["boundary"])
	var out []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		b, err := io.ReadAll(p)
		require.NoError(t, err)
		out = append(out, strings.Join([]string{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), string(b)}, "|"))
	}
}

// TestRetryReopensAttachments: every attempt opens each attachment again and
// sends it whole; everything opened is closed.
func TestRetryReopensAttachments(t *testing.T) {
	content := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB, many buffers
	tests := []struct {
		name  string
		body  *Body
		files int32 // attachments per attempt
		whole int   // of them, the 1 MiB ones
	}{
		{"binary", &Body{Kind: BodyBinary, File: "a"}, 1, 1},
		{"binary unknown size", &Body{Kind: BodyBinary, File: "u"}, 1, 1},
		{"form-data", &Body{Kind: BodyFormData, Fields: []FormField{{Key: "t", Value: "x"}, {Key: "f", File: "a"}, {Key: "g", File: "list"}}}, 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				io.WriteString(w, "{}")
			})
			fc := &fileCounter{}
			params := Values{
				"a":    fc.file("a.bin", "", content, int64(len(content))),
				"u":    fc.file("u.bin", "", content, -1),
				"list": []File{fc.file("b.bin", "", "B", 1), fc.file("c.bin", "", content, -1)},
			}
			node := &NodeConfig{Method: "PUT", URL: rec.URL, Body: tt.body,
				Retry: &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(time.Millisecond)}}
			res, err := testClient(t).Execute(context.Background(), node, params)
			require.NoError(t, err)
			require.Len(t, res.Attempts, 2)
			assert.Equal(t, 2*tt.files, fc.opens.Load(), "one open per attachment per attempt")
			assert.Eventually(t, func() bool { return fc.closes.Load() == fc.opens.Load() }, time.Second, time.Millisecond, "every opened attachment is closed")
			require.Equal(t, 2, rec.count())
			reqs := received(rec)
			first, second := reqs[0], reqs[1]
			assert.Equal(t, first.Body, second.Body, "the retry sends the same bytes")
			assert.Equal(t, tt.whole, strings.Count(string(second.Body), content), "the retry carries every whole file")
		})
	}
}

// received is every request rec saw so far.
func received(rec *recorder) []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// TestBodyErrors: attachments that cannot be sent fail the attempt with kind
// param, a message naming the field, and nothing sent.
func TestBodyErrors(t *testing.T) {
	rec := newRecorder(t, nil)
	c := testClient(t)
	c.MaxUploadBytes = 10
	fc := &fileCounter{}
	params := Values{
		"s":       "a string",
		"m":       map[string]any{"a": 1},
		"ok":      fc.file("ok.txt", "text/plain", "fine", 4),
		"big":     fc.file("big.bin", "", strings.Repeat("x", 11), 11),
		"two":     []File{textFile("1.txt", "", "1"), textFile("2.txt", "", "2")},
		"none":    []File{},
		"mixed":   []any{textFile("1.txt", "", "1"), "not a file"},
		"failing": File{Name: "gone.pdf", Size: 3, Open: func() (io.ReadCloser, error) { return nil, errors.New("disk on fire") }},
		"nilopen": File{Name: "nil.bin", Size: 1, Open: func() (io.ReadCloser, error) { return nil, nil }},
		"noopen":  File{Name: "n.bin"},
	}
	form := func(ref string) *Body {
		return &Body{Kind: BodyFormData, Fields: []FormField{{Key: "t", Value: "x"}, {Key: "up", File: "ok"}, {Key: "f", File: ref}}}
	}
	tests := []struct {
		name string
		body *Body
		want []string
	}{
		{"string as attachment", form("s"), []string{"body.fields[2]", "{{s}}", "is text", "not an attachment"}},
		{"map as attachment", &Body{Kind: BodyBinary, File: "m"}, []string{"body.file", "{{m}}", "is a record, not an attachment"}},
		{"missing attachment", form("nope"), []string{"body.fields[2]", "{{nope}}", "no value"}},
		{"list with a non-file", form("mixed"), []string{"body.fields[2]", "{{mixed}}", "holds text at [1]"}},
		{"open fails", form("failing"), []string{"body.fields[2]", `"gone.pdf"`, "disk on fire"}},
		{"open returns nothing", &Body{Kind: BodyBinary, File: "nilopen"}, []string{"body.file", `"nil.bin"`}},
		{"no Open func", form("noopen"), []string{"body.fields[2]", "{{noopen}}", "cannot be opened"}},
		{"too large, size known", form("big"), []string{"body.fields[2]", `"big.bin"`, "11 bytes", "limit of 10 bytes"}},
		{"binary with two files", &Body{Kind: BodyBinary, File: "two"}, []string{"body.file", "{{two}}", "2 attachments", "exactly one"}},
		{"binary with no file", &Body{Kind: BodyBinary, File: "none"}, []string{"body.file", "0 attachments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &NodeConfig{Method: "POST", URL: rec.URL, Body: tt.body, Retry: &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(time.Millisecond)}}
			res, err := c.Execute(context.Background(), node, params)
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindParam, f.Kind)
			for _, w := range tt.want {
				assert.Contains(t, f.Message, w)
			}
			require.Len(t, res.Attempts, 1, "a param failure is not retried")
			assert.Equal(t, KindParam, res.Attempts[0].Kind)
		})
	}
	assert.Zero(t, rec.count(), "nothing reached the server")
	assert.Equal(t, fc.opens.Load(), fc.closes.Load(), "attachments opened before a failure are closed")
	assert.Positive(t, fc.opens.Load())
}

// TestOpenErrorWrapped: the error File.Open returned stays in the chain.
func TestOpenErrorWrapped(t *testing.T) {
	params := Values{"f": File{Name: "x", Size: -1, Open: func() (io.ReadCloser, error) { return nil, fs.ErrNotExist }}}
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{Method: "POST", URL: "http://127.0.0.1:1", Body: &Body{Kind: BodyBinary, File: "f"}}, params)
	require.Error(t, err)
	assert.ErrorIs(t, res.Failure.Err, fs.ErrNotExist)
}

// TestAttachmentStreamErrors: an attachment of unknown size that passes
// MaxUploadBytes, or one whose length is not its File.Size, is cut while
// streaming: the server never receives a complete request, and the failure
// names the field.
func TestAttachmentStreamErrors(t *testing.T) {
	var handled, complete atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err == nil {
			complete.Add(1)
		}
		handled.Add(1)
	}))
	t.Cleanup(srv.Close)
	c := testClient(t)
	c.MaxUploadBytes = 1 << 20
	mib := strings.Repeat("x", 1<<20)
	fc := &fileCounter{}
	tests := []struct {
		name string
		file File
		body *Body
		is   error
		want []string
	}{
		{"unknown size over the limit", fc.file("big.bin", "", mib+"x", -1), &Body{Kind: BodyBinary, File: "f"},
			errUploadTooLarge, []string{"body.file", `"big.bin"`, "the limit of 1 MiB "}},
		{"unknown size over the limit, form-data", fc.file("big.bin", "", mib+mib, -1), &Body{Kind: BodyFormData, Fields: []FormField{{Key: "a", File: "f"}}},
			errUploadTooLarge, []string{"body.fields[0]", `"big.bin"`}},
		{"longer than its Size", fc.file("long.bin", "", "12345", 4), &Body{Kind: BodyBinary, File: "f"},
			errUploadSize, []string{"body.file", `"long.bin"`, "more than the 4 bytes"}},
		{"shorter than its Size", fc.file("short.bin", "", "123", 4), &Body{Kind: BodyFormData, Fields: []FormField{{Key: "a", File: "f"}, {Key: "b", Value: "after"}}},
			errUploadSize, []string{"body.fields[0]", `"short.bin"`, "3 of the 4 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := handled.Load()
			node := &NodeConfig{Method: "POST", URL: srv.URL, Body: tt.body}
			res, err := c.Execute(context.Background(), node, Values{"f": tt.file})
			require.Error(t, err)
			assert.ErrorIs(t, res.Failure.Err, tt.is)
			assert.Equal(t, KindParam, res.Failure.Kind, "a broken-off upload is the attachment's fault, not the network's")
			f := sendFailure(context.Background(), res.Failure.Err, time.Second)
			require.NotNil(t, f, "exchange can report it as kind param")
			assert.Equal(t, KindParam, f.Kind)
			for _, w := range tt.want {
				assert.Contains(t, f.Message, w)
			}
			assert.Eventually(t, func() bool { return handled.Load() > before }, 2*time.Second, time.Millisecond)
		})
	}
	assert.Zero(t, complete.Load(), "no request arrived whole")
	assert.Equal(t, fc.opens.Load(), fc.closes.Load())

	// Exactly at the limit is fine.
	res, err := c.Execute(context.Background(), &NodeConfig{Method: "POST", URL: srv.URL, Body: &Body{Kind: BodyBinary, File: "f"}},
		Values{"f": fc.file("edge.bin", "", mib, -1)})
	require.NoError(t, err)
	assert.True(t, res.OK())
	assert.Equal(t, int32(1), complete.Load())
	assert.Equal(t, KindNetwork, sendFailure(context.Background(), errors.New("other"), time.Second).Kind)
}

// TestBodyHistory: text bodies are previewed with secrets redacted;
// attachments are listed by name, type and size, never by content.
func TestBodyHistory(t *testing.T) {
	rec := newRecorder(t, nil)
	const secret, content = "s3cr3t-value", "FILE-CONTENT-NEVER-IN-HISTORY"
	type creds struct {
		User  string `json:"user"`
		Token Secret `json:"token"`
	}
	params := Values{
		"tok": Secret(secret),
		"doc": textFile("doc.txt", "text/plain", content),
		"u":   (&fileCounter{}).file("u.pdf", "", content, -1),
		"rec": map[string]any{"user": "ann", "auth": map[string]any{"token": Secret(secret)}},
		"st":  creds{User: "ann", Token: Secret(secret)},
		"lst": []map[string]any{{"token": Secret(secret)}},
	}
	tests := []struct {
		name  string
		node  NodeConfig
		body  string
		files []FileRecord
	}{
		{"raw json", NodeConfig{Body: &Body{Kind: BodyRaw, Raw: `{"token":"{{tok}}","n":1}`}}, `{"token":"[REDACTED]","n":1}`, nil},
		{"urlencoded", NodeConfig{Body: &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "user", Value: "ann"}, {Key: "password", Value: "plain"}, {Key: "x", Value: "{{tok}}"}}}},
			"user=ann&password=[REDACTED]&x=[REDACTED]", nil},
		{"object map", NodeConfig{Object: "rec"}, `{"auth":{"token":"[REDACTED]"},"user":"ann"}`, nil},
		{"object struct", NodeConfig{Object: "st"}, `{"user":"ann","token":"[REDACTED]"}`, nil},
		{"object typed slice", NodeConfig{Object: "lst"}, `[{"token":"[REDACTED]"}]`, nil},
		{"form-data", NodeConfig{Body: &Body{Kind: BodyFormData, Fields: []FormField{{Key: "t", Value: "{{tok}}"}, {Key: "a", File: "doc"}, {Key: "b", File: "u"}}}}, "",
			[]FileRecord{{Field: "a", Name: "doc.txt", ContentType: "text/plain", Size: int64(len(content))}, {Field: "b", Name: "u.pdf", ContentType: "application/pdf", Size: -1}}},
		{"binary", NodeConfig{Body: &Body{Kind: BodyBinary, File: "doc"}}, "",
			[]FileRecord{{Name: "doc.txt", ContentType: "text/plain", Size: int64(len(content))}}},
	}
	c := testClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := tt.node
			node.Method, node.URL = "POST", rec.URL
			res, err := c.Execute(context.Background(), &node, params)
			require.NoError(t, err)
			require.True(t, res.OK())
			r := res.Attempts[0].Request
			assert.Equal(t, tt.body, r.Body)
			assert.Equal(t, tt.files, r.Files)
			history, err := json.Marshal(res.Attempts)
			require.NoError(t, err)
			assert.NotContains(t, string(history), secret)
			assert.NotContains(t, string(history), content)
			if tt.node.Body == nil || tt.node.Body.Kind != BodyBinary {
				assert.Contains(t, string(rec.last(t).Body), secret, "the server got the real value")
			}
		})
	}
}

// TestNoBodyOnGETOrHEAD: GET and HEAD never carry a body; Validate says so
// and nothing is sent.
func TestNoBodyOnGETOrHEAD(t *testing.T) {
	rec := newRecorder(t, nil)
	bodies := []*Body{
		{Kind: BodyRaw, Raw: "{}"},
		{Kind: BodyURLEncoded, Fields: []FormField{{Key: "a", Value: "b"}}},
		{Kind: BodyFormData, Fields: []FormField{{Key: "a", File: "f"}}},
		{Kind: BodyBinary, File: "f"},
	}
	params := Values{"f": textFile("f.txt", "", "x"), "r": map[string]any{"a": 1}}
	for _, m := range []string{"GET", "HEAD", "", "head"} {
		for _, b := range bodies {
			node := &NodeConfig{Method: m, URL: rec.URL, Body: b}
			var ce *ConfigError
			require.ErrorAs(t, node.Validate(), &ce, "%s %s", m, b.Kind)
			assert.Equal(t, "body", ce.Problems[0].Field)
			_, err := testClient(t).Execute(context.Background(), node, params)
			require.ErrorAs(t, err, &ce)
		}
		t.Run("data object "+m, func(t *testing.T) {
			_, err := testClient(t).Execute(context.Background(), &NodeConfig{Method: m, URL: rec.URL, Object: "r"}, params)
			if m == "" {
				require.NoError(t, err, "a data object without a method is a POST")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "never carry a body")
		})
	}
	assert.Equal(t, 1, rec.count(), "only the data-object POST was sent")
	assert.Equal(t, "POST", rec.last(t).Method)
}

// FuzzRawJSONBody: a raw body of a JSON content type, rendered through
// buildPayload, is valid JSON for any value whenever it is valid with every
// value missing; and a string value comes back exactly, never expanded
// again.
func FuzzRawJSONBody(f *testing.F) {
	f.Add(`{"a":"{{v}}","b":{{v}},"c":[{{w}}]}`, "q\"\\\n{{v}}", uint8(0))
	f.Add(`[{{ v }}, "x{{w}}y"]`, "\u2028</script>\x00", uint8(2))
	f.Add(`{"{{v}}":{"n":{{w}}}}`, "\xff\xfe", uint8(3))
	contentTypes := []string{"", "application/json", "application/vnd.api+json; charset=utf-8", "APPLICATION/JSON", "text/json"}
	f.Fuzz(func(t *testing.T, src, value string, pick uint8) {
		ct := contentTypes[int(pick)%len(contentTypes)]
		node := &NodeConfig{Method: "POST", Body: &Body{Kind: BodyRaw, ContentType: ct, Raw: src}}
		if _, err := compile(src, modeJSON); err != nil {
			return
		}
		// Every value missing: bare places read null, strings empty.
		if p, err := newRenderer(nil).buildPayload(stepOf(t, node), "", ""); err != nil || !json.Valid([]byte(p.data)) {
			return
		}
		for _, v := range []any{value, Secret(value), map[string]any{value: []any{value, 1.5, nil}}, nil, 7} {
			p, err := newRenderer(Values{"v": v, "w": value}).buildPayload(stepOf(t, node), "", "")
			require.NoError(t, err)
			require.True(t, json.Valid([]byte(p.data)), "template %q value %q gave %q", src, value, p.data)
		}
		if !utf8.ValidString(value) {
			return // encoding/json writes U+FFFD for invalid bytes
		}
		node.Body.Raw = `{"s":"<{{v}}>","b":{{v}}}`
		p, err := newRenderer(Values{"v": value}).buildPayload(stepOf(t, node), "", "")
		require.NoError(t, err)
		var got struct{ S, B string }
		require.NoError(t, json.Unmarshal([]byte(p.data), &got))
		assert.Equal(t, "<"+value+">", got.S)
		assert.Equal(t, value, got.B)
	})
}

// FuzzFormData: whatever the names, values, file names and contents, the
// multipart body parses back into the same parts in order, with values and
// contents exact and its declared length right.
func FuzzFormData(f *testing.F) {
	f.Add("title", "He said \"hi\"\r\n--x", "a\"b\\c.txt", "content\r\n--")
	f.Add("ünï\r\nX-Evil: 1", "", "../../etc/passwd", "")
	f.Add("0", "", "\x04", "") // a control character once made the part header malformed
	f.Fuzz(func(t *testing.T, key, value, filename, content string) {
		if strings.TrimSpace(key) == "" {
			return // Validate rejects a field without a name
		}
		body := &Body{Kind: BodyFormData, Fields: []FormField{{Key: key, Value: "{{v}}"}, {Key: key, File: "f"}, {Key: "z", Value: "end"}}}
		params := Values{"v": value, "f": textFile(filename, "", content)}
		p, err := newRenderer(params).buildPayload(stepOf(t, &NodeConfig{Method: "POST", Body: body}), "", "")
		require.NoError(t, err)
		rc, length, err := p.open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		if content == "" {
			require.Equal(t, int64(-1), length, "a file of size 0 counts as unknown and is streamed")
		} else {
			require.Equal(t, int64(len(data)), length)
		}
		parts := formParts(t, seen{Header: http.Header{"Content-Type": {p.contentType}}, Body: data})
		require.Len(t, parts, 3)
		for i, want := range []string{value, content, "end"} {
			assert.True(t, strings.HasSuffix(parts[i], "|"+want), "part %d: %q", i, parts[i])
		}
		if utf8.ValidString(key) {
			name := strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(quoteEscaper.Replace(key))
			for i, part := range parts[:2] {
				assert.True(t, strings.HasPrefix(part, name+"|"), "part %d: name %q, want %q", i, part, name)
			}
		}
	})
}

// TestAttachmentHeaderInjection: an attachment's content type or name
// cannot add a header to its part or to the request.
func TestAttachmentHeaderInjection(t *testing.T) {
	rec := newRecorder(t, nil)
	c := testClient(t)
	bad := []File{
		{Name: "a.txt", ContentType: "text/plain\r\nContent-Disposition: form-data; name=\"admin\"", Size: -1, Open: openString("x")},
		{Name: "a.txt", ContentType: "not a type;;", Size: -1, Open: openString("x")},
	}
	for _, f := range bad {
		for _, body := range []*Body{{Kind: BodyBinary, File: "f"}, {Kind: BodyFormData, Fields: []FormField{{Key: "a", File: "f"}}}} {
			_, err := c.Execute(context.Background(), &NodeConfig{Method: "POST", URL: rec.URL, Body: body}, Values{"f": f})
			var fail *Failure
			require.ErrorAs(t, err, &fail)
			assert.Equal(t, KindParam, fail.Kind)
		}
	}
	assert.Zero(t, rec.count())

	// A name with a line break is percent-encoded in the part header.
	_, err := c.Execute(context.Background(), &NodeConfig{Method: "POST", URL: rec.URL, Body: &Body{Kind: BodyFormData, Fields: []FormField{{Key: "a", File: "f"}}}},
		Values{"f": File{Name: "a.txt\r\nX-Evil: 1", Size: -1, Open: openString("x")}})
	require.NoError(t, err)
	assert.Contains(t, string(rec.last(t).Body), `filename="a.txt%0D%0AX-Evil: 1"`)
}

func openString(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

// TestSecretSearchBounded: a record with shared or hidden pointers does not
// make the search for secrets explode.
func TestSecretSearchBounded(t *testing.T) {
	type treeNode struct {
		Name     string
		Parent   *treeNode `json:"-"`
		Children []*treeNode
		Key      Secret
	}
	root := &treeNode{Name: "root", Key: Secret("rootsecret")}
	for i := 0; i < 30; i++ {
		root.Children = append(root.Children, &treeNode{Name: strconv.Itoa(i), Parent: root})
	}
	rec := newRecorder(t, nil)
	done := make(chan error, 1)
	var res *Result
	go func() {
		var err error
		res, err = testClient(t).Execute(context.Background(), &NodeConfig{URL: rec.URL, Object: "rec"}, Values{"rec": root})
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the search for secrets did not end")
	}
	assert.NotContains(t, res.Attempts[0].Request.Body, "rootsecret")
}

// stepOf compiles node without validating it, for tests of one part of it.
func stepOf(t testing.TB, node *NodeConfig) *Step {
	t.Helper()
	s, err := node.compile(nil)
	require.NoError(t, err)
	return s
}

// TestRawFormBodyEscapesValues: a raw body sent as
// application/x-www-form-urlencoded has no form encoder to escape its
// values, so a value with '&' or '=' would add fields: values are
// query-escaped there, as in a URL's query.
func TestRawFormBodyEscapesValues(t *testing.T) {
	srv := newRecorder(t, nil)
	for _, ct := range []string{"application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8"} {
		node := &NodeConfig{URL: srv.URL, Method: "POST", Body: &Body{Kind: BodyRaw, ContentType: ct, Raw: "a={{v}}&c=1"}}
		_, err := testClient(t).Execute(context.Background(), node, Values{"v": "x y&admin=true"})
		require.NoError(t, err)
		got, err := url.ParseQuery(string(srv.last(t).Body))
		require.NoError(t, err)
		assert.Equal(t, url.Values{"a": {"x y&admin=true"}, "c": {"1"}}, got, ct)
	}
}

// TestBinaryBodyOneAttachment: a binary body takes exactly one attachment;
// a list of two fails with kind param and nothing sent.
func TestBinaryBodyOneAttachment(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	node := &NodeConfig{Method: "POST", URL: srv.URL, Body: &Body{Kind: BodyBinary, File: "doc"}}
	res, err := c.Execute(context.Background(), node, Values{"doc": []File{textFile("a.txt", "", "a"), textFile("b.txt", "", "b")}})
	require.Error(t, err)
	assert.Equal(t, KindParam, res.Failure.Kind)
	assert.Zero(t, srv.count())
	_, err = c.Execute(context.Background(), node, Values{"doc": textFile("a.txt", "", "a")})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.count())
}

// uploadTestSize is the attachment of the memory test: 256 MiB, less under
// the race detector (race_test.go).
var uploadTestSize int64 = 256 << 20

// maxUploadAlloc bounds what Execute may allocate to send one such upload.
const maxUploadAlloc = 16 << 20

// TestUploadMemory uploads a generated attachment (a reader, not a buffer)
// as a binary body and as a form-data part, with its size known
// (Content-Length) and unknown (chunked), and checks that the allocation
// during Execute stays under 16 MiB while the server counts every byte.
func TestUploadMemory(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(countUpload))
	t.Cleanup(srv.Close)
	c := testClient(t)
	size := uploadTestSize
	sum := crc32.NewIEEE()
	_, err := io.Copy(sum, &patternReader{left: size})
	require.NoError(t, err)
	file := func(known bool) File {
		f := File{Name: "big.bin", Size: -1, Open: func() (io.ReadCloser, error) { return io.NopCloser(&patternReader{left: size}), nil }}
		if known {
			f.Size = size
		}
		return f
	}
	tests := []struct {
		name  string
		body  *Body
		known bool
	}{
		{"binary, size known", &Body{Kind: BodyBinary, File: "f"}, true},
		{"binary, size unknown", &Body{Kind: BodyBinary, File: "f"}, false},
		{"form-data, size known", &Body{Kind: BodyFormData, Fields: []FormField{{Key: "note", Value: "big"}, {Key: "upload", File: "f"}}}, true},
		{"form-data, size unknown", &Body{Kind: BodyFormData, Fields: []FormField{{Key: "note", Value: "big"}, {Key: "upload", File: "f"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &NodeConfig{Method: "POST", URL: srv.URL, Body: tt.body, Timeout: Duration(time.Minute)}
			params := Values{"f": file(tt.known)}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			res, err := c.Execute(context.Background(), node, params)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d MiB in %v: TotalAlloc +%.2f MiB, Mallocs +%d, HeapInuse %.1f MiB",
				size>>20, elapsed.Round(time.Millisecond), float64(alloc)/(1<<20), after.Mallocs-before.Mallocs, float64(after.HeapInuse)/(1<<20))
			assert.Less(t, alloc, uint64(maxUploadAlloc), "allocation during Execute")
			assert.Equal(t, strconv.FormatInt(size, 10), res.Get("bytes").String(), "bytes the server counted")
			assert.Equal(t, int64(sum.Sum32()), res.Get("crc").Int(), "checksum of what the server got")
			assert.Equal(t, !tt.known, res.Get("chunked").Bool())
		})
	}
}

// countUpload discards an upload and answers with its size, checksum and
// framing: the bytes of the body, or of the first file part of a form.
func countUpload(w http.ResponseWriter, r *http.Request) {
	var src io.Reader = r.Body
	if mr, err := r.MultipartReader(); err == nil {
		for {
			p, err := mr.NextPart()
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if p.FileName() != "" {
				src = p
				break
			}
		}
	}
	sum := crc32.NewIEEE()
	n, err := io.Copy(sum, src)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	chunked := len(r.TransferEncoding) > 0
	io.WriteString(w, `{"bytes":`+strconv.FormatInt(n, 10)+`,"crc":`+strconv.FormatUint(uint64(sum.Sum32()), 10)+`,"chunked":`+strconv.FormatBool(chunked)+`}`)
}

// pattern is what patternReader repeats: every byte value.
var pattern = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// patternReader yields left bytes of pattern without holding them.
type patternReader struct {
	left int64
	off  int
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n := 0
	for n < len(b) {
		c := copy(b[n:], pattern[p.off:])
		n += c
		p.off = (p.off + c) % len(pattern)
	}
	p.left -= int64(n)
	return n, nil
}
