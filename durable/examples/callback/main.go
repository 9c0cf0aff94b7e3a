// Command callback shows a delivery that waits for the API to call back,
// offline, across a restart.
//
// The program starts a loopback "transcoding" API that accepts a job
// carrying a callback URL, answers 202, and calls the URL two seconds
// later with the job's outcome, signed with a secret it shares with the
// host (Standard Webhooks). Then it runs the host twice as separate
// processes on one SQLite file, as a deploy would; both serve
// Queue.CallbackHandler on the same listening socket, which they inherit:
//
//   - run 1 enqueues the job, sees the delivery "waiting" and exits:
//     nothing in the process holds it, only a row in the file;
//
//   - run 2 opens the same file while the delivery waits; the API's call
//     arrives there, is verified and applied, and run 2 prints the result
//     and the history.
//
//     go run ./examples/callback
//     go run ./examples/callback -ui 127.0.0.1:8080   # between the runs, River's web UI shows what waits
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/durable"
	"github.com/httpstep/httpstep/durable/internal/riverweb"
)

// secret is shared by the API and the host. It is the sample secret of the
// Standard Webhooks documentation; issue your own.
const secret httpstep.Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// childEnv marks a process the program started as one of its runs.
const childEnv = "DURABLE_CALLBACK_RUN"

// hooksFD is the file descriptor of the inherited listening socket.
const hooksFD = 3

func main() {
	var err error
	if os.Getenv(childEnv) != "" {
		err = runOnce(context.Background(), os.Stdout, os.Args[1:])
	} else {
		ui := flag.String("ui", "", "between the runs, serve River's web UI on this loopback address, e.g. 127.0.0.1:8080")
		flag.Parse()
		err = run(context.Background(), os.Stdout, os.Args[0], *ui)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run starts the API and the callback socket, then the two runs of the
// host as processes of self, and prints what the API did. With ui set, it
// serves River's web UI between the runs, until interrupted.
func run(ctx context.Context, w io.Writer, self, ui string) error {
	api, url, stop, err := serveAPI()
	if err != nil {
		return err
	}
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	hooks, err := ln.(*net.TCPListener).File()
	if err != nil {
		return err
	}
	defer hooks.Close()
	dir, err := os.MkdirTemp("", "durable-callback-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "deliveries.db")
	base := "http://" + ln.Addr().String() + "/callback"
	for _, phase := range []string{"1", "2"} {
		cmd := exec.CommandContext(ctx, self, "-db", db, "-api", url, "-base", base, "-run", phase)
		cmd.Env = append(os.Environ(), childEnv+"=1")
		cmd.Stdout, cmd.Stderr = w, os.Stderr
		cmd.ExtraFiles = []*os.File{hooks} // fd 3 in the child
		if phase == "2" {
			if err := between(ctx, w, db, ui); err != nil {
				return err
			}
			api.open() // the API may call back from now on
		}
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run %s: %w", phase, err)
		}
	}
	api.settle()
	fmt.Fprintf(w, "\nAPI: %s\n", api.summary())
	return nil
}

// between serves River's web UI on the file, when asked, until Ctrl-C.
func between(ctx context.Context, w io.Writer, db, ui string) error {
	if ui == "" {
		return nil
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	fmt.Fprintln(w, "\nThe delivery's River job is completed; what River holds while it waits is its scheduled httpstep_callback_timeout job.")
	return riverweb.Serve(ctx, w, db, ui)
}

// runOnce is one run of the host: "1" enqueues and exits once the delivery
// waits, "2" serves the call back and prints the result.
func runOnce(ctx context.Context, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("callback", flag.ContinueOnError)
	db := fs.String("db", "", "SQLite file of the queue")
	api := fs.String("api", "", "the API's jobs URL")
	base := fs.String("base", "", "Config.CallbackURL")
	phase := fs.String("run", "1", "1 = enqueue and exit while waiting, 2 = serve the call back")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q, err := durable.OpenSQLite(ctx, *db, durable.Config{
		Client:      &httpstep.Client{AllowPrivate: true}, // the API is on loopback
		Poll:        20 * time.Millisecond,
		CallbackURL: *base,
		Secrets:     func(context.Context, string) (httpstep.Secret, error) { return secret, nil },
	})
	if err != nil {
		return err
	}
	defer q.Close(ctx)
	stop, err := serveHooks(q)
	if err != nil {
		return err
	}
	defer stop()
	if err := q.Start(ctx); err != nil {
		return err
	}
	if *phase == "1" {
		return first(ctx, w, q, *api)
	}
	return second(ctx, w, q)
}

// serveHooks serves the Queue's CallbackHandler on the inherited socket.
func serveHooks(q *durable.Queue) (func(), error) {
	ln, err := net.FileListener(os.NewFile(hooksFD, "hooks"))
	if err != nil {
		return nil, fmt.Errorf("the callback socket (fd %d): %w", hooksFD, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/callback/", q.CallbackHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return func() { // let a call in progress get its answer, at most 5 s
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// transcode is the node: ask the API for a job and wait for its call back,
// which must be signed with the secret at {{org.callbackSecret}}.
func transcode(api string) *httpstep.NodeConfig {
	return &httpstep.NodeConfig{
		Method: "POST",
		URL:    api,
		Body: &httpstep.Body{Kind: httpstep.BodyRaw, ContentType: "application/json",
			Raw: `{"video":"{{video}}","callback":"{{$callback.url}}"}`},
		Callback: &httpstep.Callback{Timeout: httpstep.Duration(time.Hour), Secret: "{{org.callbackSecret}}"},
	}
}

// first enqueues the job and exits once the delivery waits.
func first(ctx context.Context, w io.Writer, q *durable.Queue, api string) error {
	id, err := q.Enqueue(ctx, transcode(api), httpstep.Values{
		"video": "launch-teaser",
		"org":   map[string]any{"callbackSecret": secret},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Run 1 (pid %d): enqueued delivery %d\n", os.Getpid(), id)
	d, err := await(ctx, q, id, durable.StateWaiting)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Run 1: delivery %d %s (the API answered %d; deadline %s); exiting\n",
		id, d.State, d.Attempts[0].Response.Status, d.Next.Format(time.TimeOnly))
	return nil
}

// second finds the delivery waiting, serves the call and prints it.
func second(ctx context.Context, w io.Writer, q *durable.Queue) error {
	const id = 1 // the first delivery in a new file
	d, err := q.Delivery(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Run 2 (pid %d): found delivery %d %s; serving the callback URL\n", os.Getpid(), id, d.State)
	if d, err = await(ctx, q, id, durable.StateDelivered); err != nil {
		return err
	}
	fmt.Fprintf(w, "Run 2: delivery %d %s: status %s, output %s (%ss)\n\nHistory across both runs:\n", id, d.State,
		d.Result.Get("status"), d.Result.Get("output.url"), d.Result.Get("output.durationSeconds"))
	printHistory(w, d.Attempts)
	return nil
}

// await polls the delivery until it reaches state, for at most 10 seconds.
func await(ctx context.Context, q *durable.Queue, id int64, state string) (*durable.Delivery, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		d, err := q.Delivery(ctx, id)
		if err != nil || d.State == state {
			return d, err
		}
		if d.State == durable.StateFailed {
			return nil, fmt.Errorf("delivery %d failed: %v", id, d.Failure)
		}
		select {
		case <-ctx.Done():
			return nil, errors.New("the delivery did not become " + state + " within 10s")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// printHistory prints one line per attempt: the request, then the call.
func printHistory(w io.Writer, attempts []httpstep.Attempt) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  N\twhat\tmethod\tURL\tstatus\tbody")
	for _, a := range attempts {
		what, status := "request", "-"
		if a.Callback {
			what = "callback"
		}
		if a.Response != nil {
			status = fmt.Sprint(a.Response.Status)
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", a.N, what, a.Request.Method, a.Request.URL, status, a.Request.Body)
	}
	tw.Flush()
}
