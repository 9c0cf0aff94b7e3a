package otel

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/httpstep/httpstep"
)

// find is the metric called name; it fails the test when there is none.
func find(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				assert.Equal(t, scope, sm.Scope.Name)
				return m
			}
		}
	}
	require.Failf(t, "no metric", "%s", name)
	return metricdata.Metrics{}
}

// failures is the httpstep.run.failures count by error.type.
func failures(t *testing.T, tm *telemetry) map[string]int64 {
	got := map[string]int64{}
	m := find(t, tm.collect(t), FailuresMetric)
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		kind, _ := dp.Attributes.Value("error.type")
		got[kind.AsString()] += dp.Value
	}
	return got
}

// TestRequestDuration: every exchange (attempts and the token request) is
// measured in http.client.request.duration, in seconds with the semantic
// conventions' buckets, by method, server, status and error type; a run
// that succeeds counts no failure.
func TestRequestDuration(t *testing.T) {
	a, tm := newAPI(t), newTelemetry(t)
	_, err := tm.client(t).Execute(context.Background(), retrying(a), nil)
	require.NoError(t, err)
	m := find(t, tm.collect(t), "http.client.request.duration")
	assert.Equal(t, "s", m.Unit)
	h := m.Data.(metricdata.Histogram[float64])
	host, port := splitHostPort(t, a.Listener.Addr().String())
	base := []attribute.KeyValue{attribute.String("url.scheme", "http"), attribute.String("server.address", host),
		attribute.Int("server.port", port), attribute.String("network.protocol.version", "1.1")}
	set := func(kvs ...attribute.KeyValue) attribute.Distinct {
		s := attribute.NewSet(append(kvs, base...)...)
		return s.Equivalent()
	}
	want := map[attribute.Distinct]uint64{
		set(attribute.String("http.request.method", "GET"), attribute.Int("http.response.status_code", 503), attribute.String("error.type", "status")): 1,
		set(attribute.String("http.request.method", "GET"), attribute.Int("http.response.status_code", 200)):                                           1,
		set(attribute.String("http.request.method", "POST"), attribute.Int("http.response.status_code", 200)):                                          1,
	}
	got := map[attribute.Distinct]uint64{}
	for _, dp := range h.DataPoints {
		assert.Equal(t, []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}, dp.Bounds)
		assert.Greater(t, dp.Sum, 0.0)
		assert.Less(t, dp.Sum, 5.0)
		got[dp.Attributes.Equivalent()] += dp.Count
	}
	assert.Equal(t, want, got)
	for _, sm := range tm.collect(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == FailuresMetric {
				assert.Empty(t, m.Data.(metricdata.Sum[int64]).DataPoints)
			}
		}
	}
}

// TestFailuresByKind: each failed run counts once, under its kind.
func TestFailuresByKind(t *testing.T) {
	a, tm := newAPI(t), newTelemetry(t)
	c := tm.client(t)
	for _, path := range []string{"/fail", "/fail", "/code", "/"} {
		c.Execute(context.Background(), &httpstep.NodeConfig{URL: a.URL + path,
			Success: httpstep.SuccessRule{ErrorCodePath: "code", SuccessValues: []string{"0"}, MissingCode: httpstep.MissingCodeSuccess}}, nil)
	}
	assert.Equal(t, map[string]int64{"status": 2, "error_code": 1}, failures(t, tm))
}
