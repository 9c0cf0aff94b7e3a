package durable

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/webhook"
)

const token = "tok-9f8e7d6c5b4a"

// bearerPush is a push that authenticates with a Secret from the values.
func bearerPush(url string) *httpstep.NodeConfig {
	n := fastPush(url, 3)
	n.Headers = []httpstep.KeyValue{{Key: "Authorization", Value: "Bearer {{org.token}}"}}
	return n
}

var withSecret = httpstep.Values{
	"record": map[string]any{"id": 7},
	"org":    map[string]any{"name": "acme", "token": httpstep.Secret(token)},
}

// TestSecretResolvedAtSendTime: a Secret is sent, resolved through
// Config.Secrets, yet appears nowhere in the database files or the history.
func TestSecretResolvedAtSendTime(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		var mu sync.Mutex
		var auth string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			auth = r.Header.Get("Authorization")
		}))
		defer srv.Close()
		var asked []string
		cfg := fastConfig()
		cfg.Secrets = func(_ context.Context, ref string) (httpstep.Secret, error) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, ref)
			return token, nil
		}
		q := db.open(t, cfg)
		startT(t, q)
		id, err := q.Enqueue(context.Background(), bearerPush(srv.URL), withSecret)
		require.NoError(t, err)
		d := waitState(t, q, id, StateDelivered, 10*time.Second)

		mu.Lock()
		assert.Equal(t, "Bearer "+token, auth)
		assert.Equal(t, []string{"org.token"}, asked)
		mu.Unlock()
		assert.Equal(t, []string{"[REDACTED]"}, d.Attempts[0].Request.Header["Authorization"])
		all := db.dump(t)
		assert.False(t, bytes.Contains(all, []byte(token)), "the database holds the secret")
		assert.True(t, bytes.Contains(all, []byte("acme")), "the database lacks the other values")
	})
}

// TestSecretNeedsResolver: a Secret value without Config.Secrets fails
// Enqueue clearly and stores nothing.
func TestSecretNeedsResolver(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		q := db.open(t, fastConfig())
		_, err := q.Enqueue(context.Background(), bearerPush("http://127.0.0.1:9/"), withSecret)
		var ve *ValueError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "org.token", ve.Ref)
		assert.EqualError(t, err, `httpstep: durable: value "org.token" is a Secret and Config.Secrets is nil: set it so the queue can resolve secrets at send time; they are never stored`)
		assertNothingStored(t, q)
	})
}

// TestFileNeedsResolver: so does a File without Config.Files, and a Secret
// inside a list, which no ref can name.
func TestFileNeedsResolver(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		q := db.open(t, Config{Client: loopback(), Secrets: func(context.Context, string) (httpstep.Secret, error) { return "", nil }})
		ctx := context.Background()
		node := fastPush("http://127.0.0.1:9/", 1)
		_, err := q.Enqueue(ctx, node, httpstep.Values{"record": map[string]any{}, "doc": httpstep.File{Name: "a.pdf"}})
		assert.EqualError(t, err, `httpstep: durable: value "doc" is a File and Config.Files is nil: set it so the queue can open attachments at send time`)
		_, err = q.Enqueue(ctx, node, httpstep.Values{"record": map[string]any{"keys": []any{"a", httpstep.Secret("s3cr3t")}}})
		assert.EqualError(t, err, `httpstep: durable: value "record.keys" holds a Secret or File inside a list or struct; only map values can be resolved at send time, and nothing secret is ever stored`)
		assertNothingStored(t, q)
	})
}

// assertNothingStored checks that the next delivery gets the first id.
func assertNothingStored(t *testing.T, q *Queue) {
	t.Helper()
	id, err := q.Enqueue(context.Background(), fastPush("http://127.0.0.1:9/", 1), order)
	require.NoError(t, err)
	assert.Equal(t, int64(1), id, "an earlier Enqueue stored something")
}

// TestFileOpenedAtSendTime: an attachment is opened through Config.Files on
// every attempt and streamed as the binary body.
func TestFileOpenedAtSendTime(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		rcv := newReceiver(t, 503, 200)
		cfg := fastConfig()
		var opened int
		var mu sync.Mutex
		cfg.Files = func(_ context.Context, ref string) (httpstep.File, error) {
			mu.Lock()
			defer mu.Unlock()
			opened++
			return httpstep.File{Name: "invoice.txt", Size: -1, Open: func() (io.ReadCloser, error) {
				return io.NopCloser(strings.NewReader("invoice for " + ref)), nil
			}}, nil
		}
		q := db.open(t, cfg)
		startT(t, q)
		node := fastPush(rcv.URL, 3)
		node.Object = ""
		node.Body = &httpstep.Body{Kind: "binary", File: "doc"}
		id, err := q.Enqueue(context.Background(), node, httpstep.Values{"doc": httpstep.File{Name: "invoice.txt"}})
		require.NoError(t, err)
		waitState(t, q, id, StateDelivered, 10*time.Second)
		assert.Equal(t, []string{"invoice for doc", "invoice for doc"}, rcv.bodies)
		mu.Lock()
		assert.Equal(t, 2, opened)
		mu.Unlock()
	})
}

// TestResolverErrorRetried: a resolver that fails (its store is down) sends
// nothing and the attempt is retried, recorded as such.
func TestResolverErrorRetried(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		rcv := newReceiver(t, 200)
		cfg := fastConfig()
		var calls int
		var mu sync.Mutex
		cfg.Secrets = func(context.Context, string) (httpstep.Secret, error) {
			mu.Lock()
			defer mu.Unlock()
			if calls++; calls == 1 {
				return "", errors.New("vault sealed")
			}
			return token, nil
		}
		q := db.open(t, cfg)
		startT(t, q)
		id, err := q.Enqueue(context.Background(), bearerPush(rcv.URL), withSecret)
		require.NoError(t, err)
		d := waitState(t, q, id, StateDelivered, 10*time.Second)
		assert.Equal(t, 1, rcv.requests())
		require.Len(t, d.Attempts, 2)
		assert.Equal(t, httpstep.KindParam, d.Attempts[0].Kind)
		assert.Contains(t, d.Attempts[0].Error, `resolving value "org.token" at send time failed, nothing was sent: vault sealed`)
		assert.True(t, d.Attempts[0].Retry.Retry)
	})
}

// TestEnqueueRefusesBadNodes: an invalid node, a nil node and a timeout
// River could rescue mid-attempt store nothing.
func TestEnqueueRefusesBadNodes(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		q := db.open(t, Config{Client: loopback(), RescueAfter: 20 * time.Second})
		ctx := context.Background()
		_, err := q.Enqueue(ctx, &httpstep.NodeConfig{URL: "ftp://x"}, nil)
		var ce *httpstep.ConfigError
		assert.ErrorAs(t, err, &ce)
		_, err = q.Enqueue(ctx, nil, nil)
		assert.ErrorIs(t, err, ErrNoNode)
		slow := fastPush("http://127.0.0.1:9/", 1)
		slow.Timeout = httpstep.Duration(15 * time.Second)
		_, err = q.Enqueue(ctx, slow, order)
		assert.EqualError(t, err, "httpstep: durable: the node's timeout 15s plus the 5s margin reaches Config.RescueAfter 20s: raise RescueAfter or shorten the timeout")
		assertNothingStored(t, q)
	})
}

// TestNodeOwnIdentityKept: a node that sets its own Idempotency-Key keeps
// it, and a signed push is signed with the stored webhook-id on every
// attempt.
func TestNodeOwnIdentityKept(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		const secret = httpstep.Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
		var mu sync.Mutex
		var verified []error
		var ids, keys []string
		n := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			verified = append(verified, webhook.Verify(string(secret), r.Header, body))
			ids = append(ids, r.Header.Get(webhook.IDHeader))
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			if n++; n < 3 {
				w.WriteHeader(500)
			}
		}))
		defer srv.Close()
		cfg := fastConfig()
		cfg.Client = &httpstep.Client{AllowPrivate: true, SigningSecret: secret}
		q := db.open(t, cfg)
		startT(t, q)
		node := fastPush(srv.URL, 5)
		node.Headers = []httpstep.KeyValue{{Key: "idempotency-key", Value: "order-{{record.id}}"}}
		id, err := q.Enqueue(context.Background(), node, order)
		require.NoError(t, err)
		waitState(t, q, id, StateDelivered, 10*time.Second)
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, []error{nil, nil, nil}, verified)
		assert.Equal(t, []string{"order-42", "order-42", "order-42"}, keys)
		assert.Regexp(t, `^msg_[A-Z2-7]{26}$`, ids[0])
		assert.Equal(t, []string{ids[0], ids[0], ids[0]}, ids)
	})
}
