package otel

import (
	"context"
	"net/http"
	"time"

	"github.com/httpstep/httpstep"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// The names of the spans that are not HTTP exchanges.
const (
	spanRun  = "httpstep.run"
	spanPage = "httpstep.page"
	spanPoll = "httpstep.poll"
)

// The attributes of httpstep's own.
const (
	attrWorkflow = attribute.Key("httpstep.workflow.id") // RunIdentity.Workflow
	attrNode     = attribute.Key("httpstep.node.id")     // RunIdentity.Node
	attrRun      = attribute.Key("httpstep.run.id")      // RunIdentity.Run
	attrAttempts = attribute.Key("httpstep.attempts")    // the exchanges of a run, page or poll
	attrPage     = attribute.Key("httpstep.page")        // which page of a pull, from 1
	attrPoll     = attribute.Key("httpstep.poll")        // which poll of a job, from 1
	attrAuth     = attribute.Key("httpstep.auth")        // what an exchange was for the credentials: token, challenge, expired
)

var internal = trace.WithSpanKind(trace.SpanKindInternal)

func (t *tracer) runStart(ctx context.Context) context.Context {
	ctx, _ = t.tracer.Start(ctx, spanRun, internal, trace.WithAttributes(identity(ctx)...))
	return ctx
}

// identity is the run identity the host put in ctx, as attributes.
func identity(ctx context.Context) []attribute.KeyValue {
	id, ok := httpstep.RunIdentityFrom(ctx)
	if !ok {
		return nil
	}
	var as []attribute.KeyValue
	for _, f := range [...]struct {
		k attribute.Key
		v string
	}{{attrWorkflow, id.Workflow}, {attrNode, id.Node}, {attrRun, id.Run}} {
		if f.v != "" {
			as = append(as, f.k.String(f.v))
		}
	}
	return as
}

func (t *tracer) runDone(ctx context.Context, res *httpstep.Result) {
	if res.Failure != nil {
		t.failed(ctx, res.Failure)
	}
	t.resultDone(ctx, res)
}

func (t *tracer) pageStart(ctx context.Context, page int) context.Context {
	ctx, _ = t.tracer.Start(ctx, spanPage, internal, trace.WithAttributes(attrPage.Int(page)))
	return ctx
}

func (t *tracer) pollStart(ctx context.Context, poll int) context.Context {
	ctx, _ = t.tracer.Start(ctx, spanPoll, internal, trace.WithAttributes(attrPoll.Int(poll)))
	return ctx
}

// resultDone ends the span of a run, page or poll with its Result: the
// last status, the number of exchanges, and the failure's kind and
// message (redacted as the Result is).
func (t *tracer) resultDone(ctx context.Context, res *httpstep.Result) {
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(attrAttempts.Int(len(res.Attempts)))
		if res.StatusCode != 0 {
			span.SetAttributes(semconv.HTTPResponseStatusCode(res.StatusCode))
		}
		if f := res.Failure; f != nil {
			span.SetAttributes(semconv.ErrorTypeKey.String(string(f.Kind)))
			span.SetStatus(codes.Error, f.Message)
		}
	}
	span.End()
}

// attemptKey carries an attempt's state in its context.
type attemptKey struct{}

// attempt is the state of one attempt between its Start and Done hooks,
// which a run's goroutine calls one after the other; only an attempt whose
// span records has one.
type attempt struct {
	span trace.Span
	n    int       // the attempt's number within its request, from 1
	sent time.Time // when the request now on its way was sent
	hops []hop     // the redirects met so far
}

// hop is one redirect an attempt met, and when the exchange that got it
// began and ended.
type hop struct {
	rec        httpstep.RedirectRecord
	start, end time.Time
}

func (t *tracer) attemptStart(ctx context.Context, n int) context.Context {
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
	if n > 1 {
		opts = append(opts, trace.WithAttributes(semconv.HTTPRequestResendCount(n-1)))
	}
	ctx, span := t.tracer.Start(ctx, "HTTP", opts...) // named for its method when it ends
	if !span.IsRecording() {
		return ctx // no hop to time
	}
	return context.WithValue(ctx, attemptKey{}, &attempt{span: span, n: n, sent: time.Now()})
}

// inject writes the trace context of the attempt's span into h, the
// header of a request the attempt is about to send, and notes when it
// went.
func (t *tracer) inject(ctx context.Context, h http.Header) {
	if a, ok := ctx.Value(attemptKey{}).(*attempt); ok {
		a.sent = time.Now()
	}
	if t.propagator != nil {
		t.propagator.Inject(ctx, propagation.HeaderCarrier(h))
	}
}

// redirect keeps the redirect r, timed from when the request that got it
// was sent; the hop's span is made when the attempt ends, which knows the
// first request's method and URL.
func (t *tracer) redirect(ctx context.Context, r *httpstep.RedirectRecord) {
	a, ok := ctx.Value(attemptKey{}).(*attempt)
	if !ok {
		return
	}
	now := time.Now()
	a.hops = append(a.hops, hop{rec: *r, start: a.sent, end: now})
	a.sent = now
}

// tokenRequest records an exchange the attempt made for its credentials,
// as a client span of its own (timed by its record) and in the duration
// histogram.
func (t *tracer) tokenRequest(ctx context.Context, rec *httpstep.Attempt) {
	if !trace.SpanFromContext(ctx).IsRecording() && !t.duration.Enabled(ctx) {
		return
	}
	as := exchangeAttrs(rec)
	t.exchange(ctx, rec, as)
	_, span := t.tracer.Start(ctx, spanName(rec.Request.Method), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(rec.Start), trace.WithAttributes(as...))
	if span.IsRecording() {
		span.SetAttributes(spanAttrs(rec)...)
		span.SetAttributes(attrAuth.String(rec.Auth))
		setStatus(span, rec)
	}
	span.End(trace.WithTimestamp(rec.Start.Add(time.Duration(rec.Duration))))
}

// attemptDone ends the attempt's span with its record, after the spans of
// the redirects it met, and records its duration.
func (t *tracer) attemptDone(ctx context.Context, rec *httpstep.Attempt) {
	a, traced := ctx.Value(attemptKey{}).(*attempt)
	if !traced && !t.duration.Enabled(ctx) {
		trace.SpanFromContext(ctx).End()
		return
	}
	as := exchangeAttrs(rec)
	t.exchange(ctx, rec, as)
	if !traced {
		trace.SpanFromContext(ctx).End()
		return
	}
	t.hopSpans(ctx, a, rec)
	a.span.SetName(spanName(rec.Request.Method))
	a.span.SetAttributes(as...)
	a.span.SetAttributes(spanAttrs(rec)...)
	setStatus(a.span, rec)
	a.span.End()
}

// hopSpans makes a client span for each redirect of the attempt: the
// exchange that got it, whose request was the attempt's own (the first)
// or the one the redirect before led to.
func (t *tracer) hopSpans(ctx context.Context, a *attempt, rec *httpstep.Attempt) {
	method, url := rec.Request.Method, rec.Request.URL
	for i, h := range a.hops {
		hopRec := httpstep.Attempt{Request: httpstep.RequestRecord{Method: method, URL: url},
			Response: &httpstep.ResponseRecord{Status: h.rec.Status}}
		opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(h.start),
			trace.WithAttributes(exchangeAttrs(&hopRec)...), trace.WithAttributes(spanAttrs(&hopRec)...)}
		if resends := a.n - 1 + i; resends > 0 {
			opts = append(opts, trace.WithAttributes(semconv.HTTPRequestResendCount(resends)))
		}
		_, span := t.tracer.Start(ctx, spanName(method), opts...)
		span.End(trace.WithTimestamp(h.end))
		method, url = h.rec.Method, h.rec.URL
	}
}

// setStatus marks span as failed when its exchange was: a failure kind, or
// a 4xx or 5xx answer (a client span's rule in the semantic conventions).
func setStatus(span trace.Span, rec *httpstep.Attempt) {
	if errorType(rec) != "" {
		span.SetStatus(codes.Error, rec.Error)
	}
}
