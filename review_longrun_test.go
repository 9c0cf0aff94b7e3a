package httpstep_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewAsyncRules: polls are GET, a relative Location resolves against
// the request URL, maxWait is kind timeout, cancellation kind canceled.
func TestReviewAsyncRules(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/jobs/start":
			w.Header().Set("Location", "status/1") // relative to /v1/jobs/start
			w.WriteHeader(202)
		case "/v1/jobs/status/1":
			_, _ = w.Write([]byte(`{"done":true}`))
		case "/forever":
			w.Header().Set("Location", "/forever")
			w.WriteHeader(202)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	node := &httpstep.NodeConfig{Method: "POST", URL: srv.URL + "/v1/jobs/start",
		Body:  &httpstep.Body{Kind: httpstep.BodyRaw, Raw: `{"a":1}`},
		Async: &httpstep.Async{Interval: httpstep.Duration(100 * time.Millisecond)}}
	res, err := loopback.Execute(ctx, node, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"done":true}`, string(res.Body))
	assert.Equal(t, []string{"POST /v1/jobs/start", "GET /v1/jobs/status/1"}, seen)

	forever := &httpstep.NodeConfig{Method: "POST", URL: srv.URL + "/forever",
		Async: &httpstep.Async{Interval: httpstep.Duration(100 * time.Millisecond), MaxWait: httpstep.Duration(400 * time.Millisecond)}}
	res, err = loopback.Execute(ctx, forever, nil)
	require.Error(t, err)
	assert.Equal(t, httpstep.KindTimeout, res.Failure.Kind)
	mu.Lock()
	assert.Equal(t, "POST /forever", seen[2])
	require.Greater(t, len(seen), 3)
	for _, s := range seen[3:] {
		assert.Equal(t, "GET /forever", s, "every poll is a GET")
	}
	mu.Unlock()

	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(250*time.Millisecond, cancel)
	forever.Async.MaxWait = httpstep.Duration(time.Minute)
	start := time.Now()
	res, err = loopback.Execute(cctx, forever, nil)
	require.Error(t, err)
	assert.Equal(t, httpstep.KindCanceled, res.Failure.Kind)
	assert.Less(t, time.Since(start), 2*time.Second)
}

// TestReviewDownloadRules: the file lies directly in DownloadDir under a
// library-chosen name, Name is a cleaned label (filename* wins, else the
// URL's last segment), bytes are as sent, the history holds the SHA-256
// only, and past MaxDownloadBytes nothing is left on disk.
func TestReviewDownloadRules(t *testing.T) {
	latin1 := []byte("caf\xe9 \xe9t\xe9 SECRETCONTENT")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=iso-8859-1")
		switch r.URL.Path {
		case "/both":
			w.Header().Set("Content-Disposition", `attachment; filename="plain.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`)
		case "/hostile":
			w.Header().Set("Content-Disposition", `attachment; filename="../../etc/passwd"`)
		}
		_, _ = w.Write(latin1)
	}))
	defer srv.Close()
	dir := t.TempDir()
	c := &httpstep.Client{AllowPrivate: true, DownloadDir: dir}
	defer c.CloseIdleConnections()
	get := func(path string) *httpstep.Result {
		res, err := c.Execute(context.Background(), &httpstep.NodeConfig{URL: srv.URL + path, Download: true}, nil)
		require.NoError(t, err)
		require.NotNil(t, res.File)
		assert.Equal(t, dir, filepath.Dir(res.File.Path))
		data, err := os.ReadFile(res.File.Path)
		require.NoError(t, err)
		assert.Equal(t, latin1, data, "bytes as sent")
		assert.Equal(t, int64(len(latin1)), res.File.Size)
		hist, err := json.Marshal(res.Attempts)
		require.NoError(t, err)
		assert.NotContains(t, string(hist), "SECRETCONTENT")
		sum := sha256.Sum256(latin1)
		assert.Contains(t, string(hist), hex.EncodeToString(sum[:]))
		return res
	}
	assert.Equal(t, "€ rates.txt", get("/both").File.Name)
	assert.Equal(t, "report.csv", get("/files/report.csv").File.Name)
	h := get("/hostile").File
	assert.NotContains(t, h.Name, "/")
	assert.NotContains(t, h.Name, "..")
	assert.NotEqual(t, "passwd", filepath.Base(h.Path), "the name on disk is the library's")

	small := t.TempDir()
	c2 := &httpstep.Client{AllowPrivate: true, DownloadDir: small, MaxDownloadBytes: 5}
	defer c2.CloseIdleConnections()
	res, err := c2.Execute(context.Background(), &httpstep.NodeConfig{URL: srv.URL + "/x.bin", Download: true}, nil)
	require.Error(t, err)
	assert.Equal(t, httpstep.KindTooLarge, res.Failure.Kind)
	left, _ := os.ReadDir(small)
	assert.Empty(t, left)
	assert.False(t, strings.Contains(err.Error(), "SECRETCONTENT"))
}

// TestReviewDownloadThenUpload: the README's pattern, res.File (a *File)
// passed as the parameter of another node's binary and form-data bodies.
func TestReviewDownloadThenUpload(t *testing.T) {
	payload := []byte("invoice bytes \x00\xff")
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write(payload)
	}))
	defer src.Close()
	var got [][]byte
	var mu sync.Mutex
	dst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if f, _, err := r.FormFile("doc"); err == nil {
			body, _ = io.ReadAll(f)
		} else {
			body, _ = io.ReadAll(r.Body)
		}
		mu.Lock()
		got = append(got, body)
		mu.Unlock()
	}))
	defer dst.Close()
	c := &httpstep.Client{AllowPrivate: true, DownloadDir: t.TempDir()}
	defer c.CloseIdleConnections()
	ctx := context.Background()
	down, err := c.Execute(ctx, &httpstep.NodeConfig{URL: src.URL + "/inv.pdf", Download: true}, nil)
	require.NoError(t, err)
	defer os.Remove(down.File.Path)
	for _, body := range []*httpstep.Body{
		{Kind: httpstep.BodyBinary, File: "file"},
		{Kind: httpstep.BodyFormData, Fields: []httpstep.FormField{{Key: "doc", File: "file"}}},
	} {
		_, err = c.Execute(ctx, &httpstep.NodeConfig{Method: "POST", URL: dst.URL, Body: body}, httpstep.Values{"file": down.File})
		require.NoError(t, err)
	}
	assert.Equal(t, [][]byte{payload, payload}, got)
}
