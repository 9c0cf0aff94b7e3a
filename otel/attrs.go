package otel

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/httpstep/httpstep"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// knownMethods are the methods the semantic conventions name; any other
// is "_OTHER", with the method as sent in http.request.method_original.
var knownMethods = map[string]bool{
	"CONNECT": true, "DELETE": true, "GET": true, "HEAD": true, "OPTIONS": true,
	"PATCH": true, "POST": true, "PUT": true, "TRACE": true, "QUERY": true,
}

// method is the http.request.method of m.
func method(m string) string {
	if knownMethods[m] {
		return m
	}
	return "_OTHER"
}

// spanName is the name of an HTTP client span: its method, or "HTTP" for
// one the conventions do not name.
func spanName(m string) string {
	if knownMethods[m] {
		return m
	}
	return "HTTP"
}

// exchangeAttrs are the attributes of one HTTP exchange that both its span
// and the duration histogram carry, from its history record: method,
// scheme, server, protocol version, status and error type. They are of low
// cardinality (no URL).
func exchangeAttrs(a *httpstep.Attempt) []attribute.KeyValue {
	as := make([]attribute.KeyValue, 0, 8)
	as = append(as, semconv.HTTPRequestMethodKey.String(method(a.Request.Method)))
	if u, err := url.Parse(a.Request.URL); err == nil && u.Host != "" {
		as = append(as, semconv.URLScheme(u.Scheme), semconv.ServerAddress(u.Hostname()))
		if p := port(u); p != 0 {
			as = append(as, semconv.ServerPort(p))
		}
	}
	if a.Response != nil {
		if v := protocolVersion(a.Response.Proto); v != "" {
			as = append(as, semconv.NetworkProtocolVersion(v))
		}
		as = append(as, semconv.HTTPResponseStatusCode(a.Response.Status))
	}
	if e := errorType(a); e != "" {
		as = append(as, semconv.ErrorTypeKey.String(e))
	}
	return as
}

// spanAttrs are the attributes only an exchange's span carries: the URL as
// the history has it (its credentials, token-like parameters and secrets
// redacted) and a method the conventions do not name.
func spanAttrs(a *httpstep.Attempt) []attribute.KeyValue {
	as := []attribute.KeyValue{semconv.URLFull(a.Request.URL)}
	if !knownMethods[a.Request.Method] {
		as = append(as, semconv.HTTPRequestMethodOriginal(a.Request.Method))
	}
	return as
}

// port is the port of u, or its scheme's default; 0 when neither is known.
func port(u *url.URL) int {
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0
		}
		return n
	}
	switch u.Scheme {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

// protocolVersion is the network.protocol.version of a response's proto:
// "1.1" for "HTTP/1.1", "2" for "HTTP/2.0".
func protocolVersion(proto string) string {
	v, ok := strings.CutPrefix(proto, "HTTP/")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(v, ".0")
}

// errorType is the error.type of an exchange: its failure kind; for an
// exchange that did not fail its attempt but got 4xx or 5xx (a credentials
// challenge), the status code; empty when it went well.
func errorType(a *httpstep.Attempt) string {
	switch {
	case a.Kind != "":
		return string(a.Kind)
	case a.Response != nil && a.Response.Status >= 400:
		return strconv.Itoa(a.Response.Status)
	}
	return ""
}
