package httpstep

import (
	"context"
	"log/slog"
)

// RunIdentity names, for the host's logs and traces, which node of which
// workflow execution a call serves. The host gives it through the context
// with WithRunIdentity; httpstep never makes one up and never sends it to
// the API. Every field is optional; empty fields are left out of the logs.
type RunIdentity struct {
	Workflow string // the workflow (flow, scenario) the node belongs to
	Node     string // the node's id within the workflow
	Run      string // the id of this execution of the workflow
}

// runIdentityKey is the context key of a RunIdentity.
type runIdentityKey struct{}

// WithRunIdentity returns a copy of ctx carrying id: the log records
// (Client.Logger) of every call made with it name the workflow, node and
// run. It is the one place httpstep reads a run's identity from.
func WithRunIdentity(ctx context.Context, id RunIdentity) context.Context {
	return context.WithValue(ctx, runIdentityKey{}, id)
}

// RunIdentityFrom returns the identity WithRunIdentity put in ctx, and
// whether there was one.
func RunIdentityFrom(ctx context.Context) (RunIdentity, bool) {
	id, ok := ctx.Value(runIdentityKey{}).(RunIdentity)
	return id, ok
}

// attrs appends the identity's non-empty fields to as, as log attributes.
func (id RunIdentity) attrs(as []slog.Attr) []slog.Attr {
	for _, f := range [...]struct{ k, v string }{{"workflow", id.Workflow}, {"node", id.Node}, {"run", id.Run}} {
		if f.v != "" {
			as = append(as, slog.String(f.k, f.v))
		}
	}
	return as
}
