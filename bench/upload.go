package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/httpstep/httpstep"
	"github.com/tidwall/gjson"
)

// uploadSize is how many bytes BenchmarkUpload streams per request.
const uploadSize = 64 << 20

// uploadBlock is the pattern an upload repeats.
var uploadBlock = func() []byte {
	b := make([]byte, 32<<10)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}()

// patternReader yields left bytes of uploadBlock, over and over, without
// allocating: the file of an upload, generated as it is read.
type patternReader struct {
	left int64
	off  int
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], uploadBlock[r.off:])
		n += c
		r.off = (r.off + c) % len(uploadBlock)
	}
	r.left -= int64(n)
	return n, nil
}

func (r *patternReader) Close() error { return nil }

// Upload is the job of BenchmarkUpload: stream 64 MiB to POST /upload and
// read how many bytes the server received.
var Upload = []Contender[int64]{
	{"nethttp", func(s *Server) (Op[int64], func()) {
		hc := &http.Client{Transport: newTransport()}
		u := s.URL + "/upload"
		return func(ctx context.Context) (int64, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &patternReader{left: uploadSize})
			if err != nil {
				return 0, err
			}
			req.ContentLength = uploadSize
			req.Header.Set("Content-Type", "application/octet-stream")
			body, code, err := do(hc, req)
			if err == nil && code != http.StatusOK {
				err = &statusError{code, body}
			}
			return gjson.GetBytes(body, "received").Int(), err
		}, hc.CloseIdleConnections
	}},
	{"httpstep", func(s *Server) (Op[int64], func()) {
		c := &httpstep.Client{AllowPrivate: true}
		run := compiled(c, &httpstep.NodeConfig{
			Method: http.MethodPost,
			URL:    s.URL + "/upload",
			Body:   &httpstep.Body{Kind: httpstep.BodyBinary, File: "file"},
		})
		params := httpstep.Values{"file": httpstep.File{
			Name: "data.bin", ContentType: "application/octet-stream", Size: uploadSize,
			Open: func() (io.ReadCloser, error) { return &patternReader{left: uploadSize}, nil },
		}}
		return func(ctx context.Context) (int64, error) {
			res, err := run(ctx, params)
			if err != nil {
				return 0, err
			}
			if res.StatusCode != http.StatusOK {
				return 0, &statusError{res.StatusCode, res.Body}
			}
			return res.Get("received").Int(), nil
		}, c.CloseIdleConnections
	}},
}

// checkUpload reports whether the server received the whole upload.
func checkUpload(n int64) error {
	if n != uploadSize {
		return fmt.Errorf("server received %d bytes, want %d", n, uploadSize)
	}
	return nil
}
