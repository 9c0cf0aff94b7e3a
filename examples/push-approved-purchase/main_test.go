package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestRun runs the example as `go run` would and checks its story: four
// attempts, the last delivered, the purchase processed once, and nothing
// left running.
func TestRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	t.Log("\n" + text)
	for _, want := range []string{
		"Receiver log (4 deliveries):",
		"Execution history (4 attempts):",
		"Result: delivered on attempt 4; the receiver processed the purchase once.",
		"seen before: duplicate, not processed again",
		`"reason": "status 503 is retryable"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	rows := regexp.MustCompile(`(?m)^  (\d)  +(\S+) +(\S+) `).FindAllStringSubmatch(text, -1)
	var got []string
	for _, r := range rows {
		got = append(got, r[1]+" "+r[2]+" "+r[3])
	}
	want := []string{"1 503 status", "2 - timeout", "3 200 network", "4 200 delivered"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("history rows %q, want %q", got, want)
	}
}
