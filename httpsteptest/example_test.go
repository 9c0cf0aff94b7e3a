package httpsteptest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/httpsteptest"
)

// exampleT stands for the *testing.T a host's test has: an Example has
// none. It prints what a test would report and runs the cleanups at done.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Logf(format string, args ...any)   {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A fake API that fails twice, then answers: the node's retries get there,
// and the assertions check what arrived.
func ExampleServer() {
	t := &exampleT{} // in a test: the test's t
	defer t.done()

	api := httpsteptest.NewServer(t)
	api.Handle("POST /v1/orders",
		httpsteptest.JSON(503, `{"error": "busy"}`).WithHeader("Retry-After", "0"),
		httpsteptest.JSON(503, `{"error": "busy"}`).WithHeader("Retry-After", "0"),
		httpsteptest.JSON(201, map[string]any{"id": "SO-1001"}),
	)

	node, _ := httpstep.ParseNode([]byte(`{
	  "method": "POST", "url": "` + api.URL + `/v1/orders",
	  "headers": [{"key": "Authorization", "value": "Bearer {{token}}"}],
	  "body": {"kind": "raw", "raw": "{\"sku\": \"{{sku}}\"}"},
	  "retry": {"maxAttempts": 3, "initialInterval": "1ms"}
	}`))
	client := &httpstep.Client{AllowPrivate: true} // the fake API is on loopback
	defer client.CloseIdleConnections()
	res, err := client.Execute(context.Background(), node, httpstep.Values{"token": httpstep.Secret("tok-1"), "sku": "A-7"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode, res.Get("id"))

	reqs := api.Received(t, "POST /v1/orders", 3)
	for _, r := range reqs {
		r.AssertHeader(t, "Authorization", "Bearer tok-1")
		r.AssertJSON(t, `{"sku": "A-7"}`)
	}
	fmt.Println(reqs[2])
	// Output:
	// 201 SO-1001
	// #3 POST /v1/orders
}

// Record an exchange once, then replay it without a network. The token
// is redacted in the file, and the replay may use any token.
func ExampleCassette() {
	t := &exampleT{}
	dir, _ := os.MkdirTemp("", "httpsteptest")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "orders.json") // in a test: "testdata/orders.json"

	api := httpsteptest.NewServer(t) // stands for the real API
	api.Handle("GET /v1/orders", httpsteptest.JSON(200, `{"orders": [{"id": "SO-1001"}]}`))
	node, _ := httpstep.ParseNode([]byte(`{"url": "` + api.URL + `/v1/orders",
	  "auth": {"type": "bearer", "token": "{{token}}"}}`))
	run := func(mode httpsteptest.Mode, token string) {
		cas := httpsteptest.NewCassette(t, path, mode)
		client := &httpstep.Client{AllowPrivate: true, WrapTransport: cas.Wrap}
		defer client.CloseIdleConnections()
		res, err := client.Execute(context.Background(), node, httpstep.Values{"token": httpstep.Secret(token)})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(mode, res.StatusCode, res.Get("orders.0.id"))
	}

	run(httpsteptest.Record, "real-token")
	t.done() // the test ends: the cassette is written
	api.Close()
	data, _ := os.ReadFile(path)
	fmt.Println("token on disk:", strings.Contains(string(data), "real-token"))

	t = &exampleT{}
	run(httpsteptest.Replay, "another-token") // the API is gone: nothing is dialled
	t.done()
	// Output:
	// record 200 SO-1001
	// token on disk: false
	// replay 200 SO-1001
}
