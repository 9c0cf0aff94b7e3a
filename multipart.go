package httpstep

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// multipartPayload lays out a form-data body as chunks: the part headers and
// text values are rendered now, attachments are streamed per attempt. No
// goroutine and no pipe: the body is a MultiReader, so its length is known
// whenever every attachment's size is.
func (r *renderer) multipartPayload(b *Body, boundary string) (*payload, error) {
	l := &formLayout{p: &payload{}}
	l.w = multipart.NewWriter(&l.buf)
	if boundary != "" {
		if err := l.w.SetBoundary(boundary); err != nil {
			return nil, errorf("multipart boundary: %v", err)
		}
	}
	l.p.contentType = l.w.FormDataContentType()
	for i, f := range b.Fields {
		field := fmt.Sprintf("body.fields[%d]", i)
		if f.File != "" {
			files, err := r.files(field, f.File)
			if err != nil {
				return nil, err
			}
			l.attach(f.Key, field, files)
			continue
		}
		v, err := r.renderText(f.Value)
		if err != nil {
			return nil, err
		}
		if v != "" || !b.OmitEmpty {
			r.secrets.addField(f.Key, v)
			l.text(f.Key, v)
		}
	}
	l.w.Close()
	l.flush()
	return l.p, nil
}

// formLayout builds a multipart payload: what the writer renders collects in
// buf and becomes a chunk before each attachment.
type formLayout struct {
	buf bytes.Buffer
	w   *multipart.Writer
	p   *payload
}

// text adds a text field.
func (l *formLayout) text(key, value string) {
	pw, _ := l.w.CreatePart(partHeader(key, nil)) // writes to a bytes.Buffer: cannot fail
	io.WriteString(pw, value)
}

// attach adds one part per file, each streamed at send time.
func (l *formLayout) attach(key, field string, files []*File) {
	for _, f := range files {
		l.w.CreatePart(partHeader(key, f))
		l.flush()
		l.p.parts = append(l.p.parts, chunk{file: f, field: field})
		l.p.files = append(l.p.files, fileRecord(key, f))
	}
}

// flush turns the rendered bytes into a chunk.
func (l *formLayout) flush() {
	if l.buf.Len() > 0 {
		l.p.parts = append(l.p.parts, chunk{data: bytes.Clone(l.buf.Bytes())})
		l.buf.Reset()
	}
}

// quoteEscaper escapes a name for its quoted place in Content-Disposition:
// backslash and quote as mime/multipart does, and every control character
// but tab percent-encoded (CR and LF as browsers do), since a header line
// with one is malformed and servers reject the whole request.
var quoteEscaper = func() *strings.Replacer {
	pairs := []string{`\`, `\\`, `"`, `\"`, "\x7f", "%7F"}
	for c := byte(0); c < 0x20; c++ {
		if c != '\t' {
			pairs = append(pairs, string(c), fmt.Sprintf("%%%02X", c))
		}
	}
	return strings.NewReplacer(pairs...)
}()

// partHeader is the header of a form-data part: a text field when f is nil,
// else an attachment with its file name and content type.
func partHeader(key string, f *File) textproto.MIMEHeader {
	h := make(textproto.MIMEHeader, 2)
	if f == nil {
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"`, quoteEscaper.Replace(key)))
		return h
	}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`,
		quoteEscaper.Replace(key), quoteEscaper.Replace(f.Name)))
	h.Set("Content-Type", fileType(f))
	return h
}
