package httpstep

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPathGet(t *testing.T) {
	body := []byte(`{"@odata.nextLink":"https://next","@odata.context":"ctx","a.b":1,"a":{"b":2},"value":[{"id":1},{"id":2}],"#":"hash"}`)
	tests := map[string]string{
		"@odata.nextLink": "https://next", // a modifier to gjson, a key here
		"a.b":             "1",            // the literal key wins over the nested path
		"a":               `{"b":2}`,
		"value.#":         "2", // no literal key: gjson's syntax
		"value.1.id":      "2",
		"#":               "hash",
		"@missing":        "",
	}
	for path, want := range tests {
		v := pathGet(body, path)
		got := v.String()
		if v.IsObject() {
			got = v.Raw
		}
		assert.Equal(t, want, got, path)
	}
	assert.Equal(t, `\@odata\.nextLink`, literalPath(body, "@odata.nextLink"))
	assert.Equal(t, "value.#", literalPath(body, "value.#"))
}

// TestResultLiteralKeys: Get, Lookup and Rows read a key the body has
// literally, as the node's own paths do (a sibling of finding 4).
func TestResultLiteralKeys(t *testing.T) {
	srv := graphUsers(t, 3)
	res, err := testClient(t).Execute(context.Background(), nodeJSON(t, `{"url": %q}`, srv.URL+"/v1.0/users?$top=2"), nil)
	require.NoError(t, err)
	v, ok := res.Lookup("@odata.nextLink")
	require.True(t, ok)
	assert.Contains(t, v.String(), "$skiptoken=")
	assert.Equal(t, "https://graph.microsoft.com/v1.0/$metadata#users", res.Get("@odata.context").String())
	rows, err := res.Rows("value")
	require.NoError(t, err)
	assert.Len(t, rows, 2)
}

// TestFieldLiteralKey: a declared output field whose path is a literal key
// reads it.
func TestFieldLiteralKey(t *testing.T) {
	srv := graphUsers(t, 3)
	node := nodeJSON(t, `{"url": %q, "response": {"fields": [{"name": "next", "path": "@odata.nextLink", "type": "string"}]}}`, srv.URL+"/v1.0/users?$top=2")
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	v, ok := res.Field("next")
	require.True(t, ok)
	assert.Contains(t, v, "$skiptoken=")
}
