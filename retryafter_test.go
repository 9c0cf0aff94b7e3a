package httpstep

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(1994, 11, 6, 8, 48, 7, 0, time.UTC) // 90s before the dates below
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 120 * time.Second, true},
		{"0", 0, true},
		{" 5 ", 5 * time.Second, true},
		{"007", 7 * time.Second, true},
		{"9223372036", 9223372036 * time.Second, true},             // the largest whole-second Duration
		{"9223372037", math.MaxInt64, true},                        // one more saturates
		{"99999999999999999999999999", math.MaxInt64, true},        // far beyond int64
		{"Sun, 06 Nov 1994 08:49:37 GMT", 90 * time.Second, true},  // IMF-fixdate
		{"Sunday, 06-Nov-94 08:49:37 GMT", 90 * time.Second, true}, // RFC 850
		{"Sun Nov  6 08:49:37 1994", 90 * time.Second, true},       // asctime
		{"Sun, 06 Nov 1994 08:00:00 GMT", 0, true},                 // in the past
		{"Thu, 01 Jan 1970 00:00:00 GMT", 0, true},
		{"", 0, false},
		{"   ", 0, false},
		{"-5", 0, false},
		{"+5", 0, false},
		{"1.5", 1500 * time.Millisecond, true}, // decimal seconds, as Shopify sends them
		{"2.0", 2 * time.Second, true},
		{"0.25", 250 * time.Millisecond, true},
		{"1.0000000001", time.Second + 1, true}, // finer than a nanosecond rounds up
		{"1.", 0, false},
		{".5", 0, false},
		{"1.5.2", 0, false},
		{"-1.5", 0, false},
		{"1,5", 0, false},
		{"5s", 0, false},
		{"0x10", 0, false},
		{"soon", 0, false},
		{"１２", 0, false}, // full-width digits
		{"Sun, 06 Nov 1994 08:49:37 PST", 0, false},
		{"2025-03-01T12:00:00Z", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"120", "0", "-1", "99999999999999999999", "Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Fri, 31 Dec 9999 23:59:59 GMT", "garbage", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, negative", s, d)
		}
		if !ok && d != 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, false; want 0 when false", s, d)
		}
	})
}

// TestParseRetryAfterForms: the three forms a server writes, from a fixed
// now (this was the example of the exported ParseRetryAfter, which hosts
// never needed: RetryPolicy.Next reads the header for them).
func TestParseRetryAfterForms(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"120": 2 * time.Minute, "Sat, 01 Mar 2025 12:00:30 GMT": 30 * time.Second} {
		d, ok := parseRetryAfter(v, now)
		if !ok || d != want {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, true", v, d, ok, want)
		}
	}
	if d, ok := parseRetryAfter("-5", now); ok || d != 0 {
		t.Errorf("parseRetryAfter(-5) = %v, %v; want 0, false", d, ok)
	}
}

func ExamplePushPolicy() {
	p, _ := json.Marshal(PushPolicy())
	fmt.Println(string(p))
	node, _ := json.Marshal(PushNode("https://hooks.invalid/purchases", "record"))
	fmt.Println(string(node))
	// Output:
	// {"maxAttempts":10}
	// {"method":"POST","url":"https://hooks.invalid/purchases","object":"record","success":{"codes":[200]},"timeout":"10s","retry":{"maxAttempts":10},"sign":true}
}

// A host with a persistent queue asks Next after each attempt instead of
// sleeping, and schedules the next one itself.
func ExampleRetryPolicy_Next() {
	p := PushPolicy()
	res := &Result{
		StatusCode: 503,
		Header:     http.Header{"Retry-After": {"7"}},
		Failure:    &Failure{Kind: KindStatus, StatusCode: 503},
	}
	for _, attempt := range []int{1, 2, 3, 10} {
		wait, retry := p.Next(attempt, res)
		fmt.Printf("after attempt %d: retry %v, wait %v\n", attempt, retry, wait)
	}
	blocked := &Result{Failure: &Failure{Kind: KindBlocked}}
	_, retry := p.Next(1, blocked)
	fmt.Println("blocked: retry", retry)
	// Output:
	// after attempt 1: retry true, wait 7s
	// after attempt 2: retry true, wait 7s
	// after attempt 3: retry true, wait 7s
	// after attempt 10: retry false, wait 0s
	// blocked: retry false
}
