package otel

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/httpstep/httpstep"
)

// retrying is a node that meets a redirect, an OAuth2 token request and a
// 503 that it retries.
func retrying(a *api) *httpstep.NodeConfig {
	return &httpstep.NodeConfig{URL: a.URL + "/moved",
		Auth: &httpstep.Auth{Type: httpstep.AuthOAuth2, OAuth2: &httpstep.OAuth2{Grant: httpstep.GrantClientCredentials,
			TokenURL: a.URL + "/token", ClientID: "c", ClientSecret: "cs-s3cret"}},
		Retry: &httpstep.RetryPolicy{MaxAttempts: 2, InitialInterval: httpstep.Duration(20 * time.Millisecond)}}
}

// TestSpans: a run's span holds its pages, polls and attempts, and an
// attempt its token requests and redirects, each with its status, error
// type and resend count.
func TestSpans(t *testing.T) {
	for _, tc := range []struct {
		name string
		node func(a *api) *httpstep.NodeConfig
		want []string
	}{
		{"retry, redirect, token", retrying, []string{
			"httpstep.run http.response.status_code=200",
			"  GET http.response.status_code=503 error.type=status",
			"    POST http.response.status_code=200 httpstep.auth=token",
			"    GET http.response.status_code=302",
			"  GET http.response.status_code=200 http.request.resend_count=1",
			"    GET http.response.status_code=302 http.request.resend_count=1",
		}},
		{"pages", func(a *api) *httpstep.NodeConfig {
			return &httpstep.NodeConfig{URL: a.URL + "/pages", Paginate: &httpstep.Pagination{Mode: "page", Param: "page", ItemsPath: "items"}}
		}, []string{
			"httpstep.run http.response.status_code=200",
			"  httpstep.page http.response.status_code=200 httpstep.page=1",
			"    GET http.response.status_code=200",
			"  httpstep.page http.response.status_code=200 httpstep.page=2",
			"    GET http.response.status_code=200",
		}},
		{"polls", func(a *api) *httpstep.NodeConfig {
			return &httpstep.NodeConfig{Method: "POST", URL: a.URL + "/job",
				Async: &httpstep.Async{StatusPath: "status", DoneValues: []string{"done"}, Interval: httpstep.Duration(100 * time.Millisecond)}}
		}, []string{
			"httpstep.run http.response.status_code=200",
			"  POST http.response.status_code=202",
			"  httpstep.poll http.response.status_code=200 httpstep.poll=1",
			"    GET http.response.status_code=200",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, tm := newAPI(t), newTelemetry(t)
			_, err := tm.client(t).Execute(context.Background(), tc.node(a), nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, tm.tree())
		})
	}
}

// TestExchangeSpan: an attempt's span has the HTTP client attributes of
// the semantic conventions, and is the client span the API's trace
// context names; the run span names the host's workflow, node and run.
func TestExchangeSpan(t *testing.T) {
	a, tm := newAPI(t), newTelemetry(t)
	ctx := httpstep.WithRunIdentity(context.Background(), httpstep.RunIdentity{Workflow: "wf", Node: "n1", Run: "r7"})
	_, err := tm.client(t).Execute(ctx, &httpstep.NodeConfig{URL: a.URL + "/fail?q=1"}, nil)
	require.Error(t, err)

	get := tm.named("GET")
	require.Len(t, get, 1)
	s := get[0]
	assert.Equal(t, trace.SpanKindClient, s.SpanKind())
	assert.Equal(t, codes.Error, s.Status().Code)
	assert.Contains(t, s.Status().Description, "500")
	host, port := splitHostPort(t, a.Listener.Addr().String())
	assert.ElementsMatch(t, []attribute.KeyValue{
		attribute.String("http.request.method", "GET"),
		attribute.String("url.scheme", "http"),
		attribute.String("server.address", host),
		attribute.Int("server.port", port),
		attribute.String("network.protocol.version", "1.1"),
		attribute.Int("http.response.status_code", 500),
		attribute.String("error.type", "status"),
		attribute.String("url.full", a.URL+"/fail?q=1"),
	}, s.Attributes())

	run := tm.named(spanRun)
	require.Len(t, run, 1)
	assert.Equal(t, trace.SpanKindInternal, run[0].SpanKind())
	assert.Equal(t, codes.Error, run[0].Status().Code)
	assert.ElementsMatch(t, []attribute.KeyValue{
		attrWorkflow.String("wf"), attrNode.String("n1"), attrRun.String("r7"),
		attrAttempts.Int(1), attribute.Int("http.response.status_code", 500), attribute.String("error.type", "status"),
	}, run[0].Attributes())
}

// TestTraceContext: each request carries the W3C trace context of its
// attempt's span, as the history shows; none goes to the token endpoint,
// nor anywhere when the Client or the node turns it off.
func TestTraceContext(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []Option
		node   func(*httpstep.NodeConfig)
		global propagation.TextMapPropagator // set as the global propagator, which the Client then uses
		sent   bool
	}{
		{name: "on", sent: true},
		{name: "global propagator", opts: []Option{WithPropagator(nil)}, global: propagation.TraceContext{}, sent: true},
		{name: "the Client turns it off", opts: []Option{WithoutTraceContext()}},
		{name: "the node turns it off", node: func(n *httpstep.NodeConfig) { n.NoTraceContext = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.global != nil {
				prev := otel.GetTextMapPropagator()
				otel.SetTextMapPropagator(tc.global)
				t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
			}
			a, tm := newAPI(t), newTelemetry(t)
			node := retrying(a)
			if tc.node != nil {
				tc.node(node)
			}
			res, err := tm.client(t, tc.opts...).Execute(context.Background(), node, nil)
			require.NoError(t, err)
			assert.Empty(t, a.header("/token").Get("Traceparent"), "the token endpoint gets no trace context")
			got := a.header("/flaky").Get("Traceparent")
			if !tc.sent {
				assert.Empty(t, got)
				assert.Len(t, tm.named("GET"), 4, "the spans are made all the same")
				return
			}
			attempts := tm.named("GET") // the redirects end first, then their attempt
			last := attempts[len(attempts)-1].SpanContext()
			assert.Equal(t, "00-"+last.TraceID().String()+"-"+last.SpanID().String()+"-01", got)
			assert.Equal(t, []string{got}, res.Attempts[len(res.Attempts)-1].Request.Header["Traceparent"], "the history shows it")
		})
	}
}

// TestFailureKinds: a failed run's span and its attempt's carry the
// failure kind as error.type, with status Error and the failure's message.
func TestFailureKinds(t *testing.T) {
	for _, tc := range []struct {
		kind   httpstep.FailureKind
		node   func(a *api) *httpstep.NodeConfig
		client func(c *httpstep.Client)
	}{
		{httpstep.KindStatus, func(a *api) *httpstep.NodeConfig { return &httpstep.NodeConfig{URL: a.URL + "/fail"} }, nil},
		{httpstep.KindErrorCode, func(a *api) *httpstep.NodeConfig {
			return &httpstep.NodeConfig{URL: a.URL + "/code", Success: httpstep.SuccessRule{ErrorCodePath: "code", SuccessValues: []string{"0"}}}
		}, nil},
		{httpstep.KindTimeout, func(a *api) *httpstep.NodeConfig {
			return &httpstep.NodeConfig{URL: a.URL + "/slow", Timeout: httpstep.Duration(50 * time.Millisecond)}
		}, nil},
		{httpstep.KindNetwork, func(a *api) *httpstep.NodeConfig { return &httpstep.NodeConfig{URL: closedURL(t)} }, nil},
		{httpstep.KindBlocked, func(a *api) *httpstep.NodeConfig { return &httpstep.NodeConfig{URL: a.URL} },
			func(c *httpstep.Client) { c.AllowPrivate = false }},
		{httpstep.KindTooLarge, func(a *api) *httpstep.NodeConfig { return &httpstep.NodeConfig{URL: a.URL + "/big"} },
			func(c *httpstep.Client) { c.MaxResponseBytes = 1024 }},
		{httpstep.KindAuth, func(a *api) *httpstep.NodeConfig {
			n := retrying(a)
			n.Auth.OAuth2.ClientID, n.Retry = "refused", nil
			return n
		}, nil},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			a, tm := newAPI(t), newTelemetry(t)
			c := tm.client(t)
			if tc.client != nil {
				tc.client(c)
			}
			res, err := c.Execute(context.Background(), tc.node(a), nil)
			require.Error(t, err)
			require.Equal(t, tc.kind, res.Failure.Kind)
			for _, s := range append(tm.named(spanRun), tm.named(spanName(res.Attempts[0].Request.Method))...) {
				if v, _ := attr(s, "httpstep.auth"); v.AsString() != "" {
					continue // the token request's own span
				}
				v, _ := attr(s, "error.type")
				assert.Equal(t, string(tc.kind), v.AsString(), s.Name())
				assert.Equal(t, codes.Error, s.Status().Code, s.Name())
				assert.Equal(t, res.Failure.Message, s.Status().Description, s.Name())
			}
			assert.Equal(t, map[string]int64{string(tc.kind): 1}, failures(t, tm))
		})
	}
}

// TestConcurrentRuns: runs of one instrumented Client at once each get a
// trace of their own, whose attempt and redirect nest in its run.
func TestConcurrentRuns(t *testing.T) {
	a, tm := newAPI(t), newTelemetry(t)
	c := tm.client(t)
	const runs = 8
	var wg sync.WaitGroup
	for range runs {
		wg.Go(func() {
			c.Execute(context.Background(), &httpstep.NodeConfig{URL: a.URL + "/moved"}, nil) // one of them gets /flaky's 503
		})
	}
	wg.Wait()
	byTrace := map[trace.TraceID][]string{}
	for _, s := range tm.spans.Ended() {
		byTrace[s.SpanContext().TraceID()] = append(byTrace[s.SpanContext().TraceID()], s.Name())
	}
	require.Len(t, byTrace, runs)
	for id, names := range byTrace {
		assert.ElementsMatch(t, []string{"GET", "GET", spanRun}, names, id.String())
	}
}
