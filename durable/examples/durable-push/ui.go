package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"riverqueue.com/riverui"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/durable"
)

// uiPrefix is where River's web UI is mounted.
const uiPrefix = "/riverui"

// uiHandler returns River's web UI on the queue database db, mounted at
// uiPrefix, through a River client of its own that only reads and
// administers jobs. It runs until ctx ends.
func uiHandler(ctx context.Context, db *sql.DB) (http.Handler, error) {
	discard := slog.New(slog.DiscardHandler)
	client, err := river.NewClient(riversqlite.New(db), &river.Config{Logger: discard})
	if err != nil {
		return nil, err
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil),
		Logger:    discard,
		Prefix:    uiPrefix,
	})
	if err != nil {
		return nil, err
	}
	if err := h.Start(ctx); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(uiPrefix+"/", h)
	return mux, nil
}

// serveUI serves River's web UI for the deliveries in the SQLite file db on
// addr, which must be a loopback address, until the program is interrupted.
func serveUI(ctx context.Context, w io.Writer, db, addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return fmt.Errorf("-ui %q: give a loopback address and port, such as 127.0.0.1:8080", addr)
	}
	q, err := durable.OpenSQLite(ctx, db, durable.Config{Client: &httpstep.Client{}})
	if err != nil {
		return err
	}
	defer q.Close(ctx)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	h, err := uiHandler(ctx, q.DB())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Fprintf(w, "\nRiver UI: http://%s%s/ (Ctrl-C to stop)\n", addr, uiPrefix)
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
