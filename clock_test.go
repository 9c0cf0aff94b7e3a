package httpstep

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file tests Client.Now, the clock of signatures, token expiry and
// Retry-After dates.

// fixedNow is the moment the clock tests stop time at: far from the real
// clock, so a date read on the wrong clock gives a visibly wrong wait.
var fixedNow = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

// testClock is a settable clock for Client.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestClientNowRetryAfterDate: a Retry-After date is read on Client.Now,
// for a retry and for a poll, while the back-off's deadline stays on the
// real clock (the stub env's now is time.Now).
func TestClientNowRetryAfterDate(t *testing.T) {
	date := fixedNow.Add(30 * time.Second).Format(http.TimeFormat)
	policy := &RetryPolicy{MaxAttempts: 2, MaxInterval: Duration(time.Hour)}
	t.Run("retry", func(t *testing.T) {
		srv := scripted(t, status(429, "Retry-After", date), ok200)
		c := testClient(t)
		c.Now = func() time.Time { return fixedNow }
		w := stubEnv(c, 0.25, nil)
		_, f, _ := run(t, t.Context(), c, &NodeConfig{URL: srv.URL, Retry: policy}, nil)
		require.Nil(t, f)
		assert.Equal(t, []time.Duration{30 * time.Second}, w.all())
		d, ok := c.retryAfterOnClock(date, time.Now()) // a host's pause (Limits) reads the date the same way
		assert.True(t, ok)
		assert.Equal(t, 30*time.Second, d)
	})
	t.Run("poll", func(t *testing.T) {
		var srv *recorder
		srv = scripted(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Location", srv.URL+"/status")
			w.Header().Set("Retry-After", fixedNow.Add(3*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusAccepted)
		}, ok200)
		c := testClient(t)
		c.Now = func() time.Time { return fixedNow }
		w := stubEnv(c, 0.25, nil)
		_, f, _ := run(t, t.Context(), c, &NodeConfig{Method: "POST", URL: srv.URL, Async: &Async{MaxWait: Duration(time.Minute)}}, nil)
		require.Nil(t, f)
		assert.Equal(t, []time.Duration{3 * time.Second}, w.all())
	})
}

// TestClientNowTokenExpiry: expires_in is counted from Client.Now and a
// cached token is checked against it: the token is reused until 10 s
// before its expiry on that clock, then fetched again.
func TestClientNowTokenExpiry(t *testing.T) {
	var issued atomic.Int32
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			n := issued.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)
			return
		}
		io.WriteString(w, r.Header.Get("Authorization"))
	})
	clock := &testClock{t: fixedNow}
	c := testClient(t)
	c.Now = clock.Now
	node := &NodeConfig{URL: srv.URL + "/api", Auth: &Auth{Type: AuthOAuth2, OAuth2: &OAuth2{
		Grant: GrantClientCredentials, TokenURL: srv.URL + "/token", ClientID: "app", ClientSecret: "s3cret-app"}}}
	step, err := node.Compile()
	require.NoError(t, err)
	for i, tc := range []struct {
		advance time.Duration
		want    string
	}{{0, "Bearer tok-1"}, {3589 * time.Second, "Bearer tok-1"}, {2 * time.Second, "Bearer tok-2"}} {
		clock.advance(tc.advance)
		res, err := c.Run(t.Context(), step, nil)
		require.NoError(t, err, "run %d", i)
		assert.Equal(t, tc.want, string(res.Body), "run %d", i)
	}
	assert.Equal(t, int32(2), issued.Load())
}

// TestClientNowSignsPush: a signed push's webhook-timestamp is Client.Now.
func TestClientNowSignsPush(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	c.Now = func() time.Time { return fixedNow }
	c.SigningSecret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	_, err := c.Execute(t.Context(), &NodeConfig{Method: "POST", URL: srv.URL, Sign: true,
		Body: &Body{Kind: BodyRaw, Raw: `{"a":1}`}}, nil)
	require.NoError(t, err)
	got := srv.last(t)
	assert.Equal(t, strconv.FormatInt(fixedNow.Unix(), 10), got.Header.Get("webhook-timestamp"))
	require.NoError(t, verifyAt(c.SigningSecret, got.Header, got.Body, fixedNow))
}
