package otel

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/httpstep/httpstep"
)

// TestNoSecretInTelemetry: no credential, token or Secret value reaches a
// span (name, attribute, status, event) or a metric, whichever way the
// node carries it, and when the API echoes it in an error.
func TestNoSecretInTelemetry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		node   func(a *api) *httpstep.NodeConfig
		params httpstep.Params
		secret []string
		shown  string // in the telemetry: the sign that the secret's place was seen
	}{
		{"api key in the query, echoed in the error", func(a *api) *httpstep.NodeConfig {
			return &httpstep.NodeConfig{URL: a.URL + "/echo", Auth: &httpstep.Auth{Type: httpstep.AuthAPIKey, Name: "key", In: "query", Value: "{{key}}"},
				Success: httpstep.SuccessRule{ErrorMessagePath: "error"}}
		}, httpstep.Values{"key": httpstep.Secret("k3y-s3cret")}, []string{"k3y-s3cret"}, "bad key [REDACTED]"},
		{"Secret in the path and a header", func(a *api) *httpstep.NodeConfig {
			return &httpstep.NodeConfig{URL: a.URL + "/echo/{{id}}", Headers: []httpstep.KeyValue{{Key: "Authorization", Value: "Bearer {{id}}"}},
				Success: httpstep.SuccessRule{ErrorMessagePath: "error"}}
		}, httpstep.Values{"id": httpstep.Secret("p4th-s3cret")}, []string{"p4th-s3cret"}, "bad key  [REDACTED]"},
		{"user and password in the URL", func(a *api) *httpstep.NodeConfig {
			u, _ := url.Parse(a.URL + "/echo?token=t0k-s3cret")
			u.User = url.UserPassword("alice", "pw-s3cret")
			return &httpstep.NodeConfig{URL: u.String()}
		}, nil, []string{"pw-s3cret", "t0k-s3cret"}, "token=[REDACTED]"},
		{"OAuth2 client secret and token", retrying, nil, []string{"cs-s3cret", "tok-s3cret"}, "httpstep.auth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, tm := newAPI(t), newTelemetry(t)
			tm.client(t).Execute(context.Background(), tc.node(a), tc.params)
			require.NotEmpty(t, tm.spans.Ended())
			dump := dumpTelemetry(t, tm)
			for _, s := range tc.secret {
				assert.NotContains(t, dump, s)
			}
			assert.Contains(t, dump, tc.shown)
		})
	}
}

// dumpTelemetry is every span's name, attributes, status and events, and
// every metric's data points, as text.
func dumpTelemetry(t *testing.T, tm *telemetry) string {
	var b strings.Builder
	for _, s := range tm.spans.Ended() {
		fmt.Fprintln(&b, s.Name(), s.Attributes(), s.Status(), s.Events(), s.Links())
	}
	for _, sm := range tm.collect(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					fmt.Fprintln(&b, m.Name, dp.Attributes.ToSlice())
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					fmt.Fprintln(&b, m.Name, dp.Attributes.ToSlice())
				}
			}
		}
	}
	return b.String()
}

func TestPort(t *testing.T) {
	for in, want := range map[string]int{
		"http://a.test/": 80, "https://a.test/": 443, "http://a.test:8080/": 8080, "ftp://a.test/": 0, "http://[::1]:9/": 9,
	} {
		u, err := url.Parse(in)
		require.NoError(t, err)
		assert.Equal(t, want, port(u), in)
	}
}

func TestProtocolVersion(t *testing.T) {
	for in, want := range map[string]string{"HTTP/1.1": "1.1", "HTTP/2.0": "2", "HTTP/1.0": "1", "": "", "SPDY/3": ""} {
		assert.Equal(t, want, protocolVersion(in), in)
	}
}

func TestMethod(t *testing.T) {
	for _, tc := range []struct{ in, method, name string }{
		{"GET", "GET", "GET"}, {"PATCH", "PATCH", "PATCH"}, {"PURGE", "_OTHER", "HTTP"}, {"", "_OTHER", "HTTP"},
	} {
		assert.Equal(t, tc.method, method(tc.in), tc.in)
		assert.Equal(t, tc.name, spanName(tc.in), tc.in)
	}
}

func TestErrorType(t *testing.T) {
	for _, tc := range []struct {
		a    httpstep.Attempt
		want string
	}{
		{httpstep.Attempt{Kind: httpstep.KindTimeout}, "timeout"},
		{httpstep.Attempt{Kind: httpstep.KindStatus, Response: &httpstep.ResponseRecord{Status: 500}}, "status"},
		{httpstep.Attempt{Response: &httpstep.ResponseRecord{Status: 401}}, "401"},
		{httpstep.Attempt{Response: &httpstep.ResponseRecord{Status: 302}}, ""},
		{httpstep.Attempt{}, ""},
	} {
		assert.Equal(t, tc.want, errorType(&tc.a))
	}
}
