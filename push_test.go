package httpstep

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep/webhook"
)

// pushRecord is the record the push tests send.
var pushRecord = Values{"record": map[string]any{"id": "po-7", "amount": 120.5, "approved": true}}

// TestPushNeeds200: a push succeeds only on 200; a 201 is not a receipt and
// is retried on the push schedule until the tenth attempt.
func TestPushNeeds200(t *testing.T) {
	srv := scripted(t, status(201))
	c := testClient(t)
	w := stubEnv(c, 0.5, nil)
	res, f, elapsed := run(t, t.Context(), c, PushNode(srv.URL+"/hook", "record"), pushRecord)
	require.NotNil(t, f)
	assert.Equal(t, KindStatus, f.Kind)
	assert.Equal(t, 201, f.StatusCode)
	assert.Equal(t, 10, srv.count())
	assert.Len(t, res.Attempts, 10)
	s := time.Second
	assert.Equal(t, []time.Duration{s / 2, s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 64 * s, 128 * s}, w.all(),
		"full jitter at 0.5 of 1s doubling, under the 5m cap")
	assert.Equal(t, "status 201 is not a success code; retried under the node's retry policy", res.Attempts[0].Retry.Reason)
	assert.Equal(t, &RetryRecord{Reason: "status 201 is not a success code; retried under the node's retry policy, but gave up after 10 attempts"}, res.Attempts[9].Retry)
	assert.Less(t, elapsed, 2*time.Second)

	got := srv.last(t)
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, "/hook", got.RequestURI)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"id":"po-7","amount":120.5,"approved":true}`, string(got.Body))
	assert.Empty(t, got.Header.Get(webhook.IDHeader), "no SigningSecret, no signature")
}

// TestPushDelivered: a 200 within the timeout is the receipt: one attempt.
func TestPushDelivered(t *testing.T) {
	srv := scripted(t, ok200)
	c := testClient(t)
	w := stubEnv(c, 0.5, nil)
	res, f, _ := run(t, t.Context(), c, PushNode(srv.URL, "record"), pushRecord)
	require.Nil(t, f)
	assert.True(t, res.OK())
	assert.Equal(t, 1, srv.count())
	assert.Empty(t, w.all())
	assert.Nil(t, res.Attempts[0].Retry)
}

// TestPushLate200: a 200 that comes after the node's timeout is no receipt.
// PushNode's timeout is 10s; the test shortens it to stay fast.
func TestPushLate200(t *testing.T) {
	late := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
		ok200(w, r)
	}
	srv := scripted(t, late, ok200)
	c := testClient(t)
	stubEnv(c, 0, nil)
	node := PushNode(srv.URL, "record")
	node.Timeout = Duration(100 * time.Millisecond)
	res, f, elapsed := run(t, t.Context(), c, node, pushRecord)
	require.Nil(t, f)
	assert.Equal(t, []FailureKind{KindTimeout, ""}, kinds(res))
	assert.Equal(t, 2, srv.count())
	assert.GreaterOrEqual(t, elapsed, 100*time.Millisecond)
	assert.Less(t, elapsed, time.Second)
}

// TestPushSigned: with a SigningSecret every attempt carries a Standard
// Webhooks signature the receiver can verify; webhook-id and
// Idempotency-Key are the same on every attempt of one push and differ
// between pushes.
func TestPushSigned(t *testing.T) {
	const secret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	srv := scripted(t, status(503), status(500), ok200)
	c := testClient(t)
	c.SigningSecret = secret
	stubEnv(c, 0, nil)
	for range 2 {
		_, f, _ := run(t, t.Context(), c, PushNode(srv.URL, "record"), pushRecord)
		require.Nil(t, f)
	}
	require.Equal(t, 4, srv.count(), "3 attempts, then 1")
	var verified []error
	ids := map[string]int{}
	keys := map[string]int{}
	for _, s := range srv.reqs {
		verified = append(verified, verifyAt(secret, s.Header, s.Body, time.Now()))
		ids[s.Header.Get(webhook.IDHeader)]++
		keys[s.Header.Get(idempotencyHeader)]++
		assert.Error(t, verifyAt("whsec_AAAA", s.Header, s.Body, time.Now()), "another secret does not verify")
	}
	assert.Equal(t, []error{nil, nil, nil, nil}, verified)
	assert.ElementsMatch(t, []int{3, 1}, values(ids), "one webhook-id per push")
	assert.ElementsMatch(t, []int{3, 1}, values(keys), "one Idempotency-Key per push")
}

func values(m map[string]int) []int {
	out := make([]int, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestPushHistoryJSON: the push's history serialises with its retry
// decisions, and the signature is not mistaken for a secret to hide.
func TestPushHistoryJSON(t *testing.T) {
	srv := scripted(t, status(503, "Retry-After", "3"), ok200)
	c := testClient(t)
	c.SigningSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	stubEnv(c, 0, nil)
	res, f, _ := run(t, t.Context(), c, PushNode(srv.URL, "record"), pushRecord)
	require.Nil(t, f)
	b, err := json.Marshal(res.Attempts[0])
	require.NoError(t, err)
	var back Attempt
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, &RetryRecord{Retry: true, Reason: "status 503 is retryable; Retry-After 3s honoured", Wait: Duration(3 * time.Second)}, back.Retry)
	assert.Equal(t, KindStatus, back.Kind)
	assert.Regexp(t, `^msg_[A-Z2-7]{26}$`, http.Header(back.Request.Header).Get(webhook.IDHeader))
	assert.NotContains(t, string(b), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "the signing secret never appears")
}
