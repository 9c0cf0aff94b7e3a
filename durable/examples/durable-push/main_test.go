package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/durable"
	"github.com/httpstep/httpstep/durable/internal/riverweb"
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
	if err := run(context.Background(), &out, os.Args[0], ""); err != nil {
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

// TestUI: River's web UI answers on the queue's database with the
// deliveries it holds.
func TestUI(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q, err := durable.OpenSQLite(ctx, filepath.Join(t.TempDir(), "q.db"), durable.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if _, err := q.Enqueue(ctx, httpstep.PushNode("http://127.0.0.1:9/", "record"), purchase); err != nil {
		t.Fatal(err)
	}
	h, err := riverweb.Handler(ctx, q.DB())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + riverweb.Prefix + "/api/jobs?state=available")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"kind":"httpstep_delivery"`) {
		t.Errorf("GET jobs: %s %s", resp.Status, body)
	}
	if err := serveUI(ctx, io.Discard, "x.db", "0.0.0.0:8080"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("serveUI on a public address: %v", err)
	}
}
