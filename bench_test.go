package httpstep

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkExecuteGET: one GET to a loopback server with a 1 KiB JSON reply,
// two templated query values and a templated header. Compare with
// BenchmarkBareNetHTTP, the same exchange hand-written on net/http.
func BenchmarkExecuteGET(b *testing.B) {
	srv := benchServer(b)
	c := &Client{AllowPrivate: true}
	defer c.CloseIdleConnections()
	node := &NodeConfig{
		URL:     srv.URL + "/orders",
		Query:   []KeyValue{{"status", "{{status}}"}, {"since", "{{since}}"}},
		Headers: []KeyValue{{"Authorization", "Bearer {{token}}"}},
	}
	params := Values{"status": "paid & shipped", "since": "2026-11-01", "token": Secret("t0k3n")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Execute(ctx, node, params)
		if err != nil || len(res.Body) != 1024 {
			b.Fatal(err, len(res.Body))
		}
	}
}

// BenchmarkBareNetHTTP is the floor: the same request built by hand.
func BenchmarkBareNetHTTP(b *testing.B) {
	srv := benchServer(b)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("GET", srv.URL+"/orders?status=paid+%26+shipped&since=2026-11-01", nil)
		req.Header.Set("Authorization", "Bearer t0k3n")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(body) != 1024 {
			b.Fatal(len(body))
		}
	}
}

func benchServer(b *testing.B) *httptest.Server {
	reply := `{"orders":[` + strings.Repeat(`{"id":"000000"},`, 62) + `{"id":"0"}]}`
	reply += strings.Repeat(" ", 1024-len(reply))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply)
	}))
	b.Cleanup(srv.Close)
	return srv
}
