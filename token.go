package httpstep

import (
	"context"
	"sync"
	"time"

	"github.com/httpstep/httpstep/internal/digest"
	"github.com/httpstep/httpstep/internal/oauth"
	"golang.org/x/oauth2"
)

// Token is an OAuth2 token as a TokenStore keeps it.
type Token struct {
	AccessToken  string    `json:"accessToken"`
	TokenType    string    `json:"tokenType,omitempty"`
	RefreshToken string    `json:"refreshToken,omitempty"`
	Expiry       time.Time `json:"expiry,omitempty"` // zero: does not expire
}

// TokenStore keeps OAuth2 tokens for a Client (Client.Tokens), so that
// several Clients, or several processes, can share them. Keys identify the
// grant, token URL, client, scopes and parameters and hold no secret in
// clear. A stored token may have an empty AccessToken and only a refresh
// token, after the API refused the access token. Implementations must be
// safe for concurrent use.
type TokenStore interface {
	// Load returns the token under key, or nil, nil when there is none.
	Load(ctx context.Context, key string) (*Token, error)
	// Save stores t under key, replacing what was there.
	Save(ctx context.Context, key string, t *Token) error
}

// memTokens is the TokenStore of a Client without one: in memory, per
// Client.
type memTokens struct {
	mu sync.Mutex
	m  map[string]Token
}

func (s *memTokens) Load(_ context.Context, key string) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[key]
	if !ok {
		return nil, nil
	}
	return &t, nil
}

func (s *memTokens) Save(_ context.Context, key string, t *Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]Token)
	}
	s.m[key] = *t
	return nil
}

// storeAdapter lets the token engine use a TokenStore.
type storeAdapter struct{ s TokenStore }

var _ oauth.Store = storeAdapter{}

func (a storeAdapter) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	t, err := a.s.Load(ctx, key)
	if t == nil || err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry}, nil
}

func (a storeAdapter) Save(ctx context.Context, key string, t *oauth2.Token) error {
	return a.s.Save(ctx, key, &Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry})
}

// credentials is a Client's state for credentials: its token cache and
// the Digest challenges it has seen, made on first use.
type credentials struct {
	once   sync.Once
	tokens *oauth.Cache
	digest digest.Cache
}

// tokenCache returns the Client's token cache over Tokens, else over
// State, else over an in-memory store. With a State, every token request
// runs under its LockToken.
func (c *Client) tokenCache() *oauth.Cache {
	c.creds.once.Do(func() {
		var s TokenStore = &memTokens{}
		switch {
		case c.Tokens != nil:
			s = c.Tokens
		case c.State != nil:
			s = c.State
		}
		c.creds.tokens = &oauth.Cache{Store: storeAdapter{s}, Now: c.now}
		if c.State != nil {
			c.creds.tokens.Lock = c.State.LockToken
		}
	})
	return c.creds.tokens
}
