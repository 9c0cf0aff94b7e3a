package httpstep

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
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
