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

// requestCtx is the context of one round trip's request, carrying the
// request's values under their keys in the allocation of its hop log, as
// ctxValue does for one: the hop log (hopsKey), the run's secrets
// (secretsKey) and, when the node signs its redirect hops, the outgoing
// that signs (signerKey; without one, the key is the parent's).
type requestCtx struct {
	context.Context
	hops    *hopLog
	secrets *secrets
	signer  *outgoing
}

// Value implements context.Context.
func (c *requestCtx) Value(key any) any {
	switch key.(type) {
	case hopsKey:
		return c.hops
	case secretsKey:
		return c.secrets
	case signerKey:
		if c.signer != nil {
			return c.signer
		}
	}
	return c.Context.Value(key)
}
