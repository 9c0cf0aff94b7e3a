package httpstep_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewDownloadRetriedLeavesOneFile: failed attempts leave no file;
// only the final one's file remains.
func TestReviewDownloadRetriedLeavesOneFile(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.WriteHeader(503)
			_, _ = w.Write([]byte("busy body"))
			return
		}
		_, _ = w.Write([]byte("final"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	c := &httpstep.Client{AllowPrivate: true, DownloadDir: dir}
	defer c.CloseIdleConnections()
	res, err := c.Execute(context.Background(), &httpstep.NodeConfig{URL: srv.URL + "/f", Download: true,
		Retry: &httpstep.RetryPolicy{MaxAttempts: 3, InitialInterval: httpstep.Duration(time.Millisecond), MaxInterval: httpstep.Duration(time.Millisecond)}}, nil)
	require.NoError(t, err)
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1)
	data, _ := os.ReadFile(res.File.Path)
	assert.Equal(t, "final", string(data))

	// All attempts fail: nothing on disk.
	n.Store(-100)
	dir2 := t.TempDir()
	c2 := &httpstep.Client{AllowPrivate: true, DownloadDir: dir2}
	defer c2.CloseIdleConnections()
	res, err = c2.Execute(context.Background(), &httpstep.NodeConfig{URL: srv.URL + "/f", Download: true,
		Retry: &httpstep.RetryPolicy{MaxAttempts: 2, InitialInterval: httpstep.Duration(time.Millisecond), MaxInterval: httpstep.Duration(time.Millisecond)}}, nil)
	require.Error(t, err)
	entries, _ = os.ReadDir(dir2)
	assert.Empty(t, entries)
	assert.Nil(t, res.File)
}

// TestReviewAsyncRetryAfterCappedByMaxWait: a Retry-After longer than the
// whole wait ends at maxWait with kind timeout, not after Retry-After.
func TestReviewAsyncRetryAfterCappedByMaxWait(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/status")
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(202)
	}))
	defer srv.Close()
	start := time.Now()
	res, err := loopback.Execute(context.Background(), &httpstep.NodeConfig{Method: "POST", URL: srv.URL + "/start",
		Async: &httpstep.Async{MaxWait: httpstep.Duration(300 * time.Millisecond)}}, nil)
	require.Error(t, err)
	assert.Equal(t, httpstep.KindTimeout, res.Failure.Kind)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Contains(t, res.Failure.Message, "202")
}

// TestReviewAsyncStatusBody: urlPath, statusPath, doneValues and a 303 from
// the status to the result.
func TestReviewAsyncStatusBody(t *testing.T) {
	var polls atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			w.WriteHeader(202)
			_, _ = w.Write([]byte(`{"statusUrl":"` + srv.URL + `/job"}`))
		case "/job":
			if polls.Add(1) < 3 {
				_, _ = w.Write([]byte(`{"status":"running"}`))
				return
			}
			_, _ = w.Write([]byte(`{"status":"succeeded","n":7}`))
		}
	}))
	defer srv.Close()
	res, err := loopback.Execute(context.Background(), &httpstep.NodeConfig{Method: "POST", URL: srv.URL + "/start",
		Async: &httpstep.Async{Interval: httpstep.Duration(100 * time.Millisecond), URLPath: "statusUrl", StatusPath: "status", DoneValues: []string{"succeeded"}}}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(7), res.Get("n").Int())
	assert.Equal(t, int64(3), polls.Load())
	polled := 0
	for _, a := range res.Attempts {
		if a.Poll > 0 {
			polled++
			assert.Equal(t, "GET", a.Request.Method)
			assert.True(t, strings.HasSuffix(a.Request.URL, "/job"))
		}
	}
	assert.Equal(t, 3, polled)
}

// TestReviewAsyncDownload: an async export whose final answer is a file
// is downloaded; the 202 and the polls leave no file behind.
func TestReviewAsyncDownload(t *testing.T) {
	var polls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/export":
			w.Header().Set("Location", "/status")
			w.WriteHeader(202)
			_, _ = w.Write([]byte(`{"state":"queued"}`))
		case "/status":
			if polls.Add(1) < 2 {
				w.WriteHeader(202)
				_, _ = w.Write([]byte(`{"state":"running"}`))
				return
			}
			w.Header().Set("Content-Disposition", `attachment; filename="export.csv"`)
			_, _ = w.Write([]byte("a,b\n1,2\n"))
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	c := &httpstep.Client{AllowPrivate: true, DownloadDir: dir}
	defer c.CloseIdleConnections()
	res, err := c.Execute(context.Background(), &httpstep.NodeConfig{Method: "POST", URL: srv.URL + "/export", Download: true,
		Async: &httpstep.Async{Interval: httpstep.Duration(100 * time.Millisecond)}}, nil)
	require.NoError(t, err)
	require.NotNil(t, res.File)
	assert.Equal(t, "export.csv", res.File.Name)
	data, _ := os.ReadFile(res.File.Path)
	assert.Equal(t, "a,b\n1,2\n", string(data))
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1)
}
