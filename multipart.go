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
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if boundary != "" {
		if err := w.SetBoundary(boundary); err != nil {
			return nil, fmt.Errorf("httpstep: multipart boundary: %v", err)
		}
	}
	p := &payload{contentType: w.FormDataContentType()}
	flush := func() {
		if buf.Len() > 0 {
			p.parts = append(p.parts, chunk{data: bytes.Clone(buf.Bytes())})
			buf.Reset()
		}
	}
	for i, f := range b.Fields {
		field := fmt.Sprintf("body.fields[%d]", i)
		if f.File != "" {
			files, err := r.files(field, f.File)
			if err != nil {
				return nil, err
			}
			for _, file := range files {
				if _, err := w.CreatePart(partHeader(f.Key, file)); err != nil {
					return nil, err
				}
				flush()
				p.parts = append(p.parts, chunk{file: file, field: field})
				p.files = append(p.files, fileRecord(f.Key, file))
			}
			continue
		}
		v, err := r.renderText(f.Value)
		if err != nil {
			return nil, err
		}
		if v == "" && b.OmitEmpty {
			continue
		}
		pw, err := w.CreatePart(partHeader(f.Key, nil))
		if err != nil {
			return nil, err
		}
		io.WriteString(pw, v)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	flush()
	return p, nil
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
