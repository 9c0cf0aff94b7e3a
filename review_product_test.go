package httpstep_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewBinaryOneAttachment: a binary body takes exactly one
// attachment; a list of two fails with nothing sent.
func TestReviewBinaryOneAttachment(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	f := func(s string) httpstep.File {
		return httpstep.File{Name: s + ".txt", Size: int64(len(s)), Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }}
	}
	node := &httpstep.NodeConfig{Method: "POST", URL: srv.URL, Body: &httpstep.Body{Kind: httpstep.BodyBinary, File: "doc"}}
	res, err := loopback.Execute(context.Background(), node, httpstep.Values{"doc": []httpstep.File{f("a"), f("b")}})
	require.Error(t, err)
	assert.Equal(t, httpstep.KindParam, res.Failure.Kind)
	assert.Zero(t, hits.Load())
	_, err = loopback.Execute(context.Background(), node, httpstep.Values{"doc": f("a")})
	require.NoError(t, err)
	assert.Equal(t, int64(1), hits.Load())
}

// TestReviewSourceAddrsPerRequest: with two egress addresses, requests
// leave from both ("randomly selected per request").
func TestReviewSourceAddrsPerRequest(t *testing.T) {
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skip("no 127.0.0.2 here")
	} else {
		ln.Close()
	}
	var mu sync.Mutex
	from := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		from[host]++
		mu.Unlock()
	}))
	defer srv.Close()
	c := &httpstep.Client{AllowPrivate: true, SourceAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")}}
	defer c.CloseIdleConnections()
	for range 40 {
		_, err := c.Execute(context.Background(), &httpstep.NodeConfig{URL: srv.URL}, nil)
		require.NoError(t, err)
	}
	assert.Len(t, from, 2, "both egress addresses used: %v", from)
}
