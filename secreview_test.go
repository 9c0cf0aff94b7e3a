package httpstep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPreviewCutThroughSecret: a secret that the 4 KiB preview cut splits
// shows none of its characters, in the request preview nor in the echoed
// response, wherever the cut falls inside it.
func TestPreviewCutThroughSecret(t *testing.T) {
	const secret = "s3cr3t-0123456789abcdefghijklmnopqrstuvwxyz"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	c := testClient(t)
	for _, before := range []int{previewBytes - 4, previewBytes - 20, previewBytes - len(secret) + 1} {
		t.Run(fmt.Sprint(before), func(t *testing.T) {
			node := &NodeConfig{URL: srv.URL, Method: "POST", Body: &Body{Kind: "raw", ContentType: "text/plain",
				Raw: strings.Repeat("a", before) + "{{k}}" + strings.Repeat("b", 100)}}
			res, err := c.Execute(context.Background(), node, Values{"k": Secret(secret)})
			require.NoError(t, err)
			b, err := json.Marshal(res.Attempts)
			require.NoError(t, err)
			assert.NotContains(t, string(b), secret[:3], "the start of a cut secret")
			assert.True(t, res.Attempts[0].Request.Truncated)
			assert.True(t, res.Attempts[0].Response.Truncated)
		})
	}
}
