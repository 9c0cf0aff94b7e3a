package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain lets the test binary play the program's runs: run starts them
// as processes of os.Args[0], marked by childEnv.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		if err := runOnce(context.Background(), os.Stdout, os.Args[1:]); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// TestRun runs the example as `go run` would: two runs in two processes on
// one SQLite file, four attempts with one identity, processed once.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, os.Args[0]); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	t.Log("\n" + text)
	for _, want := range []string{
		"Run 2 (pid ",
		"Run 2: delivery 1 delivered",
		"History across both runs (4 attempts):",
		"Receiver: 4 requests, 0 unverified, 1 Idempotency-Key, purchase processed 1 time(s)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	stopped := regexp.MustCompile(`Run 1: stopped after ([23]) failed attempts, the delivery pending\n`).FindStringSubmatch(text)
	if stopped == nil || !strings.Contains(text, "found delivery 1 pending after "+stopped[1]+" attempts") {
		t.Errorf("run 2 did not find the delivery as run 1 left it")
	}
	rows := regexp.MustCompile(`(?m)^  (\d)  +(\S+) +("[0-9a-f-]+") +(msg_\S+) `).FindAllStringSubmatch(text, -1)
	if len(rows) != 4 {
		t.Fatalf("history rows: %q", rows)
	}
	for i, r := range rows {
		want := []string{"1 503", "2 503", "3 503", "4 200"}[i]
		if r[1]+" "+r[2] != want || r[3] != rows[0][3] || r[4] != rows[0][4] {
			t.Errorf("row %d = %q, want %s with the first row's identity", i+1, r[0], want)
		}
	}
}
