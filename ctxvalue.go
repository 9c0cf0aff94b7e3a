package httpstep

import "context"

// ctxValue is a context carrying one value under the zero K, as
// context.WithValue does, but a struct field rather than an allocation of
// its own: a per-request value that holds its carrier (a trace) saves one
// allocation per request (requestCtx does the same for three values). Everything but Value is the parent's,
// so contexts derived from it see the parent's cancellation as directly as
// through context.WithValue.
//
// V is the value's type, so that a pointer takes 8 bytes in the carrier,
// not an interface's 16.
type ctxValue[K comparable, V any] struct {
	context.Context
	v V
}

// Value implements context.Context.
func (c *ctxValue[K, V]) Value(key any) any {
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
