package httpstep

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRateLimitReset (finding 8): GitHub's primary limit answers 403 (or
// 429) with x-ratelimit-remaining 0 and x-ratelimit-reset in epoch
// seconds; unread, four retries went inside the lockout. The retry now
// waits for the reset as for a Retry-After.
func TestRateLimitReset(t *testing.T) {
	reset := time.Now().Add(40 * time.Second)
	srv := githubLimited(t, 1, reset)
	c := testClient(t)
	waits := stubEnv(c, 0, nil)
	node := nodeJSON(t, `{"url": %q, "headers": [{"key": "Accept", "value": "application/vnd.github+json"}], "retry": {"maxAttempts": 3}}`,
		srv.URL+"/repos/octocat/hello-world/issues")
	res, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.Len(t, waits.all(), 1)
	assert.InDelta(t, 40*time.Second, waits.all()[0], float64(2*time.Second), "the wait ends at the reset")
	assert.Contains(t, res.Attempts[0].Retry.Reason, "x-ratelimit-remaining is 0")
	assert.Equal(t, int64(1347), res.Get("0.number").Int())

	node.Retry.MaxInterval = Duration(10 * time.Second)
	srv = githubLimited(t, 1, time.Now().Add(time.Hour))
	node.URL = srv.URL + "/repos/octocat/hello-world/issues"
	waits = stubEnv(c, 0, nil)
	_, err = c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{10 * time.Second}, waits.all(), "capped at maxInterval")
}

// TestRateLimitPausesHost: the reset holds back every request to the
// host, as a Retry-After does: a run whose deadline comes first fails at
// once with kind unavailable and sends nothing.
func TestRateLimitPausesHost(t *testing.T) {
	srv := githubLimited(t, 5, time.Now().Add(time.Minute))
	c := testClient(t)
	node := nodeJSON(t, `{"url": %q, "onFailure": "continue"}`, srv.URL+"/repos/octocat/hello-world/issues")
	res, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.Equal(t, 403, res.StatusCode)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res, err = c.Execute(ctx, node, nil)
	require.NoError(t, err)
	require.NotNil(t, res.Failure)
	assert.Equal(t, KindUnavailable, res.Failure.Kind)
	assert.Equal(t, 1, srv.count(), "nothing is sent inside the lockout")
}

func TestRateLimitWait(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name   string
		status int
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"github epoch seconds", 403, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1700000040"}}, 40 * time.Second, true},
		{"twitter dashes", 429, http.Header{"X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Reset": {"1700000005"}}, 5 * time.Second, true},
		{"epoch milliseconds", 429, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1700000002500"}}, 2500 * time.Millisecond, true},
		{"delta seconds", 429, http.Header{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"30"}}, 30 * time.Second, true},
		{"decimal delta", 429, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1.5"}}, 1500 * time.Millisecond, true},
		{"IETF RateLimit field", 429, http.Header{"Ratelimit": {`"default";r=0;t=17`}}, 17 * time.Second, true},
		{"IETF field, another policy spent", 429, http.Header{"Ratelimit": {`"burst";r=3;t=1, "day";r=0;t=3600`}}, time.Hour, true},
		{"OpenAI suffixed, Go durations", 429, http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"6m0s"},
			"X-Ratelimit-Remaining-Tokens": {"1000"}, "X-Ratelimit-Reset-Tokens": {"20ms"}}, 6 * time.Minute, true},
		{"past reset", 403, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1699999999"}}, 0, true},
		{"requests remain", 403, http.Header{"X-Ratelimit-Remaining": {"12"}, "X-Ratelimit-Reset": {"1700000040"}}, 0, false},
		{"a 403 without fields", 403, http.Header{}, 0, false},
		{"not a limit status", 500, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"30"}}, 0, false},
		{"unreadable reset", 429, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"soon"}}, 0, false},
		{"negative reset", 429, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"-5"}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, ok := rateLimitWait(tt.status, tt.header, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func FuzzRateLimitWait(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	for _, s := range []string{"0|1700000040", "0|6m0s", "0|1.5", "0|1700000002500", "1|30", "0|-1", "0|1e400", `"default";r=0;t=30`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rem, reset, _ := strings.Cut(s, "|")
		h := http.Header{"X-Ratelimit-Remaining-Requests": {rem}, "X-Ratelimit-Reset-Requests": {reset}, "Ratelimit": {s}}
		if d, _, _ := rateLimitWait(429, h, now); d < 0 {
			t.Fatalf("rateLimitWait(%q) = %v, negative", s, d)
		}
	})
}
