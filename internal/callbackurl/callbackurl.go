// Package callbackurl carries the URL that {{$callback.url}} renders from
// the durable queue to the core. It is internal by design: only the queue,
// which mints a one-use token per delivery and serves the handler behind
// it, may give a callback node its URL, so a host cannot run such a node
// outside the queue by accident.
package callbackurl

import "context"

// key is the context key of the URL.
type key struct{}

// With returns a copy of ctx carrying url as the callback URL of the run.
func With(ctx context.Context, url string) context.Context {
	return context.WithValue(ctx, key{}, url)
}

// From returns the callback URL ctx carries, and whether it carries one.
// An empty URL counts as none.
func From(ctx context.Context) (string, bool) {
	u, _ := ctx.Value(key{}).(string)
	return u, u != ""
}
