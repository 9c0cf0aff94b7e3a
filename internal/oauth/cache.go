package oauth

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

// Leeway is how long before its expiry a cached token stops being used: a
// token that expires within it is replaced first.
const Leeway = 10 * time.Second

// Store keeps tokens by key. Load returns nil, nil when it has none.
type Store interface {
	Load(ctx context.Context, key string) (*oauth2.Token, error)
	Save(ctx context.Context, key string, t *oauth2.Token) error
}

// Cache hands out tokens from its Store and fetches new ones when needed.
// It is safe for concurrent use; the zero value needs only a Store.
type Cache struct {
	Store Store
	Now   func() time.Time // the clock; nil is time.Now
	// Lock, when set, runs f holding key's lock for every process sharing
	// the Store: each token request (load, request, save) runs inside it,
	// so the fleet fetches a token once. nil: this Cache's single flight
	// alone.
	Lock func(ctx context.Context, key string, f func(ctx context.Context) error) error

	flights singleflight.Group
	styles  styles
}

// Fetch is one token request: given the token stored under its key (nil
// when there is none, possibly with only a refresh token), it returns a
// new token. An Expiry it leaves zero is set from an expires_in in the
// token's extra fields, on the cache's clock.
type Fetch func(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error)

// Token returns a token for c valid for longer than Leeway: the stored one,
// or a new one fetched through hc and saved. See Get.
func (c *Cache) Token(ctx context.Context, hc *http.Client, cfg *Config) (*oauth2.Token, bool, error) {
	return c.Get(ctx, cfg.Key(), func(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		if cfg.Grant == GrantJWTBearer {
			return jwtToken(ctx, hc, cfg, c.now())
		}
		var rt string
		if stored != nil {
			rt = stored.RefreshToken
		}
		t, err := c.styles.Fetch(ctx, hc, cfg, rt)
		if err == nil && t.RefreshToken == "" && cfg.Grant != GrantRefreshToken {
			t.RefreshToken = rt
		}
		return t, err
	})
}

// Get returns the token under key valid for longer than Leeway: the stored
// one, or a new one from fetch, saved. Concurrent callers for the same key
// share one fetch; fetched reports whether this caller's fetch was it (so
// the caller records it). The fetch runs with ctx's values and deadline but
// is not cut short when ctx alone is canceled, since others may wait for
// it. A caller whose ctx ends first leaves the fetch to those others, and
// the next caller starts one of its own; a caller whose shared fetch died
// of its leader's deadline joins a new one, once.
func (c *Cache) Get(ctx context.Context, key string, fetch Fetch) (t *oauth2.Token, fetched bool, err error) {
	if t, err := c.Store.Load(ctx, key); err != nil || c.valid(t) {
		return t, false, err
	}
	t, led, err := c.join(ctx, key, fetch)
	if err != nil && !led && ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		t, led, err = c.join(ctx, key, fetch)
	}
	return t, led, err
}

// join leads or joins the fetch for key and waits for it or for ctx,
// whichever ends first.
func (c *Cache) join(ctx context.Context, key string, f Fetch) (*oauth2.Token, bool, error) {
	var led, fetched atomic.Bool
	ch := c.flights.DoChan(key, func() (any, error) {
		led.Store(true) // only the leader's closure runs
		fctx, cancel := detach(ctx)
		defer cancel()
		t, did, err := c.fetch(fctx, key, f)
		fetched.Store(did)
		return t, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, fetched.Load(), r.Err
		}
		return r.Val.(*oauth2.Token), fetched.Load(), nil
	case <-ctx.Done():
		if led.Load() {
			c.flights.Forget(key) // the fetch ends at this caller's deadline: the next caller starts afresh
		}
		return nil, false, ctx.Err()
	}
}

// fetch is fetchLocked under the Cache's Lock, when it has one.
func (c *Cache) fetch(ctx context.Context, key string, f Fetch) (t *oauth2.Token, fetched bool, err error) {
	if c.Lock == nil {
		return c.fetchLocked(ctx, key, f)
	}
	err = c.Lock(ctx, key, func(ctx context.Context) (err error) {
		t, fetched, err = c.fetchLocked(ctx, key, f)
		return err
	})
	return t, fetched, err
}

// fetchLocked loads the key again (a flight that just ended, here or in
// another process, may have saved a token), else fetches and saves the
// answer; fetched reports whether f ran.
func (c *Cache) fetchLocked(ctx context.Context, key string, f Fetch) (*oauth2.Token, bool, error) {
	stored, err := c.Store.Load(ctx, key)
	if err != nil {
		return nil, false, err
	}
	if c.valid(stored) {
		return stored, false, nil
	}
	t, err := f(ctx, stored)
	if err != nil {
		return nil, true, err
	}
	saved := c.keep(t)
	return saved, true, c.Store.Save(ctx, key, saved)
}

// Put saves t under key as a fetch would (an Expiry left zero is set from
// expires_in on the cache's clock) and returns what was saved: for tokens
// got outside the cache, such as a consent's.
func (c *Cache) Put(ctx context.Context, key string, t *oauth2.Token) (*oauth2.Token, error) {
	saved := c.keep(t)
	return saved, c.Store.Save(ctx, key, saved)
}

// keep is the token as the store keeps it.
func (c *Cache) keep(t *oauth2.Token) *oauth2.Token {
	if secs := expiresIn(t); secs > 0 { // counted on the cache's clock
		t.Expiry = c.now().Add(time.Duration(secs) * time.Second)
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
}

// Invalidate drops the access token of cfg when the store still holds the
// one given (another caller may have replaced it already), keeping the
// refresh token for the next fetch.
func (c *Cache) Invalidate(ctx context.Context, cfg *Config, access string) error {
	return c.InvalidateKey(ctx, cfg.Key(), access)
}

// InvalidateKey is Invalidate for the token under key.
func (c *Cache) InvalidateKey(ctx context.Context, key, access string) error {
	t, err := c.Store.Load(ctx, key)
	if err != nil || t == nil || t.AccessToken != access {
		return err
	}
	return c.Store.Save(ctx, key, &oauth2.Token{RefreshToken: t.RefreshToken})
}

// valid reports whether t can be sent: it has an access token that does
// not expire within Leeway.
func (c *Cache) valid(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	return t.Expiry.Sub(c.now()) > Leeway
}

// expiresIn is the token response's expires_in, in seconds; 0 when absent.
func expiresIn(t *oauth2.Token) int64 {
	switch v := t.Extra("expires_in").(type) {
	case float64:
		return int64(v)
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return t.ExpiresIn
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// detach keeps ctx's values and deadline but not its cancellation.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	d := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(d, dl)
	}
	return context.WithCancel(d)
}
