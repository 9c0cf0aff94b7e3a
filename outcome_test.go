package httpstep

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSignedPagesOwnIdentity: every page of a signed pull is a message of
// its own, with its own webhook-id and Idempotency-Key, so a receiver that
// deduplicates on webhook-id (as Verify's doc tells it to) keeps every page.
func TestSignedPagesOwnIdentity(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if n, _ := strconv.Atoi(r.URL.Query().Get("page")); n <= 3 {
			fmt.Fprintf(w, `{"items":[%d]}`, n)
			return
		}
		io.WriteString(w, `{"items":[]}`)
	})
	c := testClient(t)
	c.SigningSecret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	node := &NodeConfig{Method: "POST", URL: srv.URL, Sign: true,
		Paginate: &Pagination{Mode: PaginatePage, Param: "page", ItemsPath: "items"}}
	res, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `[1,2,3]`, string(res.Body))
	ids, keys := map[string]bool{}, map[string]bool{}
	for _, r := range srv.reqs {
		ids[r.Header.Get(WebhookIDHeader)] = true
		keys[r.Header.Get(idempotencyHeader)] = true
		require.NoError(t, Verify(c.SigningSecret, r.Header, r.Body, 0, time.Now()))
	}
	assert.Len(t, ids, 4, "one webhook-id per page")
	assert.Len(t, keys, 4, "one Idempotency-Key per page")
}

// TestOwnIdentityKept: a node that sets its own Idempotency-Key and
// webhook-id keeps them on every attempt and signs with that webhook-id.
func TestOwnIdentityKept(t *testing.T) {
	srv := scripted(t, status(503), status(503), status(200))
	c := testClient(t)
	c.SigningSecret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	stubEnv(c, 0, nil)
	node := PushNode(srv.URL, "record")
	node.Headers = []KeyValue{{Key: "Idempotency-Key", Value: "delivery-{{record.id}}"}, {Key: "webhook-id", Value: "msg_{{record.id}}"}}
	_, err := c.Execute(context.Background(), node, Values{"record": map[string]any{"id": 42}})
	require.NoError(t, err)
	require.Equal(t, 3, srv.count())
	for _, r := range srv.reqs {
		assert.Equal(t, "delivery-42", r.Header.Get(idempotencyHeader))
		assert.Equal(t, "msg_42", r.Header.Get(WebhookIDHeader))
		assert.NoError(t, Verify(c.SigningSecret, r.Header, r.Body, 0, time.Now()))
	}
}

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
	c.retryEnv = &retryEnv{rand: func() float64 { cancel(); return 0.5 }, now: time.Now, sleep: sleepCtx}
	node := &NodeConfig{URL: srv.URL, Retry: &RetryPolicy{MaxAttempts: 3}}
	res, err := c.Execute(ctx, node, nil)
	require.Error(t, err)
	assert.Equal(t, KindCanceled, res.Failure.Kind)
	assert.Equal(t, 503, res.Failure.StatusCode)
	assert.Equal(t, 1, srv.count())
	assert.False(t, res.Attempts[0].Retry.Retry)
}
