// Command push-approved-purchase shows the product's push use case offline:
// an approved purchase is pushed to a notification URL that must answer
// HTTP 200 within the timeout, and is retried until it does.
//
// The receiver runs on 127.0.0.1 in the same process and fails the first
// three deliveries in the ways real receivers do: it is overloaded (503),
// it stalls past the sender's timeout, and it records the purchase but the
// connection resets before its answer arrives. The fourth delivery is
// verified with [webhook.Verify] (the receiver-only package) and recognised as a duplicate by its
// webhook-id and Idempotency-Key, so the purchase is processed exactly once.
// The program prints what the receiver saw, the execution history and one
// attempt as JSON.
//
//	go run ./examples/push-approved-purchase
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/httpstep/httpstep"
)

// secret is shared by the sender and the receiver. It is the sample secret
// of the Standard Webhooks documentation; issue your own per receiver.
const secret httpstep.Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// timeout replaces the push's 10 s per-attempt timeout so the stalled
// delivery costs half a second instead of ten.
const timeout = 500 * time.Millisecond

// purchase is the record the approval workflow pushes.
var purchase = httpstep.Values{"record": map[string]any{
	"id": "PO-2024-0117", "status": "approved", "amount": 1299.00, "currency": "EUR", "approvedBy": "m.keller",
}}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run starts the receiver, pushes the purchase to it and prints the story.
func run(w io.Writer) error {
	rcv := newReceiver(secret)
	url, stop, err := serve(rcv)
	if err != nil {
		return err
	}
	defer stop()

	client := &httpstep.Client{AllowPrivate: true, SigningSecret: secret} // loopback receiver
	defer client.CloseIdleConnections()
	node := httpstep.PushNode(url+"/purchase-approved", "record")
	node.Timeout = httpstep.Duration(timeout)
	node.Retry.InitialInterval = httpstep.Duration(200 * time.Millisecond)

	fmt.Fprintf(w, "Pushing purchase PO-2024-0117 to %s (up to %d attempts, %v each)\n\n", node.URL, node.Retry.MaxAttempts, timeout)
	res, err := client.Execute(context.Background(), node, purchase)
	if res == nil {
		return err
	}
	rcv.print(w)
	printHistory(w, res)
	if err != nil {
		return fmt.Errorf("push-approved-purchase: not delivered: %w", err)
	}
	fmt.Fprintf(w, "\nResult: delivered on attempt %d; the receiver processed the purchase %s.\n", len(res.Attempts), times(rcv.processedCount()))
	return printAttempt(w, res.Attempts[0])
}

// serve runs h on a loopback listener and returns its base URL and a stop
// function that closes every connection.
func serve(h http.Handler) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("push-approved-purchase: cannot listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	return "http://" + l.Addr().String(), func() { srv.Close() }, nil
}

// printHistory prints one line per attempt: what came back, and the retry
// decision with its reason and wait.
func printHistory(w io.Writer, res *httpstep.Result) {
	fmt.Fprintf(w, "Execution history (%d attempts):\n", len(res.Attempts))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  n\tstatus\toutcome\ttook\tretry\twait\treason")
	for _, a := range res.Attempts {
		status, outcome := "-", "delivered"
		if a.Response != nil {
			status = fmt.Sprint(a.Response.Status)
		}
		if a.Kind != "" {
			outcome = string(a.Kind)
		}
		retry, wait, reason := "-", "-", "HTTP 200 is the receipt"
		if a.Retry != nil {
			retry, reason = yesNo(a.Retry.Retry), a.Retry.Reason
			if a.Retry.Retry {
				wait = time.Duration(a.Retry.Wait).Round(time.Millisecond).String()
			}
		}
		took := time.Duration(a.Duration).Round(time.Millisecond)
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%v\t%s\t%s\t%s\n", a.N, status, outcome, took, retry, wait, reason)
	}
	tw.Flush()
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// printAttempt prints one attempt's history record as the host stores it.
func printAttempt(w io.Writer, a httpstep.Attempt) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nAttempt %d as JSON:\n%s\n", a.N, strings.TrimSpace(string(b)))
	return nil
}
