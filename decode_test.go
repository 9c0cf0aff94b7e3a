package httpstep

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"github.com/httpstep/httpstep/internal/bytesize"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// readOutcome is what readBody gave for one response.
type readOutcome struct {
	body  []byte
	notes []string
	err   error
	resp  *http.Response
}

// leakCheck fails the test if it leaves goroutines behind. Call it first, so
// its check runs after every other cleanup.
func leakCheck(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// fetchBody serves h on loopback, GETs it and reads the body with readBody.
// A non-empty acceptEncoding is set on the request, which turns off the
// transport's own gzip decoding.
func fetchBody(t *testing.T, h http.HandlerFunc, acceptEncoding string, limit int64) readOutcome {
	t.Helper()
	resp := fetch(t.Context(), t, h, http.MethodGet, acceptEncoding)
	body, notes, err := readBody(resp, limit)
	return readOutcome{body, notes, err, resp}
}

// fetch serves h on loopback and sends it one request under ctx with a
// fresh transport. The response body is closed when the test ends.
func fetch(ctx context.Context, t *testing.T, h http.HandlerFunc, method, acceptEncoding string) *http.Response {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	req, err := http.NewRequestWithContext(ctx, method, srv.URL, nil)
	require.NoError(t, err)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// sendBody answers with the given headers and body.
func sendBody(header map[string]string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		_, _ = w.Write(body)
	}
}

// sendRaw hijacks the connection, writes raw and closes it: the way to send
// a response cut short.
func sendRaw(raw []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		_, _ = buf.Write(raw)
		_ = buf.Flush()
	}
}

func compress(t testing.TB, data []byte, newWriter func(io.Writer) io.WriteCloser) []byte {
	t.Helper()
	var b bytes.Buffer
	w := newWriter(&b)
	_, err := w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func gzipW(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }
func zlibW(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }
func flateW(w io.Writer) io.WriteCloser {
	fw, _ := flate.NewWriter(w, flate.DefaultCompression)
	return fw
}

// noise returns n reproducible bytes that do not compress.
func noise(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}

func TestReadBodyContentEncoding(t *testing.T) {
	plain := []byte(strings.Repeat(`{"ok":true,"items":[1,2,3]}`, 200))
	gz := func(b []byte) []byte { return compress(t, b, gzipW) }
	brotli := []byte{0x1b, 0x03, 0x00, 0xf8, 0x25} // opaque bytes, never decoded
	tests := []struct {
		name, encoding, accept string
		sent, want             []byte
		note                   string // a substring of the only note, "" for none
	}{
		{"gzip decoded by the transport", "gzip", "", gz(plain), plain, ""},
		{"gzip asked for by the node", "gzip", "gzip", gz(plain), plain, ""},
		{"upper-case GZIP", "GZIP", "gzip", gz(plain), plain, ""},
		{"x-gzip", "x-gzip", "gzip", gz(plain), plain, ""},
		{"deflate in zlib", "deflate", "deflate", compress(t, plain, zlibW), plain, ""},
		{"raw deflate", "deflate", "deflate", compress(t, plain, flateW), plain, ""},
		{"gzip twice", "gzip, gzip", "gzip", gz(gz(plain)), plain, ""},
		{"deflate then gzip", "deflate,gzip", "gzip, deflate", gz(compress(t, plain, zlibW)), plain, ""},
		{"identity", "identity", "identity", plain, plain, ""},
		{"br kept", "br", "br", brotli, brotli, `content-encoding "br" is not decoded`},
		{"gzip over br", "br, gzip", "br, gzip", gz(brotli), brotli, `content-encoding "br" is not decoded`},
		{"too many layers", "gzip, gzip, gzip, gzip", "gzip", gz(gz(gz(gz(plain)))), gz(gz(gz(gz(plain)))), "is not decoded"},
		{"declared gzip, sent plain", "gzip", "gzip", plain, plain, "the body is not gzip"},
		{"empty gzip body", "gzip", "gzip", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakCheck(t)
			h := sendBody(map[string]string{"Content-Encoding": tt.encoding, "Content-Type": "application/octet-stream"}, tt.sent)
			got := fetchBody(t, h, tt.accept, 1<<20)
			require.NoError(t, got.err)
			assert.Equal(t, tt.accept == "", got.resp.Uncompressed, "who decoded")
			assert.Equal(t, len(tt.want), len(got.body))
			assert.True(t, bytes.Equal(tt.want, got.body), "body differs")
			if tt.note == "" {
				assert.Empty(t, got.notes)
			} else if assert.Len(t, got.notes, 1) {
				assert.Contains(t, got.notes[0], tt.note)
			}
		})
	}
}

func TestReadBodyLimit(t *testing.T) {
	const limit = 100_000
	tests := []struct {
		name     string
		size     int
		limit    int64
		encoding string
		chunked  bool
		tooLarge bool
	}{
		{"exact limit", limit, limit, "", false, false},
		{"limit+1", limit + 1, limit, "", false, true},
		{"chunked exact limit", limit, limit, "", true, false},
		{"chunked limit+1", limit + 1, limit, "", true, true},
		{"gzip exact limit", limit, limit, "gzip", false, false},
		{"gzip limit+1", limit + 1, limit, "gzip", false, true},
		{"far over, chunked", 10 * limit, limit, "", true, true},
		{"empty", 0, 1, "", false, false},
		{"past the presize", 3<<20 + 5, 4 << 20, "", false, false},
		{"zero limit means the default", 1000, 0, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakCheck(t)
			data := noise(tt.size)
			sent := data
			if tt.encoding == "gzip" {
				sent = compress(t, data, gzipW)
			}
			h := func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				if tt.encoding != "" {
					w.Header().Set("Content-Encoding", tt.encoding)
				}
				if tt.chunked {
					http.NewResponseController(w).Flush() // no Content-Length
				}
				_, _ = w.Write(sent)
			}
			got := fetchBody(t, h, "gzip", tt.limit)
			if !tt.tooLarge {
				require.NoError(t, got.err)
				assert.True(t, bytes.Equal(data, got.body), "body differs")
				return
			}
			require.Error(t, got.err)
			assert.ErrorIs(t, got.err, errTooLarge)
			assert.NotErrorIs(t, got.err, io.ErrUnexpectedEOF)
			var tl *tooLargeError
			require.ErrorAs(t, got.err, &tl)
			assert.Equal(t, tt.limit, tl.Limit)
			assert.Contains(t, got.err.Error(), "limit of "+bytesize.Format(tt.limit)+"; ask the API for less data")
			assert.Len(t, got.body, int(tt.limit), "the part read is kept for a preview")
		})
	}
}

func TestReadLimitedBuffer(t *testing.T) {
	tests := []struct {
		name        string
		size        int
		hint, limit int64
		wantCap     int // capacity of the result; 0 = do not check
	}{
		{"hint exact: one allocation, no spare room", 5000, 5000, 1 << 20, 5000},
		{"hint over limit: capped by the limit", 5000, 1 << 30, 5000, 5000},
		{"unknown size grows up to the limit", 5000, -1, 5000, 5000},
		{"hint too small: grows", 5000, 100, 1 << 20, 0},
		{"hint beyond the presize cap", maxPresize + 10, maxPresize + 10, 1 << 30, maxPresize + 10},
		{"empty with hint 0", 0, 0, 100, 0},
	}
	for _, tt := range tests {
		for _, slow := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/one-byte-reads=%v", tt.name, slow), func(t *testing.T) {
				data := noise(tt.size)
				var r io.Reader = bytes.NewReader(data)
				if slow {
					r = iotest.OneByteReader(r)
				}
				got, err := readLimited(r, make([]byte, 1), tt.hint, tt.limit)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(data, got))
				assert.LessOrEqual(t, int64(cap(got)), tt.limit)
				if tt.wantCap > 0 {
					assert.Equal(t, tt.wantCap, cap(got))
				}
			})
		}
	}
}

func TestReadLimitedErrors(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := readLimited(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), make([]byte, 1), -1, 100)
	assert.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, errTooLarge)
	assert.NotErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Contains(t, err.Error(), "after 3 bytes")

	_, err = readLimited(iotest.TimeoutReader(strings.NewReader("abcdef")), make([]byte, 1), -1, 100)
	assert.ErrorIs(t, err, iotest.ErrTimeout)
}

func TestReadBodyTruncated(t *testing.T) {
	data := noise(64 << 10)
	gz := compress(t, data, gzipW)
	head := func(h string) []byte { return []byte("HTTP/1.1 200 OK\r\n" + h + "\r\n\r\n") }
	gzHead := head("Content-Type: application/octet-stream\r\nContent-Encoding: gzip\r\nConnection: close")
	tests := []struct {
		name, accept string
		raw          []byte
	}{
		{"short of Content-Length", "gzip", append(head("Content-Length: 100"), data[:50]...)},
		{"chunk cut", "gzip", append(head("Transfer-Encoding: chunked"), "400\r\n0123456789"...)},
		{"gzip cut, decoded here", "gzip", append(gzHead, gz[:len(gz)/2]...)},
		{"gzip cut, decoded by the transport", "", append(gzHead, gz[:len(gz)/2]...)},
		{"gzip without its trailer", "gzip", append(gzHead, gz[:len(gz)-8]...)},
		{"gzip cut in its header", "gzip", append(gzHead, gz[:5]...)},
		{"deflate cut", "deflate", append(head("Content-Encoding: deflate\r\nConnection: close"),
			compress(t, data, zlibW)[:1000]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakCheck(t)
			got := fetchBody(t, sendRaw(tt.raw), tt.accept, 1<<20)
			require.Error(t, got.err)
			assert.ErrorIs(t, got.err, io.ErrUnexpectedEOF)
			assert.NotErrorIs(t, got.err, errTooLarge)
			assert.Contains(t, got.err.Error(), "cut short")
		})
	}
}

// TestReadBodyDeadline checks that a body stalled past the deadline keeps
// the context's error, so it is classified timeout, not network.
func TestReadBodyDeadline(t *testing.T) {
	leakCheck(t)
	h := func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("partial"))
		_ = http.NewResponseController(w).Flush()
		<-r.Context().Done()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	body, _, err := readBody(fetch(ctx, t, h, http.MethodGet, ""), 1<<10)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.NotErrorIs(t, err, errTooLarge)
	assert.Equal(t, "partial", string(body))
}

// gzipBomb is 256 MiB of zeros in gzip (about 260 KiB): 256 gzip members of
// 1 MiB each, one after the other, as RFC 1952 allows and every gzip reader
// decodes. Compressing once and repeating keeps the test fast under -race.
var gzipBomb = sync.OnceValue(func() []byte {
	var member bytes.Buffer
	w, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = w.Write(make([]byte, 1<<20))
	_ = w.Close()
	return bytes.Repeat(member.Bytes(), 256)
})

func TestReadBodyBomb(t *testing.T) {
	const limit, budget = 1 << 20, 64 << 20
	bomb := gzipBomb()
	zr, err := gzip.NewReader(bytes.NewReader(bomb))
	require.NoError(t, err)
	zr.Multistream(false)
	n, err := io.Copy(io.Discard, zr)
	require.NoError(t, err)
	require.Equal(t, int64(1<<20), n, "each of the 256 members is 1 MiB of zeros")
	for _, accept := range []string{"gzip", ""} {
		t.Run("Accept-Encoding="+accept, func(t *testing.T) {
			leakCheck(t)
			h := sendBody(map[string]string{"Content-Encoding": "gzip", "Content-Type": "application/json"}, bomb)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			got := fetchBody(t, h, accept, limit)
			runtime.ReadMemStats(&after)
			assert.ErrorIs(t, got.err, errTooLarge)
			assert.Len(t, got.body, limit)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("256 MiB bomb, 1 MiB limit: %.1f MiB allocated", float64(allocated)/(1<<20))
			assert.Less(t, allocated, uint64(budget))
		})
	}
}

func TestReadBodyCharset(t *testing.T) {
	enc := func(e encoding.Encoding, s string) []byte {
		b, err := e.NewEncoder().Bytes([]byte(s))
		require.NoError(t, err)
		return b
	}
	bom8 := func(s string) []byte { return append([]byte{0xef, 0xbb, 0xbf}, s...) }
	le, be := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	const zh = `{"name":"张三","city":"北京","note":"中文测试"}`
	tests := []struct {
		name, contentType string
		sent              []byte
		want, note        string
	}{
		{"GBK", "application/json; charset=GBK", enc(simplifiedchinese.GBK, zh), zh, ""},
		{"gb2312 label reads as GBK", "text/plain;charset=gb2312", enc(simplifiedchinese.GBK, zh), zh, ""},
		{"GB18030 beyond GBK", "text/plain; charset=gb18030", enc(simplifiedchinese.GB18030, "€ 😀 𠀀 中"), "€ 😀 𠀀 中", ""},
		{"Big5", `text/html; charset="big5"`, enc(traditionalchinese.Big5, "臺北市 資料庫"), "臺北市 資料庫", ""},
		{"Shift_JIS", "text/plain; charset=Shift_JIS", enc(japanese.ShiftJIS, "こんにちは、世界。カタカナ"), "こんにちは、世界。カタカナ", ""},
		{"EUC-JP", "text/plain; charset=euc-jp", enc(japanese.EUCJP, "日本語のテキスト"), "日本語のテキスト", ""},
		{"EUC-KR", "text/plain; charset=euc-kr", enc(korean.EUCKR, "안녕하세요 세계"), "안녕하세요 세계", ""},
		{"ISO-8859-1", "text/plain; charset=ISO-8859-1", enc(charmap.ISO8859_1, "Café naïve façade ÿ"), "Café naïve façade ÿ", ""},
		{"latin1 quoted", `text/plain; charset="latin1"`, enc(charmap.ISO8859_1, "Ærøskøbing"), "Ærøskøbing", ""},
		{"windows-1252", "text/plain; charset=windows-1252", enc(charmap.Windows1252, "€ “quoted” … –"), "€ “quoted” … –", ""},
		{"utf-16le label, no BOM", "text/plain; charset=utf-16le", enc(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), zh), zh, ""},
		{"broken header still gives its charset", "text/plain; charset=gbk; junk", enc(simplifiedchinese.GBK, zh), zh, ""},
		{"utf-8 replaces invalid bytes", "text/plain; charset=UTF-8", []byte("a\xffb\xc3"), "a\uFFFDb\uFFFD", "declared UTF-8 but holds 2 invalid bytes (the first at byte 1)"},
		{"utf-8 BOM replaces invalid bytes", "application/json", bom8("\"\xed\xa0\x80\""), "\"\uFFFD\uFFFD\uFFFD\"", "holds 3 invalid bytes"},
		{"utf8 alias", "text/plain; charset=utf8", []byte(zh), zh, ""},
		{"us-ascii is read as UTF-8", "text/plain; charset=us-ascii", []byte("café"), "café", ""},
		{"WHATWG UTF-8 alias", "text/plain; charset=unicode-1-1-utf-8", []byte(zh), zh, ""},
		{"no charset, no conversion", "text/plain", []byte("caf\xe9"), "caf\xe9", "not valid UTF-8 (byte 3) and names no charset; it is kept as it came"},
		{"no charset, valid UTF-8", "application/json", []byte(zh), zh, ""},
		{"unknown charset", "text/plain; charset=x-klingon", []byte("café"), "café", `unknown charset "x-klingon", read as UTF-8`},
		{"replacement label kept", "text/plain; charset=iso-2022-kr", []byte("abc"), "abc", `unknown charset "iso-2022-kr"`},
		{"UTF-8 BOM stripped", "application/json", bom8(`{"a":1}`), `{"a":1}`, ""},
		{"UTF-8 BOM with utf-8 label", "application/json; charset=utf-8", bom8(`{"a":1}`), `{"a":1}`, ""},
		{"UTF-8 BOM without a type", "", bom8("hi"), "hi", ""},
		{"UTF-8 BOM overrides GBK", "text/plain; charset=gbk", bom8(zh), zh, `byte order mark overrides charset "gbk"`},
		{"UTF-16LE BOM", "application/json", enc(le, zh), zh, "decoded as UTF-16LE"},
		{"UTF-16BE BOM", "text/csv", enc(be, zh), zh, "decoded as UTF-16BE"},
		{"binary body keeps its bytes", "application/octet-stream", []byte{0xff, 0xfe, 0x00, 0x01}, "\xff\xfe\x00\x01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakCheck(t)
			h := sendBody(map[string]string{"Content-Type": tt.contentType}, tt.sent)
			got := fetchBody(t, h, "", 1<<20)
			require.NoError(t, got.err)
			assert.Equal(t, tt.want, string(got.body))
			if tt.note == "" {
				assert.Empty(t, got.notes)
			} else if assert.Len(t, got.notes, 1) {
				assert.Contains(t, got.notes[0], tt.note)
			}
		})
	}
}

func TestReadBodyCharsetLimit(t *testing.T) {
	sent := bytes.Repeat([]byte{0xe9}, 600) // "é" in windows-1252: 600 bytes become 1200
	for _, tt := range []struct {
		limit    int64
		tooLarge bool
	}{{1200, false}, {1199, true}, {600, true}} {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			leakCheck(t)
			h := sendBody(map[string]string{"Content-Type": "text/plain; charset=windows-1252"}, sent)
			got := fetchBody(t, h, "", tt.limit)
			if !tt.tooLarge {
				require.NoError(t, got.err)
				assert.Equal(t, strings.Repeat("é", 600), string(got.body))
				return
			}
			assert.ErrorIs(t, got.err, errTooLarge)
			assert.LessOrEqual(t, int64(len(got.body)), tt.limit)
			assert.True(t, strings.HasPrefix(strings.Repeat("é", 600), string(got.body)), "the text converted so far is kept for a preview")
		})
	}
}

func TestReadBodyWithoutBody(t *testing.T) {
	leakCheck(t)
	h := sendBody(map[string]string{"Content-Encoding": "gzip", "Content-Length": "123456789"}, nil)
	resp := fetch(t.Context(), t, h, http.MethodHead, "")
	resp.Body = io.NopCloser(resp.Body) // a wrapped body must not be trusted to be empty
	body, notes, err := readBody(resp, 1<<10)
	assert.NoError(t, err)
	assert.Empty(t, body)
	assert.Empty(t, notes)

	for _, status := range []int{http.StatusNoContent, http.StatusNotModified} {
		body, _, err := readBody(&http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader("x"))}, 10)
		assert.NoError(t, err)
		assert.Empty(t, body, status)
	}
}

func TestParseContentType(t *testing.T) {
	tests := []struct{ in, mediaType, charset string }{
		{"application/json; charset=utf-8", "application/json", "utf-8"},
		{`Text/HTML; Charset="GBK"`, "text/html", "GBK"},
		{"text/plain; charset=gbk; junk", "text/plain", "gbk"},
		{"text/plain; charset='big5'; =x", "text/plain", "big5"},
		{"text/plain", "text/plain", ""},
		{" Application/JSON ", "application/json", ""},
		{"application/json/extra", "application/json/extra", ""},
		{"", "", ""},
		{";;;", "", ""},
		{"garbage", "garbage", ""},
	}
	for _, tt := range tests {
		mt, cs := parseContentType(tt.in)
		assert.Equal(t, tt.mediaType, mt, tt.in)
		assert.Equal(t, tt.charset, cs, tt.in)
	}
}

// FuzzReadBody feeds arbitrary bodies, codings and content types to
// readBody: it must not panic and must keep to the limit.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte("hello"), "gzip", "text/plain; charset=gbk")
	f.Add(compress(f, []byte(`{"a":"b"}`), gzipW), "gzip, gzip", "application/json")
	f.Add(compress(f, []byte("abc"), zlibW), "deflate", "text/plain; charset=utf-16")
	f.Add(compress(f, []byte("abc"), flateW), "deflate", `text/plain; charset="shift_jis`)
	f.Add([]byte{0xff, 0xfe, 'a', 0}, "identity", "")
	f.Fuzz(func(t *testing.T, body []byte, coding, contentType string) {
		const limit = 4096
		resp := &http.Response{
			StatusCode:    http.StatusOK,
			Header:        http.Header{"Content-Encoding": {coding}, "Content-Type": {contentType}},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
		}
		out, notes, err := readBody(resp, limit)
		if len(out) > limit {
			t.Fatalf("%d bytes over the limit", len(out))
		}
		for _, n := range notes {
			if !utf8.ValidString(n) {
				t.Fatalf("note %q is not UTF-8", n)
			}
		}
		if errors.Is(err, errTooLarge) && errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("ambiguous error %v", err)
		}
	})
}

// TestInvalidUTF8Declared: a body declared charset=utf-8 that holds invalid
// bytes comes back as UTF-8, as Result.Body promises: each bad byte is
// U+FFFD, and the attempt's note says how many there were and where.
func TestInvalidUTF8Declared(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte("{\"name\":\"caf\xe9\",\"city\":\"M\xc3\xbcnchen\"}"))
	})
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.NoError(t, err)
	assert.True(t, utf8.Valid(res.Body), "Body is UTF-8")
	assert.Equal(t, "caf\uFFFD", res.Get("name").String())
	assert.Equal(t, "München", res.Get("city").String())
	assert.Contains(t, res.Attempts[0].Notes, "the body is declared UTF-8 but holds 1 invalid byte (the first at byte 12); each was replaced by U+FFFD")
}

// charsetTestLimit is the size limit of the charset memory test: 30 MiB of
// UTF-16 under the default 32 MiB in .ci/longrun.sh, 4 MiB otherwise.
func charsetTestLimit(t *testing.T) int64 {
	if os.Getenv("HTTPSTEP_LONGRUN") != "" {
		return DefaultMaxResponseBytes
	}
	return 4 << 20
}

// TestCharsetMemory: a UTF-16 body that grows past the limit when converted
// (CJK text: two bytes each in UTF-16, three in UTF-8) fails with
// too_large, and the limit bounds what the read allocates: the body is
// converted as it arrives, so the UTF-16 bytes are never held whole beside
// the converted text.
func TestCharsetMemory(t *testing.T) {
	limit := charsetTestLimit(t)
	text := strings.Repeat("中文测试", int(limit*15/16)/8) // limit*15/16 bytes of UTF-16
	sent := append([]byte{0xff, 0xfe}, enc16(t, text)...)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(sent)
	})
	c := testClient(t)
	c.MaxResponseBytes = limit
	var res *Result
	use := measureMem(func() { res, _ = c.Execute(context.Background(), &NodeConfig{URL: srv.URL, OnFailure: Continue}, nil) })
	t.Logf("%.1f MiB of UTF-16, limit %d MiB: %v", float64(len(sent))/(1<<20), limit>>20, use)
	require.NotNil(t, res.Failure)
	assert.Equal(t, KindTooLarge, res.Failure.Kind)
	assert.Less(t, use.total, uint64(limit*5/2), "the read allocates within 2.5 times the limit")
}

func enc16(t *testing.T, s string) []byte {
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

// TestContentEncodingOnTwoLines: Content-Encoding split over two header
// lines ("gzip", then "gzip, gzip") is three layers. Go's transport, left
// to decode gzip itself, read only the first line, undid one layer and
// dropped the header, so the node succeeded with a body still gzip twice;
// every listed layer is undone now, and the same bomb gives too_large as it
// does on one line.
func TestContentEncodingOnTwoLines(t *testing.T) {
	plain := []byte(`{"ok":true}`)
	gz := func(b []byte) []byte { return compress(t, b, gzipW) }
	bodies := map[string][]byte{"/plain": gz(gz(gz(plain))), "/bomb": gz(gz(gzipBomb()))}
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Encoding"] = []string{"gzip", "gzip, gzip"}
		w.Header().Set("Content-Type", "application/json")
		w.Write(bodies[r.URL.Path])
	})
	c := testClient(t)
	c.MaxResponseBytes = 1 << 20
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/plain"}, nil)
	require.NoError(t, err)
	assert.Equal(t, string(plain), string(res.Body))
	assert.True(t, res.Get("ok").Bool())
	assert.Equal(t, "gzip", srv.last(t).Header.Get("Accept-Encoding"), "gzip is still asked for")

	res, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/bomb"}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindTooLarge, f.Kind)
	assert.Len(t, res.Body, 1<<20)
}

// TestReadBodyHead reads bodies whose first bytes (where a byte order mark
// would be) arrive in every way a reader may give them: a byte at a time,
// with EOF in the same read, shorter than a mark, or failing.
func TestReadBodyHead(t *testing.T) {
	boom := errors.New("boom")
	readers := map[string]func(string) io.Reader{
		"whole":       func(s string) io.Reader { return strings.NewReader(s) },
		"byte a time": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		"data with EOF": func(s string) io.Reader {
			return iotest.DataErrReader(strings.NewReader(s))
		},
		"half": func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
	}
	for _, sent := range []string{"", "a", "ab", "abc", "abcd", utf8BOM, utf8BOM + "x", "\xef\xbb", `{"id":1}`} {
		for name, reader := range readers {
			t.Run(fmt.Sprintf("%q/%s", sent, name), func(t *testing.T) {
				resp := &http.Response{StatusCode: 200, ContentLength: -1, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(reader(sent))}
				body, _, err := readBody(resp, 1<<10)
				require.NoError(t, err)
				want := strings.TrimPrefix(sent, utf8BOM)
				if sent == "\xef\xbb" { // a cut mark is invalid UTF-8 in a body that names no charset: kept as it came
					want = sent
				}
				assert.Equal(t, want, string(body))
			})
		}
	}
	resp := &http.Response{StatusCode: 200, ContentLength: -1, Body: io.NopCloser(io.MultiReader(strings.NewReader("a"), iotest.ErrReader(boom)))}
	_, _, err := readBody(resp, 1<<10)
	assert.ErrorIs(t, err, boom, "an error among the first bytes is the read's error")
}

// TestReadBodyAllocs pins what reading a 1 KiB JSON body of a known length
// allocates: the head reader and the body, nothing sized like a bufio
// buffer.
func TestReadBodyAllocs(t *testing.T) {
	sent := strings.Repeat("x", 1<<10)
	r := strings.NewReader(sent)
	resp := &http.Response{StatusCode: 200, ContentLength: int64(len(sent)), Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(r)}
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(sent)
		if body, _, err := readBody(resp, 1<<20); err != nil || len(body) != len(sent) {
			t.Fatalf("read %d bytes, %v", len(body), err)
		}
	})
	assert.Equal(t, 2.0, allocs)
}
