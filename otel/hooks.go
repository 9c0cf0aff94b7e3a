package otel

import (
	"github.com/httpstep/httpstep"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// scope names this package as the instrumentation scope of its spans and
// metrics.
const scope = "github.com/httpstep/httpstep/otel"

// NewHooks returns the Hooks that trace and measure the runs of a Client,
// as the package documentation describes, made with the providers and
// propagator of opts (by default OpenTelemetry's globals). The Hooks are
// safe for any number of Clients and runs at once. A metric instrument
// that cannot be made is reported to otel.Handle and left out.
func NewHooks(opts ...Option) *httpstep.Hooks {
	t := newTracer(newConfig(opts))
	return &httpstep.Hooks{
		RunStart:           t.runStart,
		RunDone:            t.runDone,
		PageStart:          t.pageStart,
		PageDone:           t.resultDone,
		PollStart:          t.pollStart,
		PollDone:           t.resultDone,
		AttemptStart:       t.attemptStart,
		InjectTraceContext: t.inject,
		Redirect:           t.redirect,
		TokenRequest:       t.tokenRequest,
		AttemptDone:        t.attemptDone,
	}
}

// Instrument sets c.Hooks to NewHooks(opts...), replacing any Hooks c
// had. Call it before c's first run: Hooks must not change while calls
// run.
func Instrument(c *httpstep.Client, opts ...Option) {
	c.Hooks = NewHooks(opts...)
}

// tracer makes the spans and records the metrics of the Hooks.
type tracer struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator // nil: no trace context headers
	metrics
}

func newTracer(c config) *tracer {
	t := &tracer{
		tracer:  c.tracers.Tracer(scope, trace.WithSchemaURL(semconv.SchemaURL)),
		metrics: newMetrics(c.meters.Meter(scope, metric.WithSchemaURL(semconv.SchemaURL))),
	}
	if !c.noTraceCtxt {
		t.propagator = c.propagator
	}
	return t
}
