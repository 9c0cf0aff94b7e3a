package httpstep

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"

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
		sha256:      s.SHA256,
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

// KindStorage is the failure of a download that could not be written: the
// download directory is missing or not writable, or the disk is full.
// Nothing is left on disk; it is never retried.
const KindStorage FailureKind = "storage"

// streams reports whether resp's body goes straight to a file: the node
// downloads and the status is a success. A 202 that an async node polls is
// read as usual, and so is a JSON answer when the node checks a business
// code or a job status in it (it is saved once judged, by keepDownload).
func (n *NodeConfig) streams(resp *http.Response) bool {
	if !n.Download || !n.Success.statusOK(resp.StatusCode) {
		return false
	}
	a := n.Async
	if a != nil && resp.StatusCode == http.StatusAccepted {
		return false
	}
	holds := n.Success.ErrorCodePath != "" || (a != nil && (a.StatusPath != "" || a.holdJSON))
	return !holds || !isJSONType(resp.Header.Get("Content-Type"))
}

// isJSONType reports whether a Content-Type value is JSON of any kind.
func isJSONType(ct string) bool {
	mt, _ := parseContentType(ct)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// download is the attempt's ending for a body that goes to a file: it
// streams resp's body to DownloadDir and puts the file in out. Content
// codings (gzip, deflate) are undone as for Body; the charset is not
// converted.
func (c *Client) download(ctx context.Context, o *outgoing, resp *http.Response, out *outcome) {
	defer resp.Body.Close()
	out.status, out.header = resp.StatusCode, resp.Header
	out.record.Response = o.secrets.response(resp, nil)
	f, notes, err := c.saveResponse(resp)
	for _, n := range notes {
		out.note(o.secrets.text(n))
	}
	if err != nil {
		out.failure = downloadFailure(ctx, err, o.step.timeout, resp.StatusCode)
		return
	}
	out.record.Response.Bytes = f.Size
	out.record.Response.File = f.record(o.secrets)
	out.file = f
	out.failure = evaluate(o.step.node.fileRule(true), resp.StatusCode, nil)
}

// record is the history record of a downloaded file: name (scrubbed of
// the run's secrets), type, size and SHA-256.
func (f *File) record(s *secrets) *FileRecord {
	return &FileRecord{Name: s.text(f.Name), ContentType: f.ContentType, Size: f.Size, SHA256: f.sha256}
}

// saveResponse streams resp's body into a new file. A Content-Length over
// the cap fails before anything is written.
func (c *Client) saveResponse(resp *http.Response) (*File, []string, error) {
	limit := c.maxDownloadBytes()
	if resp.ContentLength > limit && len(contentCodings(resp.Header)) == 0 {
		return nil, nil, &download.TooLargeError{Limit: limit}
	}
	r, _, notes, err := decodeContent(resp)
	if err != nil {
		return nil, notes, err
	}
	s, err := download.Save(c.downloadDir(), r, limit)
	if err != nil {
		return nil, notes, err
	}
	var u *url.URL
	if resp.Request != nil {
		u = resp.Request.URL
	}
	return downloadedFile(s, fileName(resp.Header.Get("Content-Disposition"), u), resp.Header.Get("Content-Type")), notes, nil
}

// keepDownload is the last step of a download node whose body was read
// into memory (a JSON answer judged first): when the run succeeded it saves
// the body as the Result's File, so a download node always answers with
// File, named from the URL that answered.
func (c *Client) keepDownload(o *outgoing, res *Result) {
	if res.Failure != nil || res.File != nil {
		return
	}
	s, err := download.Save(c.downloadDir(), bytes.NewReader(res.Body), c.maxDownloadBytes())
	if err != nil {
		res.settle(downloadFailure(context.Background(), err, o.step.timeout, res.StatusCode), o.secrets)
		return
	}
	res.keep(downloadedFile(s, fileName(res.Header.Get("Content-Disposition"), res.source), res.Header.Get("Content-Type")), o.secrets)
}
