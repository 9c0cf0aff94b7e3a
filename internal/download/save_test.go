package download

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entries lists dir's file names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	body := []byte(strings.Repeat("invoice line\n", 10000))
	s, err := Save(dir, bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	sum := sha256.Sum256(body)
	assert.Equal(t, hex.EncodeToString(sum[:]), s.SHA256)
	assert.Equal(t, int64(len(body)), s.Size)
	assert.Equal(t, dir, filepath.Dir(s.Path), "the file lies directly in dir")
	assert.True(t, strings.HasPrefix(filepath.Base(s.Path), "httpstep-"))
	got, err := os.ReadFile(s.Path)
	require.NoError(t, err)
	assert.Equal(t, body, got)
	fi, err := os.Stat(s.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "only the owner reads downloads")
}

func TestSaveEmpty(t *testing.T) {
	s, err := Save(t.TempDir(), strings.NewReader(""), 10)
	require.NoError(t, err)
	assert.Equal(t, int64(0), s.Size)
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", s.SHA256)
}

func TestSaveRelativeDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.Mkdir("out", 0o700))
	s, err := Save("out", strings.NewReader("x"), 0)
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(s.Path), s.Path)
}

func TestSaveTooLargeLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int64{11, 1 << 20} {
		_, err := Save(dir, io.LimitReader(zeros{}, n), 10)
		var tl *TooLargeError
		require.ErrorAs(t, err, &tl)
		assert.Equal(t, int64(10), tl.Limit)
		assert.True(t, IsTooLarge(err))
		assert.Contains(t, err.Error(), "MaxDownloadBytes")
		assert.Empty(t, entries(t, dir))
	}
	s, err := Save(dir, io.LimitReader(zeros{}, 10), 10)
	require.NoError(t, err, "exactly the limit is allowed")
	assert.Equal(t, int64(10), s.Size)
}

func TestSaveReadErrorLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("connection reset")
	_, err := Save(dir, io.MultiReader(strings.NewReader("partial"), errReader{boom}), 0)
	assert.ErrorIs(t, err, boom)
	assert.Empty(t, entries(t, dir))
}

func TestSaveBadDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := Save(missing, strings.NewReader("x"), 0)
	var de *DirError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "DownloadDir")
}

// TestSaveConstantMemory streams 64 MiB and checks that Save allocates
// about its one copy buffer, not the body.
func TestSaveConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	dir := t.TempDir()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, err := Save(dir, io.LimitReader(zeros{}, 64<<20), 0)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, int64(64<<20), s.Size)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("64 MiB saved with %d bytes allocated", alloc)
	assert.Less(t, alloc, uint64(1<<20))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
