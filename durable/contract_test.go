package durable_test

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/durable"
)

// This file pins the names ../shared/DESIGN.md fixes for the durable module
// to their exact signatures and field types.

var (
	_ func(context.Context, string, durable.Config) (*durable.Queue, error)                       = durable.OpenSQLite
	_ func(context.Context, *pgxpool.Pool, durable.Config) (*durable.Queue, error)                = durable.OpenPostgres
	_ func(*durable.Queue, context.Context) error                                                 = (*durable.Queue).Start
	_ func(*durable.Queue, context.Context) error                                                 = (*durable.Queue).Stop
	_ func(*durable.Queue, context.Context, *httpstep.NodeConfig, httpstep.Values) (int64, error) = (*durable.Queue).Enqueue
	_ func(*durable.Queue, context.Context, int64) (*durable.Delivery, error)                     = (*durable.Queue).Delivery

	_ = durable.Config{
		Client:  (*httpstep.Client)(nil),
		Secrets: func(ctx context.Context, ref string) (httpstep.Secret, error) { return "", nil },
		Files:   func(ctx context.Context, ref string) (httpstep.File, error) { return httpstep.File{}, nil },
		Workers: 0,
	}
	_ = durable.Delivery{ID: int64(0), State: "", Attempts: []httpstep.Attempt{}, Failure: (*httpstep.Failure)(nil)}
	_ = durable.Queue{}
)
