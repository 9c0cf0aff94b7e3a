package httpstep

import (
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uploadTestSize is the attachment of the memory test: 256 MiB, less under
// the race detector (race_test.go).
var uploadTestSize int64 = 256 << 20

// maxUploadAlloc bounds what Execute may allocate to send one such upload.
const maxUploadAlloc = 16 << 20

// TestUploadMemory uploads a generated attachment (a reader, not a buffer)
// as a binary body and as a form-data part, with its size known
// (Content-Length) and unknown (chunked), and checks that the allocation
// during Execute stays under 16 MiB while the server counts every byte.
func TestUploadMemory(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(countUpload))
	t.Cleanup(srv.Close)
	c := testClient(t)
	size := uploadTestSize
	sum := crc32.NewIEEE()
	_, err := io.Copy(sum, &patternReader{left: size})
	require.NoError(t, err)
	file := func(known bool) File {
		f := File{Name: "big.bin", Size: -1, Open: func() (io.ReadCloser, error) { return io.NopCloser(&patternReader{left: size}), nil }}
		if known {
			f.Size = size
		}
		return f
	}
	tests := []struct {
		name  string
		body  *Body
		known bool
	}{
		{"binary, size known", &Body{Kind: BodyBinary, File: "f"}, true},
		{"binary, size unknown", &Body{Kind: BodyBinary, File: "f"}, false},
		{"form-data, size known", &Body{Kind: BodyFormData, Fields: []FormField{{Key: "note", Value: "big"}, {Key: "upload", File: "f"}}}, true},
		{"form-data, size unknown", &Body{Kind: BodyFormData, Fields: []FormField{{Key: "note", Value: "big"}, {Key: "upload", File: "f"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &NodeConfig{Method: "POST", URL: srv.URL, Body: tt.body, Timeout: Duration(time.Minute)}
			params := Values{"f": file(tt.known)}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			res, err := c.Execute(context.Background(), node, params)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d MiB in %v: TotalAlloc +%.2f MiB, Mallocs +%d, HeapInuse %.1f MiB",
				size>>20, elapsed.Round(time.Millisecond), float64(alloc)/(1<<20), after.Mallocs-before.Mallocs, float64(after.HeapInuse)/(1<<20))
			assert.Less(t, alloc, uint64(maxUploadAlloc), "allocation during Execute")
			assert.Equal(t, strconv.FormatInt(size, 10), res.Get("bytes").String(), "bytes the server counted")
			assert.Equal(t, int64(sum.Sum32()), res.Get("crc").Int(), "checksum of what the server got")
			assert.Equal(t, !tt.known, res.Get("chunked").Bool())
		})
	}
}

// countUpload discards an upload and answers with its size, checksum and
// framing: the bytes of the body, or of the first file part of a form.
func countUpload(w http.ResponseWriter, r *http.Request) {
	var src io.Reader = r.Body
	if mr, err := r.MultipartReader(); err == nil {
		for {
			p, err := mr.NextPart()
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if p.FileName() != "" {
				src = p
				break
			}
		}
	}
	sum := crc32.NewIEEE()
	n, err := io.Copy(sum, src)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	chunked := len(r.TransferEncoding) > 0
	io.WriteString(w, `{"bytes":`+strconv.FormatInt(n, 10)+`,"crc":`+strconv.FormatUint(uint64(sum.Sum32()), 10)+`,"chunked":`+strconv.FormatBool(chunked)+`}`)
}

// pattern is what patternReader repeats: every byte value.
var pattern = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// patternReader yields left bytes of pattern without holding them.
type patternReader struct {
	left int64
	off  int
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n := 0
	for n < len(b) {
		c := copy(b[n:], pattern[p.off:])
		n += c
		p.off = (p.off + c) % len(pattern)
	}
	p.left -= int64(n)
	return n, nil
}

// memUse is what a call cost in memory: the bytes it allocated in all, and
// the high-water mark of the heap's objects above where it started,
// sampled every 100µs (garbage not yet collected counts, so the peak is an
// upper bound of what was live).
type memUse struct{ total, peak uint64 }

func (m memUse) String() string {
	return fmt.Sprintf("%.1f MiB allocated, heap peak +%.1f MiB", float64(m.total)/(1<<20), float64(m.peak)/(1<<20))
}

// measureMem runs fn and returns its memUse.
func measureMem(fn func()) memUse {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base := heap()
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			if h := heap(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	runtime.ReadMemStats(&after)
	if h := heap(); h > peak.Load() {
		peak.Store(h)
	}
	return memUse{total: after.TotalAlloc - before.TotalAlloc, peak: max(peak.Load(), base) - base}
}
