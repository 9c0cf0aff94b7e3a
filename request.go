package httpstep

import (
	"context"
	"strings"
	"time"

	"github.com/httpstep/httpstep/internal/nodespec"
)

// NodeConfig is the stored configuration of one "Send API Request" node. It
// round-trips through encoding/json unchanged. The zero value is a GET with no
// URL, which [NodeConfig.Validate] rejects.
type NodeConfig struct {
	Method             string       `json:"method"`                       // GET POST PUT DELETE HEAD PATCH; empty = GET (POST when Object is set)
	URL                string       `json:"url"`                          // template, see "Dynamic parameters"
	Query              []KeyValue   `json:"query,omitempty"`              // appended to the URL's query, values are templates
	Headers            []KeyValue   `json:"headers,omitempty"`            // values are templates
	Auth               *Auth        `json:"auth,omitempty"`               // credentials: basic, bearer, apiKey, digest, oauth2
	Body               *Body        `json:"body,omitempty"`               // request body; GET and HEAD never carry one
	Object             string       `json:"object,omitempty"`             // "Send Specified Data Object": ref of the record sent as the JSON body
	Success            SuccessRule  `json:"success,omitempty,omitzero"`   // what counts as success
	OnFailure          Policy       `json:"onFailure,omitempty"`          // "terminate" (default) | "continue"
	Timeout            Duration     `json:"timeout,omitempty"`            // per attempt; default 10s
	UseProxy           bool         `json:"useProxy,omitempty"`           // use the Client's (organisation's) proxy
	InsecureSkipVerify bool         `json:"insecureSkipVerify,omitempty"` // TLS verification is ON unless this is set
	Retry              *RetryPolicy `json:"retry,omitempty"`              // nil = one attempt
	Response           *Schema      `json:"response,omitempty"`           // output fields, usually from InferSchema
	Paginate           *Pagination  `json:"paginate,omitempty"`           // pull every page of a list
	// Sign asks for a Standard Webhooks signature on every attempt, made with
	// the Client's SigningSecret. It is ignored when the Client has none.
	Sign bool `json:"sign,omitempty"`
	// Async follows "202 Accepted" to the final answer; see [Async].
	Async *Async `json:"async,omitempty"`
	// Download streams the response body to a new file instead of Body; see
	// [Result.File].
	Download bool `json:"download,omitempty"`
	// Callback waits, through the durable queue, for the API to call the
	// URL {{$callback.url}} rendered; see [Callback].
	Callback *Callback `json:"callback,omitempty"`
	// NoTraceContext leaves out the trace context headers (W3C traceparent,
	// tracestate) that a traced Client adds to each request (see
	// [Hooks].InjectTraceContext), for an API that refuses unknown headers.
	NoTraceContext bool `json:"noTraceContext,omitempty"`
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

// method returns the HTTP method the node sends.
func (n *NodeConfig) method() string {
	switch m := nodespec.Method(n.Method); {
	case m == "" && n.Object != "":
		return "POST"
	case m == "":
		return "GET"
	default:
		return m
	}
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
// success rule. It is [NodeConfig.Compile] then [Client.Run] in one call.
// The Client keeps the Steps it compiled for the last few hundred distinct
// nodes, keyed by their whole content, so a node decoded afresh for every
// call is validated and compiled once; a node edited in any field is
// compiled anew.
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
	s, err := c.steps.compile(node)
	if err != nil {
		return nil, err
	}
	return c.Run(ctx, s, params)
}
