package httpstep

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Step is a validated, compiled node: its templates are parsed and the place
// of every placeholder is worked out once, so that running it only renders
// values and sends. Make one with [NodeConfig.Compile] and run it with
// [Client.Run], as often as needed. A Step is immutable: it does not change
// when the NodeConfig it came from is edited afterwards, and it is safe for
// concurrent use.
type Step struct {
	node     NodeConfig // a deep copy for Compile; the caller's node for Execute
	method   string
	timeout  time.Duration
	policy   Policy
	url      *template
	base     *url.URL // the URL, parsed, when it has no placeholder
	query    []pair
	headers  []pair
	raw      *template   // the raw body, compiled for rawType
	fields   []*template // the values of the body's form fields, by index
	rawType  string      // the content type raw was compiled for
	ctHeader bool        // the node sets its own Content-Type header
	forms    *formCache  // the redaction forms of the secrets its runs met; copies share it
	auth     *authStep   // the node's credentials, nil when it has none
	pollURL  *template   // async.pollUrl, nil when the node has none
}

// pair is a compiled query entry or header: its key and value template.
type pair struct {
	key   string
	value *template
}

// Compile validates the node and compiles it into a Step. An invalid node
// gives a *ConfigError listing every problem, as [NodeConfig.Validate] does.
// The Step holds a deep copy of the node.
func (n *NodeConfig) Compile() (*Step, error) {
	ts, err := n.check()
	if err != nil {
		return nil, err
	}
	return n.clone().compile(ts)
}

// compile compiles a valid node without copying it, taking the templates
// its check parsed from ts.
func (n *NodeConfig) compile(ts templates) (*Step, error) {
	s := &Step{node: *n, method: n.method(), timeout: n.timeout(), policy: n.policy(), forms: &formCache{}}
	var err error
	if s.url, err = ts.parse(n.URL, modeURL); err != nil {
		return nil, err
	}
	if s.url.static() {
		s.base, _ = parseTargetURL(s.url.segs[0].lit) // nil when it does not parse: Run says why
	}
	if s.query, err = compilePairs(n.Query, ts); err != nil {
		return nil, err
	}
	if s.headers, err = compilePairs(n.Headers, ts); err != nil {
		return nil, err
	}
	s.ctHeader = slices.ContainsFunc(n.Headers, func(kv KeyValue) bool { return strings.EqualFold(kv.Key, "Content-Type") })
	if s.auth, err = compileAuth(n.Auth, ts); err != nil {
		return nil, err
	}
	if a := n.Async; a != nil && a.PollURL != "" {
		if s.pollURL, err = ts.parse(a.PollURL, modeURL); err != nil {
			return nil, err
		}
	}
	if b := n.Body; b != nil && b.Kind == BodyRaw {
		s.rawType = b.contentType()
		if s.raw, err = ts.parse(b.Raw, rawMode(s.rawType)); err != nil {
			return nil, err
		}
	}
	if b := n.Body; b != nil {
		if s.fields, err = compileFields(b.Fields, ts); err != nil {
			return nil, err
		}
	}
	if err = s.compileSigning(ts); err != nil {
		return nil, err
	}
	return s, nil
}

func compilePairs(kvs []KeyValue, ts templates) ([]pair, error) {
	out := make([]pair, len(kvs))
	for i, kv := range kvs {
		t, err := ts.parse(kv.Value, modeText)
		if err != nil {
			return nil, err
		}
		out[i] = pair{key: kv.Key, value: t}
	}
	return out, nil
}

// compileFields compiles the values of a body's form fields, in order.
func compileFields(fs []FormField, ts templates) ([]*template, error) {
	out := make([]*template, len(fs))
	for i, f := range fs {
		t, err := ts.parse(f.Value, modeText)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// rawTemplate returns the raw body compiled for content type ct: the one
// compiled in advance when ct is the body's own type or escapes the same
// way, else one parsed now (a templated Content-Type header of another
// kind).
func (s *Step) rawTemplate(ct string) (*template, error) {
	if ct == s.rawType {
		return s.raw, nil // the node's own type: no media type to parse
	}
	m := rawMode(ct)
	if m == rawMode(s.rawType) {
		return s.raw, nil
	}
	return compile(s.node.Body.Raw, m)
}

// wantsKey reports whether requests of the step carry an Idempotency-Key
// when the node sets none: with a retry policy, for data-object pushes, and
// for POST and PATCH.
func (s *Step) wantsKey() bool {
	return s.node.Retry != nil || s.node.Object != "" || s.method == "POST" || s.method == "PATCH"
}

// Refs returns every ref the step's node uses, as [NodeConfig.Refs] does.
// A nil Step has none.
func (s *Step) Refs() []string {
	if s == nil {
		return nil
	}
	return s.node.Refs()
}

// Run runs the compiled step s with the values in params, as
// [Client.Execute] runs a node: it renders the templates, sends the request
// (every page of it when the node paginates, every retry when it has a
// retry policy) and evaluates the success rule.
//
// The Result is always non-nil; when the node failed, Result.Failure says
// why, and the error is that *Failure under the "terminate" policy or nil
// under "continue". ctx bounds the whole run, waits between retries
// included. A nil Client is DefaultClient; nil params means no values; a nil
// Step is a *ConfigError.
func (c *Client) Run(ctx context.Context, s *Step, params Params) (*Result, error) {
	if c == nil {
		c = DefaultClient
	}
	if s == nil {
		return nil, noStep()
	}
	params, err := callbackRun(ctx, s, params)
	if err != nil {
		return nil, err
	}
	res := c.run(ctx, s, params)
	if res.Failure != nil && s.policy == Terminate {
		return res, res.Failure
	}
	return res, nil
}

// noStep is the error of running no Step.
func noStep() *ConfigError {
	e := &ConfigError{}
	e.add("node", "no compiled step was given: compile the node with NodeConfig.Compile first")
	return e
}

// clone returns a deep copy of n: no slice, map or pointer is shared, so
// editing n afterwards cannot change the copy.
func (n *NodeConfig) clone() *NodeConfig {
	c := *n
	c.Query = slices.Clone(n.Query)
	c.Headers = slices.Clone(n.Headers)
	c.Auth = n.Auth.clone()
	if n.Body != nil {
		b := *n.Body
		b.Fields = slices.Clone(n.Body.Fields)
		c.Body = &b
	}
	c.Success.Codes = slices.Clone(n.Success.Codes)
	c.Success.ErrorMessages = maps.Clone(n.Success.ErrorMessages)
	c.Success.SuccessValues = slices.Clone(n.Success.SuccessValues)
	c.Retry = clonePtr(n.Retry)
	if c.Retry != nil {
		c.Retry.StopOnCodes = slices.Clone(n.Retry.StopOnCodes)
	}
	c.Paginate = clonePtr(n.Paginate)
	c.Callback = clonePtr(n.Callback)
	if n.Async != nil {
		a := *n.Async
		a.DoneValues, a.FailedValues = slices.Clone(n.Async.DoneValues), slices.Clone(n.Async.FailedValues)
		c.Async = &a
	}
	if n.Response != nil {
		c.Response = &Schema{Fields: cloneFields(n.Response.Fields)}
	}
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func cloneFields(fs []Field) []Field {
	if fs == nil {
		return nil
	}
	out := make([]Field, len(fs))
	for i, f := range fs {
		f.Fields = cloneFields(f.Fields)
		out[i] = f
	}
	return out
}
