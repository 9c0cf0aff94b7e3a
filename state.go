package httpstep

import (
	"context"
	"time"

	"github.com/httpstep/httpstep/internal/throttle"
)

// StateStore keeps what a Client knows about the APIs it calls (Client.State):
// the rate bucket and concurrency slots of each host its Limits cover,
// each host's Retry-After pause and breaker counts, and OAuth2 tokens. A
// store shared by several processes makes them one Client: one rate per
// host for all of them, one pause, one breaker, one token. A nil State
// keeps all of it in the process, as before.
//
// Durations are counted on the store's clock, so the processes' clocks need
// not agree. A host name (host) keys buckets and slots, as Limits match
// names; a host and port (addr) keys pauses and breakers. Implementations
// must be safe for concurrent use; each call is bounded by a context of
// at most 2 s. When a call fails, the request falls back to the process's
// own limits, pause and breaker and its attempt's Notes say so: a store that
// is down slows nothing and fails nothing, it only stops the sharing.
type StateStore interface {
	// Admit reads addr's pause and circuit and, when neither holds requests
	// back and perSecond > 0, takes one request from host's bucket
	// (perSecond, burst): the request then waits HostState.Wait. It is the
	// one call of a request whose host has no concurrency cap.
	Admit(ctx context.Context, host, addr string, perSecond float64, burst int) (HostState, error)
	// Acquire takes one of host's max concurrency slots for lease; ok is
	// false when all are taken (the Client asks again a few milliseconds
	// later). A slot is free again on Release or once its lease expires, so a
	// process that dies holds it at most that long.
	Acquire(ctx context.Context, host string, max int, lease time.Duration) (id string, ok bool, err error)
	// Release frees host's slot id.
	Release(ctx context.Context, host, id string) error
	// Pause holds addr back for d from now (a Retry-After, or rate-limit
	// fields saying none remain); a shorter pause never cuts a longer one.
	Pause(ctx context.Context, addr string, d time.Duration) error
	// Record notes an outcome of addr, for the Breaker: a failure adds one
	// to its consecutive failures and, when they reach failures, opens the
	// circuit for cooldown; a success sets them to zero and closes it. It is
	// called for every failure and for the first success after failures.
	Record(ctx context.Context, addr string, failed bool, failures int, cooldown time.Duration) error

	// Load and Save keep tokens, as a TokenStore does; Client.Tokens, when
	// set, keeps them instead.
	TokenStore
	// LockToken runs f holding key's lock for every user of the store. A
	// token request runs inside it (load, request, save): a token the
	// fleet needs is fetched once, so a refresh token that the server
	// rotates is used once and the other processes load the new token.
	LockToken(ctx context.Context, key string, f func(ctx context.Context) error) error
}

// HostState is what a StateStore knows of a host when Admit asks.
type HostState struct {
	Taken    bool          // a request was taken from the bucket
	Wait     time.Duration // when Taken: how long the request waits before it goes
	Paused   time.Duration // the pause left; 0: none (nothing was taken)
	Open     time.Duration // the open circuit's time left; 0: closed (nothing was taken when open)
	Failures int           // consecutive failures recorded
}

// sharedState lets the throttle engine use a StateStore.
type sharedState struct{ s StateStore }

var _ throttle.Shared = sharedState{}

func (a sharedState) Admit(ctx context.Context, host, addr string, perSecond float64, burst int) (throttle.HostState, error) {
	st, err := a.s.Admit(ctx, host, addr, perSecond, burst)
	return throttle.HostState(st), err
}

func (a sharedState) Acquire(ctx context.Context, host string, max int, lease time.Duration) (string, bool, error) {
	return a.s.Acquire(ctx, host, max, lease)
}

func (a sharedState) Release(ctx context.Context, host, id string) error {
	return a.s.Release(ctx, host, id)
}

func (a sharedState) Pause(ctx context.Context, addr string, d time.Duration) error {
	return a.s.Pause(ctx, addr, d)
}

func (a sharedState) Record(ctx context.Context, addr string, failed bool, failures int, cooldown time.Duration) error {
	return a.s.Record(ctx, addr, failed, failures, cooldown)
}

// noteDegraded is the attempt's note when the State failed to answer.
const noteDegraded = "the shared State did not answer, so this process's own limits, pause and breaker applied to this attempt"
