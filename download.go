package httpstep

import (
	"io"
	"mime"
	"net/url"
	"os"

	"github.com/httpstep/httpstep/internal/download"
)

// DefaultMaxDownloadBytes caps a downloaded file when the Client sets no
// MaxDownloadBytes: 1 GiB.
const DefaultMaxDownloadBytes = 1 << 30

func (c *Client) maxDownloadBytes() int64 {
	if c.MaxDownloadBytes > 0 {
		return c.MaxDownloadBytes
	}
	return DefaultMaxDownloadBytes
}

func (c *Client) downloadDir() string {
	if c.DownloadDir != "" {
		return c.DownloadDir
	}
	return os.TempDir()
}

// validateDownload checks that a download node has a body to save and one
// file to save it to.
func (n *NodeConfig) validateDownload(e *ConfigError) {
	if !n.Download {
		return
	}
	if n.method() == "HEAD" {
		e.add("download", "a HEAD request has no body to download: use GET")
	}
	if n.Paginate != nil {
		e.add("download", "a download saves one response to one file, so it cannot paginate")
	}
}

// downloadedFile is the File of a body saved to disk: Open reads the file,
// so it can be passed on as another node's attachment.
func downloadedFile(s download.Saved, name, contentType string) *File {
	path := s.Path
	return &File{
		Name:        name,
		ContentType: fileContentType(contentType),
		Size:        s.Size,
		Path:        path,
		Open:        func() (io.ReadCloser, error) { return os.Open(path) },
	}
}

// fileContentType is the media type of a Content-Type header value, its
// parameters kept; application/octet-stream when there is none.
func fileContentType(v string) string {
	if _, _, err := mime.ParseMediaType(v); err != nil || v == "" {
		return "application/octet-stream"
	}
	return v
}

// fileName is the label of a downloaded file: see download.Name.
func fileName(contentDisposition string, u *url.URL) string {
	return download.Name(contentDisposition, u)
}
