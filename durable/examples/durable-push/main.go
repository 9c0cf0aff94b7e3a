// Command durable-push shows a push that survives a restart, offline.
//
// The program starts a receiver on 127.0.0.1 that refuses the first three
// deliveries (503), then runs the sender twice as separate processes on the
// same SQLite file, as a deploy would:
//
//   - run 1 opens the queue, enqueues the push and works until two attempts
//     have failed, then stops, leaving the delivery pending in the file;
//   - run 2 opens the same file, picks the delivery up where run 1 left it
//     and delivers it, then prints the history of both runs.
//
// Every attempt is signed and carries the Idempotency-Key and webhook-id
// made at Enqueue, so the receiver verifies each one and processes the
// purchase once. The retry waits are the
// push policy's, shortened from seconds to a tenth so the program runs in
// about two seconds.
//
//	go run ./examples/durable-push
//	go run ./examples/durable-push -ui 127.0.0.1:8080   # then browse the deliveries in River's web UI
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/durable"
	"github.com/httpstep/httpstep/webhook"
)

// secret is shared by the sender and the receiver. It is the sample secret
// of the Standard Webhooks documentation; issue your own per receiver.
const secret httpstep.Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// childEnv marks a process the program started as one of its runs.
const childEnv = "DURABLE_PUSH_RUN"

// purchase is the record the approval workflow pushes.
var purchase = httpstep.Values{"record": map[string]any{
	"id": "PO-2024-0117", "status": "approved", "amount": 1299.00, "currency": "EUR",
}}

func main() {
	var err error
	if os.Getenv(childEnv) != "" {
		err = runOnce(context.Background(), os.Stdout, os.Args[1:])
	} else {
		ui := flag.String("ui", "", "after the runs, serve River's web UI on this loopback address, e.g. 127.0.0.1:8080")
		flag.Parse()
		err = run(context.Background(), os.Stdout, os.Args[0], *ui)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run starts the receiver, then the two runs of the sender as processes of
// self, and prints what the receiver saw. With ui set, it then serves
// River's web UI on the deliveries until interrupted.
func run(ctx context.Context, w io.Writer, self, ui string) error {
	rcv, url, stop, err := serve(3)
	if err != nil {
		return err
	}
	defer stop()
	dir, err := os.MkdirTemp("", "durable-push-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "deliveries.db")
	for _, phase := range []string{"1", "2"} {
		cmd := exec.CommandContext(ctx, self, "-db", db, "-url", url, "-run", phase)
		cmd.Env = append(os.Environ(), childEnv+"=1")
		cmd.Stdout, cmd.Stderr = w, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run %s: %w", phase, err)
		}
	}
	fmt.Fprintf(w, "\nReceiver: %s\n", rcv.summary())
	if ui != "" {
		return serveUI(ctx, w, db, ui)
	}
	return nil
}

// runOnce is one run of the sender: "1" enqueues and stops after two
// attempts, "2" finishes the delivery and prints its history.
func runOnce(ctx context.Context, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("durable-push", flag.ContinueOnError)
	db := fs.String("db", "", "SQLite file of the queue")
	url := fs.String("url", "", "the receiver's URL")
	phase := fs.String("run", "1", "1 = enqueue and stop mid-way, 2 = finish")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q, err := durable.OpenSQLite(ctx, *db, durable.Config{
		// The receiver is on loopback; every attempt is signed (Standard Webhooks).
		Client: &httpstep.Client{AllowPrivate: true, SigningSecret: secret},
		Poll:   20 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	defer q.Close(ctx)
	if *phase == "1" {
		return first(ctx, w, q, *url)
	}
	return second(ctx, w, q)
}

// first enqueues the push, works until two attempts failed, and stops.
func first(ctx context.Context, w io.Writer, q *durable.Queue, url string) error {
	node := httpstep.PushNode(url, "record")
	node.Retry.InitialInterval = httpstep.Duration(100 * time.Millisecond)
	id, err := q.Enqueue(ctx, node, purchase)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Run 1 (pid %d): enqueued delivery %d\n", os.Getpid(), id)
	if err := q.Start(ctx); err != nil {
		return err
	}
	if _, err := await(ctx, q, id, func(d *durable.Delivery) bool { return len(d.Attempts) >= 2 }); err != nil {
		return err
	}
	if err := q.Stop(ctx); err != nil { // waits for an attempt in flight
		return err
	}
	d, err := q.Delivery(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Run 1: stopped after %d failed attempts, the delivery %s\n", len(d.Attempts), d.State)
	return nil
}

// second finishes the delivery left in the file and prints its history.
func second(ctx context.Context, w io.Writer, q *durable.Queue) error {
	const id = 1 // the first delivery in a new file
	d, err := q.Delivery(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Run 2 (pid %d): found delivery %d %s after %d attempts; starting\n", os.Getpid(), id, d.State, len(d.Attempts))
	if err := q.Start(ctx); err != nil {
		return err
	}
	d, err = await(ctx, q, id, func(d *durable.Delivery) bool { return d.State != durable.StatePending })
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Run 2: delivery %d %s\n\nHistory across both runs (%d attempts):\n", id, d.State, len(d.Attempts))
	printHistory(w, d.Attempts)
	return nil
}

// await polls the delivery until done says so, for at most 10 seconds.
func await(ctx context.Context, q *durable.Queue, id int64, done func(*durable.Delivery) bool) (*durable.Delivery, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		d, err := q.Delivery(ctx, id)
		if err != nil || done(d) {
			return d, err
		}
		select {
		case <-ctx.Done():
			return nil, errors.New("the delivery did not progress within 10s")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// printHistory prints one line per attempt.
func printHistory(w io.Writer, attempts []httpstep.Attempt) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  N\tstatus\tIdempotency-Key\twebhook-id\tdecision")
	for _, a := range attempts {
		status, decision := "-", "delivered"
		if a.Response != nil {
			status = fmt.Sprint(a.Response.Status)
		}
		if a.Retry != nil {
			decision = a.Retry.Reason
		}
		h := http.Header(a.Request.Header)
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", a.N, status, h.Get("Idempotency-Key"), h.Get(webhook.IDHeader), decision)
	}
	tw.Flush()
}
