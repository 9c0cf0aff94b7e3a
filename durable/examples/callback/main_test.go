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
	"time"

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

// TestRun runs the example as `go run` would: run 1 exits while the
// delivery waits, the API's signed call reaches run 2, once.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, os.Args[0], ""); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	t.Log("\n" + text)
	for _, want := range []string{
		"Run 1: delivery 1 waiting (the API answered 202",
		"Run 2 (pid ",
		"found delivery 1 waiting",
		"Run 2: delivery 1 delivered: status succeeded, output https://cdn.example.invalid/launch-teaser.mp4 (93s)",
		`"callback":"[REDACTED]"`,
		"/callback/[REDACTED]  200",
		"API: 1 job(s), 1 callback attempt(s), answered [200]",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	pids := regexp.MustCompile(`Run \d \(pid (\d+)\)`).FindAllStringSubmatch(text, -1)
	if len(pids) != 2 || pids[0][1] == pids[1][1] {
		t.Errorf("the runs are not two processes: %q", pids)
	}
}

// TestUIShowsWaiting: while a delivery waits, River's web UI lists its
// scheduled timeout job.
func TestUIShowsWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api, url, stop, err := serveAPI()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	q, err := durable.OpenSQLite(ctx, filepath.Join(t.TempDir(), "q.db"), durable.Config{
		Client: &httpstep.Client{AllowPrivate: true}, Poll: 20 * time.Millisecond, CallbackURL: "http://127.0.0.1:9/callback",
		Secrets: func(context.Context, string) (httpstep.Secret, error) { return secret, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := q.Enqueue(ctx, transcode(url), httpstep.Values{"video": "v", "org": map[string]any{"callbackSecret": secret}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := await(ctx, q, id, durable.StateWaiting); err != nil {
		t.Fatal(err)
	}
	h, err := riverweb.Handler(ctx, q.DB())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + riverweb.Prefix + "/api/jobs?state=scheduled")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"kind":"httpstep_callback_timeout"`) {
		t.Errorf("GET scheduled jobs: %s %s", resp.Status, body)
	}
	if sum := api.summary(); !strings.HasPrefix(sum, "1 job(s), 0 callback") {
		t.Errorf("API: %s", sum)
	}
}
