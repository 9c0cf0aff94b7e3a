package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/httpstep/httpstep"
)

// PostJSON is the job of BenchmarkPostJSON: POST /orders with a JSON body
// built from five values (the note has quotes and a newline) and the
// templated Authorization header, check the status, read three fields of
// the 1 KiB reply.
var PostJSON = []Contender[Order]{
	{"nethttp", func(s *Server) (Op[Order], func()) {
		hc := &http.Client{Transport: newTransport()}
		u := s.URL + "/orders"
		return func(ctx context.Context) (Order, error) {
			b, err := json.Marshal(newOrder())
			if err != nil {
				return Order{}, err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
			if err != nil {
				return Order{}, err
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			return readOrder(do(hc, req))
		}, hc.CloseIdleConnections
	}},
	{"httpstep", func(s *Server) (Op[Order], func()) { return httpstepPost(compiled, s.URL+"/orders") }},
	{"httpstep-execute", func(s *Server) (Op[Order], func()) { return httpstepPost(executed, s.URL+"/orders") }},
	{"httpstep-json", func(s *Server) (Op[Order], func()) { return httpstepPost(decoded, s.URL+"/orders") }},
	{"httpstep-summary", func(s *Server) (Op[Order], func()) { return httpstepPost(summarized, s.URL+"/orders") }},
	{"resty", func(s *Server) (Op[Order], func()) {
		c := newResty()
		u := s.URL + "/orders"
		return func(ctx context.Context) (Order, error) {
			var out Order
			resp, err := c.R().SetContext(ctx).SetAuthToken(token).SetBody(newOrder()).SetResult(&out).Post(u)
			if err != nil {
				return Order{}, err
			}
			if resp.StatusCode() != http.StatusOK {
				return Order{}, &statusError{resp.StatusCode(), resp.Body()}
			}
			return out, nil
		}, c.GetClient().CloseIdleConnections
	}},
	{"retryablehttp", func(s *Server) (Op[Order], func()) {
		c := newRetryable()
		u := s.URL + "/orders"
		return func(ctx context.Context) (Order, error) {
			b, err := json.Marshal(newOrder())
			if err != nil {
				return Order{}, err
			}
			req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, u, b)
			if err != nil {
				return Order{}, err
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			return readOrder(readAll(c.Do(req)))
		}, c.HTTPClient.CloseIdleConnections
	}},
}

// httpstepPost runs a stored node whose raw JSON body is a template of the
// five values: two inside string literals, three bare.
func httpstepPost(how func(*httpstep.Client, *httpstep.NodeConfig) runner, u string) (Op[Order], func()) {
	c := &httpstep.Client{AllowPrivate: true}
	node := &httpstep.NodeConfig{
		Method:  http.MethodPost,
		URL:     u,
		Headers: []httpstep.KeyValue{{Key: "Authorization", Value: "Bearer {{token}}"}},
		Body: &httpstep.Body{Kind: httpstep.BodyRaw, ContentType: "application/json",
			Raw: `{"name":"{{name}}","note":"{{note}}","qty":{{qty}},"price":{{price}},"paid":{{paid}}}`},
	}
	params := httpstep.Values{"name": postName, "note": postNote, "qty": postQty,
		"price": postPrice, "paid": postPaid, "token": httpstep.Secret(token)}
	return httpstepOrder(how(c, node), params), c.CloseIdleConnections
}

// newOrder is the POST body from its five values.
func newOrder() *NewOrder {
	return &NewOrder{Name: postName, Note: postNote, Qty: postQty, Price: postPrice, Paid: postPaid}
}

// readOrder checks the status of a reply read by do and reads its fields.
func readOrder(body []byte, code int, err error) (Order, error) {
	if err != nil {
		return Order{}, err
	}
	if code != http.StatusOK {
		return Order{}, &statusError{code, body}
	}
	return gjsonOrder(body), nil
}
