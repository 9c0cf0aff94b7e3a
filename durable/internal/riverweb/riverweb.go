// Package riverweb serves River's web UI (riverui) on a queue's SQLite
// database for the examples, on loopback only. The durable package does
// not import it, so riverui stays out of a host's build.
package riverweb

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"riverqueue.com/riverui"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/durable"
)

// Prefix is where River's web UI is mounted.
const Prefix = "/riverui"

// Handler returns River's web UI on the queue database db, mounted at
// Prefix, through a River client of its own that only reads and
// administers jobs. It runs until ctx ends.
func Handler(ctx context.Context, db *sql.DB) (http.Handler, error) {
	discard := slog.New(slog.DiscardHandler)
	client, err := river.NewClient(riversqlite.New(db), &river.Config{Logger: discard})
	if err != nil {
		return nil, err
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil),
		Logger:    discard,
		Prefix:    Prefix,
	})
	if err != nil {
		return nil, err
	}
	if err := h.Start(ctx); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", h)
	return mux, nil
}

// Serve serves River's web UI for the queue in the SQLite file db on addr,
// which must be a loopback address, until ctx ends.
func Serve(ctx context.Context, w io.Writer, db, addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return fmt.Errorf("-ui %q: give a loopback address and port, such as 127.0.0.1:8080", addr)
	}
	q, err := durable.OpenSQLite(ctx, db, durable.Config{Client: &httpstep.Client{}})
	if err != nil {
		return err
	}
	defer q.Close(ctx)
	h, err := Handler(ctx, q.DB())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Fprintf(w, "\nRiver UI: http://%s%s/ (Ctrl-C to go on)\n", addr, Prefix)
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
