package httpstep

// Fault injection: the attempt loop against loopback servers that fail in
// the ways real receivers do. Back-off waits go through an injected
// retryEnv, so no test sleeps for a back-off.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/throttle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// waits records the back-off waits the attempt loop asked for.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// stubEnv gives c a retry environment whose random source always returns r
// and whose clock is now (time.Now when nil); its sleep records the wait and
// returns at once, or with the context's cause when ctx has ended.
func stubEnv(c *Client, r float64, now func() time.Time) *waits {
	if now == nil {
		now = time.Now
	}
	w := &waits{}
	c.retryEnv = &retryEnv{
		rand: func() float64 { return r },
		now:  now,
		sleep: func(ctx context.Context, d time.Duration) error {
			w.mu.Lock()
			w.d = append(w.d, d)
			w.mu.Unlock()
			return context.Cause(ctx)
		},
	}
	return w
}

// scripted is a recorder whose n-th request is answered by steps[n-1]; the
// last step answers every request after it.
func scripted(t *testing.T, steps ...http.HandlerFunc) *recorder {
	var rec *recorder
	rec = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		steps[min(rec.count(), len(steps))-1](w, r)
	})
	rec.Config.ErrorLog = quietLog
	return rec
}

// status answers code with a short JSON body and the given header pairs.
func status(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, `{"status":`+strconv.Itoa(code)+`}`)
	}
}

var ok200 = status(200)

// cutBody writes a response head promising 100 bytes, a few of them, and
// closes the connection: with RST (SO_LINGER 0) when reset, else with FIN.
func cutBody(reset bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"partial\":")
		buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok && reset {
			tc.SetLinger(0)
		}
		conn.Close()
	}
}

// hang never answers; it returns when the client goes away.
func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// drip answers 200 and then one byte of body every 500 ms.
func drip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "20")
	w.WriteHeader(200)
	for range 20 {
		w.Write([]byte(" "))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// fast is a policy with short, round waits: 100ms, 200ms, 400ms, ... before
// jitter.
func fast(attempts int) *RetryPolicy {
	return &RetryPolicy{MaxAttempts: attempts, InitialInterval: Duration(100 * time.Millisecond), MaxInterval: Duration(time.Second)}
}

// kinds lists each attempt's failure kind ("" for a success).
func kinds(res *Result) []FailureKind {
	out := make([]FailureKind, len(res.Attempts))
	for i, a := range res.Attempts {
		out[i] = a.Kind
	}
	return out
}

// run executes node on c and returns the result, the failure (nil on
// success) and how long Execute took; it logs the time for the report.
func run(t *testing.T, ctx context.Context, c *Client, node *NodeConfig, params Params) (*Result, *Failure, time.Duration) {
	t.Helper()
	start := time.Now()
	res, err := c.Execute(ctx, node, params)
	elapsed := time.Since(start)
	t.Logf("elapsed %v", elapsed.Round(time.Millisecond))
	require.NotNil(t, res)
	if err == nil {
		return res, res.Failure, elapsed
	}
	var f *Failure
	require.ErrorAs(t, err, &f)
	return res, f, elapsed
}

// TestRetryThenSucceed: a server failing N times with 503 then answering
// 200 sees N+1 requests; the waits double from the initial interval, scaled
// by the jitter.
func TestRetryThenSucceed(t *testing.T) {
	all := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	for _, n := range []int{1, 3} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			steps := make([]http.HandlerFunc, 0, n+1)
			for range n {
				steps = append(steps, status(503))
			}
			srv := scripted(t, append(steps, ok200)...)
			c := testClient(t)
			w := stubEnv(c, 0.5, nil)
			res, f, elapsed := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Retry: fast(5)}, nil)
			require.Nil(t, f)
			assert.Equal(t, n+1, srv.count())
			assert.Equal(t, 200, res.StatusCode)
			assert.Equal(t, all[:n], w.all())
			for i, a := range res.Attempts[:n] {
				assert.Equal(t, KindStatus, a.Kind)
				assert.Equal(t, &RetryRecord{Retry: true, Reason: "status 503 is retryable", Wait: Duration(all[i])}, a.Retry)
			}
			assert.Empty(t, res.Attempts[n].Kind)
			assert.Nil(t, res.Attempts[n].Retry, "a success needs no retry decision")
			assert.Less(t, elapsed, time.Second, "the back-off was not slept")
		})
	}
}

// TestRetryGivesUp: a server that always fails sees exactly MaxAttempts
// requests; the last record says it gave up.
func TestRetryGivesUp(t *testing.T) {
	srv := scripted(t, status(503))
	c := testClient(t)
	w := stubEnv(c, 1, nil)
	res, f, elapsed := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Retry: fast(4)}, nil)
	require.NotNil(t, f)
	assert.Equal(t, 4, srv.count())
	assert.Equal(t, KindStatus, f.Kind)
	assert.Equal(t, 503, f.StatusCode)
	assert.Equal(t, []FailureKind{KindStatus, KindStatus, KindStatus, KindStatus}, kinds(res))
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}, w.all())
	assert.Equal(t, &RetryRecord{Reason: "status 503 is retryable, but gave up after 4 attempts"}, res.Attempts[3].Retry)
	assert.Less(t, elapsed, time.Second)
}

// TestRetryBrokenConnections: a body cut short by FIN or RST, and a closed
// port, are kind network and retried.
func TestRetryBrokenConnections(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{"cut short": cutBody(false), "reset": cutBody(true)} {
		t.Run(name, func(t *testing.T) {
			srv := scripted(t, h, h, ok200)
			c := testClient(t)
			stubEnv(c, 0, nil)
			res, f, _ := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Retry: fast(5)}, nil)
			require.Nil(t, f)
			assert.Equal(t, 3, srv.count())
			assert.Equal(t, []FailureKind{KindNetwork, KindNetwork, ""}, kinds(res))
			assert.Equal(t, "kind network is retryable", res.Attempts[0].Retry.Reason)
			assert.Contains(t, res.Attempts[0].Error, "the connection broke before the whole response arrived")
		})
	}
	t.Run("closed port", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closedPort := "http://" + l.Addr().String()
		require.NoError(t, l.Close())
		c := testClient(t)
		stubEnv(c, 0, nil)
		res, f, elapsed := run(t, t.Context(), c, &NodeConfig{URL: closedPort, Retry: fast(3)}, nil)
		require.NotNil(t, f)
		assert.Equal(t, KindNetwork, f.Kind)
		assert.Equal(t, []FailureKind{KindNetwork, KindNetwork, KindNetwork}, kinds(res))
		assert.Contains(t, f.Message, "refused the connection")
		assert.True(t, res.Attempts[1].Retry.Retry)
		assert.Less(t, elapsed, time.Second)
	})
}

// TestRetryTimeouts: a server that never answers, and one that drips its
// body slower than the timeout, fail each attempt with kind timeout after
// about the node's timeout, and are retried.
func TestRetryTimeouts(t *testing.T) {
	cases := []struct {
		name    string
		h       http.HandlerFunc
		timeout time.Duration
	}{
		{"never answers", hang, 100 * time.Millisecond},
		{"drips", drip, 300 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := scripted(t, tc.h)
			c := testClient(t)
			stubEnv(c, 0, nil)
			res, f, elapsed := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Timeout: Duration(tc.timeout), Retry: fast(3)}, nil)
			require.NotNil(t, f)
			assert.Equal(t, 3, srv.count())
			assert.Equal(t, []FailureKind{KindTimeout, KindTimeout, KindTimeout}, kinds(res))
			assert.Equal(t, "the API did not answer within "+tc.timeout.String(), f.Message)
			assert.GreaterOrEqual(t, elapsed, 3*tc.timeout)
			assert.Less(t, elapsed, 3*tc.timeout+1500*time.Millisecond)
			for _, a := range res.Attempts {
				assert.GreaterOrEqual(t, time.Duration(a.Duration), tc.timeout)
				assert.Less(t, time.Duration(a.Duration), tc.timeout+500*time.Millisecond)
			}
			assert.Equal(t, "kind timeout is retryable", res.Attempts[0].Retry.Reason)
		})
	}
}

// TestRetryAfterHeader: a 429's Retry-After, in seconds or as an HTTP date,
// sets the wait; a huge one is capped at MaxInterval; a negative or garbled
// one is ignored and the back-off applies.
func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	policy := &RetryPolicy{MaxAttempts: 2, InitialInterval: Duration(time.Second), MaxInterval: Duration(time.Minute)}
	cases := []struct {
		name, value string
		wait        time.Duration
		reason      string
	}{
		{"seconds", "7", 7 * time.Second, "status 429 is retryable; Retry-After 7s honoured"},
		{"date", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, "status 429 is retryable; Retry-After 30s honoured"},
		{"zero", "0", 250 * time.Millisecond, "status 429 is retryable; Retry-After 0s honoured"},
		{"huge seconds", "999999999999", time.Minute, "status 429 is retryable; Retry-After 2562047h47m16.854775807s capped to 1m0s"},
		{"far date", now.Add(24 * time.Hour).Format(http.TimeFormat), time.Minute, "status 429 is retryable; Retry-After 24h0m0s capped to 1m0s"},
		{"negative", "-5", 250 * time.Millisecond, `status 429 is retryable; Retry-After "-5" ignored: neither seconds nor an HTTP date`},
		{"garbage", "soon", 250 * time.Millisecond, `status 429 is retryable; Retry-After "soon" ignored: neither seconds nor an HTTP date`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := scripted(t, status(429, "Retry-After", tc.value), ok200)
			c := testClient(t)
			w := stubEnv(c, 0.25, func() time.Time { return now })
			res, f, _ := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Retry: policy}, nil)
			require.Nil(t, f)
			assert.Equal(t, 2, srv.count())
			assert.Equal(t, []time.Duration{tc.wait}, w.all())
			assert.Equal(t, &RetryRecord{Retry: true, Reason: tc.reason, Wait: Duration(tc.wait)}, res.Attempts[0].Retry)
		})
	}
}

// TestNotRetried: 501, a blocked destination and a business error code make
// one attempt although the node has a retry policy; a 400 is retried
// because the node asked for retries; retryOnErrorCode retries the code.
func TestNotRetried(t *testing.T) {
	errcode := func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"errcode":"E42","errmsg":"quota"}`) }
	rule := SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}, ErrorMessagePath: "errmsg"}
	cases := []struct {
		name     string
		h        http.HandlerFunc
		guarded  bool // a Client without AllowPrivate
		success  SuccessRule
		onCode   bool
		requests int
		kind     FailureKind
		reason   string
	}{
		{"501", status(501), false, SuccessRule{}, false, 1, KindStatus, "status 501 is never retried: the server does not implement the request"},
		{"blocked", ok200, true, SuccessRule{}, false, 0, KindBlocked, "kind blocked is never retried"},
		{"400", status(400), false, SuccessRule{}, false, 3, KindStatus, "status 400 is not a success code; retried under the node's retry policy, but gave up after 3 attempts"},
		{"error_code", errcode, false, rule, false, 1, KindErrorCode, "kind error_code is retried only with retryOnErrorCode"},
		{"error_code asked", errcode, false, rule, true, 3, KindErrorCode, "kind error_code is retried: retryOnErrorCode is set, but gave up after 3 attempts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := scripted(t, tc.h)
			c := testClient(t)
			c.AllowPrivate = !tc.guarded
			stubEnv(c, 0, nil)
			policy := fast(3)
			policy.RetryOnErrorCode = tc.onCode
			res, f, _ := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Success: tc.success, Retry: policy}, nil)
			require.NotNil(t, f)
			assert.Equal(t, tc.requests, srv.count())
			assert.Equal(t, tc.kind, f.Kind)
			assert.Len(t, res.Attempts, max(tc.requests, 1))
			last := res.Attempts[len(res.Attempts)-1]
			assert.Equal(t, &RetryRecord{Reason: tc.reason}, last.Retry)
		})
	}
}

// TestIdempotencyKeyAcrossAttempts: every attempt of one Execute carries
// the same generated key, a new Execute a new one; a key the node templates
// is sent as rendered on every attempt and across Executes.
func TestIdempotencyKeyAcrossAttempts(t *testing.T) {
	srv := scripted(t, status(503), status(502), ok200)
	c := testClient(t)
	stubEnv(c, 0, nil)
	keys := func(from int) []string {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		var out []string
		for _, s := range srv.reqs[from:] {
			out = append(out, s.Header.Values(idempotencyHeader)...)
		}
		return out
	}
	_, f, _ := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Retry: fast(3)}, nil)
	require.Nil(t, f)
	first := keys(0)
	require.Len(t, first, 3)
	assert.Regexp(t, `^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`, first[0])
	assert.Equal(t, []string{first[0], first[0], first[0]}, first)

	res, _, _ := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Retry: fast(3)}, nil)
	require.Len(t, res.Attempts, 1, "the script's last step answers 200")
	assert.NotEqual(t, first[0], keys(3)[0], "each Execute has its own key")

	down := scripted(t, status(503))
	node := &NodeConfig{URL: down.URL, Headers: []KeyValue{{Key: "idempotency-key", Value: "order-{{ record.id }}"}}, Retry: fast(3)}
	params := Values{"record": map[string]any{"id": "42"}}
	for range 2 {
		run(t, t.Context(), c, node, params)
	}
	require.Equal(t, 6, down.count())
	for _, s := range down.reqs {
		assert.Equal(t, []string{"order-42"}, s.Header.Values(idempotencyHeader))
	}
}

// TestCanceledDuringBackoff: cancelling the run while it waits between
// attempts ends the wait at once with kind canceled, and leaves no
// goroutine behind.
func TestCanceledDuringBackoff(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	srv := scripted(t, status(503))
	c := &Client{AllowPrivate: true}
	c.retryEnv = &retryEnv{rand: func() float64 { return 1 }, now: time.Now, sleep: throttle.Sleep}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(200*time.Millisecond, cancel)
	node := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(time.Minute)}}
	res, f, elapsed := run(t, ctx, c, node, nil)
	require.NotNil(t, f)
	assert.Equal(t, KindCanceled, f.Kind)
	assert.ErrorIs(t, f, context.Canceled)
	assert.Equal(t, 1, srv.count())
	assert.GreaterOrEqual(t, elapsed, 200*time.Millisecond)
	assert.Less(t, elapsed, time.Second, "the one-minute wait ended with the context")
	require.Len(t, res.Attempts, 1)
	assert.Equal(t, KindStatus, res.Attempts[0].Kind)
	assert.Equal(t, &RetryRecord{Reason: "status 503 is retryable; stopped during the 1m0s wait: context canceled"}, res.Attempts[0].Retry,
		"the history does not promise an attempt that never came")
	assert.Equal(t, "the run was canceled while waiting to retry", f.Message)
	srv.Close()
	c.CloseIdleConnections()
	goleak.VerifyNone(t, opt)
}

// TestDeadlineBeforeNextAttempt: when the run's deadline comes before the
// next attempt could start, the loop stops at once and says so.
func TestDeadlineBeforeNextAttempt(t *testing.T) {
	srv := scripted(t, status(503))
	c := testClient(t)
	w := stubEnv(c, 1, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	node := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(10 * time.Second)}}
	res, f, elapsed := run(t, ctx, c, node, nil)
	require.NotNil(t, f)
	assert.Equal(t, KindStatus, f.Kind, "the last attempt's failure stands")
	assert.Equal(t, 1, srv.count())
	assert.Empty(t, w.all(), "no wait was started")
	assert.Less(t, elapsed, time.Second)
	r := res.Attempts[0].Retry
	require.NotNil(t, r)
	assert.False(t, r.Retry)
	assert.Regexp(t, `^status 503 is retryable; stopped: the deadline is 1\.\d+s away, before the next attempt in 10s$`, r.Reason)
}

// TestErrorIsFailure keeps errors.As working on what Execute returns after
// retries: the last attempt's failure.
func TestErrorIsFailure(t *testing.T) {
	srv := scripted(t, status(500), status(504))
	c := testClient(t)
	stubEnv(c, 0, nil)
	_, err := c.Execute(t.Context(), &NodeConfig{URL: srv.URL, Retry: fast(2)}, nil)
	var f *Failure
	require.True(t, errors.As(err, &f))
	assert.Equal(t, 504, f.StatusCode)
}

// TestLastAttemptDecides: the Result carries what the last attempt got, not
// a response left over from an earlier one. (A connection closed before any
// answer may be replayed once by net/http on a fresh connection, so the
// server can see more requests than there are attempts.)
func TestLastAttemptDecides(t *testing.T) {
	slam := func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	srv := scripted(t, status(503, "Retry-After", "1"), slam)
	c := testClient(t)
	stubEnv(c, 0, nil)
	res, f, _ := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Retry: fast(2)}, nil)
	require.NotNil(t, f)
	assert.Equal(t, KindNetwork, f.Kind)
	assert.Equal(t, []FailureKind{KindStatus, KindNetwork}, kinds(res))
	assert.Zero(t, res.StatusCode, "no status came back on the last attempt")
	assert.Nil(t, res.Header)
	assert.Nil(t, res.Body)
	assert.GreaterOrEqual(t, srv.count(), 2)
}

// TestStopOnCodes (finding 6): OpenAI answers 429 both when the rate limit
// was hit (rate_limit_exceeded: retrying helps) and when the quota is spent
// (insufficient_quota: it cannot). Retried like any 429, the spent quota
// cost five attempts and minutes of back-off; retry.stopOnCodes, read at
// success.errorCodePath in the failing answer's body, ends the retries at
// once.
func TestStopOnCodes(t *testing.T) {
	node := `{"method": "POST", "url": %q, "body": {"kind": "raw", "raw": "{\"model\": \"gpt-4o\"}"},
		"success": {"errorCodePath": "error.code", "missingCode": "success", "errorMessagePath": "error.message"},
		"retry": {"maxAttempts": 5, "stopOnCodes": ["insufficient_quota"]}}`
	t.Run("quota spent", func(t *testing.T) {
		srv := openaiChat(t, "insufficient_quota", 10)
		c := testClient(t)
		waits := stubEnv(c, 0, nil)
		res, err := c.Execute(context.Background(), nodeJSON(t, node, srv.URL+"/v1/chat/completions"), nil)
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, 1, srv.count(), "not retried")
		assert.Empty(t, waits.all())
		assert.Equal(t, KindStatus, f.Kind)
		assert.Equal(t, 429, f.StatusCode)
		assert.Contains(t, f.Message, "You exceeded your current quota")
		assert.Contains(t, res.Attempts[0].Retry.Reason, `error.code is "insufficient_quota", one of retry.stopOnCodes`)
	})
	t.Run("rate limited", func(t *testing.T) {
		srv := openaiChat(t, "rate_limit_exceeded", 1)
		c := testClient(t)
		stubEnv(c, 0, nil)
		res, err := c.Execute(context.Background(), nodeJSON(t, node, srv.URL+"/v1/chat/completions"), nil)
		require.NoError(t, err)
		assert.Equal(t, 2, srv.count(), "a rate limit is still retried")
		assert.Equal(t, "Hi", res.Get("choices.0.message.content").String())
	})
}

// TestJitter (finding 9): Airtable locks a base out for 30 s after a 429
// without Retry-After. Full jitter draws every wait from [0, d), so even
// initialInterval = maxInterval = 30s retried inside the lockout;
// retry.jitter "none" waits d, "equal" [d/2, d).
func TestJitter(t *testing.T) {
	for _, tt := range []struct {
		jitter string
		want   time.Duration
	}{
		{"", 15 * time.Second},
		{"full", 15 * time.Second},
		{"equal", 22500 * time.Millisecond},
		{"none", 30 * time.Second},
	} {
		t.Run(tt.jitter, func(t *testing.T) {
			srv := scripted(t, status(429), status(200))
			c := testClient(t)
			waits := stubEnv(c, 0.5, nil)
			node := nodeJSON(t, `{"url": %q, "retry": {"maxAttempts": 3, "initialInterval": "30s", "maxInterval": "30s", "jitter": %q}}`,
				srv.URL+"/v0/appXXX/Table", tt.jitter)
			_, err := c.Execute(context.Background(), node, nil)
			require.NoError(t, err)
			assert.Equal(t, []time.Duration{tt.want}, waits.all())
		})
	}
	var ce *ConfigError
	require.ErrorAs(t, (&NodeConfig{URL: "https://x.test", Retry: &RetryPolicy{MaxAttempts: 2, Jitter: "half"}}).Validate(), &ce)
	assert.Equal(t, "retry.jitter", ce.Problems[0].Field)
}

// TestRetryAfterDecimal (finding 7): Shopify sends Retry-After: 2.0; read
// as unparseable, it was ignored and the retries landed inside the window.
func TestRetryAfterDecimal(t *testing.T) {
	srv := scripted(t, status(429, "Retry-After", "2.0"), status(200))
	c := testClient(t)
	waits := stubEnv(c, 0, nil)
	res, err := c.Execute(context.Background(), nodeJSON(t, `{"url": %q, "retry": {"maxAttempts": 2}}`, srv.URL+"/admin/api/2024-01/orders.json"), nil)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{2 * time.Second}, waits.all())
	assert.Contains(t, res.Attempts[0].Retry.Reason, "Retry-After 2s honoured")
}
