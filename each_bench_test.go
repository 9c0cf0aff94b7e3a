package httpstep

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkEach runs b.N rows through Each against a loopback server that
// answers every request after 5 ms, at concurrency 1, 4 and 16, and
// reports rows per second:
//
//	go test -run '^$' -bench BenchmarkEach -benchtime 400x .
func BenchmarkEach(b *testing.B) {
	srv := newFlight(b, func() time.Duration { return 5 * time.Millisecond }, echoN(-1))
	for _, conc := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("c=%d", conc), func(b *testing.B) {
			c := testClient(b)
			s := mustCompile(b, &NodeConfig{URL: srv.URL + "/?n={{n}}"})
			b.ResetTimer()
			start := time.Now()
			err := c.Each(b.Context(), s, rows(b.N, nil), conc, func(int, *Result, error) bool { return true })
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
		})
	}
}

// BenchmarkEachHeap runs 10,000 rows at concurrency 16 per iteration and
// reports the heap's high-water mark (live objects, sampled every 5 ms):
//
//	go test -run '^$' -bench BenchmarkEachHeap -benchtime 1x .
func BenchmarkEachHeap(b *testing.B) {
	srv := newFlight(b, func() time.Duration { return 5 * time.Millisecond }, echoN(-1))
	c := testClient(b)
	s := mustCompile(b, &NodeConfig{URL: srv.URL + "/?n={{n}}"})
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	for range b.N {
		if err := c.Each(b.Context(), s, rows(10000, nil), 16, func(int, *Result, error) bool { return true }); err != nil {
			b.Fatal(err)
		}
	}
	close(done)
	<-sampled
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
