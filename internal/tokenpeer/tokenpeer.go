// Package tokenpeer runs a real OAuth2 token server on loopback for tests:
// github.com/go-oauth2/oauth2/v4's server with in-memory stores, one client
// and one user, short token lifetimes, refresh tokens rotated on every use.
// It counts token requests, can be told to fail the next few, and serves a
// protected API that accepts only the tokens it issued and has not revoked.
package tokenpeer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	oerrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/server"
)

// The credentials the server knows. They are long enough to be searched
// for in records.
const (
	ClientID     = "client-app-1"
	ClientSecret = "client-secret-Zq81+/x"
	Username     = "alice@example.test"
	Password     = "alice-password-Kp4&="
)

// Style is how the server accepts the client's credentials.
type Style int

// The styles.
const (
	Both  Style = iota // HTTP Basic or form fields
	Basic              // HTTP Basic only
	Form               // form fields only (Basic is refused with 401 invalid_client)
)

// Options configure a Server.
type Options struct {
	Expiry time.Duration // access token lifetime; default one hour
	Style  Style
}

// Server is a running token server. Token requests go to URL+"/token"; the
// protected API is URL+"/api".
type Server struct {
	*httptest.Server
	srv *server.Server
	mgr *manage.Manager

	mu       sync.Mutex
	requests int
	fail     []int // statuses for the next token requests
	bodies   []string
}

// New starts a Server that closes with the test.
func New(t testing.TB, o Options) *Server {
	s := Start(o)
	t.Cleanup(s.Close)
	return s
}

// Start starts a Server; Close stops it.
func Start(o Options) *Server {
	if o.Expiry == 0 {
		o.Expiry = time.Hour
	}
	mgr := manage.NewDefaultManager()
	mgr.MapTokenStorage(newTokenStore())
	mgr.MapClientStorage(clientStore{})
	cfg := &manage.Config{AccessTokenExp: o.Expiry, IsGenerateRefresh: true}
	mgr.SetClientTokenCfg(&manage.Config{AccessTokenExp: o.Expiry})
	mgr.SetPasswordTokenCfg(cfg)
	mgr.SetRefreshTokenCfg(&manage.RefreshingConfig{AccessTokenExp: o.Expiry, IsGenerateRefresh: true, IsRemoveAccess: true, IsRemoveRefreshing: true})
	srv := server.NewServer(server.NewConfig(), mgr)
	srv.SetAllowedGrantType(oauth2.ClientCredentials, oauth2.PasswordCredentials, oauth2.Refreshing)
	srv.SetClientInfoHandler(clientInfo(o.Style))
	srv.SetPasswordAuthorizationHandler(func(_ context.Context, _, user, pass string) (string, error) {
		if user == Username && pass == Password {
			return "user-1", nil
		}
		return "", oerrors.ErrInvalidGrant
	})
	s := &Server{srv: srv, mgr: mgr}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", s.token)
	mux.HandleFunc("/api", s.api)
	s.Server = httptest.NewServer(mux)
	return s
}

func clientInfo(st Style) server.ClientInfoHandler {
	return func(r *http.Request) (string, string, error) {
		_, _, basic := r.BasicAuth()
		switch {
		case st == Basic || (st == Both && basic):
			return basicCredentials(r)
		case st == Form && basic:
			return "", "", oerrors.ErrInvalidClient
		}
		return server.ClientFormHandler(r)
	}
}

// basicCredentials reads HTTP Basic client credentials the way RFC 6749
// section 2.3.1 says: each form-urlencoded before the Basic encoding.
// (go-oauth2's ClientBasicHandler skips that decoding.)
func basicCredentials(r *http.Request) (string, string, error) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return "", "", oerrors.ErrInvalidClient
	}
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	if err1 != nil || err2 != nil {
		return "", "", oerrors.ErrInvalidClient
	}
	return id, secret, nil
}

// token counts the request, fails it when told to, else lets the server
// answer.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	var status int
	if len(s.fail) > 0 {
		status, s.fail = s.fail[0], s.fail[1:]
	}
	s.mu.Unlock()
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": "temporarily_unavailable", "error_description": "the token service is restarting"})
		return
	}
	rec := httptest.NewRecorder()
	s.srv.HandleTokenRequest(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, rec.Body.String())
	s.mu.Unlock()
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// api answers 200 {"ok":true} to a request with a live bearer token, else
// 401 with a Bearer challenge.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if _, err := s.srv.ValidationBearerToken(r); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"ok":false}`))
		return
	}
	w.Write([]byte(`{"ok":true}`))
}

// Requests is how many token requests arrived.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Responses are the bodies of the token responses the server wrote.
func (s *Server) Responses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

// Fail makes the next token requests answer the given statuses, in order,
// with a temporarily_unavailable error body.
func (s *Server) Fail(statuses ...int) {
	s.mu.Lock()
	s.fail = append(s.fail, statuses...)
	s.mu.Unlock()
}

// Revoke removes an access token, as a server does when it ends a session
// early: the API refuses it from then on.
func (s *Server) Revoke(access string) error {
	return s.mgr.RemoveAccessToken(context.Background(), access)
}

// RefreshToken issues a token pair by the password grant, as an earlier
// authorization would have, and returns its refresh token.
func (s *Server) RefreshToken(ctx context.Context) (string, error) {
	ti, err := s.mgr.GenerateAccessToken(ctx, oauth2.PasswordCredentials, &oauth2.TokenGenerateRequest{
		ClientID: ClientID, ClientSecret: ClientSecret, UserID: "user-1",
	})
	if err != nil {
		return "", err
	}
	if ti.GetRefresh() == "" {
		return "", errors.New("tokenpeer: no refresh token was issued")
	}
	return ti.GetRefresh(), nil
}

// Bearer returns the access token of an Authorization header value.
func Bearer(h string) string {
	tok, _ := strings.CutPrefix(h, "Bearer ")
	return tok
}
