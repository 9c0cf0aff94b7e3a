package durable

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestRescueDecision: the rescuer decides as River's rescuer does.
func TestRescueDecision(t *testing.T) {
	node := fastPush("http://127.0.0.1:1/", 3) // timeout 2s: stuck from 7s on
	slow := fastPush("http://127.0.0.1:1/", 3)
	slow.Retry.InitialInterval = httpstep.Duration(time.Minute)
	slow.Retry.MaxInterval = httpstep.Duration(time.Minute)
	slow.Retry.Jitter = httpstep.JitterNone
	args := func(n *httpstep.NodeConfig) []byte {
		b, err := json.Marshal(deliveryArgs{Node: n})
		require.NoError(t, err)
		return b
	}
	for _, c := range []struct {
		name  string
		s     stuck
		state string // "" = left alone
	}{
		{"retried soon: available at once", stuck{attempt: 1, maxAttempts: 3, args: args(node), age: 8}, "available"},
		{"retried later: retryable, for River's scheduler", stuck{attempt: 1, maxAttempts: 3, args: args(slow), age: 8}, "retryable"},
		{"no attempts left", stuck{attempt: 3, maxAttempts: 3, args: args(node), age: 8}, "discarded"},
		{"cancel asked for", stuck{attempt: 1, maxAttempts: 3, args: args(node), age: 8, cancelled: true}, "cancelled"},
		{"within its own timeout", stuck{attempt: 1, maxAttempts: 3, args: args(node), age: 6.9}, ""},
		{"arguments that do not decode: River's", stuck{attempt: 1, maxAttempts: 3, args: []byte(`[`), age: 8}, ""},
		{"no node: River's", stuck{attempt: 1, maxAttempts: 3, args: []byte(`{}`), age: 8}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			state, wait, ok := c.s.decide()
			assert.Equal(t, c.state != "", ok)
			assert.Equal(t, c.state, state)
			assert.GreaterOrEqual(t, wait, time.Duration(0))
			if c.state == "available" {
				assert.LessOrEqual(t, wait, schedulerInterval)
			}
		})
	}
}

// TestRescueEvery: a tenth of RescueAfter, from 500 ms to 5 s.
func TestRescueEvery(t *testing.T) {
	assert.Equal(t, 500*time.Millisecond, rescueEvery(time.Second))
	assert.Equal(t, 700*time.Millisecond, rescueEvery(7*time.Second))
	assert.Equal(t, 5*time.Second, rescueEvery(DefaultRescueAfter))
}
