package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileAPI serves a small CSV export as an attachment.
func fileAPI(t *testing.T) (url string, content string) {
	content = strings.Repeat("id,total\n7,12.50\n", 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Disposition", `attachment; filename="../orders.csv"`)
		io.WriteString(w, content)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, content
}

// printedFile reads the file object of run's output.
func printedFile(t *testing.T, stdout string) fileOutput {
	t.Helper()
	var out struct {
		File *fileOutput `json:"file"`
		Body json.RawMessage
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	require.NotNil(t, out.File, stdout)
	return *out.File
}

func TestRunDownload(t *testing.T) {
	url, content := fileAPI(t)
	sum := sha256.Sum256([]byte(content))
	node := nodeFile(t, `{"url": "%[1]s/export", "download": true}`, url)
	o := runCLI(t, "", "run", "-allow-private", node)
	require.Equal(t, 0, o.code, o.stderr)
	f := printedFile(t, o.stdout)
	t.Cleanup(func() { os.Remove(f.Path) })
	assert.Equal(t, "orders.csv", f.Name)
	assert.Equal(t, "text/csv", f.ContentType)
	assert.Equal(t, int64(len(content)), f.Size)
	assert.Equal(t, hex.EncodeToString(sum[:]), f.SHA256)
	got, err := os.ReadFile(f.Path)
	require.NoError(t, err)
	assert.Equal(t, content, string(got))
	assert.NotContains(t, o.stdout, "7,12.50", "the content is not printed")
}

func TestRunDownloadOutput(t *testing.T) {
	url, content := fileAPI(t)
	node := nodeFile(t, `{"url": "%[1]s/export"}`, url)
	dir := t.TempDir()
	t.Run("path", func(t *testing.T) {
		dst := filepath.Join(dir, "mine.csv")
		o := runCLI(t, "", "run", "-allow-private", "-o", dst, node)
		require.Equal(t, 0, o.code, o.stderr)
		f := printedFile(t, o.stdout)
		assert.Equal(t, dst, f.Path, "-o turns the node into a download and moves the file")
		got, err := os.ReadFile(dst)
		require.NoError(t, err)
		assert.Equal(t, content, string(got))
	})
	t.Run("directory", func(t *testing.T) {
		sub := filepath.Join(dir, "in")
		require.NoError(t, os.Mkdir(sub, 0o700))
		o := runCLI(t, "", "run", "-allow-private", node, "-o", sub)
		require.Equal(t, 0, o.code, o.stderr)
		assert.Equal(t, filepath.Join(sub, "orders.csv"), printedFile(t, o.stdout).Path, "a directory keeps the cleaned name")
	})
	t.Run("unwritable", func(t *testing.T) {
		o := runCLI(t, "", "run", "-allow-private", "-o", filepath.Join(dir, "missing", "x.csv"), node)
		assert.Equal(t, 1, o.code)
		assert.Contains(t, o.stderr, "cannot save the download")
	})
}

func TestRunWithoutDownloadHasNoFile(t *testing.T) {
	srv, _ := apiServer(t)
	o := runCLI(t, "", "run", "-allow-private", nodeFile(t, `{"url": "%[1]s/ok"}`, srv.URL))
	require.Equal(t, 0, o.code)
	assert.NotContains(t, topKeys(t, o.stdout), "file")
}
