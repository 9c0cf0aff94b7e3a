package httpstep

import (
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
