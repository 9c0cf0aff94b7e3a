package otel

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/httpstep/httpstep"
)

// BenchmarkExecute is the cost of instrumenting a Client: one GET of a
// small JSON answer on loopback, without Hooks, with the Hooks over
// OpenTelemetry's no-op globals (nothing set up), and with the SDK
// recording every span and metric.
func BenchmarkExecute(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":1,"name":"a"}`))
	}))
	defer srv.Close()
	node := &httpstep.NodeConfig{URL: srv.URL + "/orders/1"}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer tp.Shutdown(context.Background())
	defer mp.Shutdown(context.Background())
	for _, bc := range []struct {
		name string
		opts []Option // nil: no Hooks
	}{
		{"plain", nil},
		{"noop", []Option{}},
		{"sdk", []Option{WithTracerProvider(tp), WithMeterProvider(mp), WithPropagator(propagation.TraceContext{})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := &httpstep.Client{AllowPrivate: true}
			defer c.CloseIdleConnections()
			if bc.opts != nil {
				Instrument(c, bc.opts...)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Execute(context.Background(), node, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
