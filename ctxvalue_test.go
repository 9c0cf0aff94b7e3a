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
	c := &ctxValue[hopsKey]{Context: deadline, v: &v}

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
