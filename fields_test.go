package httpstep

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFields(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-42")
		w.Header().Set("X-Count", "7")
		io.WriteString(w, `{"id":"12","total":"19.90","paid":"yes","name":123,"big":9007199254740993,
			"bad":"n/a","flag":"maybe","missing":null,"customer":{"name":"Ann","vip":1,"extra":true},
			"lines":[{"sku":"A","qty":"2"},{"sku":"B"}],"tags":["1","x"],"when":"2026-11-27T08:00:00Z"}`)
	})
	schema := &Schema{Fields: []Field{
		{Name: "id", Path: "id", Type: "number"},
		{Name: "total", Path: "total", Type: "number"},
		{Name: "paid", Path: "paid", Type: "boolean"},
		{Name: "name", Path: "name", Type: "string"},
		{Name: "big", Path: "big", Type: "number"},
		{Name: "bad", Path: "bad", Type: "number"},
		{Name: "flag", Path: "flag", Type: "boolean"},
		{Name: "missing", Path: "missing", Type: "string"},
		{Name: "absent", Path: "nope", Type: "string"},
		{Name: "customer", Path: "customer", Type: "object", Fields: []Field{{Name: "name", Path: "customer.name", Type: "string"}, {Name: "vip", Path: "customer.vip", Type: "boolean"}}},
		{Name: "lines", Path: "lines", Type: "array", Fields: []Field{{Name: "sku", Path: "sku", Type: "string"}, {Name: "qty", Path: "qty", Type: "number"}}},
		{Name: "tags", Path: "tags", Type: "array", Fields: []Field{{Path: "@this", Type: "number"}}},
		{Name: "when", Path: "when", Type: "string", Format: "date-time"},
		{Name: "requestId", Path: "header:X-Request-Id", Type: "string"},
		{Name: "count", Path: "header:X-Count", Type: "number"},
	}}
	c := testClient(t)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Response: schema}, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"id": int64(12), "total": 19.9, "paid": true, "name": "123", "big": int64(9007199254740993),
		"customer": map[string]any{"name": "Ann", "vip": true},
		"lines":    []any{map[string]any{"sku": "A", "qty": int64(2)}, map[string]any{"sku": "B"}},
		"tags":     []any{int64(1), nil},
		"when":     "2026-11-27T08:00:00Z", "requestId": "req-42", "count": int64(7),
	}, res.Fields())
	v, ok := res.Field("total")
	assert.True(t, ok)
	assert.Equal(t, 19.9, v)
	_, ok = res.Field("bad")
	assert.False(t, ok, "a value that cannot convert is missing, not zero")

	failed, _ := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Response: schema, Success: SuccessRule{Codes: []int{201}}, OnFailure: Continue}, nil)
	assert.Nil(t, failed.Fields())
	_, ok = failed.Field("id")
	assert.False(t, ok)
}

// TestFieldsFromInferSchema: a schema inferred from the example reads the
// response it was made from, nested objects and arrays included.
func TestFieldsFromInferSchema(t *testing.T) {
	body := `{"data":{"id":7,"owner":{"name":"Ann"}},"lines":[{"sku":"A","dim":{"w":2}}],"tags":["x"]}`
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
	schema, err := InferSchema([]byte(body))
	require.NoError(t, err)
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL, Response: schema}, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"data":  map[string]any{"id": int64(7), "owner": map[string]any{"name": "Ann"}},
		"lines": []any{map[string]any{"sku": "A", "dim": map[string]any{"w": int64(2)}}},
		"tags":  []any{"x"},
	}, res.Fields())
}

// TestFieldsOfRootArray: a schema inferred from a root array marks it as
// one, so Fields reads every element; the elements' relative paths once
// resolved against the root array and gave nothing.
func TestFieldsOfRootArray(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[{"id":"7","tags":["a"]},{"id":8,"tags":[]}]`)
	})
	schema, err := InferSchema([]byte(`[{"id":1,"tags":["x"]}]`))
	require.NoError(t, err)
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL, Response: schema}, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"items": []any{
		map[string]any{"id": int64(7), "tags": []any{"a"}},
		map[string]any{"id": int64(8), "tags": []any{}},
	}}, res.Fields())
}
