package httpstep_test

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

var loopback = &httpstep.Client{AllowPrivate: true}

// echoServer answers 200 with the path and query it got, and 500 when the
// query says fail=1, after sleep=ms.
func echoServer(t *testing.T, inflight, peak *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inflight != nil {
			n := inflight.Add(1)
			defer inflight.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
		}
		if ms, _ := strconv.Atoi(r.URL.Query().Get("sleep")); ms > 0 {
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		if r.URL.Query().Get("fail") == "1" {
			w.WriteHeader(500)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"path":"` + r.URL.Path + `","i":"` + r.URL.Query().Get("i") + `","auth":"` + r.Header.Get("X-T") + `"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestReviewExecuteIsCompileThenRun: the same node gives the same request
// and the same result either way.
func TestReviewExecuteIsCompileThenRun(t *testing.T) {
	srv := echoServer(t, nil, nil)
	node := &httpstep.NodeConfig{URL: srv.URL + "/a/{{x}}", Query: []httpstep.KeyValue{{Key: "i", Value: "{{i}}"}}}
	p := httpstep.Values{"x": "a/b", "i": "7 8"}
	r1, err1 := loopback.Execute(context.Background(), node, p)
	s, err := node.Compile()
	require.NoError(t, err)
	r2, err2 := loopback.Run(context.Background(), s, p)
	require.NoError(t, err1)
	require.NoError(t, err2)
	assert.Equal(t, string(r1.Body), string(r2.Body))
	assert.Equal(t, r1.Attempts[0].Request.URL, r2.Attempts[0].Request.URL)

	bad := &httpstep.NodeConfig{Method: "GET", URL: ""}
	_, e1 := loopback.Execute(context.Background(), bad, nil)
	_, e2 := bad.Compile()
	var c1, c2 *httpstep.ConfigError
	require.ErrorAs(t, e1, &c1)
	require.ErrorAs(t, e2, &c2)
	assert.Equal(t, c1.Error(), c2.Error())
}

// TestReviewStepUnchangedByEdits: every part of the node edited after
// Compile leaves the Step as it was.
func TestReviewStepUnchangedByEdits(t *testing.T) {
	srv := echoServer(t, nil, nil)
	node := &httpstep.NodeConfig{
		URL:     srv.URL + "/orig",
		Query:   []httpstep.KeyValue{{Key: "i", Value: "one"}},
		Headers: []httpstep.KeyValue{{Key: "X-T", Value: "h1"}},
		Success: httpstep.SuccessRule{Codes: []int{200}},
	}
	s, err := node.Compile()
	require.NoError(t, err)
	node.URL = srv.URL + "/edited"
	node.Query[0].Value = "two"
	node.Headers[0].Value = "h2"
	node.Success.Codes[0] = 201
	node.OnFailure = httpstep.Continue
	res, err := loopback.Run(context.Background(), s, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"path":"/orig","i":"one","auth":"h1"}`, string(res.Body))
}

func seqOf(n int, f func(i int) httpstep.Params) iter.Seq[httpstep.Params] {
	return func(yield func(httpstep.Params) bool) {
		for i := range n {
			if !yield(f(i)) {
				return
			}
		}
	}
}

// TestReviewEach checks Each's rules one by one.
func TestReviewEach(t *testing.T) {
	var inflight, peak atomic.Int64
	srv := echoServer(t, &inflight, &peak)
	node := &httpstep.NodeConfig{URL: srv.URL + "/", Query: []httpstep.KeyValue{
		{Key: "i", Value: "{{i}}"}, {Key: "sleep", Value: "{{sleep}}"}, {Key: "fail", Value: "{{fail}}"}}}
	step, err := node.Compile()
	require.NoError(t, err)
	ctx := context.Background()

	t.Run("order and cap", func(t *testing.T) {
		peak.Store(0)
		var got []int
		err := loopback.Each(ctx, step, seqOf(40, func(i int) httpstep.Params {
			return httpstep.Values{"i": i, "sleep": (40 - i) % 7}
		}), 4, func(i int, res *httpstep.Result, err error) bool {
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(i), res.Get("i").String())
			got = append(got, i)
			return true
		})
		require.NoError(t, err)
		assert.Len(t, got, 40)
		for i, g := range got {
			assert.Equal(t, i, g)
		}
		assert.LessOrEqual(t, peak.Load(), int64(4))
		assert.Greater(t, peak.Load(), int64(1))
	})
	t.Run("fn false stops with nil, nothing new sent", func(t *testing.T) {
		var yielded atomic.Int64
		var calls int
		err := loopback.Each(ctx, step, seqOf(100, func(i int) httpstep.Params {
			yielded.Add(1)
			return httpstep.Values{"i": i}
		}), 2, func(i int, res *httpstep.Result, err error) bool {
			calls++
			return i < 4
		})
		require.NoError(t, err)
		assert.Equal(t, 5, calls)
		assert.LessOrEqual(t, yielded.Load(), int64(7))
	})
	t.Run("at most concurrency results held", func(t *testing.T) {
		var yielded atomic.Int64
		err := loopback.Each(ctx, step, seqOf(30, func(i int) httpstep.Params {
			yielded.Add(1)
			return httpstep.Values{"i": i}
		}), 3, func(i int, res *httpstep.Result, err error) bool {
			time.Sleep(2 * time.Millisecond) // a slow consumer: rows must not pile up
			assert.LessOrEqual(t, yielded.Load(), int64(i+3), "row %d", i)
			return true
		})
		require.NoError(t, err)
	})
	t.Run("terminate returns the first failure", func(t *testing.T) {
		var calls []int
		err := loopback.Each(ctx, step, seqOf(20, func(i int) httpstep.Params {
			f := 0
			if i == 3 || i == 5 {
				f = 1
			}
			return httpstep.Values{"i": i, "fail": f}
		}), 3, func(i int, res *httpstep.Result, err error) bool {
			calls = append(calls, i)
			if i == 3 {
				assert.Error(t, err)
			}
			return true
		})
		var f *httpstep.Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, httpstep.KindStatus, f.Kind)
		assert.Equal(t, []int{0, 1, 2, 3}, calls)
	})
	t.Run("continue passes failed rows with nil err", func(t *testing.T) {
		cont := *node
		cont.OnFailure = httpstep.Continue
		cs, err := cont.Compile()
		require.NoError(t, err)
		failed := 0
		err = loopback.Each(ctx, cs, seqOf(10, func(i int) httpstep.Params {
			return httpstep.Values{"i": i, "fail": i % 2}
		}), 3, func(i int, res *httpstep.Result, err error) bool {
			assert.NoError(t, err)
			if res.Failure != nil {
				failed++
				_, ok := res.Lookup("i")
				assert.False(t, ok)
			}
			return true
		})
		require.NoError(t, err)
		assert.Equal(t, 5, failed)
	})
	t.Run("cancel", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := loopback.Each(cctx, step, seqOf(1000, func(i int) httpstep.Params {
			return httpstep.Values{"i": i, "sleep": 30}
		}), 4, func(i int, res *httpstep.Result, err error) bool { return true })
		var f *httpstep.Failure
		if !errors.Is(err, context.Canceled) {
			require.ErrorAs(t, err, &f)
			assert.Equal(t, httpstep.KindCanceled, f.Kind)
		}
		assert.Less(t, time.Since(start), time.Second)
	})
	t.Run("limits apply", func(t *testing.T) {
		require.Eventually(t, func() bool { return inflight.Load() == 0 }, 2*time.Second, 5*time.Millisecond)
		peak.Store(0)
		c := &httpstep.Client{AllowPrivate: true, Limits: []httpstep.Limit{{Host: "127.0.0.1", MaxConcurrent: 2}}}
		err := c.Each(ctx, step, seqOf(20, func(i int) httpstep.Params {
			return httpstep.Values{"i": i, "sleep": 10}
		}), 8, func(i int, res *httpstep.Result, err error) bool { return true })
		require.NoError(t, err)
		assert.LessOrEqual(t, peak.Load(), int64(2))
		c.CloseIdleConnections()
	})
}

var _ sync.Mutex

// TestReviewNilStepRefs: a nil Step answers Refs as a nil NodeConfig does
// (Run already treats a nil Step as a clear error, not a panic).
func TestReviewNilStepRefs(t *testing.T) {
	var s *httpstep.Step
	assert.NotPanics(t, func() { assert.Empty(t, s.Refs()) })
}
