package httpstep

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/throttle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTruncatedJSONNoBusinessCode: a body cut short cannot confirm a
// business code, even when the code it still holds reads as success.
func TestTruncatedJSONNoBusinessCode(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":0,"msg":"accepted","id":`)
	})
	node := &NodeConfig{URL: srv.URL, Success: SuccessRule{ErrorCodePath: "code", SuccessValues: []string{"0"}}}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.Error(t, err)
	assert.Equal(t, KindErrorCode, res.Failure.Kind)
	assert.Contains(t, res.Failure.Message, "not complete JSON")
}

// TestCanceledBeforeRetry: a cancellation that lands after an answer was
// read but before the retry decision is kind canceled, keeping the status.
func TestCanceledBeforeRetry(t *testing.T) {
	srv := scripted(t, status(503))
	c := testClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.retryEnv = &retryEnv{rand: func() float64 { cancel(); return 0.5 }, now: time.Now, sleep: throttle.Sleep}
	node := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 3}}
	res, err := c.Execute(ctx, node, nil)
	require.Error(t, err)
	assert.Equal(t, KindCanceled, res.Failure.Kind)
	assert.Equal(t, 503, res.Failure.StatusCode)
	assert.Equal(t, 1, srv.count())
	assert.False(t, res.Attempts[0].Retry.Retry)
}
