package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/httpsteptest"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	s := out.String()
	assert.Contains(t, s, "7 orders in 4 requests")
	for _, o := range orders {
		assert.Contains(t, s, o.ID)
		assert.Contains(t, s, o.Customer.Name)
	}
	assert.Contains(t, s, "ID       CUSTOMER         TOTAL  STATUS    UPDATED\n")
	assert.Contains(t, s, "SO-1004  Edsger Dijkstra  23.75  refunded  2026-11-05T09:30:00Z\n")
	assert.Equal(t, 7, strings.Count(s, "\nSO-"), "one row per order:\n"+s)
	assert.Contains(t, s, "page=4")
	assert.Contains(t, s, "[REDACTED]")
	assert.NotContains(t, s, string(demoToken))
}

// page is the order API's answer with the given orders.
func page(n int, o []order) httpsteptest.Answer {
	return httpsteptest.JSON(200, map[string]any{"data": map[string]any{"orders": o, "page": n}})
}

// TestPull runs the workflow's node against a fake order API: the pages it
// asks for, what it sends, and what a refused token does.
func TestPull(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []httpsteptest.Answer
		rows    int
		calls   int
		failure string // the failure's message; "" for success
	}{
		{name: "every page until an empty one", rows: 5, calls: 3,
			answers: []httpsteptest.Answer{page(1, orders[:3]), page(2, orders[3:5]), page(3, []order{})}},
		{name: "one page", rows: 0, calls: 1, answers: []httpsteptest.Answer{page(1, []order{})}},
		{name: "token refused", calls: 1, failure: "Unauthorized",
			answers: []httpsteptest.Answer{httpsteptest.JSON(401, `{"error": "invalid token"}`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := httpsteptest.NewServer(t)
			api.Handle("GET /v1/orders", tc.answers...)
			client := &httpstep.Client{AllowPrivate: true} // the fake API is on loopback
			t.Cleanup(client.CloseIdleConnections)
			res, err := pull(context.Background(), client, api.URL, "tok-test")
			require.NotNil(t, res, "%v", err)
			if tc.failure != "" {
				require.Error(t, err)
				assert.Contains(t, res.Failure.Message, tc.failure)
			} else {
				require.NoError(t, err)
				rows, err := res.Rows("")
				require.NoError(t, err)
				assert.Len(t, rows, tc.rows)
			}
			for i, r := range api.Received(t, "GET /v1/orders", tc.calls) {
				r.AssertQuery(t, "page", fmt.Sprint(i+1))
				r.AssertQuery(t, "per_page", "3")
				r.AssertQuery(t, "updated_since", "2026-11-01T00:00:00Z")
				r.AssertHeader(t, "Authorization", "Bearer tok-test")
			}
		})
	}
}

var record = flag.Bool("record", false, "record testdata/orders.json against the demo order API")

// shop is where the recorded order API lives. A real API has a fixed
// address; the demo API's port changes every run, so recording sends the
// requests for shop to it.
const shop = "http://shop.example.test"

// TestPullReplay replays a pull recorded from the demo order API (go test
// -run TestPullReplay -record records it again): nothing is dialled, any
// token works, and the token it was recorded with is not in the file.
func TestPullReplay(t *testing.T) {
	const cassette = "testdata/orders.json"
	client := &httpstep.Client{}
	mode, token := httpsteptest.Replay, httpstep.Secret("any-token")
	var next func(http.RoundTripper) http.RoundTripper
	if *record {
		api := httptest.NewServer(orderAPI())
		t.Cleanup(api.Close)
		client.AllowPrivate, mode, token = true, httpsteptest.Record, demoToken
		next = func(rt http.RoundTripper) http.RoundTripper { return toServer(rt, api.URL) }
	}
	cas := httpsteptest.NewCassette(t, cassette, mode)
	client.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if next != nil {
			rt = next(rt)
		}
		return cas.Wrap(rt)
	}
	t.Cleanup(client.CloseIdleConnections)
	res, err := pull(context.Background(), client, shop, token)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, report(&out, res))
	assert.Contains(t, out.String(), "7 orders in 4 requests")
	assert.Contains(t, out.String(), "SO-1007  Frances Allen")
	if mode == httpsteptest.Replay { // a recording is written when the test ends
		data, err := os.ReadFile(cassette)
		require.NoError(t, err)
		assert.NotContains(t, string(data), string(demoToken))
	}
}

// toServer sends every request to the server at base instead, keeping its
// path and query.
func toServer(rt http.RoundTripper, base string) http.RoundTripper {
	u, _ := url.Parse(base)
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Host, r.Host = u.Host, u.Host
		return rt.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
