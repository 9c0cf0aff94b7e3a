package httpstep

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/httpstep/httpstep/internal/bytesize"
	"io"
	"strings"
)

// open opens the payload for one attempt: every attachment is opened now, so
// a file that cannot be opened or is too large fails before anything is
// sent. The length is -1 when an attachment's size is unknown.
func (p *payload) open() (io.ReadCloser, int64, error) {
	if p.parts == nil {
		return io.NopCloser(strings.NewReader(p.data)), int64(len(p.data)), nil
	}
	body := &multiBody{}
	readers := make([]io.Reader, 0, len(p.parts))
	var length int64
	known := true
	for _, c := range p.parts {
		if c.file == nil {
			readers = append(readers, bytes.NewReader(c.data))
			length += int64(len(c.data))
			continue
		}
		rc, err := p.openFile(c)
		if err != nil {
			body.Close()
			return nil, 0, err
		}
		body.closers = append(body.closers, rc)
		readers = append(readers, p.guardFile(c, rc))
		known = known && c.file.Size > 0
		length += c.file.Size
	}
	body.Reader = io.MultiReader(readers...)
	if !known {
		length = -1
	}
	return body, length, nil
}

// openFile opens one attachment, checking its declared size.
func (p *payload) openFile(c chunk) (io.ReadCloser, error) {
	f := c.file
	if p.maxUpload > 0 && f.Size > p.maxUpload {
		return nil, &attachmentError{field: c.field, name: f.Name, kind: errUploadTooLarge,
			problem: fmt.Sprintf("is %s, more than the limit of %s (Client.MaxUploadBytes): send a smaller file or ask an administrator to raise the limit", bytesize.Format(f.Size), bytesize.Format(p.maxUpload))}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errorf("%s: the attachment %q cannot be opened: %w", c.field, f.Name, err)
	}
	if rc == nil {
		return nil, errorf("%s: the attachment %q opened as nothing: its Open returned no reader", c.field, f.Name)
	}
	return rc, nil
}

// guardFile checks an attachment while it streams: one of known size must
// yield exactly File.Size bytes (a different length would garble the
// request's framing), one of unknown size at most Client.MaxUploadBytes.
func (p *payload) guardFile(c chunk, r io.Reader) io.Reader {
	switch {
	case c.file.Size > 0:
		return &fileReader{r: r, c: c, limit: c.file.Size, exact: true}
	case p.maxUpload > 0:
		return &fileReader{r: r, c: c, limit: p.maxUpload}
	}
	return r
}

// Sentinels of the attachment errors found while streaming, for errors.Is.
var (
	errUploadTooLarge = errorf("the attachment is larger than Client.MaxUploadBytes")
	errUploadSize     = errorf("the attachment's length is not its File.Size")
)

// attachmentError is an attachment that broke a rule: too large, or not the
// size it declared. It names the field and the file.
type attachmentError struct {
	field, name, problem string
	kind                 error
}

func (e *attachmentError) Error() string { return errorPrefix + e.message() }

func (e *attachmentError) message() string {
	return fmt.Sprintf("%s: the attachment %q %s", e.field, e.name, e.problem)
}

func (e *attachmentError) Unwrap() error { return e.kind }

// fileReader passes an attachment through while counting it: it fails once
// more than limit bytes come, and, when exact, when fewer do. A file that
// breaks the rule fails before its last bytes are handed on, so the server
// never sees a complete request.
type fileReader struct {
	r     io.Reader
	c     chunk
	limit int64
	exact bool
	n     int64   // bytes read so far
	probe [1]byte // looks past the declared end
}

func (f *fileReader) Read(b []byte) (int, error) {
	left := f.limit - f.n
	if int64(len(b)) > left+1 {
		b = b[:left+1] // one byte more shows a file that goes on
	}
	n, err := f.r.Read(b)
	f.n += int64(n)
	switch {
	case f.n > f.limit:
		return 0, f.fail()
	case f.exact && f.n == f.limit && err == nil:
		// The declared end: hand the last bytes on only if the file ends.
		if err = f.ends(); err != io.EOF {
			return 0, err
		}
	case f.exact && err == io.EOF && f.n < f.limit:
		return 0, f.fail()
	}
	return n, err
}

// ends reads past the declared end: io.EOF when the file ends there.
func (f *fileReader) ends() error {
	for range 100 {
		n, err := f.r.Read(f.probe[:])
		if n > 0 {
			f.n += int64(n)
			return f.fail()
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// fail is the error of a file whose length broke the rule.
func (f *fileReader) fail() error {
	e := &attachmentError{field: f.c.field, name: f.c.file.Name, kind: errUploadSize}
	switch {
	case !f.exact:
		e.kind = errUploadTooLarge
		e.problem = fmt.Sprintf("is larger than the limit of %s (Client.MaxUploadBytes): send a smaller file or ask an administrator to raise the limit", bytesize.Format(f.limit))
	case f.n > f.limit:
		e.problem = fmt.Sprintf("has more than the %d bytes its File.Size declares: correct the size, or set it to -1 (or 0) when unknown", f.limit)
	default:
		e.problem = fmt.Sprintf("ended after %d of the %d bytes its File.Size declares: correct the size, or set it to -1 (or 0) when unknown", f.n, f.limit)
	}
	return e
}

// multiBody reads the chunks in turn and closes every opened attachment.
type multiBody struct {
	io.Reader
	closers []io.Closer
}

func (m *multiBody) Close() error {
	var errs []error
	for _, c := range m.closers {
		errs = append(errs, c.Close())
	}
	m.closers = nil
	return errors.Join(errs...)
}
