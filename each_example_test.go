package httpstep_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"

	"github.com/httpstep/httpstep"
)

// Run one compiled node once per row, four at a time and at most 50
// requests a second to the API, and take the results in row order.
func ExampleClient_Each() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"city":"%s-city"}`, r.URL.Query().Get("ip"))
	}))
	defer api.Close()

	client := &httpstep.Client{
		AllowPrivate: true, // the demo API is on loopback
		Limits:       []httpstep.Limit{{Host: "127.0.0.1", PerSecond: 50, Burst: 4, MaxConcurrent: 4}},
		Breaker:      &httpstep.Breaker{Failures: 5},
	}
	defer client.CloseIdleConnections()
	node := &httpstep.NodeConfig{URL: api.URL + "/ip?ip={{row.ip}}", OnFailure: httpstep.Continue}
	step, err := node.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	var rows []httpstep.Params
	for _, ip := range []string{"a", "b", "c", "d", "e", "f"} {
		rows = append(rows, httpstep.Values{"row": map[string]any{"ip": ip}})
	}
	err = client.Each(context.Background(), step, slices.Values(rows), 4, func(i int, res *httpstep.Result, err error) bool {
		fmt.Println(i, res.Get("city"))
		return true
	})
	fmt.Println(err)
	// Output:
	// 0 a-city
	// 1 b-city
	// 2 c-city
	// 3 d-city
	// 4 e-city
	// 5 f-city
	// <nil>
}
