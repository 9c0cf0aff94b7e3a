package durable

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

var order = httpstep.Values{"record": map[string]any{"id": 42, "total": "19.90"}}

func TestDeliveryRetriedUntilSuccessKeepsOneIdentity(t *testing.T) {
	rcv := newReceiver(t, 500, 503, 429, 200)
	q := openSQLiteT(t, "", fastConfig())
	ctx := context.Background()
	id, err := q.Enqueue(ctx, fastPush(rcv.URL, 10), order)
	require.NoError(t, err)
	startT(t, q)

	d := waitState(t, q, id, StateDelivered, 10*time.Second)
	assert.Equal(t, 4, rcv.requests())
	assert.Equal(t, []int{1, 2, 3, 4}, numbers(d.Attempts))
	assert.Nil(t, d.Failure)
	for i := range rcv.keys {
		assert.Equal(t, rcv.keys[0], rcv.keys[i], "attempt %d's Idempotency-Key", i+1)
		assert.Equal(t, rcv.ids[0], rcv.ids[i], "attempt %d's webhook-id", i+1)
		assert.JSONEq(t, `{"id":42,"total":"19.90"}`, rcv.bodies[i])
	}
	assert.Regexp(t, `^"[0-9a-f-]{36}"$`, rcv.keys[0])
	assert.Regexp(t, `^msg_[A-Z2-7]{26}$`, rcv.ids[0])
	assert.True(t, d.Attempts[0].Retry.Retry)
	assert.Equal(t, 200, d.Attempts[3].Response.Status)
}
