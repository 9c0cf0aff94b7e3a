package httpstep_test

import (
	"context"
	"fmt"

	"github.com/httpstep/httpstep"
)

// A node editor's "preview" shows the request as the step would send it:
// the secrets redacted as in the execution history, and a placeholder
// where the token would be fetched. Nothing is sent and no name is looked
// up, so the API's host need not even exist.
func ExampleClient_DryRun() {
	node, err := httpstep.ParseNode([]byte(`{
		"method": "POST",
		"url": "https://api.example.test/v1/orders?customer={{customer}}",
		"headers": [{"key": "X-Shop", "value": "{{shopKey}}"}],
		"body": {"kind": "raw", "raw": "{\"sku\": \"{{sku}}\", \"qty\": 2}"},
		"auth": {"type": "oauth2", "oauth2": {"grant": "client_credentials",
			"tokenUrl": "https://auth.example.test/token", "clientId": "shop", "clientSecret": "{{clientSecret}}"}}
	}`))
	if err != nil {
		panic(err)
	}
	step, err := node.Compile()
	if err != nil {
		panic(err)
	}
	req, err := new(httpstep.Client).DryRun(context.Background(), step, httpstep.Values{
		"customer": "c 42", "sku": "A-1",
		"shopKey": httpstep.Secret("shop-key-9f2c"), "clientSecret": httpstep.Secret("s3cr3t-value"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(req.Method, req.URL)
	for _, k := range []string{"Authorization", "X-Shop", "Content-Type"} {
		fmt.Printf("%s: %s\n", k, req.Header[k][0])
	}
	fmt.Println(req.Body)
	// Output:
	// POST https://api.example.test/v1/orders?customer=c+42
	// Authorization: Bearer [oauth2 token: fetched from the token URL when the step runs]
	// X-Shop: [REDACTED]
	// Content-Type: application/json
	// {"sku": "A-1", "qty": 2}
}
