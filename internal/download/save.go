package download

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/httpstep/httpstep/internal/bytesize"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// Pattern is the os.CreateTemp pattern of every saved file: the library, not
// the server, picks the name.
const Pattern = "httpstep-*"

// bufSize is the copy buffer of one Save: the only memory a download holds.
const bufSize = 64 << 10

// Saved describes a body written to disk.
type Saved struct {
	Path   string // absolute path of the new file, directly inside the directory given to Save
	Size   int64  // bytes written
	SHA256 string // lowercase hex SHA-256 of the bytes written
}

// TooLargeError is the error of a body longer than the limit. Nothing is
// left on disk.
type TooLargeError struct{ Limit int64 }

// Error says what happened and what to do.
func (e *TooLargeError) Error() string { return errorPrefix + e.Message() }

// Message is Error without the "httpstep: " prefix, for a failure message.
func (e *TooLargeError) Message() string {
	return fmt.Sprintf("the download is larger than the limit of %s; ask the API for a smaller file or ask an administrator to raise the limit (Client.MaxDownloadBytes)", bytesize.Format(e.Limit))
}

// errorPrefix starts the text of every error, as in the httpstep package.
const errorPrefix = "httpstep: "

// DirError is the error of a download directory where no file can be
// created.
type DirError struct {
	Dir string
	Err error
}

// Error names the directory and what to do.
func (e *DirError) Error() string { return errorPrefix + e.Message() }

// Message is Error without the "httpstep: " prefix, for a failure message.
func (e *DirError) Message() string {
	return fmt.Sprintf("cannot create a file in the download directory %s: %v; check Client.DownloadDir exists and is writable", e.Dir, e.Err)
}

// Unwrap returns the file system error.
func (e *DirError) Unwrap() error { return e.Err }

// Save streams r into a new file created with os.CreateTemp(dir, Pattern),
// computing its SHA-256 on the way, with a buffer of 64 KiB: the body is
// never held in memory. limit caps the size (0 or less: no cap); past it
// Save returns a *TooLargeError. On any error (the cap, a read error from r
// such as a canceled request, a full disk) the file is closed and removed,
// so a failed Save leaves nothing behind. A directory where no file can be
// created gives a *DirError. dir is made absolute first, so Path stays
// valid if the working directory changes. Save is safe for concurrent use.
func Save(dir string, r io.Reader, limit int64) (Saved, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Saved{}, &DirError{Dir: dir, Err: err}
	}
	f, err := os.CreateTemp(abs, Pattern)
	if err != nil {
		return Saved{}, &DirError{Dir: abs, Err: err}
	}
	s, err := fill(f, r, limit)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return Saved{}, err
	}
	s.Path = f.Name()
	return s, nil
}

// fill copies r into f through the hash, stopping one byte past limit.
func fill(f *os.File, r io.Reader, limit int64) (Saved, error) {
	h := sha256.New()
	src := r
	if limit > 0 {
		src = io.LimitReader(r, limit+1)
	}
	w := &hashingWriter{f: f, h: h}
	n, err := io.CopyBuffer(w, src, make([]byte, bufSize))
	if err != nil {
		return Saved{}, err
	}
	if limit > 0 && n > limit {
		return Saved{}, &TooLargeError{Limit: limit}
	}
	return Saved{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// hashingWriter writes to the file and the hash. It has no ReadFrom, so
// io.CopyBuffer uses the given buffer rather than one of its own.
type hashingWriter struct {
	f *os.File
	h hash.Hash
}

func (w *hashingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	return n, err
}

// IsTooLarge reports whether err is or wraps a *TooLargeError.
func IsTooLarge(err error) bool {
	var t *TooLargeError
	return errors.As(err, &t)
}
