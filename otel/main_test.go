package otel

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/httpstep/httpstep"
)

// TestMain fails the run when a test leaves a goroutine behind.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// telemetry is an in-memory OpenTelemetry SDK: the spans that ended and a
// manual metric reader.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
}

func newTelemetry(t *testing.T) *telemetry {
	tm := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tm.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tm.spans))
	tm.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(tm.reader))
	t.Cleanup(func() {
		require.NoError(t, tm.tp.Shutdown(context.Background()))
		require.NoError(t, tm.mp.Shutdown(context.Background()))
	})
	return tm
}

// client is a Client that may reach loopback, instrumented with tm's
// providers, W3C trace context and opts.
func (tm *telemetry) client(t *testing.T, opts ...Option) *httpstep.Client {
	c := &httpstep.Client{AllowPrivate: true}
	Instrument(c, append([]Option{WithTracerProvider(tm.tp), WithMeterProvider(tm.mp),
		WithPropagator(propagation.TraceContext{})}, opts...)...)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// showAttrs are the attributes tree shows, in this order.
var showAttrs = []attribute.Key{"http.response.status_code", "error.type", "http.request.resend_count",
	"httpstep.auth", "httpstep.page", "httpstep.poll"}

// tree is the spans that ended, one line each, indented under their
// parents, siblings in the order they started: the name and the values of
// showAttrs it has.
func (tm *telemetry) tree() []string {
	spans := tm.spans.Ended()
	kids := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		kids[s.Parent().SpanID().String()] = append(kids[s.Parent().SpanID().String()], s)
	}
	var lines []string
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		list := kids[parent]
		slices.SortStableFunc(list, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
		for _, s := range list {
			lines = append(lines, strings.Repeat("  ", depth)+describe(s))
			walk(s.SpanContext().SpanID().String(), depth+1)
		}
	}
	walk("0000000000000000", 0)
	return lines
}

// describe is a span's name and the values of showAttrs it has.
func describe(s sdktrace.ReadOnlySpan) string {
	parts := []string{s.Name()}
	for _, k := range showAttrs {
		if v, ok := attr(s, k); ok {
			parts = append(parts, fmt.Sprintf("%s=%s", k, v.String()))
		}
	}
	return strings.Join(parts, " ")
}

// attr is the value of key on span s.
func attr(s sdktrace.ReadOnlySpan, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// named are the ended spans called name.
func (tm *telemetry) named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range tm.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// collect reads the metrics once.
func (tm *telemetry) collect(t *testing.T) metricdata.ResourceMetrics {
	var rm metricdata.ResourceMetrics
	require.NoError(t, tm.reader.Collect(context.Background(), &rm))
	return rm
}

// api is a loopback API with the routes the tests call. It remembers the
// header of the last request to each path.
type api struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string]int
	last  map[string]http.Header
}

func newAPI(t *testing.T) *api {
	a := &api{calls: map[string]int{}, last: map[string]http.Header{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// header is the header of the last request to path; nil when none came.
func (a *api) header(path string) http.Header {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last[path]
}

func (a *api) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.calls[r.URL.Path]++
	n := a.calls[r.URL.Path]
	a.last[r.URL.Path] = r.Header.Clone()
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	path := r.URL.Path
	if strings.HasPrefix(path, "/echo/") {
		path = "/echo"
	}
	switch path {
	case "/token":
		user, _, _ := r.BasicAuth()
		if r.ParseForm(); user == "refused" || r.PostForm.Get("client_id") == "refused" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"tok-s3cret","token_type":"Bearer","expires_in":3600}`)
	case "/moved":
		http.Redirect(w, r, "/flaky", http.StatusFound)
	case "/flaky":
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{}`)
	case "/pages":
		if r.URL.Query().Get("page") == "2" {
			fmt.Fprint(w, `{"items":[]}`)
			return
		}
		fmt.Fprint(w, `{"items":[1]}`)
	case "/job":
		if r.Method == http.MethodPost {
			w.Header().Set("Location", "/job")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		fmt.Fprint(w, `{"status":"done"}`)
	case "/fail":
		w.WriteHeader(http.StatusInternalServerError)
	case "/code":
		fmt.Fprint(w, `{"code":7}`)
	case "/big":
		fmt.Fprintf(w, `{"pad":%q}`, strings.Repeat("x", 4096))
	case "/slow":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	case "/echo":
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "bad key " + r.URL.Query().Get("key") + " " + r.Header.Get("Authorization")})
	default:
		fmt.Fprint(w, `{}`)
	}
}

// splitHostPort splits a listener's address.
func splitHostPort(t *testing.T, addr string) (string, int) {
	host, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return host, port
}

// closedURL is the URL of a loopback port that nothing listens on.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/"
}
