package httpstep_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/httpstep/httpstep"
)

// ordersAPI is a loopback stand-in for an order system.
func ordersAPI() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("status") == "broken" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		io.WriteString(w, `{"errcode":0,"data":{"orders":[{"id":"A-1","total":19.9},{"id":"A-2","total":5}]}}`)
	}))
}

// Pull orders and turn the returned array into rows, as a "Get Multiple
// Data" node does.
func ExampleClient_Execute() {
	api := ordersAPI()
	defer api.Close()

	node := &httpstep.NodeConfig{
		URL:     api.URL + "/orders",
		Query:   []httpstep.KeyValue{{Key: "status", Value: "{{trigger.status}}"}},
		Headers: []httpstep.KeyValue{{Key: "Authorization", Value: "Bearer {{org.token}}"}},
		Success: httpstep.SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}},
	}
	client := &httpstep.Client{AllowPrivate: true} // the demo API is on loopback
	defer client.CloseIdleConnections()

	res, err := client.Execute(context.Background(), node, httpstep.Values{
		"trigger": map[string]any{"status": "paid"},
		"org":     map[string]any{"token": httpstep.Secret("s3cr3t")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, _ := res.Rows("data.orders")
	for _, row := range rows {
		fmt.Println(row.Get("id"), row.Get("total"))
	}
	fmt.Println(res.Attempts[0].Request.Header["Authorization"])
	// Output:
	// A-1 19.9
	// A-2 5
	// [[REDACTED]]
}

// Under the "continue" policy a failed node returns no error, and Lookup
// answers false, so later nodes skip only what depends on it.
func ExampleResult_Lookup() {
	api := ordersAPI()
	defer api.Close()
	client := &httpstep.Client{AllowPrivate: true}
	defer client.CloseIdleConnections()

	node := &httpstep.NodeConfig{
		URL:       api.URL + "/orders?status={{s}}",
		OnFailure: httpstep.Continue,
		Success:   httpstep.SuccessRule{ErrorMessages: map[string]string{"500": "the order system is down"}},
	}
	res, err := client.Execute(context.Background(), node, httpstep.Values{"s": "broken"})
	fmt.Println(err)
	fmt.Println(res.Failure.Kind, res.Failure.Message)
	_, ok := res.Lookup("data.orders")
	fmt.Println(ok)
	// Output:
	// <nil>
	// status the order system is down
	// false
}

// Validate reports every problem of a stored node at once.
func ExampleNodeConfig_Validate() {
	var node httpstep.NodeConfig
	_ = json.Unmarshal([]byte(`{"method":"GET ALL","url":"ftp://example.com","success":{"codes":"200,700"}}`), &node)
	fmt.Println(node.Validate())
	// Output:
	// httpstep: invalid node configuration
	//   method: "GET ALL" is not a method: use GET, POST, PUT, DELETE, HEAD, PATCH or another token of letters, digits and !#$%&'*+-.^_`|~
	//   url: the API URL must start with http:// or https://
	//   success.codes: 700 is not an HTTP status: use 100 to 599
}

// Refs lists the parameters "Test API" prompts for.
func ExampleNodeConfig_Refs() {
	node := &httpstep.NodeConfig{
		URL:     "https://erp.example.com/orders/{{record.id}}",
		Headers: []httpstep.KeyValue{{Key: "Authorization", Value: "Bearer {{org.token}}"}},
		Body:    &httpstep.Body{Kind: httpstep.BodyRaw, Raw: `{"id":"{{record.id}}","by":"{{user.name}}"}`},
	}
	fmt.Println(node.Refs())
	// Output:
	// [record.id org.token user.name]
}

// Compile a node once and run it for many rows: validation and template
// parsing happen once, each Run only renders the row's values and sends.
func ExampleNodeConfig_Compile() {
	api := ordersAPI()
	defer api.Close()

	node := &httpstep.NodeConfig{
		URL:     api.URL + "/orders",
		Query:   []httpstep.KeyValue{{Key: "status", Value: "{{row.status}}"}},
		Success: httpstep.SuccessRule{ErrorCodePath: "errcode", SuccessValues: []string{"0"}},
	}
	step, err := node.Compile()
	if err != nil {
		fmt.Println(err) // a *ConfigError listing every problem
		return
	}
	client := &httpstep.Client{AllowPrivate: true} // the demo API is on loopback
	defer client.CloseIdleConnections()
	for _, status := range []string{"paid", "broken"} {
		res, err := client.Run(context.Background(), step, httpstep.Values{"row": map[string]any{"status": status}})
		if err != nil {
			fmt.Println(status, "failed:", res.Failure.Kind, res.StatusCode)
			continue
		}
		fmt.Println(status, "orders:", res.Get("data.orders.#"))
	}
	// Output:
	// paid orders: 2
	// broken failed: status 500
}
