package httpstep_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewNextPageElsewhere: a next_url page on another host gets no
// credentials, and the pull is one array of every page's items.
func TestReviewNextPageElsewhere(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("no 127.0.0.2 here")
	}
	var mu sync.Mutex
	var auths []string
	other := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization")+r.URL.RawQuery)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"items":[3],"next":""}`))
	})}}
	other.Start()
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"items":[1,2],"next":"` + other.URL + `/p2"}`))
	}))
	defer home.Close()
	res, err := loopback.Execute(context.Background(), &httpstep.NodeConfig{URL: home.URL,
		Auth:     &httpstep.Auth{Type: "bearer", Token: "tok-SECRET"},
		Paginate: &httpstep.Pagination{Mode: "next_url", ItemsPath: "items", NextPath: "next"}}, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `[1,2,3]`, string(res.Body))
	rows, err := res.Rows("")
	require.NoError(t, err)
	assert.Len(t, rows, 3)
	assert.Equal(t, []string{""}, auths)
}

// TestReviewGuardOnFollowUps: a status URL or a next page on an address
// the guard refuses is kind blocked, and nothing reaches it.
func TestReviewGuardOnFollowUps(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("no 127.0.0.2 here")
	}
	var hits atomic.Int64
	internal := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"items":[]}`))
	})}}
	internal.Start()
	defer internal.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/job" {
			w.Header().Set("Location", internal.URL+"/status")
			w.WriteHeader(202)
			return
		}
		_, _ = w.Write([]byte(`{"items":[1],"next":"` + internal.URL + `/p2"}`))
	}))
	defer home.Close()
	c := &httpstep.Client{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	defer c.CloseIdleConnections()
	for _, node := range []*httpstep.NodeConfig{
		{Method: "POST", URL: home.URL + "/job", Async: &httpstep.Async{Interval: httpstep.Duration(100 * time.Millisecond)}},
		{URL: home.URL + "/list", Paginate: &httpstep.Pagination{Mode: "next_url", ItemsPath: "items", NextPath: "next"}},
	} {
		res, err := c.Execute(context.Background(), node, nil)
		require.Error(t, err)
		assert.Equal(t, httpstep.KindBlocked, res.Failure.Kind)
	}
	assert.Zero(t, hits.Load())
}
