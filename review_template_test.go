package httpstep_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewValuesKeepShape: no parameter value changes the shape of the
// request: host, header and whole-URL values that would are kind param
// (or blocked), with nothing sent; path and query values are escaped.
func TestReviewValuesKeepShape(t *testing.T) {
	var hits atomic.Int64
	var last atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		last.Store(r.URL.RawPath + "|" + r.URL.EscapedPath() + "|" + r.URL.RawQuery + "|" + strings.Join(r.Header.Values("X-A"), ","))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	for _, tc := range []struct {
		node   httpstep.NodeConfig
		params httpstep.Values
	}{
		{httpstep.NodeConfig{URL: "http://{{h}}/x"}, httpstep.Values{"h": "evil.example/@" + host}},
		{httpstep.NodeConfig{URL: srv.URL + "/x", Headers: []httpstep.KeyValue{{Key: "X-A", Value: "{{v}}"}}}, httpstep.Values{"v": "a\r\nX-Injected: 1"}},
		{httpstep.NodeConfig{URL: "{{u}}"}, httpstep.Values{"u": "file:///etc/passwd"}},
	} {
		hits.Store(0)
		res, err := loopback.Execute(ctx, &tc.node, tc.params)
		require.Error(t, err)
		assert.Contains(t, []httpstep.FailureKind{httpstep.KindParam, httpstep.KindBlocked}, res.Failure.Kind, tc.node.URL)
		assert.Zero(t, hits.Load(), tc.node.URL)
	}
	res, err := loopback.Execute(ctx, &httpstep.NodeConfig{URL: srv.URL + "/a%20b/{{p}}?q={{q}}"}, httpstep.Values{"p": "../x?y=1#z", "q": "1&admin=true"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), hits.Load())
	got := last.Load().(string)
	assert.Contains(t, got, "/a%20b/")
	assert.NotContains(t, got, "admin=true&")
	assert.NotContains(t, got, "|y=1")
	assert.Contains(t, got, "q=1%26admin%3Dtrue")
	_ = res
}
