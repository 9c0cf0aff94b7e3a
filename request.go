package httpstep

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NodeConfig is the stored configuration of one "Send API Request" node. It
// round-trips through encoding/json unchanged. The zero value is a GET with no
// URL, which [NodeConfig.Validate] rejects.
type NodeConfig struct {
	Method             string       `json:"method"`                       // GET POST PUT DELETE HEAD PATCH; empty = GET (POST when Object is set)
	URL                string       `json:"url"`                          // template, see "Dynamic parameters"
	Query              []KeyValue   `json:"query,omitempty"`              // appended to the URL's query, values are templates
	Headers            []KeyValue   `json:"headers,omitempty"`            // values are templates
	Body               *Body        `json:"body,omitempty"`               // request body; GET and HEAD never carry one
	Object             string       `json:"object,omitempty"`             // "Send Specified Data Object": ref of the record sent as the JSON body
	Success            SuccessRule  `json:"success,omitempty"`            // what counts as success
	OnFailure          Policy       `json:"onFailure,omitempty"`          // "terminate" (default) | "continue"
	Timeout            Duration     `json:"timeout,omitempty"`            // per attempt; default 10s
	UseProxy           bool         `json:"useProxy,omitempty"`           // use the Client's (organisation's) proxy
	InsecureSkipVerify bool         `json:"insecureSkipVerify,omitempty"` // TLS verification is ON unless this is set
	Retry              *RetryPolicy `json:"retry,omitempty"`              // nil = one attempt
	Response           *Schema      `json:"response,omitempty"`           // output fields, usually from InferSchema
	Paginate           *Pagination  `json:"paginate,omitempty"`           // pull every page of a list
	// Sign asks for a Standard Webhooks signature on every attempt, made with
	// the Client's SigningSecret. It is ignored when the Client has none.
	// The webhook-id is the node's own webhook-id header when it sets one
	// (so a stored delivery keeps its identity), else a fresh one per run.
	Sign bool `json:"sign,omitempty"`
}

// KeyValue is one query entry or header. Value is a template.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Policy says what the workflow does when the node fails: "terminate" (the
// default, also for the empty string) or "continue".
type Policy string

// The failure policies.
const (
	Terminate Policy = "terminate"
	Continue  Policy = "continue"
)

// DefaultTimeout is the per-attempt timeout of a node that sets none.
const DefaultTimeout = 10 * time.Second

// Duration is a time.Duration that reads from JSON as a "1.5s"-style string
// or a number of milliseconds, and is written as a string.
type Duration time.Duration

// MarshalJSON writes d as a Go duration string such as "10s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "10s", "1m30s", "10000" (milliseconds as text) or a
// number of milliseconds (fractions allowed).
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*d = 0
			return nil
		}
		if v, err := time.ParseDuration(s); err == nil {
			*d = Duration(v)
			return nil
		}
	}
	ms, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(ms) {
		return fmt.Errorf("httpstep: duration %s: write it as \"10s\" or as a number of milliseconds", string(b))
	}
	if math.Abs(ms) > float64(math.MaxInt64/int64(time.Millisecond)) {
		return fmt.Errorf("httpstep: duration %s is too long: write at most a few hours", string(b))
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// or returns d, or def when d is not positive (unset).
func (d Duration) or(def time.Duration) time.Duration {
	if d > 0 {
		return time.Duration(d)
	}
	return def
}

// String returns the duration in Go notation, e.g. "10s".
func (d Duration) String() string { return time.Duration(d).String() }

// method returns the HTTP method the node sends.
func (n *NodeConfig) method() string {
	m := strings.ToUpper(strings.TrimSpace(n.Method))
	if m == "" {
		if n.Object != "" {
			return "POST"
		}
		return "GET"
	}
	return m
}

// timeout returns the per-attempt timeout.
func (n *NodeConfig) timeout() time.Duration { return n.Timeout.or(DefaultTimeout) }

// policy returns the failure policy, terminate when unset.
func (n *NodeConfig) policy() Policy {
	if n.OnFailure == "" {
		return Terminate
	}
	return Policy(strings.ToLower(string(n.OnFailure)))
}

// Execute runs node on DefaultClient. See Client.Execute.
func Execute(ctx context.Context, node *NodeConfig, params Params) (*Result, error) {
	return DefaultClient.Execute(ctx, node, params)
}

// Execute runs node with the values in params: it validates the node, renders
// its templates, sends the request (every page of it when the node
// paginates, every retry when it has a retry policy) and evaluates the
// success rule.
//
// An invalid node returns a *ConfigError and sends nothing. Otherwise the
// Result is always non-nil; when the node failed, Result.Failure says why,
// and the error is that *Failure under the "terminate" policy or nil under
// "continue". ctx bounds the whole run, waits between retries included. A
// nil Client is DefaultClient; nil params means no values.
func (c *Client) Execute(ctx context.Context, node *NodeConfig, params Params) (*Result, error) {
	if c == nil {
		c = DefaultClient
	}
	if err := node.Validate(); err != nil {
		return nil, err
	}
	r := newRenderer(params)
	p, fail := c.prepare(node, r)
	var res *Result
	switch {
	case fail != nil:
		res = &Result{Failure: fail, Attempts: []Attempt{p.failedRecord(fail)}}
	case node.Paginate != nil:
		res = c.paginate(ctx, node, p)
	default:
		res = c.send(ctx, node, p)
	}
	res.redact = p.redact
	if res.Failure != nil && node.policy() == Terminate {
		return res, res.Failure
	}
	return res, nil
}

// prepared is a rendered request, ready to be sent once per attempt.
type prepared struct {
	method      string
	url         *url.URL
	header      http.Header
	body        *payload
	r           *renderer
	redact      *redactor
	missing     []string
	template    string   // the URL as typed, for the record when rendering failed
	autoKey     bool     // the Idempotency-Key is ours, not the node's
	credHeaders []string // headers holding a Secret: credentials, whatever their names
	cursor      string   // cursor pagination: the cursor this page asks for
	sign        Secret   // Standard Webhooks secret, when the node signs
	msgID       string   // webhook-id, the same on every attempt
}

// prepare renders the node. A value that cannot be placed fails with kind
// param and nothing is sent.
func (c *Client) prepare(node *NodeConfig, r *renderer) (*prepared, *Failure) {
	p := &prepared{method: node.method(), r: r, template: node.URL}
	defer func() {
		if node.UseProxy && c.Proxy != nil {
			r.secrets = append(r.secrets, userSecrets(c.Proxy.User)...)
		}
		p.redact = newRedactor(r.secrets, p.url, p.header)
		p.missing = r.missing
	}()
	u, err := r.buildURL(node)
	if err != nil {
		return p, paramFailure(err)
	}
	p.url = u
	if p.header, err = r.buildHeader(node); err != nil {
		return p, paramFailure(err)
	}
	p.credHeaders = secretHeaders(p.header, r.secrets)
	if p.body, err = r.buildPayload(node, c.boundary, p.header.Get("Content-Type")); err != nil {
		return p, paramFailure(err)
	}
	if p.body != nil {
		p.body.maxUpload = c.MaxUploadBytes
		// A multipart body's type carries its boundary, so it always wins.
		if p.header.Get("Content-Type") == "" || strings.HasPrefix(p.body.contentType, "multipart/") {
			p.header.Set("Content-Type", p.body.contentType)
		}
	}
	p.autoKey = c.setIdempotencyKey(node, p.header)
	if node.Sign && c.SigningSecret != "" {
		// A node's own webhook-id (a stored delivery's identity) is kept and signed.
		p.sign, p.msgID = c.SigningSecret, p.header.Get(WebhookIDHeader)
		if p.msgID == "" {
			p.msgID = newWebhookID()
		}
	}
	return p, nil
}

// buildHeader renders the node's headers. A value with CR, LF or NUL fails:
// it could add a header or split the request.
func (r *renderer) buildHeader(n *NodeConfig) (http.Header, error) {
	h := make(http.Header, len(n.Headers)+3)
	for _, kv := range n.Headers {
		v, err := r.renderText(kv.Value)
		if err != nil {
			return h, err
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return h, fmt.Errorf("httpstep: the value of header %s contains a line break or NUL, which could change the request: check the parameters it uses", kv.Key)
		}
		h.Add(kv.Key, strings.TrimSpace(v))
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", UserAgent)
	}
	return h, nil
}

// UserAgent is sent by nodes that set no User-Agent header.
const UserAgent = "httpstep/1"

// setIdempotencyKey gives every attempt of one request the same
// Idempotency-Key (each page of a paginated pull gets its own): on nodes
// with a retry policy, data-object pushes, and POST and PATCH requests,
// unless the node sets the header itself. It reports whether it set one.
func (c *Client) setIdempotencyKey(n *NodeConfig, h http.Header) bool {
	if h.Get("Idempotency-Key") != "" {
		return false
	}
	m := n.method()
	if n.Retry != nil || n.Object != "" || m == "POST" || m == "PATCH" {
		h.Set("Idempotency-Key", newIdempotencyKey())
		return true
	}
	return false
}

// paramFailure is a failure to place a parameter in the request.
func paramFailure(err error) *Failure {
	return &Failure{Kind: KindParam, Message: strings.TrimPrefix(err.Error(), "httpstep: "), Err: err}
}

// secretHeaders lists the headers whose values hold one of the secrets.
func secretHeaders(h http.Header, secrets []string) []string {
	var out []string
	for k, vs := range h {
		for _, v := range vs {
			for _, s := range secrets {
				if s != "" && strings.Contains(v, s) && !slices.Contains(out, k) {
					out = append(out, k)
				}
			}
		}
	}
	return out
}
