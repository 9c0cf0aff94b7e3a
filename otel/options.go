package otel

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// config is what the Options set.
type config struct {
	tracers     trace.TracerProvider
	meters      metric.MeterProvider
	propagator  propagation.TextMapPropagator
	noTraceCtxt bool
}

// newConfig applies opts over the globals.
func newConfig(opts []Option) config {
	c := config{}
	for _, o := range opts {
		o.apply(&c)
	}
	if c.tracers == nil {
		c.tracers = otel.GetTracerProvider()
	}
	if c.meters == nil {
		c.meters = otel.GetMeterProvider()
	}
	if c.propagator == nil {
		c.propagator = otel.GetTextMapPropagator()
	}
	return c
}

// Option configures [NewHooks] and [Instrument].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithTracerProvider makes the spans with tp; the default is the global
// provider (otel.GetTracerProvider). A nil tp keeps the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tracers = tp })
}

// WithMeterProvider makes the metrics with mp; the default is the global
// provider (otel.GetMeterProvider). A nil mp keeps the default.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meters = mp })
}

// WithPropagator writes the trace context into each request with p, such
// as propagation.TraceContext{} for W3C traceparent and tracestate; the
// default is the global propagator (otel.GetTextMapPropagator), which
// writes nothing until the host sets one. A nil p keeps the default.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) { c.propagator = p })
}

// WithoutTraceContext sends no trace context headers with any request of
// the Client, whatever the propagator; the spans are made as before. For
// one node, set noTraceContext in the node instead.
func WithoutTraceContext() Option {
	return optionFunc(func(c *config) { c.noTraceCtxt = true })
}
