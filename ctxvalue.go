package httpstep

import "context"

// ctxValue is a context carrying one value under the zero K, as
// context.WithValue does, but a struct field rather than an allocation of
// its own: a per-request value that holds its carrier (a trace, a hop log)
// saves one allocation per request. Everything but Value is the parent's,
// so contexts derived from it see the parent's cancellation as directly as
// through context.WithValue.
type ctxValue[K comparable] struct {
	context.Context
	v any
}

// Value implements context.Context.
func (c *ctxValue[K]) Value(key any) any {
	var k K
	if key == any(k) {
		return c.v
	}
	return c.Context.Value(key)
}
