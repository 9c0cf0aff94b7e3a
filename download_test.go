package httpstep

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/httpstep/httpstep/internal/bytesize"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// downloadClient is a loopback test Client that saves into a fresh
// directory.
func downloadClient(t *testing.T) (*Client, string) {
	c := testClient(t)
	c.DownloadDir = t.TempDir()
	return c, c.DownloadDir
}

// dirNames lists a directory's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func readAll(t *testing.T, f *File) []byte {
	t.Helper()
	rc, err := f.Open()
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

func TestDownload(t *testing.T) {
	c, dir := downloadClient(t)
	srv := fileServer(t, 100_000, `attachment; filename="invoice 2024.pdf"`, "application/pdf", false)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/files/7", Download: true}, nil)
	require.NoError(t, err)
	f := res.File
	require.NotNil(t, f)
	assert.Equal(t, "invoice 2024.pdf", f.Name)
	assert.Equal(t, "application/pdf", f.ContentType)
	assert.Equal(t, int64(100_000), f.Size)
	assert.Equal(t, dir, filepath.Dir(f.Path), "the file lies directly in DownloadDir")
	assert.True(t, strings.HasPrefix(filepath.Base(f.Path), "httpstep-"), "under a name the library picks")
	assert.Empty(t, res.Body, "the body went to the file")
	got := readAll(t, f)
	want, _ := io.ReadAll(&patternReader{left: 100_000})
	assert.Equal(t, want, got)
	rec := res.Attempts[0].Response
	require.NotNil(t, rec.File)
	assert.Equal(t, FileRecord{Name: "invoice 2024.pdf", ContentType: "application/pdf", Size: 100_000, SHA256: patternSum(t, 100_000)}, *rec.File)
	assert.Empty(t, rec.Body, "the history holds no content")
	assert.Equal(t, int64(100_000), rec.Bytes)
	history, _ := json.Marshal(res.Attempts)
	assert.Contains(t, string(history), `"sha256":"`+patternSum(t, 100_000)+`"`)
}

func TestDownloadNameFromURL(t *testing.T) {
	c, _ := downloadClient(t)
	srv := fileServer(t, 10, "", "", true)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/exports/report%20Q1.csv?sig=abc", Download: true}, nil)
	require.NoError(t, err)
	assert.Equal(t, "report Q1.csv", res.File.Name)
	assert.Equal(t, "application/octet-stream", res.File.ContentType)
}

// TestDownloadHostileNames: whatever the server calls the file, it lands
// directly in DownloadDir under the library's name, and Name is a clean
// label.
func TestDownloadHostileNames(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "downloads")
	require.NoError(t, os.Mkdir(dir, 0o700))
	c := testClient(t)
	c.DownloadDir = dir
	tests := []struct{ disposition, want string }{
		{`attachment; filename="../../etc/passwd"`, "passwd"},
		{`attachment; filename="C:\\x"`, "x"},
		{`attachment; filename="con"`, "_con"},
		{`attachment; filename="` + strings.Repeat("n", 10<<10) + `.txt"`, strings.Repeat("n", 196) + ".txt"},
		{"attachment; filename*=UTF-8''evil%00.sh", "evil.sh"},
		{`attachment; filename*=UTF-8''%2e%2e%2f`, "file.bin"},
		{`attachment; filename*=UTF-8''%2e%2e%2f%2e%2e%2fdownloads2%2fx`, "x"},
		{`attachment; filename="/tmp/abs"`, "abs"},
		{`attachment; filename="plain.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`, "€ rates.txt"},
	}
	for _, tt := range tests {
		srv := fileServer(t, 5, tt.disposition, "text/plain", false)
		res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/file.bin", Download: true}, nil)
		require.NoError(t, err)
		assert.Equal(t, tt.want, res.File.Name)
		assert.Equal(t, dir, filepath.Dir(res.File.Path))
	}
	assert.Len(t, dirNames(t, dir), len(tests), "every file in DownloadDir")
	assert.Equal(t, []string{"downloads"}, dirNames(t, parent), "nothing beside it")
	for _, n := range dirNames(t, dir) {
		assert.True(t, strings.HasPrefix(n, "httpstep-"), n)
	}
}

func TestDownloadTooLarge(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		t.Run("chunked="+strconv.FormatBool(chunked), func(t *testing.T) {
			c, dir := downloadClient(t)
			c.MaxDownloadBytes = 1 << 20
			srv := fileServer(t, 1<<20+1, "", "application/zip", chunked)
			res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Download: true}, nil)
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindTooLarge, f.Kind)
			assert.Contains(t, f.Message, "MaxDownloadBytes")
			assert.NotContains(t, err.Error(), string(pattern['A':'Z'+1]), "no file content in the error")
			assert.Nil(t, res.File)
			assert.Empty(t, dirNames(t, dir), "nothing left on disk")
		})
	}
}

// TestDownloadCapped streams more than the cap without announcing the
// length: the attempt fails too_large once the cap is passed and the
// directory is as it was. The 2 GiB stream against the default 1 GiB cap
// takes about 5 s (25 s under the race detector, where it is skipped, as
// under -short).
func TestDownloadCapped(t *testing.T) {
	tests := []struct {
		name   string
		stream int64
		cap    int64 // 0 = the default
		big    bool
	}{
		{"64 MiB against 32 MiB", 64 << 20, 32 << 20, false},
		{"2 GiB against the default 1 GiB", 2 << 30, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.big && (testing.Short() || downloadTestSize < 256<<20) {
				t.Skip("streams 1 GiB to disk; skipped under -short and -race")
			}
			c, dir := downloadClient(t)
			c.MaxDownloadBytes = tt.cap
			require.NoError(t, os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o600))
			srv := fileServer(t, tt.stream, "", "application/octet-stream", true)
			start := time.Now()
			res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Download: true, Timeout: Duration(time.Minute)}, nil)
			t.Logf("%d MiB stream failed after %v", tt.stream>>20, time.Since(start).Round(time.Millisecond))
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindTooLarge, f.Kind)
			assert.Contains(t, f.Message, bytesize.Format(c.maxDownloadBytes()))
			assert.Nil(t, res.File)
			assert.Equal(t, []string{"keep.txt"}, dirNames(t, dir))
		})
	}
}

// downloadTestSize is the body of the memory tests: 256 MiB, less under the
// race detector (download_race_test.go).
var downloadTestSize int64 = 256 << 20

// maxDownloadAlloc bounds what Execute may allocate to download one body.
const maxDownloadAlloc = 4 << 20

func TestDownloadMemory(t *testing.T) {
	c, _ := downloadClient(t)
	size := downloadTestSize
	srv := fileServer(t, size, `attachment; filename="big.bin"`, "application/octet-stream", false)
	node := &NodeConfig{URL: srv.URL, Download: true, Timeout: Duration(time.Minute)}
	var res *Result
	var err error
	start := time.Now()
	alloc := allocDuring(func() { res, err = c.Execute(context.Background(), node, nil) })
	require.NoError(t, err)
	t.Logf("download of %d MiB in %v: TotalAlloc +%.2f MiB (server side included)",
		size>>20, time.Since(start).Round(time.Millisecond), float64(alloc)/(1<<20))
	assert.Less(t, alloc, uint64(maxDownloadAlloc))
	assert.Equal(t, size, res.File.Size)
	assert.Equal(t, patternSum(t, size), res.Attempts[0].Response.File.SHA256)
}

// allocDuring is how many bytes the process allocated while fn ran.
func allocDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDownloadThenUpload passes one node's downloaded file to another
// node's binary and form-data bodies: constant memory end to end.
func TestDownloadThenUpload(t *testing.T) {
	c, _ := downloadClient(t)
	size := downloadTestSize
	from := fileServer(t, size, `attachment; filename="export.csv"`, "text/csv", false)
	upload := httptest.NewServer(http.HandlerFunc(countUpload)) // not a recorder: it would hold the body
	t.Cleanup(upload.Close)
	sum := crc32.NewIEEE()
	io.Copy(sum, &patternReader{left: size})
	for _, body := range []*Body{
		{Kind: BodyBinary, File: "file"},
		{Kind: BodyFormData, Fields: []FormField{{Key: "upload", File: "file"}}},
	} {
		t.Run(string(body.Kind), func(t *testing.T) {
			var down, up *Result
			var derr, uerr error
			alloc := allocDuring(func() {
				down, derr = c.Execute(context.Background(), &NodeConfig{URL: from.URL, Download: true, Timeout: Duration(time.Minute)}, nil)
				if derr == nil {
					up, uerr = c.Execute(context.Background(), &NodeConfig{Method: "POST", URL: upload.URL, Body: body, Timeout: Duration(time.Minute)},
						Values{"file": down.File})
				}
			})
			require.NoError(t, derr)
			t.Cleanup(func() { os.Remove(down.File.Path) })
			require.NoError(t, uerr)
			t.Logf("%d MiB downloaded and uploaded (%s): TotalAlloc +%.2f MiB", size>>20, body.Kind, float64(alloc)/(1<<20))
			assert.Less(t, alloc, uint64(2*maxDownloadAlloc))
			assert.Equal(t, size, up.Get("bytes").Int())
			assert.Equal(t, int64(sum.Sum32()), up.Get("crc").Int())
			assert.False(t, up.Get("chunked").Bool(), "the downloaded file's size is known: Content-Length")
			files := up.Attempts[0].Request.Files
			require.Len(t, files, 1)
			assert.Equal(t, "export.csv", files[0].Name)
		})
	}
}

func TestDownloadFailedStatusKeepsNoFile(t *testing.T) {
	c, dir := downloadClient(t)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"no such invoice"}`)
	})
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Download: true, Success: SuccessRule{ErrorMessagePath: "error"}}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindStatus, f.Kind)
	assert.Equal(t, "no such invoice", f.Message)
	assert.Nil(t, res.File)
	assert.JSONEq(t, `{"error":"no such invoice"}`, string(res.Body), "a failure's body is read as usual")
	assert.Empty(t, dirNames(t, dir))
}

// TestDownloadRetryLeavesOneFile: the first attempt breaks off mid-body,
// the second succeeds; only the second attempt's file remains.
func TestDownloadRetryLeavesOneFile(t *testing.T) {
	c, dir := downloadClient(t)
	var n atomic.Int32
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		if n.Add(1) == 1 {
			io.Copy(w, &patternReader{left: 50_000})
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		io.Copy(w, &patternReader{left: 100_000})
	})
	node := &NodeConfig{URL: srv.URL, Download: true, Retry: &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(time.Millisecond)}}
	res, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.Len(t, res.Attempts, 2)
	assert.Equal(t, KindNetwork, res.Attempts[0].Kind)
	assert.Equal(t, []string{filepath.Base(res.File.Path)}, dirNames(t, dir))
	assert.Equal(t, int64(100_000), res.File.Size)
}

func TestDownloadBytesAsSent(t *testing.T) {
	c, _ := downloadClient(t)
	latin1 := []byte("caf\xe9 cr\xe8me\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("a,b\n1,2\n"))
	zw.Close()
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/latin1.txt":
			w.Header().Set("Content-Type", "text/plain; charset=iso-8859-1")
			w.Write(latin1)
		case "/data.csv":
			w.Header().Set("Content-Type", "text/csv")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		case "/archive.gz":
			w.Header().Set("Content-Type", "application/gzip")
			w.Write(gz.Bytes())
		}
	})
	get := func(path string, h ...KeyValue) *File {
		res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + path, Download: true, Headers: h}, nil)
		require.NoError(t, err)
		return res.File
	}
	assert.Equal(t, latin1, readAll(t, get("/latin1.txt")), "no charset conversion")
	assert.Equal(t, "text/plain; charset=iso-8859-1", get("/latin1.txt").ContentType)
	assert.Equal(t, "a,b\n1,2\n", string(readAll(t, get("/data.csv"))), "a content coding is undone: the file is the CSV")
	assert.Equal(t, "a,b\n1,2\n", string(readAll(t, get("/data.csv", KeyValue{Key: "Accept-Encoding", Value: "gzip"}))), "also when the node asked for gzip itself")
	assert.Equal(t, gz.Bytes(), readAll(t, get("/archive.gz")), "a gzip file without content coding is kept as it is")
}

func TestDownloadErrorCodeInJSON(t *testing.T) {
	c, dir := downloadClient(t)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("media") == "bad" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"errcode":40007,"errmsg":"invalid media_id"}`)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		io.WriteString(w, "\xff\xd8\xff\xe0JFIF")
	})
	node := func(media string) *NodeConfig {
		return &NodeConfig{URL: srv.URL + "/media/get?media=" + media, Download: true,
			Success: SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}, ErrorMessagePath: "errmsg"}}
	}
	res, err := c.Execute(context.Background(), node("bad"), nil)
	var f *Failure
	require.ErrorAs(t, err, &f, "a JSON error in a 200 is judged by the business code")
	assert.Equal(t, "40007", f.Code)
	assert.Nil(t, res.File)
	assert.Empty(t, dirNames(t, dir))
	res, err = c.Execute(context.Background(), node("good"), nil)
	require.NoError(t, err, "a file has no business code to check")
	assert.Equal(t, "image/jpeg", res.File.ContentType)
}

func TestDownloadJSONKept(t *testing.T) {
	c, _ := downloadClient(t)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"errcode":0,"rows":[1,2,3]}`)
	})
	node := &NodeConfig{URL: srv.URL + "/export.json", Download: true, Success: SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}}}
	res, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.NotNil(t, res.File, "a JSON answer judged in memory is still saved")
	assert.JSONEq(t, `{"errcode":0,"rows":[1,2,3]}`, string(readAll(t, res.File)))
	assert.Empty(t, res.Body)
	assert.Equal(t, "export.json", res.File.Name)
	sum := sha256.Sum256([]byte(`{"errcode":0,"rows":[1,2,3]}`))
	assert.Equal(t, hex.EncodeToString(sum[:]), res.Attempts[0].Response.File.SHA256)
}

func TestDownloadAsync(t *testing.T) {
	c, dir := downloadClient(t)
	files := fileServer(t, 1000, `attachment; filename="report.xlsx"`, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false)
	srv := redirectingStatus(t, files.URL+"/reports/9")
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/jobs", Async: fastPoll(), Download: true}
	res, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.NotNil(t, res.File)
	assert.Equal(t, "report.xlsx", res.File.Name)
	assert.Equal(t, int64(1000), res.File.Size)
	assert.Len(t, dirNames(t, dir), 1, "the 202 was not saved")
}

func TestDownloadStorageFailure(t *testing.T) {
	c := testClient(t)
	c.DownloadDir = filepath.Join(t.TempDir(), "missing")
	srv := fileServer(t, 10, "", "", false)
	_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Download: true}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindStorage, f.Kind)
	assert.Contains(t, f.Message, "DownloadDir")
}

// TestDownloadJudgedJSONNotInHistory: a download node that checks a
// business code reads a JSON answer into memory to judge it, then saves
// it; the history holds the file's SHA-256, never its content.
func TestDownloadJudgedJSONNotInHistory(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"code":0,"data":"file-content-0123456789"}`)
	})
	c := testClient(t)
	c.DownloadDir = t.TempDir()
	node := &NodeConfig{URL: srv.URL + "/report.json", Download: true, Success: SuccessRule{ErrorCodePath: "code", SuccessValues: []string{"0"}}}
	res, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.NotNil(t, res.File)
	b, err := json.Marshal(res.Attempts)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "file-content", "content in the history")
	assert.NotEmpty(t, res.Attempts[len(res.Attempts)-1].Response.File.SHA256)
}

// TestDownloadRetriedStatusLeavesOneFile: attempts that fail with a status
// leave no file; only the final one's file remains; when all fail, nothing
// is on disk.
func TestDownloadRetriedStatusLeavesOneFile(t *testing.T) {
	var n atomic.Int64
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "busy body")
			return
		}
		io.WriteString(w, "final")
	})
	retry := func(n int) *RetryPolicy {
		return &RetryPolicy{MaxAttempts: n, InitialInterval: Duration(time.Millisecond), MaxInterval: Duration(time.Millisecond)}
	}
	c, dir := downloadClient(t)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/f", Download: true, Retry: retry(3)}, nil)
	require.NoError(t, err)
	require.Len(t, dirNames(t, dir), 1)
	assert.Equal(t, "final", string(readAll(t, res.File)))

	n.Store(-100)
	c2, dir2 := downloadClient(t)
	res, err = c2.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/f", Download: true, Retry: retry(2)}, nil)
	require.Error(t, err)
	assert.Empty(t, dirNames(t, dir2))
	assert.Nil(t, res.File)
}

// TestDownloadAsyncStatusAnswersFile: an async export whose status URL
// answers, after a 202 poll, with the file itself is downloaded; the 202s
// and their bodies leave no file behind.
func TestDownloadAsyncStatusAnswersFile(t *testing.T) {
	var polls atomic.Int64
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/export":
			w.Header().Set("Location", "/status")
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"state":"queued"}`)
		case "/status":
			if polls.Add(1) < 2 {
				w.WriteHeader(http.StatusAccepted)
				io.WriteString(w, `{"state":"running"}`)
				return
			}
			w.Header().Set("Content-Disposition", `attachment; filename="export.csv"`)
			io.WriteString(w, "a,b\n1,2\n")
		}
	})
	c, dir := downloadClient(t)
	res, err := c.Execute(context.Background(), &NodeConfig{Method: "POST", URL: srv.URL + "/export", Download: true, Async: fastPoll()}, nil)
	require.NoError(t, err)
	require.NotNil(t, res.File)
	assert.Equal(t, "export.csv", res.File.Name)
	assert.Equal(t, "a,b\n1,2\n", string(readAll(t, res.File)))
	assert.Len(t, dirNames(t, dir), 1)
}
