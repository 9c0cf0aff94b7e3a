package httpstep

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// growthSizes are the sizes of a growth benchmark: a size doubled twice, so
// that a linear path shows about 2x per step and a quadratic one 4x.
func growthSizes(n int) []int { return []int{n, 2 * n, 4 * n} }

// answerServer is a loopback server answering every request with body,
// of content type ct.
func answerServer(tb testing.TB, ct string, body []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.Write(body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// answered executes a GET of node's schema against a server answering
// body, for a benchmark of what reads the Result.
func answered(b *testing.B, body []byte, schema *Schema) *Result {
	srv := answerServer(b, "application/json", body)
	c := &Client{AllowPrivate: true}
	b.Cleanup(c.CloseIdleConnections)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Response: schema}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkFieldsDepth: Fields() with one declared field on a body nested
// depth arrays deep ([[[...1...]]]), the depth doubled twice. A linear
// reader takes about twice as long per step.
func BenchmarkFieldsDepth(b *testing.B) {
	for _, depth := range growthSizes(1000) {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			body := []byte(strings.Repeat("[", depth) + "1" + strings.Repeat("]", depth))
			res := answered(b, body, &Schema{Fields: []Field{{Name: "first", Path: "0", Type: TypeArray}}})
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				res.Fields()
			}
		})
	}
}
