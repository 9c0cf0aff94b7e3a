package httpstep

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestCtxValue: a ctxValue answers its own key, passes every other lookup,
// the deadline and the cancellation (with its cause) through to its parent,
// as context.WithValue does.
func TestCtxValue(t *testing.T) {
	type other struct{}
	parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), other{}, "parent's"))
	deadline, stop := context.WithDeadline(parent, time.Now().Add(time.Hour))
	defer stop()
	v := 42
	c := &ctxValue[hopsKey, *int]{Context: deadline, v: &v}

	assert.Same(t, &v, c.Value(hopsKey{}))
	assert.Equal(t, "parent's", c.Value(other{}))
	assert.Nil(t, c.Value(traceKey{}))
	d, ok := c.Deadline()
	assert.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(time.Hour), d, time.Minute)

	child, done := context.WithCancel(c)
	defer done()
	assert.Same(t, &v, child.Value(hopsKey{}))
	assert.NoError(t, child.Err())
	cancel(errAttemptTimeout)
	select {
	case <-child.Done():
	case <-time.After(time.Second):
		t.Fatal("a context derived from a ctxValue did not end with its parent")
	}
	assert.ErrorIs(t, context.Cause(child), errAttemptTimeout)
}

// TestRequestCtx: a round trip's context answers the hop log, the secrets
// and the signer of its request; a request without a signer passes that key
// to its parent (an outer request's), and every other key too.
func TestRequestCtx(t *testing.T) {
	type other struct{}
	outer := &outgoing{}
	parent := context.WithValue(context.WithValue(context.Background(), other{}, "parent's"), signerKey{}, outer)
	s := &secrets{}
	ctx, hops := withHops(parent, &outgoing{secrets: s})
	assert.Same(t, hops, ctx.Value(hopsKey{}))
	assert.Same(t, s, secretsOf(ctx))
	assert.Same(t, outer, ctx.Value(signerKey{}), "no signer of its own: the parent's")
	assert.Equal(t, "parent's", ctx.Value(other{}))

	signing := &outgoing{secrets: s, signer: &awsSigner{}}
	ctx, _ = withHops(parent, signing)
	assert.Same(t, signing, ctx.Value(signerKey{}))
}
