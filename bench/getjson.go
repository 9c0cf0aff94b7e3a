package bench

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/httpstep/httpstep"
)

// GetJSON is the job of BenchmarkGetJSON and BenchmarkParallelGet: GET
// /orders with two query values that need escaping and a templated
// Authorization header, check the status, read three fields of the 1 KiB
// JSON reply.
var GetJSON = []Contender[Order]{
	{"nethttp", func(s *Server) (Op[Order], func()) { return nethttpGet(s.URL + "/orders") }},
	{"httpstep", func(s *Server) (Op[Order], func()) { return httpstepGet(compiled, s.URL+"/orders", nil) }},
	{"httpstep-execute", func(s *Server) (Op[Order], func()) { return httpstepGet(executed, s.URL+"/orders", nil) }},
	{"httpstep-json", func(s *Server) (Op[Order], func()) { return httpstepGet(decoded, s.URL+"/orders", nil) }},
	{"httpstep-summary", func(s *Server) (Op[Order], func()) { return httpstepGet(summarized, s.URL+"/orders", nil) }},
	{"resty", func(s *Server) (Op[Order], func()) { return restyGet(newResty(), s.URL+"/orders") }},
	{"retryablehttp", func(s *Server) (Op[Order], func()) {
		return retryableGet(newRetryable(), s.URL+"/orders")
	}},
}

// newTransport is net/http's default transport with idlePerHost idle
// connections per host.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = idlePerHost
	return t
}

// nethttpGet is the request written by hand: url.Values for the query,
// io.ReadAll, gjson for the fields.
func nethttpGet(base string) (Op[Order], func()) {
	hc := &http.Client{Transport: newTransport()}
	return func(ctx context.Context) (Order, error) {
		return nethttpOrder(ctx, hc, base, 1)
	}, hc.CloseIdleConnections
}

// nethttpOrder sends the GET, trying again after 1 ms while the server
// answers 503 and attempts remain.
func nethttpOrder(ctx context.Context, hc *http.Client, base string, attempts int) (Order, error) {
	q := url.Values{}
	q.Set("status", queryStatus)
	q.Set("since", querySince)
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"?"+q.Encode(), nil)
		if err != nil {
			return Order{}, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		body, code, err := do(hc, req)
		if err != nil {
			return Order{}, err
		}
		if code == http.StatusServiceUnavailable && attempt < attempts {
			if err := sleep(ctx, time.Millisecond); err != nil {
				return Order{}, err
			}
			continue
		}
		return readOrder(body, code, nil)
	}
}

// do sends req and reads the whole reply.
func do(hc *http.Client, req *http.Request) ([]byte, int, error) {
	return readAll(hc.Do(req))
}

// readAll reads and closes the body of a reply.
func readAll(resp *http.Response, err error) ([]byte, int, error) {
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runner runs a node with params, the way a contender of httpstep does.
type runner func(ctx context.Context, params httpstep.Params) (*httpstep.Result, error)

// compiled compiles node once and runs the Step on every call: what a host
// that runs one node for many rows does.
func compiled(c *httpstep.Client, node *httpstep.NodeConfig) runner {
	step, err := node.Compile()
	return func(ctx context.Context, params httpstep.Params) (*httpstep.Result, error) {
		if err != nil {
			return nil, err
		}
		return c.Run(ctx, step, params)
	}
}

// executed validates and compiles node on every call: Client.Execute, the
// one-call form.
func executed(c *httpstep.Client, node *httpstep.NodeConfig) runner {
	return func(ctx context.Context, params httpstep.Params) (*httpstep.Result, error) {
		return c.Execute(ctx, node, params)
	}
}

// decoded decodes the stored node from its JSON and executes it on every
// call, as a workflow engine that keeps its nodes as JSON does when a run
// reaches one: a fresh NodeConfig each time, Client.Execute.
func decoded(c *httpstep.Client, node *httpstep.NodeConfig) runner {
	stored, err := json.Marshal(node)
	return func(ctx context.Context, params httpstep.Params) (*httpstep.Result, error) {
		if err != nil {
			return nil, err
		}
		var n httpstep.NodeConfig
		if err := json.Unmarshal(stored, &n); err != nil {
			return nil, err
		}
		return c.Execute(ctx, &n, params)
	}
}

// summarized is compiled on a Client that keeps successful attempts as
// summaries in the history (Client.History = HistorySummary), as a host
// that runs many rows may choose.
func summarized(c *httpstep.Client, node *httpstep.NodeConfig) runner {
	c.History = httpstep.HistorySummary
	return compiled(c, node)
}

// httpstepGet runs a stored node: the query values and the header are
// templates, the token is a Secret.
func httpstepGet(how func(*httpstep.Client, *httpstep.NodeConfig) runner, u string, retry *httpstep.RetryPolicy) (Op[Order], func()) {
	c := &httpstep.Client{AllowPrivate: true}
	node := &httpstep.NodeConfig{
		URL:     u,
		Query:   []httpstep.KeyValue{{Key: "status", Value: "{{status}}"}, {Key: "since", Value: "{{since}}"}},
		Headers: []httpstep.KeyValue{{Key: "Authorization", Value: "Bearer {{token}}"}},
		Retry:   retry,
	}
	params := httpstep.Values{"status": queryStatus, "since": querySince, "token": httpstep.Secret(token)}
	return httpstepOrder(how(c, node), params), c.CloseIdleConnections
}

// httpstepOrder runs a node and reads the three fields of its reply.
func httpstepOrder(run runner, params httpstep.Params) Op[Order] {
	return func(ctx context.Context) (Order, error) {
		res, err := run(ctx, params)
		if err != nil {
			return Order{}, err
		}
		if res.StatusCode != http.StatusOK {
			return Order{}, &statusError{res.StatusCode, res.Body}
		}
		return Order{
			ID:     res.Get("id").String(),
			Status: res.Get("status").String(),
			Total:  res.Get("total").Float(),
		}, nil
	}
}

// newResty is a resty client keeping idlePerHost idle connections.
func newResty() *resty.Client {
	c := resty.New()
	if t, err := c.Transport(); err == nil {
		t.MaxIdleConnsPerHost = idlePerHost
	}
	return c
}

// restyGet is resty as its README shows it: query parameters from a map,
// SetAuthToken for the bearer token, SetResult to decode the reply.
func restyGet(c *resty.Client, u string) (Op[Order], func()) {
	return func(ctx context.Context) (Order, error) {
		var out Order
		resp, err := c.R().
			SetContext(ctx).
			SetQueryParams(map[string]string{"status": queryStatus, "since": querySince}).
			SetAuthToken(token).
			SetResult(&out).
			Get(u)
		if err != nil {
			return Order{}, err
		}
		if resp.StatusCode() != http.StatusOK {
			return Order{}, &statusError{resp.StatusCode(), resp.Body()}
		}
		return out, nil
	}, c.GetClient().CloseIdleConnections
}

// newRetryable is a go-retryablehttp client keeping idlePerHost idle
// connections, without its default logger (which writes a line to stderr
// for every request).
func newRetryable() *retryablehttp.Client {
	c := retryablehttp.NewClient()
	c.Logger = nil
	c.HTTPClient.Transport.(*http.Transport).MaxIdleConnsPerHost = idlePerHost
	return c
}

// retryableGet is go-retryablehttp's request, shaped like net/http's.
func retryableGet(c *retryablehttp.Client, base string) (Op[Order], func()) {
	return func(ctx context.Context) (Order, error) {
		q := url.Values{}
		q.Set("status", queryStatus)
		q.Set("since", querySince)
		req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, base+"?"+q.Encode(), nil)
		if err != nil {
			return Order{}, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return readOrder(readAll(c.Do(req)))
	}, c.HTTPClient.CloseIdleConnections
}
