package tokenpeer

import (
	"context"
	"sync"

	"github.com/go-oauth2/oauth2/v4"
	oerrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/models"
)

// clientStore knows the one client.
type clientStore struct{}

func (clientStore) GetByID(_ context.Context, id string) (oauth2.ClientInfo, error) {
	if id != ClientID {
		return nil, oerrors.ErrInvalidClient
	}
	return &models.Client{ID: ClientID, Secret: ClientSecret}, nil
}

// tokenStore is go-oauth2's TokenStore in two maps. (The library's own
// in-memory store runs a database whose goroutine outlives the test.)
type tokenStore struct {
	mu      sync.Mutex
	access  map[string]oauth2.TokenInfo
	refresh map[string]oauth2.TokenInfo
}

func newTokenStore() *tokenStore {
	return &tokenStore{access: map[string]oauth2.TokenInfo{}, refresh: map[string]oauth2.TokenInfo{}}
}

func (s *tokenStore) Create(_ context.Context, ti oauth2.TokenInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := ti.GetAccess(); a != "" {
		s.access[a] = ti
	}
	if r := ti.GetRefresh(); r != "" {
		s.refresh[r] = ti
	}
	return nil
}

func (s *tokenStore) RemoveByCode(context.Context, string) error { return nil }

func (s *tokenStore) RemoveByAccess(_ context.Context, access string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.access, access)
	return nil
}

func (s *tokenStore) RemoveByRefresh(_ context.Context, refresh string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refresh, refresh)
	return nil
}

func (s *tokenStore) GetByCode(context.Context, string) (oauth2.TokenInfo, error) { return nil, nil }

func (s *tokenStore) GetByAccess(_ context.Context, access string) (oauth2.TokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access[access], nil
}

func (s *tokenStore) GetByRefresh(_ context.Context, refresh string) (oauth2.TokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh[refresh], nil
}
