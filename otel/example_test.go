package otel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/httpstep/httpstep"
	httpstepotel "github.com/httpstep/httpstep/otel"
)

// A host instruments its Client once, with its providers (here in-memory
// ones; a host's export to its collector) and W3C trace context; every run
// is then a trace, and the API sees the attempt's span as its parent.
func ExampleInstrument() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("the API got a traceparent:", r.Header.Get("Traceparent") != "")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer api.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer tp.Shutdown(context.Background())
	defer mp.Shutdown(context.Background())

	c := &httpstep.Client{AllowPrivate: true} // the demo API is on loopback
	defer c.CloseIdleConnections()
	httpstepotel.Instrument(c,
		httpstepotel.WithTracerProvider(tp),
		httpstepotel.WithMeterProvider(mp),
		httpstepotel.WithPropagator(propagation.TraceContext{}))

	ctx := httpstep.WithRunIdentity(context.Background(), httpstep.RunIdentity{Workflow: "orders", Node: "fetch", Run: "run-1"})
	if _, err := c.Execute(ctx, &httpstep.NodeConfig{URL: api.URL + "/orders"}, nil); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range spans.GetSpans() {
		fmt.Println("span:", s.Name, s.SpanKind)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		fmt.Println("metric:", m.Name, m.Unit)
	}
	// Output:
	// the API got a traceparent: true
	// span: GET client
	// span: httpstep.run internal
	// metric: http.client.request.duration s
}
