package httpstep

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"github.com/httpstep/httpstep/internal/bytesize"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// errTooLarge is matched by errors.Is for every *tooLargeError.
var errTooLarge = errorf("the response is larger than the limit")

// tooLargeError says a response body, after decompression and charset
// conversion, is larger than Limit bytes. errors.Is(err, errTooLarge) is true.
type tooLargeError struct{ Limit int64 }

func (e *tooLargeError) Error() string { return errorPrefix + e.message() }

func (e *tooLargeError) message() string {
	return fmt.Sprintf("the response is larger than the limit of %s; ask the API for less data (a filter, a smaller page) or ask an administrator to raise the limit (Client.MaxResponseBytes)", bytesize.Format(e.Limit))
}

// Is reports whether target is errTooLarge.
func (e *tooLargeError) Is(target error) bool { return target == errTooLarge }

const (
	// maxCodings is how many stacked content codings readBody undoes; a
	// response with more is kept as it came, with a note.
	maxCodings = 3
	// maxPresize caps the buffer allocated up front from Content-Length, so a
	// server that announces a large body and sends little costs little.
	maxPresize = 1 << 20
	// minGrow is the smallest buffer readLimited allocates.
	minGrow = 512
	// maxLabel caps how much of a header value is quoted in a note.
	maxLabel = 64
)

// utf8BOM is the UTF-8 byte order mark. Bodies and examples may start with
// it (editors on some systems save JSON so); it is skipped, as gjson does.
const utf8BOM = "\xef\xbb\xbf"

// readBody reads resp.Body into memory and returns it as UTF-8, with notes for
// the execution history. It does not close resp.Body; the caller does.
//
// Content codings gzip, x-gzip and deflate (zlib-wrapped, or raw deflate when
// the zlib header is absent, as browsers accept) are undone when the
// transport did not already do it (resp.Uncompressed false), innermost last,
// up to maxCodings layers. A coding it does not know (br, zstd, ...) stops
// decoding there: the body is kept as it is, with a note. A body declared gzip
// that does not start with the gzip magic is kept as it came, with a note.
//
// limit (DefaultMaxResponseBytes when not positive) caps the body after
// decompression and again after charset conversion; a larger body gives a
// *tooLargeError. The charset is converted as the bytes arrive (see
// charsetOf), so what is held is the UTF-8 text alone: never more than
// about limit bytes, and up to half as much again while the buffer grows
// (twice limit in the rare body declared UTF-8 that holds invalid bytes).
// A body cut short gives an error wrapping io.ErrUnexpectedEOF; other read
// errors (a canceled context, a reset) are wrapped as they are. On error
// body holds what was read (and converted) so far, for a preview.
func readBody(resp *http.Response, limit int64) (body []byte, notes []string, err error) {
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	if bodyless(resp) {
		return nil, nil, nil
	}
	r, hint, notes, err := decodeContent(resp)
	if err != nil {
		return nil, notes, err
	}
	br := &headReader{r: r}
	if err := br.fill(); err != nil {
		return nil, notes, readError(err, 0)
	}
	cs := charsetOf(br.head, resp.Header.Get("Content-Type"))
	notes = append(notes, cs.notes...)
	br.head = br.head[cs.skip:]
	if hint >= 0 {
		hint -= int64(cs.skip)
	}
	if cs.dec != nil {
		src := &cappedReader{r: br, left: limit, limit: limit}
		body, err = readLimited(transform.NewReader(src, cs.dec), br.probe[:], -1, limit)
		return body, notes, err
	}
	body, err = readLimited(br, br.probe[:], hint, limit)
	if err != nil || cs.check == keepBytes || utf8.Valid(body) {
		return body, notes, err
	}
	return checkUTF8(body, cs.check, notes, limit)
}

// headReader reads the first bytes of a body ahead, for charsetOf's look
// at a byte order mark, and gives them back before the rest: what a
// bufio.Reader's Peek does, without its 4 KiB buffer per response.
type headReader struct {
	r     io.Reader
	buf   [len(utf8BOM)]byte
	head  []byte  // the bytes read ahead and not yet given back
	eof   bool    // r ended while head was read
	probe [1]byte // readLimited's scratch byte, in the same allocation
}

// fill reads up to len(utf8BOM) bytes into head, in at most maxHeadReads
// reads (a reader may return 0, nil); a body shorter than that is no error.
func (h *headReader) fill() error {
	n := 0
	for i := 0; n < len(h.buf) && i < maxHeadReads; i++ {
		m, err := h.r.Read(h.buf[n:])
		n += m
		if err == io.EOF {
			h.eof = true
			break
		}
		if err != nil {
			return err
		}
	}
	h.head = h.buf[:n]
	return nil
}

// maxHeadReads bounds the reads of headReader.fill, as bufio bounds its
// reads that return nothing.
const maxHeadReads = 100

// Read gives back head, then reads on.
func (h *headReader) Read(p []byte) (int, error) {
	if len(h.head) > 0 {
		n := copy(p, h.head)
		h.head = h.head[n:]
		return n, nil
	}
	if h.eof {
		return 0, io.EOF
	}
	return h.r.Read(p)
}

// bodyless reports whether resp cannot carry a body: none was given, the
// request was HEAD, or the status forbids one.
func bodyless(resp *http.Response) bool {
	if resp.Body == nil || resp.Body == http.NoBody {
		return true
	}
	if resp.Request != nil && resp.Request.Method == http.MethodHead {
		return true
	}
	s := resp.StatusCode
	return (s >= 100 && s < 200) || s == http.StatusNoContent || s == http.StatusNotModified
}

// decodeContent wraps resp.Body in decoders for its content codings. hint is
// the expected decoded size: Content-Length when nothing is decoded, -1
// otherwise.
func decodeContent(resp *http.Response) (r io.Reader, hint int64, notes []string, err error) {
	r, hint = resp.Body, resp.ContentLength
	if resp.Uncompressed {
		return r, hint, nil, nil
	}
	codings := contentCodings(resp.Header)
	if len(codings) > maxCodings {
		return r, hint, []string{codingNote(codings)}, nil
	}
	for i := len(codings) - 1; i >= 0; i-- {
		if !knownCoding(codings[i]) {
			return r, hint, []string{codingNote(codings[:i+1])}, nil
		}
		dec, note, err := openCoding(r, codings[i])
		if err != nil {
			return nil, -1, nil, err
		}
		if note != "" {
			return dec, -1, []string{note}, nil
		}
		r, hint = dec, -1
	}
	return r, hint, nil, nil
}

// contentCodings lists the Content-Encoding values in the order they were
// applied, lower-cased, without identity.
func contentCodings(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c != "" && c != "identity" {
				out = append(out, c)
			}
		}
	}
	return out
}

func knownCoding(c string) bool { return c == "gzip" || c == "x-gzip" || c == "deflate" }

// codingNote says which content codings were left in place.
func codingNote(codings []string) string {
	return fmt.Sprintf("content-encoding %s is not decoded; the body is kept as it came",
		quoteLabel(strings.Join(codings, ", ")))
}

// openCoding starts undoing one content coding. An empty body stays empty.
// note is set when the body turns out not to be in that coding and is passed
// through as it is.
func openCoding(src io.Reader, coding string) (r io.Reader, note string, err error) {
	br := bufio.NewReader(src)
	head, err := br.Peek(2)
	if len(head) == 0 {
		if err == io.EOF {
			return br, "", nil
		}
		return nil, "", readError(err, 0)
	}
	if coding == "deflate" {
		if len(head) == 2 && isZlibHeader(head[0], head[1]) {
			r, err = zlib.NewReader(br)
			return r, "", wrapOpen(err)
		}
		return flate.NewReader(br), "", nil
	}
	if len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b {
		return br, "content-encoding gzip is declared but the body is not gzip; the body is kept as it came", nil
	}
	r, err = gzip.NewReader(br)
	return r, "", wrapOpen(err)
}

// isZlibHeader reports whether cmf, flg start a zlib stream (RFC 1950):
// method deflate, window up to 32 KiB, check bits valid.
func isZlibHeader(cmf, flg byte) bool {
	return cmf&0x0f == 8 && cmf>>4 <= 7 && (uint16(cmf)<<8|uint16(flg))%31 == 0
}

func wrapOpen(err error) error {
	if err == nil {
		return nil
	}
	return readError(err, 0)
}

// readLimited reads r to EOF into one buffer of at most limit bytes. hint,
// when not negative, is the expected size: the buffer starts at it (up to
// maxPresize) and growth stops at it. Only when the buffer is full does a
// one-byte probe read decide between EOF and growing, so a body of exactly
// the expected size is never copied.
func readLimited(r io.Reader, probe []byte, hint, limit int64) ([]byte, error) {
	buf := make([]byte, 0, startCap(hint, limit))
	probe = probe[:1]
	for {
		var n int
		var err error
		if len(buf) < cap(buf) {
			n, err = r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		} else if n, err = r.Read(probe); n == 1 {
			if int64(len(buf)) >= limit {
				return buf, &tooLargeError{Limit: limit}
			}
			buf = append(grow(buf, hint, limit), probe[0])
		}
		if err != nil {
			return buf, readEnd(buf, err)
		}
	}
}

// readEnd is readLimited's result for a read that returned err, not nil.
func readEnd(buf []byte, err error) error {
	if err == io.EOF {
		return nil
	}
	var large *tooLargeError
	if errors.As(err, &large) { // the source is capped too (cappedReader)
		return large
	}
	return readError(err, len(buf))
}

// startCap is the first buffer size of readLimited.
func startCap(hint, limit int64) int {
	if hint < 0 {
		return int(min(minGrow, limit))
	}
	return int(min(hint, limit, maxPresize))
}

// grow returns buf with room for more: twice its capacity, but no more than
// hint while buf is shorter than hint, and never more than limit.
func grow(buf []byte, hint, limit int64) []byte {
	c := max(2*int64(cap(buf)), minGrow)
	if n := int64(len(buf)); hint > n {
		c = min(c, hint)
	}
	out := make([]byte, len(buf), min(c, limit))
	copy(out, buf)
	return out
}

// readError describes a failed body read after n bytes. A body cut short
// keeps io.ErrUnexpectedEOF in its chain, so it is classified network.
func readError(err error, n int) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf("the response body was cut short after %d bytes; the server or the network closed the connection early: %w", n, err)
	}
	return errorf("reading the response body failed after %d bytes: %w", n, err)
}

// utf8Check is what becomes of a body read as UTF-8 that is not valid UTF-8.
type utf8Check uint8

const (
	keepBytes   utf8Check = iota // not text (no charset, a binary type): the bytes are the body
	noteInvalid                  // text without a charset: kept as it came, with a note
	replaceBad                   // declared UTF-8: each bad byte becomes U+FFFD, with a note
)

// charset is how a body's bytes become UTF-8: skip bytes of byte order mark
// dropped, then dec converts them, or (dec nil) they are read as UTF-8 and
// check says what an invalid sequence does.
type charset struct {
	skip  int
	dec   *encoding.Decoder
	check utf8Check
	notes []string
}

// charsetOf decides how a body whose first bytes are head becomes UTF-8.
//
// A byte order mark wins over any charset label, as in the WHATWG decode
// algorithm: a UTF-8 mark is stripped, a UTF-16 mark decodes UTF-16 (with a
// note). Without a label the mark is honoured only for textual media types,
// so binary bodies are never touched. Otherwise the charset parameter is
// looked up among the WHATWG labels (htmlindex): UTF-8 and us-ascii are read
// as UTF-8, and so, with a note, is an unknown label or one WHATWG maps to
// the "replacement" encoding; any other is converted. A body read as UTF-8
// under a label (or its mark) is valid UTF-8 afterwards: each invalid byte
// is replaced by U+FFFD, with a note. Without a label a textual body's
// bytes are kept as they came, with a note when they are not UTF-8 (they
// may be some legacy charset the host can still decode); a binary body's
// always. Nothing else is sniffed.
func charsetOf(head []byte, contentType string) charset {
	mediaType, label := parseContentType(contentType)
	if label != "" || isTextual(mediaType) {
		if cs, ok := fromBOM(head, label); ok {
			return cs
		}
	}
	switch strings.ToLower(label) {
	case "":
		if isTextual(mediaType) {
			return charset{check: noteInvalid}
		}
		return charset{check: keepBytes}
	case "utf-8", "utf8", "us-ascii", "ascii":
		return charset{check: replaceBad}
	}
	enc, err := htmlindex.Get(label)
	if err != nil || enc == encoding.Replacement {
		return charset{check: replaceBad, notes: []string{fmt.Sprintf("unknown charset %s, read as UTF-8", quoteLabel(label))}}
	}
	if enc == unicode.UTF8 {
		return charset{check: replaceBad}
	}
	return charset{dec: enc.NewDecoder()}
}

// fromBOM is the charset of a body that starts with a byte order mark; ok
// is false when head has none.
func fromBOM(head []byte, label string) (cs charset, ok bool) {
	var enc encoding.Encoding
	var name string
	switch {
	case bytes.HasPrefix(head, []byte(utf8BOM)):
		cs = charset{skip: len(utf8BOM), check: replaceBad}
		if l := strings.ToLower(label); label != "" && l != "utf-8" && l != "utf8" {
			cs.notes = []string{fmt.Sprintf("a UTF-8 byte order mark overrides charset %s", quoteLabel(label))}
		}
		return cs, true
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		enc, name = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "UTF-16LE"
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		enc, name = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "UTF-16BE"
	default:
		return charset{}, false
	}
	return charset{skip: 2, dec: enc.NewDecoder(), notes: []string{"decoded as " + name + " after its byte order mark"}}, true
}

// checkUTF8 handles a body read as UTF-8 that is not valid UTF-8: kept with
// a note, or (replaceBad) each invalid byte replaced by U+FFFD, within limit.
func checkUTF8(body []byte, check utf8Check, notes []string, limit int64) ([]byte, []string, error) {
	first := firstInvalid(body)
	if check == noteInvalid {
		return body, append(notes, fmt.Sprintf("the body is not valid UTF-8 (byte %d) and names no charset; it is kept as it came", first)), nil
	}
	out, n, err := replaceInvalid(body, limit)
	if err != nil {
		return body, notes, err
	}
	return out, append(notes, fmt.Sprintf("the body is declared UTF-8 but holds %d invalid byte%s (the first at byte %d); each was replaced by U+FFFD", n, plural(n), first)), nil
}

// firstInvalid is the offset of the first byte of b that is not part of a
// valid UTF-8 sequence, len(b) when there is none.
func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// replaceInvalid returns b with each byte that is not part of a valid UTF-8
// sequence replaced by U+FFFD (as Go's range over a string reads it), and
// how many there were; a result larger than limit is a *tooLargeError.
func replaceInvalid(b []byte, limit int64) ([]byte, int, error) {
	out := make([]byte, 0, min(int64(len(b))+int64(len(b))/8+utf8.UTFMax, limit))
	n := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
			n++
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
		if int64(len(out)) > limit {
			return nil, n, &tooLargeError{Limit: limit}
		}
	}
	return out, n, nil
}

// cappedReader fails with a *tooLargeError once more than left bytes came
// through it: the decompressed bytes fed to a charset conversion are capped
// as the converted text is, since some conversions shrink the text.
type cappedReader struct {
	r           io.Reader
	left, limit int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		return n, &tooLargeError{Limit: c.limit}
	}
	return n, err
}

// parseContentType returns the lower-cased media type and the charset
// parameter of a Content-Type value. A header that mime.ParseMediaType
// rejects is split by hand, so "text/html; charset=gbk; bad" still gives gbk.
func parseContentType(ct string) (mediaType, charset string) {
	if !strings.Contains(ct, ";") { // no parameters: both ways below give this
		return strings.ToLower(strings.TrimSpace(ct)), ""
	}
	if mt, params, err := mime.ParseMediaType(ct); err == nil {
		return mt, strings.TrimSpace(params["charset"])
	}
	mt, rest, _ := strings.Cut(ct, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mt))
	for p := range strings.SplitSeq(rest, ";") {
		k, v, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "charset") {
			return mediaType, strings.Trim(strings.TrimSpace(v), `"' `)
		}
	}
	return mediaType, ""
}

// isTextual reports whether a media type is text that may carry a byte order
// mark: text/*, JSON and XML of any kind, JavaScript, or no type at all.
func isTextual(mt string) bool {
	return mt == "" || strings.HasPrefix(mt, "text/") ||
		strings.HasSuffix(mt, "json") || strings.HasSuffix(mt, "xml") ||
		strings.HasSuffix(mt, "javascript")
}

// quoteLabel quotes a header-derived value for a note, cut to maxLabel bytes.
func quoteLabel(s string) string {
	return fmt.Sprintf("%q", clip(s, maxLabel))
}
