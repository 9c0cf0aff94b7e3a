package httpstep_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// TestReviewFailureMessageOrder: errorMessages[status], then the value at
// errorMessagePath, then errorMessage, then the status text; the failed
// Result keeps status, headers and body.
func TestReviewFailureMessageOrder(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("s"))
		w.Header().Set("X-Why", "because")
		w.WriteHeader(code)
		if r.URL.Query().Get("m") == "1" {
			_, _ = w.Write([]byte(`{"errmsg":"from body"}`))
		} else {
			_, _ = w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	rule := httpstep.SuccessRule{ErrorMessages: map[string]string{"500": "order system down"}, ErrorMessagePath: "errmsg", ErrorMessage: "generic"}
	for _, tc := range []struct{ q, want string }{
		{"s=500&m=1", "order system down"},
		{"s=502&m=1", "from body"},
		{"s=502", "generic"},
	} {
		res, err := loopback.Execute(context.Background(), &httpstep.NodeConfig{URL: srv.URL + "/?" + tc.q, Success: rule}, nil)
		var f *httpstep.Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, tc.want, f.Message)
		assert.Equal(t, httpstep.KindStatus, f.Kind)
		assert.NotZero(t, res.StatusCode)
		assert.Equal(t, "because", res.Header.Get("X-Why"))
		assert.NotEmpty(t, res.Body)
	}
	res, _ := loopback.Execute(context.Background(), &httpstep.NodeConfig{URL: srv.URL + "/?s=503"}, nil)
	assert.Contains(t, res.Failure.Message, "Service Unavailable")
}

// TestReviewDurationJSON: written as "1.5s", read from a string or from
// milliseconds.
func TestReviewDurationJSON(t *testing.T) {
	var n httpstep.NodeConfig
	require.NoError(t, json.Unmarshal([]byte(`{"url":"https://a.example","timeout":1500}`), &n))
	assert.Equal(t, httpstep.Duration(1500*time.Millisecond), n.Timeout)
	out, _ := json.Marshal(n.Timeout)
	assert.Equal(t, `"1.5s"`, string(out))
}

// TestReviewMaxResponseAfterDecompression: the cap counts decoded bytes.
func TestReviewMaxResponseAfterDecompression(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(bytes.Repeat([]byte("a"), 1<<20))
	_ = zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(buf.Bytes())
	}))
	defer srv.Close()
	c := &httpstep.Client{AllowPrivate: true, MaxResponseBytes: 64 << 10}
	defer c.CloseIdleConnections()
	require.Less(t, buf.Len(), 64<<10)
	res, err := c.Execute(context.Background(), &httpstep.NodeConfig{URL: srv.URL}, nil)
	require.Error(t, err)
	assert.Equal(t, httpstep.KindTooLarge, res.Failure.Kind)
}
