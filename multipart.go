package httpstep

import (
	"bytes"
	"fmt"
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
				if _, err := w.CreatePart(fileHeader(f.Key, file)); err != nil {
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
		if err := w.WriteField(f.Key, v); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	flush()
	return p, nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "%0D", "\n", "%0A")

// fileHeader is the part header of an attachment.
func fileHeader(key string, f *File) textproto.MIMEHeader {
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`,
		quoteEscaper.Replace(key), quoteEscaper.Replace(f.Name)))
	h.Set("Content-Type", fileType(f))
	return h
}
