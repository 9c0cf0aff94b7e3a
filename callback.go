package httpstep

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/httpstep/httpstep/internal/callbackurl"
)

// Callback makes a node wait for the API to call back: the request carries
// a one-use URL ({{$callback.url}}), and the node's result is the body of
// the call the API later makes to it. Payment providers, document signing,
// transcoding and batch APIs answer this way.
//
// A callback node runs only through the durable queue (package
// github.com/httpstep/httpstep/durable), which mints the URL, parks the
// delivery without holding a worker and serves the handler the API calls:
// [Client.Execute] and [Client.Run] refuse one with a *ConfigError.
type Callback struct {
	// Timeout is how long to wait for the call once the request succeeded;
	// past it the node fails with kind timeout. Zero means
	// [DefaultCallbackTimeout].
	Timeout Duration `json:"timeout,omitempty"`
	// Secret, when set, is the ref of the Standard Webhooks secret the API
	// signs its call with, as one placeholder ("{{org.callbackSecret}}"):
	// the queue then refuses a call whose webhook-signature does not
	// verify (package github.com/httpstep/httpstep/webhook). Empty accepts
	// an unsigned call: the one-use URL is then the only credential.
	Secret string `json:"secret,omitempty"`
}

// DefaultCallbackTimeout is the wait of a callback node that sets no
// callback.timeout.
const DefaultCallbackTimeout = 24 * time.Hour

// CallbackResult is the Result of the API's call to a node's
// {{$callback.url}}, whose body the durable queue makes the node's result:
// status 200, the call's Content-Type, and the body read as Run reads an
// answer. A body that names a charset (in contentType, or by a byte order
// mark) is converted to UTF-8, one declared UTF-8 has its invalid bytes
// replaced, and an XML body is read through the JSON tree that Get,
// Lookup, Rows and EachRow use (README, "XML answers"); each bounded by
// limit (0: DefaultMaxResponseBytes). notes say what the reading noticed,
// as an attempt's notes do. A body that cannot be converted within limit
// is kept as it came, with a note saying why: the call was accepted, so
// there is no failure to report.
func CallbackResult(contentType string, body []byte, limit int64) (res *Result, notes []string) {
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	resp := &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
	read, notes, err := readBody(resp, limit)
	if err != nil {
		notes = append(notes, messageOf(err)+"; the body is kept as it came")
		read = body
	}
	out := outcome{body: read}
	if err == nil {
		out.readXML(contentType, limit)
	}
	return &Result{StatusCode: http.StatusOK, Header: h, Body: read, tree: out.tree}, append(notes, out.record.Notes...)
}

// callbackRef is the reserved ref that renders the callback URL;
// callbackPrefix reserves its whole namespace.
const (
	callbackRef    = "$callback.url"
	callbackPrefix = "$callback."
)

func isCallbackRef(ref string) bool { return strings.HasPrefix(ref, callbackPrefix) }

// validateCallback checks the node's callback and its use of the reserved
// ref: {{$callback.url}} only with a callback, and a callback only with a
// {{$callback.url}} that tells the API where to call.
func (n *NodeConfig) validateCallback(e *ConfigError) {
	refs := n.allRefs()
	for _, r := range refs {
		if isCallbackRef(r) && r != callbackRef {
			e.add("callback", "{{"+r+"}} is not a callback value: the only one is {{"+callbackRef+"}}")
		}
	}
	uses := slices.Contains(refs, callbackRef)
	c := n.Callback
	if c == nil {
		if uses {
			e.add("callback", "{{"+callbackRef+"}} is used but the node waits for no call back: add \"callback\": {} (or remove the placeholder)")
		}
		return
	}
	if !uses {
		e.add("callback", "the node waits for a call back but never tells the API where to call: put {{"+callbackRef+"}} in the URL, a header or the body where the API expects its callback URL")
	}
	if c.Timeout < 0 {
		e.add("callback.timeout", "must not be negative; leave it empty for "+DefaultCallbackTimeout.String())
	}
	n.validateCallbackSecret(e)
	for field, set := range map[string]bool{"paginate": n.Paginate != nil, "async": n.Async != nil, "download": n.Download} {
		if set {
			e.add(field, "a node that waits for a call back cannot also use "+field+": its result is the body of the call")
		}
	}
}

// validateCallbackSecret checks that callback.secret, when set, is one
// placeholder and nothing else: the queue resolves that ref when the call
// arrives.
func (n *NodeConfig) validateCallbackSecret(e *ConfigError) {
	src := n.Callback.Secret
	if src == "" {
		return
	}
	segs, err := parseTemplate(src)
	if err != nil || len(segs) != 2 || segs[0].lit != "" || segs[1].lit != "" || segs[0].ref == "" {
		e.add("callback.secret", "must be one placeholder naming the secret the API signs with, such as {{org.callbackSecret}}")
		return
	}
	if isCallbackRef(segs[0].ref) {
		e.add("callback.secret", "{{"+segs[0].ref+"}} is the callback URL, not a secret: name the host's value that holds the shared secret")
	}
}

// callbackRefused is the error of running a callback node outside the
// durable queue.
func callbackRefused() *ConfigError {
	e := &ConfigError{}
	e.add("callback", "the node waits for the API to call back, which only the durable queue can do: enqueue it with a durable.Queue (package github.com/httpstep/httpstep/durable) that mounts Queue.CallbackHandler")
	return e
}

// callbackParams resolves {{$callback.url}} to the URL the queue gave the
// run, as a Secret: the URL is a one-use credential, so the history shows
// [REDACTED] in its place (a dry run gives a placeholder as text). Every
// other ref is the host's.
type callbackParams struct {
	Params
	url any
}

// Lookup implements Params.
func (p callbackParams) Lookup(ref string) (any, bool) {
	if ref == callbackRef {
		return p.url, true
	}
	if p.Params == nil || isCallbackRef(ref) {
		return nil, false
	}
	return p.Params.Lookup(ref)
}

// callbackRun gives a callback node's run the URL the durable queue put in
// ctx, or refuses the run when ctx carries none. Other nodes' params pass
// as they are.
func callbackRun(ctx context.Context, s *Step, params Params) (Params, error) {
	if s.node.Callback == nil {
		return params, nil
	}
	u, ok := callbackurl.From(ctx)
	if !ok {
		return nil, callbackRefused()
	}
	return callbackParams{Params: params, url: Secret(u)}, nil
}
