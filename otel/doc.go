// Package otel traces and measures the runs of an [httpstep.Client] with
// OpenTelemetry, following the OpenTelemetry semantic conventions for HTTP
// clients (semconv 1.43). It is a module of its own, so that the core
// httpstep module does not depend on OpenTelemetry.
//
// [Instrument] (or [NewHooks], for a host that sets Client.Hooks itself)
// gives a Client:
//
//   - a span per run ("httpstep.run", kind internal), with a child per page
//     ("httpstep.page") and poll ("httpstep.poll"), and under those (or the
//     run) a client span per attempt, named for its method ("GET"); under an
//     attempt, a client span per redirect it met and per exchange it made for
//     its credentials (token requests, a request answered with a challenge
//     or an expired token);
//   - on each client span: http.request.method, url.full, url.scheme,
//     server.address, server.port, network.protocol.version,
//     http.response.status_code, error.type (the failure kind, such as
//     "status" or "timeout"; the status code for an exchange that got 4xx
//     or 5xx without failing the attempt, such as a challenge) and
//     http.request.resend_count (the retries before the attempt, and the
//     redirects before a hop); a failed exchange has status Error with the
//     failure's message;
//   - the histogram http.client.request.duration (seconds, the semantic
//     conventions' buckets) of every exchange, attempts and token requests
//     alike, without the time an attempt waited for the Client's Limits;
//   - the counter httpstep.run.failures of runs that failed, by error.type
//     (the failure kind);
//   - W3C trace context (or what the propagator writes) on every request an
//     attempt sends, so that the API's spans join the trace. [WithoutTraceContext]
//     turns it off for the Client; a node that sets noTraceContext
//     (NodeConfig.NoTraceContext) sends none either, for APIs that refuse
//     unknown headers. The headers show in the history as sent.
//
// Every value comes from the run's history (Result.Attempts), so it is
// redacted exactly as the history is: url.full hides credentials, token-like
// query parameters and every Secret; no header or body reaches a span. The
// run span names the workflow, node and run the host gave with
// httpstep.WithRunIdentity (httpstep.workflow.id, httpstep.node.id,
// httpstep.run.id).
//
// The providers and the propagator default to OpenTelemetry's globals
// (otel.GetTracerProvider, otel.GetMeterProvider, otel.GetTextMapPropagator),
// as other instrumentation libraries do; the global propagator sends nothing
// until the host sets one, such as propagation.TraceContext{}.
package otel
