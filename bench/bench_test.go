package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// shared is the one loopback server of every benchmark, closed by TestMain.
var shared struct {
	once sync.Once
	srv  *Server
}

func sharedServer() *Server {
	shared.once.Do(func() { shared.srv = NewServer(false) })
	return shared.srv
}

// closeShared closes the shared server if a benchmark started it.
func closeShared() {
	if shared.srv != nil {
		shared.srv.Close()
	}
}

// cpuMeter reports the process's CPU time per op (cpu-ns/op) beside wall
// time: when other work shares the machine, wall time grows with the wait
// for a core, CPU time much less.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	d, ok := cpuTime()
	return cpuMeter{d, ok}
}

func (m cpuMeter) report(b *testing.B) {
	if d, ok := cpuTime(); ok && m.ok && b.N > 0 {
		b.ReportMetric(float64(d-m.start)/float64(b.N), "cpu-ns/op")
	}
}

// runEach runs every contender one request at a time, checking each result.
func runEach[T any](b *testing.B, cs []Contender[T], check func(T) error) {
	s := sharedServer()
	for _, c := range cs {
		b.Run(c.Name, func(b *testing.B) {
			op, done := c.New(s)
			defer done()
			ctx := context.Background()
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				v, err := op(ctx)
				if err == nil {
					err = check(v)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkGetJSON: GET with two query values that need escaping and a
// templated Authorization header, 1 KiB JSON reply, status checked, three
// fields read.
func BenchmarkGetJSON(b *testing.B) { runEach(b, GetJSON, Order.check) }

// BenchmarkPostJSON: a JSON body built from five values (one with quotes and
// a newline), otherwise as BenchmarkGetJSON.
func BenchmarkPostJSON(b *testing.B) { runEach(b, PostJSON, Order.check) }

// BenchmarkRetry503: the GET of BenchmarkGetJSON answered 503 twice, then
// 200; three attempts, 1 ms back-off. One op is the three attempts.
func BenchmarkRetry503(b *testing.B) {
	sharedServer().ResetFlaky()
	runEach(b, Retry503, Order.check)
}

// BenchmarkRows: GET an array of 100,000 orders (about 11 MB) and read three
// fields of every row.
func BenchmarkRows(b *testing.B) {
	runEach(b, Rows, func(t Tally) error { return t.check() })
}

// BenchmarkUpload: stream 64 MiB in one POST.
func BenchmarkUpload(b *testing.B) {
	runEach(b, Upload, checkUpload)
}

// parallelism is how many goroutines share one client in
// BenchmarkParallelGet.
const parallelism = 16

// BenchmarkParallelGet: the job of BenchmarkGetJSON from 16 goroutines
// sharing one client. It reports the TCP connections the server accepted
// during the run (conns): a client that reuses its connections stays near 16.
func BenchmarkParallelGet(b *testing.B) {
	s := sharedServer()
	for _, c := range GetJSON {
		b.Run(c.Name, func(b *testing.B) {
			op, done := c.New(s)
			defer done()
			b.ReportAllocs()
			conns0, cpu := s.Conns(), startCPU()
			b.ResetTimer()
			if err := parallel(b.N, op); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu.report(b)
			b.ReportMetric(float64(s.Conns()-conns0), "conns")
		})
	}
}

// parallel runs op n times from parallelism goroutines and returns the
// first error.
func parallel(n int, op Op[Order]) error {
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	ctx := context.Background()
	for range parallelism {
		wg.Go(func() {
			for next.Add(1) <= int64(n) && first.Load() == nil {
				v, err := op(ctx)
				if err == nil {
					err = v.check()
				}
				if err != nil {
					first.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := first.Load(); err != nil {
		return *err
	}
	return nil
}
