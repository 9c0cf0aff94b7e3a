package main

import (
	"context"
	"io"
	"os"
	"os/signal"

	"github.com/httpstep/httpstep/durable/internal/riverweb"
)

// serveUI serves River's web UI for the deliveries in the SQLite file db on
// addr, which must be a loopback address, until the program is interrupted.
func serveUI(ctx context.Context, w io.Writer, db, addr string) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	return riverweb.Serve(ctx, w, db, addr)
}
