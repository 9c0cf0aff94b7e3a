package httpstep

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// multipartPayload lays out a form-data body as chunks: the part headers and
// text values are rendered now, attachments are streamed per attempt. No
// goroutine and no pipe: the body is a MultiReader, so its length is known
// whenever every attachment's size is. A multipart Content-Type header of
// the node (headerType) keeps its subtype and parameters, as curl does:
// multipart/related is sent as such, its parts "attachment" rather than
// "form-data".
func (r *renderer) multipartPayload(b *Body, values []*template, boundary, headerType string) (*payload, error) {
	l := &formLayout{p: &payload{}, disposition: "form-data"}
	l.w = multipart.NewWriter(&l.buf)
	if boundary != "" {
		if err := l.w.SetBoundary(boundary); err != nil {
			return nil, errorf("multipart boundary: %v", err)
		}
	}
	l.p.contentType = l.w.FormDataContentType()
	if mt, params, err := mime.ParseMediaType(headerType); err == nil && strings.HasPrefix(mt, "multipart/") {
		params["boundary"] = l.w.Boundary()
		l.p.contentType = mime.FormatMediaType(mt, params)
		if mt != "multipart/form-data" {
			l.disposition = "attachment"
		}
	}
	for i, f := range b.Fields {
		field := fmt.Sprintf("body.fields[%d]", i)
		if f.File != "" {
			files, err := r.files(field, f.File)
			if err != nil {
				return nil, err
			}
			l.attach(f, field, files)
			continue
		}
		v, err := r.render(values[i])
		if err != nil {
			return nil, err
		}
		if v != "" || !b.OmitEmpty {
			r.secrets.addField(f.Key, v)
			l.text(f, v)
		}
	}
	l.w.Close()
	l.flush()
	return l.p, nil
}

// formLayout builds a multipart payload: what the writer renders collects in
// buf and becomes a chunk before each attachment.
type formLayout struct {
	buf         bytes.Buffer
	w           *multipart.Writer
	p           *payload
	disposition string // "form-data", or "attachment" in another multipart type
}

// text adds a text field.
func (l *formLayout) text(f FormField, value string) {
	pw, _ := l.w.CreatePart(l.partHeader(f, nil)) // writes to a bytes.Buffer: cannot fail
	io.WriteString(pw, value)
	f.Value = value
	l.p.form = append(l.p.form, formPart{field: f})
}

// attach adds one part per file, each streamed at send time.
func (l *formLayout) attach(f FormField, field string, files []*File) {
	for _, file := range files {
		h := l.partHeader(f, file)
		l.w.CreatePart(h)
		l.flush()
		rec := fileRecord(f.Key, file)
		rec.Name, rec.ContentType = partName(f, file), h.Get("Content-Type")
		l.p.parts = append(l.p.parts, chunk{file: file, field: field})
		l.p.files = append(l.p.files, rec)
		part := f
		if part.ContentType == "" {
			part.ContentType = file.ContentType
		}
		l.p.form = append(l.p.form, formPart{field: part, file: file.Name})
	}
}

// formPart is one part of a form-data body as rendered: a text field with
// its value, or an attachment, file naming it (the File's Name, or its ref
// while the node is only typed). The cURL export writes each as one -F.
type formPart struct {
	field FormField
	file  string
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

// partHeader is the header of a part: a text field when file is nil, else
// an attachment with its file name and content type. The field's
// ContentType and Filename win over the File's.
func (l *formLayout) partHeader(f FormField, file *File) textproto.MIMEHeader {
	h := make(textproto.MIMEHeader, 2)
	disposition := fmt.Sprintf(`%s; name="%s"`, l.disposition, quoteEscaper.Replace(f.Key))
	ct := f.ContentType
	if file != nil {
		disposition += fmt.Sprintf(`; filename="%s"`, quoteEscaper.Replace(partName(f, file)))
		if ct == "" {
			ct = fileType(file)
		}
	}
	h.Set("Content-Disposition", disposition)
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	return h
}

// partName is the file name a part sends: the field's Filename, else the
// File's name.
func partName(f FormField, file *File) string {
	if f.Filename != "" {
		return f.Filename
	}
	return file.Name
}
