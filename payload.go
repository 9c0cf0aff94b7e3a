package httpstep

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// open opens the payload for one attempt: every attachment is opened now, so
// a file that cannot be opened or is too large fails before anything is
// sent. The length is -1 when an attachment's size is unknown.
func (p *payload) open() (io.ReadCloser, int64, error) {
	if p.parts == nil {
		return io.NopCloser(bytes.NewReader(p.data)), int64(len(p.data)), nil
	}
	body := &multiBody{}
	readers := make([]io.Reader, 0, len(p.parts))
	var length int64
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
		readers = append(readers, p.limitFile(c, rc))
		if c.file.Size < 0 || length < 0 {
			length = -1
		} else {
			length += c.file.Size
		}
	}
	body.Reader = io.MultiReader(readers...)
	return body, length, nil
}

// openFile opens one attachment, checking its declared size.
func (p *payload) openFile(c chunk) (io.ReadCloser, error) {
	f := c.file
	if p.maxUpload > 0 && f.Size > p.maxUpload {
		return nil, fmt.Errorf("httpstep: %s: the attachment %q is %d bytes, more than the limit of %d bytes", c.field, f.Name, f.Size, p.maxUpload)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("httpstep: %s: the attachment %q cannot be opened: %v", c.field, f.Name, err)
	}
	if rc == nil {
		return nil, fmt.Errorf("httpstep: %s: the attachment %q opened as nothing", c.field, f.Name)
	}
	return rc, nil
}

// limitFile enforces the upload limit on an attachment of unknown size.
func (p *payload) limitFile(c chunk, r io.Reader) io.Reader {
	if p.maxUpload <= 0 || c.file.Size >= 0 {
		return r
	}
	return &capReader{r: r, left: p.maxUpload, name: c.file.Name}
}

// errUploadTooLarge ends a streamed attachment that passed the upload limit.
var errUploadTooLarge = errors.New("httpstep: the attachment is larger than Client.MaxUploadBytes")

type capReader struct {
	r    io.Reader
	left int64
	name string
}

func (c *capReader) Read(b []byte) (int, error) {
	if c.left < 0 {
		return 0, errUploadTooLarge
	}
	if int64(len(b)) > c.left+1 {
		b = b[:c.left+1]
	}
	n, err := c.r.Read(b)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, errUploadTooLarge
	}
	return n, err
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
