package httpstep_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/internal/tokenpeer"
)

// sharedStore is a TokenStore that several Clients share. In production it
// would be a table or a cache that several processes reach; the keys hold
// no secret in clear, the tokens do, so keep it as private as the secrets.
type sharedStore struct {
	mu sync.Mutex
	m  map[string]httpstep.Token
}

func (s *sharedStore) Load(_ context.Context, key string) (*httpstep.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.m[key]; ok {
		return &t, nil
	}
	return nil, nil
}

func (s *sharedStore) Save(_ context.Context, key string, t *httpstep.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]httpstep.Token{}
	}
	s.m[key] = *t
	return nil
}

// Two Clients (two workers, say) share one TokenStore: the second finds
// the token the first fetched, so the token endpoint is asked once.
func ExampleTokenStore() {
	peer := tokenpeer.Start(tokenpeer.Options{}) // an OAuth2 server on loopback
	defer peer.Close()

	node := &httpstep.NodeConfig{
		URL: peer.URL + "/api",
		Auth: &httpstep.Auth{Type: httpstep.AuthOAuth2, OAuth2: &httpstep.OAuth2{
			Grant:        httpstep.GrantClientCredentials,
			TokenURL:     peer.URL + "/token",
			ClientID:     tokenpeer.ClientID,
			ClientSecret: "{{app.secret}}",
		}},
	}
	params := httpstep.Values{"app": map[string]any{"secret": httpstep.Secret(tokenpeer.ClientSecret)}}

	store := &sharedStore{}
	for _, c := range []*httpstep.Client{{AllowPrivate: true, Tokens: store}, {AllowPrivate: true, Tokens: store}} {
		res, err := c.Execute(context.Background(), node, params)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("ok:", res.Get("ok").Bool())
		c.CloseIdleConnections()
	}
	fmt.Println("token requests:", peer.Requests())
	// Output:
	// ok: true
	// ok: true
	// token requests: 1
}
