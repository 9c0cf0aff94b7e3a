package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/httpstep/httpstep"
)

// fileOutput is a downloaded file as run and test print it: where it lies,
// its label, type, size and SHA-256.
type fileOutput struct {
	Path        string `json:"path"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// addDownloadFlags defines -o.
func addDownloadFlags(fs *flag.FlagSet, o *execOptions) {
	fs.StringVar(&o.output, "o", "", "save the response body to PATH (a download); a directory keeps the file's name")
}

// downloadFile moves a download node's file to -o, when given, and
// describes it for the output; nil when the run saved no file. A file that
// cannot be moved is removed, so nothing is left in the temporary directory.
func downloadFile(res *httpstep.Result, o *execOptions) (*fileOutput, error) {
	f := res.File
	if f == nil {
		return nil, nil
	}
	out := &fileOutput{Path: f.Path, Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: fileSum(res)}
	if o.output == "" {
		return out, nil
	}
	dst := o.output
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		dst = filepath.Join(dst, f.Name)
	}
	if err := moveFile(f.Path, dst); err != nil {
		os.Remove(f.Path)
		return nil, fmt.Errorf("httpstep: cannot save the download to %s: %w", o.output, err)
	}
	out.Path = dst
	return out, nil
}

// fileSum is the SHA-256 the history recorded for the run's file.
func fileSum(res *httpstep.Result) string {
	for i := len(res.Attempts) - 1; i >= 0; i-- {
		if r := res.Attempts[i].Response; r != nil && r.File != nil {
			return r.File.SHA256
		}
	}
	return ""
}

// moveFile renames src to dst, copying across file systems.
func moveFile(src, dst string) error {
	err := os.Rename(src, dst)
	var le *os.LinkError
	if err == nil || !errors.As(err, &le) {
		return err
	}
	if err := copyFile(src, dst); err != nil {
		os.Remove(dst)
		return err
	}
	return os.Remove(src)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
