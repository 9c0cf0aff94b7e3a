package httpstep

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPushSignedOwnWebhookID: a node that sets its own webhook-id header (a
// durable queue storing a delivery's identity) keeps it on every attempt,
// and the signature covers that id.
func TestPushSignedOwnWebhookID(t *testing.T) {
	const secret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	srv := scripted(t, status(503), ok200)
	c := testClient(t)
	c.SigningSecret = secret
	stubEnv(c, 0, nil)
	node := PushNode(srv.URL, "record")
	node.Headers = []KeyValue{{Key: "Webhook-Id", Value: "msg_{{record.id}}"}}
	_, f, _ := run(t, t.Context(), c, node, pushRecord)
	require.Nil(t, f)
	require.Equal(t, 2, srv.count())
	for _, s := range srv.reqs {
		assert.Equal(t, []string{"msg_po-7"}, s.Header.Values(WebhookIDHeader))
		assert.NoError(t, Verify(secret, s.Header, s.Body, 0, time.Now()))
	}
}
