package httpstep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// TestRowsThroughClient: Rows and EachRow read the array of a real response
// and honour the host's row cap.
func TestRowsThroughClient(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		items := make([]string, 150)
		for i := range items {
			items[i] = fmt.Sprintf(`{"id":%d}`, i)
		}
		fmt.Fprintf(w, `{"data":[%s],"meta":{"n":150}}`, strings.Join(items, ","))
	})
	c := testClient(t)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.NoError(t, err)
	rows, err := res.Rows("data")
	require.NoError(t, err)
	assert.Len(t, rows, 150)
	var seen int
	require.NoError(t, res.EachRow("data", func(i int, row gjson.Result) bool {
		seen++
		return i < 9
	}))
	assert.Equal(t, 10, seen, "EachRow stops when fn returns false")
	_, err = res.Rows("meta")
	assert.ErrorContains(t, err, "not an array")

	c.MaxRows = 100 // the product's cap for record nodes
	res, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.NoError(t, err)
	_, err = res.Rows("data")
	var tooMany *TooManyRowsError
	require.True(t, errors.As(err, &tooMany), err)
	assert.Equal(t, 150, tooMany.Count)
	assert.Equal(t, 100, tooMany.Max)
	assert.Error(t, res.EachRow("data", func(int, gjson.Result) bool { return true }))
}

// TestResponseLimits: a body over MaxResponseBytes is kind too_large, a
// header block over 1 MiB is refused, and a charset that does not exist is
// read as UTF-8 with a note in the history.
func TestResponseLimits(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		case "/headers":
			for i := 0; i < 40; i++ {
				w.Header().Add("X-Pad", strings.Repeat("h", 32<<10))
			}
		case "/charset":
			w.Header().Set("Content-Type", "application/json; charset=klingon")
			w.Write([]byte(`{"name":"Zoë"}`))
		case "/gbk":
			w.Header().Set("Content-Type", "application/json; charset=GBK")
			w.Write([]byte("{\"city\":\"\xba\xbc\xd6\xdd\"}")) // 杭州 in GBK
		}
	})
	c := testClient(t)
	c.MaxResponseBytes = 1024
	_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/big"}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindTooLarge, f.Kind)
	assert.Contains(t, f.Message, "the limit of 1 KiB;", "a size a person reads")

	_, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/headers"}, nil)
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindNetwork, f.Kind)

	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/charset"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "Zoë", res.Get("name").String())
	assert.Contains(t, strings.Join(res.Attempts[0].Notes, "\n"), `unknown charset "klingon"`)

	res, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/gbk"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "杭州", res.Get("city").String())
}

// TestMaxResponseCountsDecodedBytes: MaxResponseBytes caps the body as
// decoded, so a small gzip body that inflates past it is kind too_large.
func TestMaxResponseCountsDecodedBytes(t *testing.T) {
	zipped := compress(t, bytes.Repeat([]byte("a"), 1<<20), gzipW)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(zipped)
	})
	c := testClient(t)
	c.MaxResponseBytes = 64 << 10
	require.Less(t, len(zipped), 64<<10)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.Error(t, err)
	assert.Equal(t, KindTooLarge, res.Failure.Kind)
	assert.Contains(t, res.Failure.Message, "the limit of 64 KiB;")
	assert.NotContains(t, res.Failure.Message, "65536")
}
