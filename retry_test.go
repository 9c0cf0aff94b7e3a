package httpstep

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/throttle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// fixedEnv returns a retryEnv whose random source always gives r and whose
// clock stands at now. Its sleep fails the test: decisions never sleep.
func fixedEnv(t *testing.T, r float64, now time.Time) retryEnv {
	return retryEnv{
		rand: func() float64 { return r },
		now:  func() time.Time { return now },
		sleep: func(context.Context, time.Duration) error {
			t.Fatal("a retry decision slept")
			return nil
		},
	}
}

func TestBackoff(t *testing.T) {
	push := PushPolicy()
	fast := &RetryPolicy{MaxAttempts: 5, InitialInterval: Duration(100 * time.Millisecond), MaxInterval: Duration(10 * time.Second), Multiplier: 3}
	flat := &RetryPolicy{MaxAttempts: 5, Multiplier: 1}
	huge := &RetryPolicy{MaxAttempts: 5, InitialInterval: math.MaxInt64, MaxInterval: math.MaxInt64}
	steep := &RetryPolicy{MaxAttempts: 5, Multiplier: 1e300}
	tests := []struct {
		name string
		p    *RetryPolicy
		n    int
		r    float64
		want time.Duration
	}{
		{"first retry, r=0", push, 0, 0, 0},
		{"first retry, r=0.5", push, 0, 0.5, 500 * time.Millisecond},
		{"first retry, r=0.999", push, 0, 0.999, 999 * time.Millisecond},
		{"fourth retry doubles thrice", push, 3, 0.5, 4 * time.Second},
		{"256s is under the 5m cap", push, 8, 0.5, 128 * time.Second},
		{"512s is capped at 5m", push, 9, 0.5, 150 * time.Second},
		{"2^50 is capped, not overflowed", push, 50, 0.999, 299700 * time.Millisecond},
		{"2^10000 is +Inf, capped", push, 10000, 0.5, 150 * time.Second},
		{"negative n counts as the first", push, -3, 0.5, 500 * time.Millisecond},
		{"r below 0 gives no wait", push, 2, -0.5, 0},
		{"r NaN gives no wait", push, 2, math.NaN(), 0},
		{"r at 1 gives the ceiling", push, 2, 1, 4 * time.Second},
		{"custom: 100ms * 3^2", fast, 2, 0.5, 450 * time.Millisecond},
		{"custom: capped at 10s", fast, 5, 0.5, 5 * time.Second},
		{"multiplier 1 stays flat", flat, 40, 0.5, 500 * time.Millisecond},
		{"largest durations do not wrap", huge, 50, 0.5, time.Duration(0.5 * float64(math.MaxInt64))},
		{"1e300^2 overflows float, capped", steep, 2, 0.5, 150 * time.Second},
		{"equal jitter, r=0: half", &RetryPolicy{MaxAttempts: 5, Jitter: JitterEqual}, 1, 0, time.Second},
		{"equal jitter, r=0.5", &RetryPolicy{MaxAttempts: 5, Jitter: JitterEqual}, 1, 0.5, 1500 * time.Millisecond},
		{"no jitter: the ceiling", &RetryPolicy{MaxAttempts: 5, Jitter: JitterNone}, 1, 0, 2 * time.Second},
		{"no jitter, capped", &RetryPolicy{MaxAttempts: 5, Jitter: JitterNone, MaxInterval: Duration(30 * time.Second)}, 9, 0.1, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.backoff(tt.n, tt.r); got != tt.want {
				t.Errorf("backoff(%d, %v) = %v, want %v", tt.n, tt.r, got, tt.want)
			}
		})
	}
}

func TestBackoffNeverNegativeNorAboveCap(t *testing.T) {
	for _, p := range []*RetryPolicy{PushPolicy(), {Multiplier: 1e308}, {InitialInterval: math.MaxInt64}} {
		for n := 0; n < 2000; n += 7 {
			for _, r := range []float64{0, 0.5, 0.999, 0.9999999999999999} {
				got := p.backoff(n, r)
				if got < 0 || got > p.maxInterval() {
					t.Fatalf("%+v backoff(%d, %v) = %v, outside [0, %v]", p, n, r, got, p.maxInterval())
				}
			}
		}
	}
}

// failed returns a Result that failed with kind and status, carrying the
// given header pairs.
func failed(kind FailureKind, status int, header ...string) *Result {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &Result{StatusCode: status, Header: h, Failure: &Failure{Kind: kind, StatusCode: status}}
}

func TestDecide(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	push := PushPolicy()
	capped := &RetryPolicy{MaxAttempts: 5, MaxInterval: Duration(time.Minute)}
	codes := &RetryPolicy{MaxAttempts: 3, RetryOnErrorCode: true}
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name    string
		p       *RetryPolicy
		attempt int
		res     *Result
		retry   bool
		wait    time.Duration
		reason  string
	}{
		{"success", push, 1, &Result{StatusCode: 200}, false, 0, "succeeded"},
		{"nil result", push, 1, nil, false, 0, "succeeded"},
		{"timeout", push, 1, failed(KindTimeout, 0), true, 500 * time.Millisecond, "kind timeout is retryable"},
		{"network, second attempt", push, 2, failed(KindNetwork, 0), true, time.Second, "kind network is retryable"},
		{"408", push, 1, failed(KindStatus, 408), true, 500 * time.Millisecond, "status 408 is retryable"},
		{"425", push, 1, failed(KindStatus, 425), true, 500 * time.Millisecond, "status 425 is retryable"},
		{"429", push, 1, failed(KindStatus, 429), true, 500 * time.Millisecond, "status 429 is retryable"},
		{"500", push, 1, failed(KindStatus, 500), true, 500 * time.Millisecond, "status 500 is retryable"},
		{"502", push, 1, failed(KindStatus, 502), true, 500 * time.Millisecond, "status 502 is retryable"},
		{"503", push, 1, failed(KindStatus, 503), true, 500 * time.Millisecond, "status 503 is retryable"},
		{"504", push, 1, failed(KindStatus, 504), true, 500 * time.Millisecond, "status 504 is retryable"},
		{"501 never", push, 1, failed(KindStatus, 501), false, 0, "status 501 is never retried"},
		{"201 is not a receipt", push, 1, failed(KindStatus, 201), true, 500 * time.Millisecond, "status 201 is not a success code"},
		{"404 under a policy", push, 3, failed(KindStatus, 404), true, 2 * time.Second, "status 404 is not a success code"},
		{"302 under a policy", push, 1, failed(KindStatus, 302), true, 500 * time.Millisecond, "status 302 is not a success code"},
		{"blocked", push, 1, failed(KindBlocked, 0), false, 0, "kind blocked is never retried"},
		{"tls", push, 1, failed(KindTLS, 0), false, 0, "kind tls is never retried"},
		{"param", push, 1, failed(KindParam, 0), false, 0, "kind param is never retried"},
		{"too_large", push, 1, failed(KindTooLarge, 200), false, 0, "kind too_large is never retried"},
		{"canceled", push, 1, failed(KindCanceled, 0), false, 0, "kind canceled is never retried"},
		{"unknown kind", push, 1, failed("mystery", 0), false, 0, "kind mystery is never retried"},
		{"error_code by default", push, 1, failed(KindErrorCode, 200), false, 0, "retried only with retryOnErrorCode"},
		{"error_code when asked", codes, 1, failed(KindErrorCode, 200), true, 500 * time.Millisecond, "retryOnErrorCode is set"},
		{"ninth attempt still retries", push, 9, failed(KindStatus, 503), true, 128 * time.Second, "status 503 is retryable"},
		{"tenth attempt gives up", push, 10, failed(KindStatus, 503), false, 0, "gave up after 10 attempts"},
		{"beyond the budget", push, 11, failed(KindTimeout, 0), false, 0, "gave up after 11 attempts"},
		{"attempt 0 counts as 1", push, 0, failed(KindTimeout, 0), true, 500 * time.Millisecond, "retryable"},
		{"nil policy", nil, 1, failed(KindStatus, 503), false, 0, "no retry policy"},
		{"maxAttempts 0", &RetryPolicy{}, 1, failed(KindStatus, 503), false, 0, "gave up after 1 attempt"},
		{"maxAttempts -4", &RetryPolicy{MaxAttempts: -4}, 1, failed(KindTimeout, 0), false, 0, "gave up after 1 attempt"},
		{"nil policy, never-retried kind", nil, 1, failed(KindBlocked, 0), false, 0, "kind blocked is never retried"},

		{"Retry-After seconds", capped, 1, failed(KindStatus, 429, "Retry-After", "7"), true, 7 * time.Second, "Retry-After 7s honoured"},
		{"Retry-After with spaces", capped, 1, failed(KindStatus, 503, "Retry-After", " 7 "), true, 7 * time.Second, "honoured"},
		{"Retry-After 0 keeps back-off", capped, 1, failed(KindStatus, 429, "Retry-After", "0"), true, 500 * time.Millisecond, "Retry-After 0s honoured"},
		{"Retry-After shorter than back-off", capped, 4, failed(KindStatus, 429, "Retry-After", "1"), true, 4 * time.Second, "honoured"},
		{"Retry-After capped", capped, 1, failed(KindStatus, 429, "Retry-After", "120"), true, time.Minute, "Retry-After 2m0s capped to 1m0s"},
		{"Retry-After huge", capped, 1, failed(KindStatus, 503, "Retry-After", "99999999999999999999999"), true, time.Minute, "capped to 1m0s"},
		{"Retry-After default cap", push, 1, failed(KindStatus, 503, "Retry-After", "86400"), true, 5 * time.Minute, "capped to 5m0s"},
		{"Retry-After negative", capped, 1, failed(KindStatus, 429, "Retry-After", "-5"), true, 500 * time.Millisecond, `Retry-After "-5" ignored`},
		{"Retry-After garbage", capped, 1, failed(KindStatus, 429, "Retry-After", "soon"), true, 500 * time.Millisecond, `Retry-After "soon" ignored`},
		{"Retry-After date", capped, 1, failed(KindStatus, 503, "Retry-After", date(30*time.Second)), true, 30 * time.Second, "Retry-After 30s honoured"},
		{"Retry-After date far", capped, 1, failed(KindStatus, 503, "Retry-After", date(time.Hour)), true, time.Minute, "capped to 1m0s"},
		{"Retry-After date past", capped, 1, failed(KindStatus, 503, "Retry-After", date(-time.Hour)), true, 500 * time.Millisecond, "Retry-After 0s honoured"},
		{"Retry-After on a non-status kind", capped, 1, failed(KindTimeout, 0, "Retry-After", "30"), true, 500 * time.Millisecond, "kind timeout is retryable"},
		{"Retry-After on 501", capped, 1, failed(KindStatus, 501, "Retry-After", "30"), false, 0, "never"},
		{"Retry-After when out of attempts", capped, 5, failed(KindStatus, 429, "Retry-After", "3"), false, 0, "gave up after 5 attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.decide(fixedEnv(t, 0.5, now), tt.attempt, tt.res)
			if got.Retry != tt.retry || time.Duration(got.Wait) != tt.wait || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("decide = %+v (wait %v), want retry %v, wait %v, reason containing %q", got, got.Wait, tt.retry, tt.wait, tt.reason)
			}
			if !got.Retry && got.Wait != 0 {
				t.Errorf("no retry but wait %v", got.Wait)
			}
		})
	}
}

// TestDecideJitter checks the whole push schedule for three random draws:
// the wait is exactly r times the ceiling, and the ceiling doubles up to 5m.
func TestDecideJitter(t *testing.T) {
	now := time.Now()
	push := PushPolicy()
	ceilings := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256}
	for _, r := range []float64{0, 0.5, 0.999} {
		for i, c := range ceilings {
			got := push.decide(fixedEnv(t, r, now), i+1, failed(KindStatus, 503))
			want := time.Duration(r * float64(min(c*time.Second, 5*time.Minute)))
			if !got.Retry || time.Duration(got.Wait) != want {
				t.Errorf("r=%v attempt %d: %+v, want wait %v", r, i+1, got, want)
			}
		}
		if got := push.decide(fixedEnv(t, r, now), 10, failed(KindStatus, 503)); got.Retry {
			t.Errorf("r=%v: attempt 10 retried: %+v", r, got)
		}
	}
}

func TestNextMatchesDecide(t *testing.T) {
	push := PushPolicy()
	for attempt := 1; attempt <= 10; attempt++ {
		res := failed(KindStatus, 503)
		wait, retry := push.Next(attempt, res)
		if retry != (attempt < 10) {
			t.Fatalf("attempt %d: retry = %v", attempt, retry)
		}
		if wait < 0 || wait > push.ceiling(attempt-1) {
			t.Fatalf("attempt %d: wait %v outside [0, %v]", attempt, wait, push.ceiling(attempt-1))
		}
	}
	if wait, retry := (*RetryPolicy)(nil).Next(1, failed(KindTimeout, 0)); retry || wait != 0 {
		t.Errorf("nil policy: %v, %v", wait, retry)
	}
}

func TestPlan(t *testing.T) {
	now := time.Now()
	slow := &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(time.Hour), MaxInterval: Duration(2 * time.Hour)}
	res := failed(KindStatus, 503)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	soon, cancelSoon := context.WithDeadline(context.Background(), now.Add(10*time.Minute))
	defer cancelSoon()
	late, cancelLate := context.WithDeadline(context.Background(), now.Add(time.Hour))
	defer cancelLate()
	tests := []struct {
		name   string
		ctx    context.Context
		res    *Result
		retry  bool
		reason string
	}{
		{"no deadline", context.Background(), res, true, "status 503 is retryable"},
		{"deadline after the wait", late, res, true, "status 503 is retryable"},
		{"deadline before the wait", soon, res, false, "stopped: the deadline is 10m0s away, before the next attempt in 30m0s"},
		{"canceled", canceled, res, false, "stopped: context canceled"},
		{"not retryable anyway", canceled, failed(KindBlocked, 0), false, "kind blocked is never retried"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slow.plan(tt.ctx, fixedEnv(t, 0.5, now), 1, tt.res)
			if got.Retry != tt.retry || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("plan = %+v, want retry %v, reason containing %q", got, tt.retry, tt.reason)
			}
			if got.Retry && time.Duration(got.Wait) != 30*time.Minute {
				t.Errorf("wait = %v, want 30m", got.Wait)
			}
		})
	}
}

func TestClampToDeadline(t *testing.T) {
	now := time.Now()
	env := fixedEnv(t, 0, now)
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(time.Minute))
	defer cancel()
	tests := []struct {
		ctx  context.Context
		wait time.Duration
		want time.Duration
		ok   bool
	}{
		{context.Background(), time.Hour, time.Hour, true},
		{ctx, 0, 0, true},
		{ctx, 59 * time.Second, 59 * time.Second, true},
		{ctx, time.Minute, time.Minute, false},
		{ctx, time.Hour, time.Minute, false},
	}
	for _, tt := range tests {
		got, ok := env.clampToDeadline(tt.ctx, tt.wait)
		if got != tt.want || ok != tt.ok {
			t.Errorf("clampToDeadline(%v) = %v, %v; want %v, %v", tt.wait, got, ok, tt.want, tt.ok)
		}
	}
	past := fixedEnv(t, 0, now.Add(2*time.Minute))
	if got, ok := past.clampToDeadline(ctx, time.Second); got != 0 || ok {
		t.Errorf("deadline passed: %v, %v; want 0, false", got, ok)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		p    *RetryPolicy
		want []string
	}{
		{nil, nil},
		{PushPolicy(), nil},
		{&RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(time.Second), MaxInterval: Duration(time.Second), Multiplier: 1}, nil},
		{&RetryPolicy{InitialInterval: -1, MaxInterval: -1}, []string{"retry.initialInterval", "retry.maxInterval"}},
		{&RetryPolicy{Multiplier: 0.5}, []string{"retry.multiplier"}},
		{&RetryPolicy{Multiplier: -2}, []string{"retry.multiplier"}},
		{&RetryPolicy{Multiplier: math.NaN()}, []string{"retry.multiplier"}},
		{&RetryPolicy{Multiplier: math.Inf(1)}, []string{"retry.multiplier"}},
		{&RetryPolicy{InitialInterval: Duration(time.Hour)}, []string{"retry.initialInterval"}},
		{&RetryPolicy{InitialInterval: Duration(time.Minute), MaxInterval: Duration(time.Second)}, []string{"retry.initialInterval"}},
	}
	for _, tt := range tests {
		var e ConfigError
		tt.p.check(&e)
		var got []string
		for _, p := range e.Problems {
			got = append(got, p.Field)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("check(%+v) = %v, want %v", tt.p, e.Problems, tt.want)
		}
	}
}

func TestRetryPolicyJSON(t *testing.T) {
	in := `{"maxAttempts":4,"initialInterval":"250ms","maxInterval":"30s","multiplier":1.5,"retryOnErrorCode":true,"jitter":"none","stopOnCodes":["insufficient_quota"]}`
	var p RetryPolicy
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	want := RetryPolicy{MaxAttempts: 4, InitialInterval: Duration(250 * time.Millisecond), MaxInterval: Duration(30 * time.Second), Multiplier: 1.5, RetryOnErrorCode: true,
		Jitter: JitterNone, StopOnCodes: []string{"insufficient_quota"}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("decoded %+v, want %+v", p, want)
	}
	out, err := json.Marshal(p)
	if err != nil || string(out) != in {
		t.Errorf("encoded %s (%v), want %s", out, err, in)
	}
	var ms RetryPolicy
	if err := json.Unmarshal([]byte(`{"maxAttempts":2,"initialInterval":1500}`), &ms); err != nil || ms.initial() != 1500*time.Millisecond {
		t.Errorf("milliseconds: %+v, %v", ms, err)
	}
}

func TestPushNode(t *testing.T) {
	n := PushNode("https://hooks.invalid/orders", "record")
	if n.method() != "POST" || n.timeout() != 10*time.Second || n.Object != "record" || !n.Sign {
		t.Errorf("PushNode = %+v", n)
	}
	if len(n.Success.Codes) != 1 || n.Success.Codes[0] != 200 {
		t.Errorf("success codes %v, want [200]", n.Success.Codes)
	}
	if n.Retry.attempts() != 10 || n.Retry.initial() != time.Second || n.Retry.maxInterval() != 5*time.Minute || n.Retry.multiplier() != 2 {
		t.Errorf("push policy %+v", n.Retry)
	}
	if a, b := PushPolicy(), PushPolicy(); a == b {
		t.Error("PushPolicy shares one value between callers")
	}
}

// Fault injection: the attempt loop against loopback servers that fail in
// the ways real receivers do. Back-off waits go through an injected
// retryEnv, so no test sleeps for a back-off.

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
	start := time.Now() // before the cancel is scheduled: run's own clock starts later
	time.AfterFunc(200*time.Millisecond, cancel)
	node := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 3, InitialInterval: Duration(time.Minute)}}
	res, f, elapsed := run(t, ctx, c, node, nil)
	require.NotNil(t, f)
	assert.Equal(t, KindCanceled, f.Kind)
	assert.ErrorIs(t, f, context.Canceled)
	assert.Equal(t, 1, srv.count())
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
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

// TestCanceledBeforeRetry: a cancellation that lands after an answer was
// read but before the retry decision is kind canceled, keeping the status.
func TestCanceledBeforeRetry(t *testing.T) {
	srv := scripted(t, status(503))
	c := testClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.retryEnv = &retryEnv{rand: func() float64 { cancel(); return 0.5 }, now: time.Now, sleep: throttle.Sleep}
	node := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 3}}
	res, err := c.Execute(ctx, node, nil)
	require.Error(t, err)
	assert.Equal(t, KindCanceled, res.Failure.Kind)
	assert.Equal(t, 503, res.Failure.StatusCode)
	assert.Equal(t, 1, srv.count())
	assert.False(t, res.Attempts[0].Retry.Retry)
}

// TestStopOnCodesNeedPath: stopOnCodes are read at success.errorCodePath,
// so a node without one is told so before anything is sent.
func TestStopOnCodesNeedPath(t *testing.T) {
	var ce *ConfigError
	require.ErrorAs(t, (&NodeConfig{URL: "https://x.test", Retry: &RetryPolicy{MaxAttempts: 3, StopOnCodes: []string{"insufficient_quota"}}}).Validate(), &ce)
	assert.Equal(t, "retry.stopOnCodes", ce.Problems[0].Field)
	assert.Contains(t, ce.Problems[0].Message, "success.errorCodePath")
}
