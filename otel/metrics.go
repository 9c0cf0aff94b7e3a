package otel

import (
	"context"
	"time"

	"github.com/httpstep/httpstep"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
)

// FailuresMetric is the name of the counter of failed runs, by error.type
// (the failure kind).
const FailuresMetric = "httpstep.run.failures"

// metrics are the instruments of the Hooks.
type metrics struct {
	duration metric.Float64Histogram // http.client.request.duration
	failures metric.Int64Counter     // httpstep.run.failures
}

// newMetrics makes the instruments with m; one that cannot be made is
// reported to otel.Handle and records nothing.
func newMetrics(m metric.Meter) metrics {
	d, err := httpconv.NewClientRequestDuration(m)
	if err != nil {
		otel.Handle(err)
	}
	f, err := m.Int64Counter(FailuresMetric, metric.WithUnit("{run}"),
		metric.WithDescription("Runs of an httpstep node that ended in a failure, by failure kind (error.type)."))
	if err != nil {
		otel.Handle(err)
		f = noop.Int64Counter{}
	}
	return metrics{duration: d.Inst(), failures: f}
}

// exchange records the duration of one HTTP exchange a, with its metric
// attributes as: the time it took, less the time it waited for the
// Client's Limits before it was sent.
func (m *metrics) exchange(ctx context.Context, a *httpstep.Attempt, as []attribute.KeyValue) {
	if !m.duration.Enabled(ctx) {
		return
	}
	d := time.Duration(a.Duration - a.Queued)
	m.duration.Record(ctx, d.Seconds(), metric.WithAttributes(as...))
}

// failed counts a failed run, by its kind.
func (m *metrics) failed(ctx context.Context, f *httpstep.Failure) {
	m.failures.Add(ctx, 1, metric.WithAttributes(semconv.ErrorTypeKey.String(string(f.Kind))))
}
