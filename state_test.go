package httpstep

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// downState is a StateStore whose database is down: every call fails.
type downState struct{ calls atomic.Int32 }

var errStoreDown = errors.New("connection refused")

func (s *downState) fail() error { s.calls.Add(1); return errStoreDown }
func (s *downState) Admit(context.Context, string, string, float64, int) (HostState, error) {
	return HostState{}, s.fail()
}
func (s *downState) Acquire(context.Context, string, int, time.Duration) (string, bool, error) {
	return "", false, s.fail()
}
func (s *downState) Release(context.Context, string, string) error                  { return s.fail() }
func (s *downState) Pause(context.Context, string, time.Duration) error             { return s.fail() }
func (s *downState) Record(context.Context, string, bool, int, time.Duration) error { return s.fail() }
func (s *downState) Load(context.Context, string) (*Token, error)                   { return nil, s.fail() }
func (s *downState) Save(context.Context, string, *Token) error                     { return s.fail() }
func (s *downState) LockToken(context.Context, string, func(context.Context) error) error {
	return s.fail()
}

// TestStateDownFallsBack: a State that does not answer slows nothing and
// fails nothing: the process's own Limits apply and each attempt says so.
func TestStateDownFallsBack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	state := &downState{}
	c := testClient(t)
	c.State = state
	c.Limits = []Limit{{PerSecond: 20, MaxConcurrent: 2}}
	c.Breaker = &Breaker{}
	node := &NodeConfig{Method: http.MethodGet, URL: srv.URL}
	start := time.Now()
	for range 3 {
		res, err := c.Execute(context.Background(), node, nil)
		require.NoError(t, err)
		require.Len(t, res.Attempts, 1)
		assert.Contains(t, res.Attempts[0].Notes, noteDegraded)
	}
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond, "the local rate of 20/s applied")
	assert.Positive(t, state.calls.Load(), "the State was asked")
}
