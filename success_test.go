package httpstep

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMissingCodeSuccess (finding 5): WeChat puts errcode only on errors,
// so under the README's rule (errorCodePath errcode, successValues ["0"])
// every successful page of the follower list failed. missingCode
// "success" lets a body without a code succeed; a body with a bad one
// still fails with its code and message.
func TestMissingCodeSuccess(t *testing.T) {
	srv := wechatFollowers(t, 5, 2)
	node := `{"url": %q, "query": [{"key": "access_token", "value": "{{token}}"}],
		"success": {"errorCodePath": "errcode", "successValues": ["0"], "missingCode": "success", "errorMessagePath": "errmsg"},
		"paginate": {"mode": "cursor", "param": "next_openid", "nextPath": "next_openid", "itemsPath": "data.openid", "totalPath": "total"}}`
	res, err := testClient(t).Execute(context.Background(), nodeJSON(t, node, srv.URL+"/cgi-bin/user/get"), Values{"token": "ACCESS_TOKEN"})
	require.NoError(t, err)
	assert.JSONEq(t, `["OPENID1","OPENID2","OPENID3","OPENID4","OPENID5"]`, string(res.Body))
	assert.Len(t, res.Attempts, 3)

	res, err = testClient(t).Execute(context.Background(), nodeJSON(t, node, srv.URL+"/cgi-bin/user/get"), Values{"token": "expired"})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindErrorCode, f.Kind)
	assert.Equal(t, "40013", f.Code)
	assert.Equal(t, "invalid appid", f.Message)
	assert.Len(t, res.Attempts, 1)
}

// TestErrorCodeWithoutSuccessValues: GraphQL answers 200 with an errors
// member only when something went wrong. errorCodePath alone fails an
// answer that has a value there, with that value as the Code; missingCode
// decides an answer without one.
func TestErrorCodeWithoutSuccessValues(t *testing.T) {
	srv := shopifyGraphQL(t, 3, 5)
	node := `{"method": "POST", "url": %q, "body": {"kind": "raw", "raw": %q},
		"success": {"errorCodePath": "errors.0.extensions.code", "missingCode": "success", "errorMessagePath": "errors.0.message"}}`
	c := testClient(t)
	res, err := c.Execute(context.Background(), nodeJSON(t, node, srv.URL, `{"query": "{ orders(first: 5) { nodes { id } } }"}`), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.Get("data.orders.nodes.#").Int())

	_, err = c.Execute(context.Background(), nodeJSON(t, node, srv.URL, `{"variables": {}}`), nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindErrorCode, f.Kind)
	assert.Equal(t, "BAD_REQUEST", f.Code)
	assert.Equal(t, "No query string was present", f.Message)
}

func TestEvaluateMissingCode(t *testing.T) {
	tests := []struct {
		name string
		rule SuccessRule
		body string
		kind FailureKind
		code string
	}{
		{"absent fails by default", SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}}, `{"total":2}`, KindErrorCode, ""},
		{"absent succeeds", SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}, MissingCode: MissingCodeSuccess}, `{"total":2}`, "", ""},
		{"null is absent", SuccessRule{ErrorCodePath: "errors", MissingCode: MissingCodeSuccess}, `{"data":{},"errors":null}`, "", ""},
		{"success value", SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}, MissingCode: MissingCodeSuccess}, `{"errcode":0}`, "", ""},
		{"bad value", SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}, MissingCode: MissingCodeSuccess}, `{"errcode":40001}`, KindErrorCode, "40001"},
		{"any value fails without successValues", SuccessRule{ErrorCodePath: "error.code", MissingCode: MissingCodeSuccess}, `{"error":{"code":"x"}}`, KindErrorCode, "x"},
		{"not JSON still fails", SuccessRule{ErrorCodePath: "errcode", MissingCode: MissingCodeSuccess}, `<html>`, KindErrorCode, ""},
		{"literal key", SuccessRule{ErrorCodePath: "@odata.error", MissingCode: MissingCodeSuccess}, `{"@odata.error":"E1"}`, KindErrorCode, "E1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := evaluate(&tt.rule, 200, []byte(tt.body))
			if tt.kind == "" {
				assert.Nil(t, f)
				return
			}
			require.NotNil(t, f)
			assert.Equal(t, tt.kind, f.Kind)
			assert.Equal(t, tt.code, f.Code)
		})
	}
	var ce *ConfigError
	require.ErrorAs(t, (&NodeConfig{URL: "https://x.test", Success: SuccessRule{ErrorCodePath: "e", MissingCode: "ignore"}}).Validate(), &ce)
	assert.Equal(t, "success.missingCode", ce.Problems[0].Field)
	assert.NoError(t, (&NodeConfig{URL: "https://x.test", Success: SuccessRule{ErrorCodePath: "errors.0.extensions.code"}}).Validate(), "errorCodePath without successValues is valid")
}
