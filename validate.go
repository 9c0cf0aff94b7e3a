package httpstep

import (
	"fmt"
	"mime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// ConfigError lists every problem found in a NodeConfig. Execute returns it
// before anything is sent, whatever the node's failure policy.
type ConfigError struct {
	Problems []Problem

	parsed templates // what the checks parsed, handed to compile; nil on an error returned
}

// Problem is one configuration problem: the field (a JSON path such as
// "headers[1].value") and what is wrong with it.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error returns every problem, one per line after the first.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(errorPrefix + "invalid node configuration")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Field)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

func (e *ConfigError) add(field, msg string) {
	e.Problems = append(e.Problems, Problem{Field: field, Message: msg})
}

// Validate reports every problem of the node at once as a *ConfigError, or
// nil. Execute calls it first, so an invalid node never sends anything.
func (n *NodeConfig) Validate() error {
	_, err := n.check()
	return err
}

// check is Validate, also returning the templates it parsed, so that
// compile does not parse them again.
func (n *NodeConfig) check() (templates, error) {
	e := &ConfigError{parsed: templates{}}
	if n == nil {
		e.add("node", "no node configuration was given")
		return nil, e
	}
	n.validateRequest(e)
	n.validateBody(e)
	n.validateSuccess(e)
	n.validateRun(e)
	n.validateAuth(e)
	n.validateLongRunning(e)
	n.validateCallback(e)
	parsed := e.parsed
	if e.parsed = nil; len(e.Problems) > 0 {
		return nil, e
	}
	return parsed, nil
}

func (n *NodeConfig) validateRequest(e *ConfigError) {
	switch m := n.method(); {
	case m == "CONNECT":
		e.add("method", "CONNECT opens a tunnel through a proxy, not a request to an API: use GET, POST, PUT, DELETE, HEAD, PATCH or OPTIONS")
	case !httpguts.ValidHeaderFieldName(m): // a method is a token, as a header name is
		e.add("method", fmt.Sprintf("%q is not a method: use GET, POST, PUT, DELETE, HEAD, PATCH or another token of letters, digits and !#$%%&'*+-.^_`|~", n.Method))
	}
	validateURL(e, n.URL)
	for i, q := range n.Query {
		f := indexed("query", i)
		if strings.TrimSpace(q.Key) == "" {
			e.add(f+".key", "the query parameter has no name")
		}
		checkTemplate(e, f+".value", q.Value, modeText)
	}
	for i, h := range n.Headers {
		f := indexed("headers", i)
		if !httpguts.ValidHeaderFieldName(h.Key) {
			e.add(f+".key", fmt.Sprintf("%q is not a valid header name: use letters, digits and - only", h.Key))
		}
		if t := checkTemplate(e, f+".value", h.Value, modeText); t != nil && t.hasLiteral(headerBreaks) {
			e.add(f+".value", breakProblem("the value")+": remove it")
		}
	}
}

// validateURL checks the URL template; a URL without placeholders must parse
// as an absolute http or https URL.
func validateURL(e *ConfigError, raw string) {
	if strings.TrimSpace(raw) == "" {
		e.add("url", "the API URL is empty: paste the address of the API")
		return
	}
	t := checkTemplate(e, "url", raw, modeURL)
	if t == nil {
		return
	}
	if t.segs[0].place == placeURLWhole {
		return
	}
	lower := strings.ToLower(strings.TrimSpace(t.segs[0].lit))
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		e.add("url", "the API URL must start with http:// or https://")
		return
	}
	if t.static() {
		if _, err := parseTargetURL(t.segs[0].lit); err != nil {
			e.add("url", messageOf(err))
		}
	}
}

// checkTemplate parses src and records a problem when it does not parse.
func checkTemplate(e *ConfigError, field, src string, m mode) *template {
	t, err := e.parsed.parse(src, m)
	if err != nil {
		e.add(field, messageOf(err))
		return nil
	}
	return t
}

func (n *NodeConfig) validateBody(e *ConfigError) {
	b := n.Body
	if m := n.method(); n.Object != "" && (m == "GET" || m == "HEAD") {
		e.add("method", m+" requests never carry a body: send the data object with POST, PUT, PATCH or DELETE")
	}
	if n.Object != "" && b != nil && b.Kind != "" && b.Kind != BodyNone {
		e.add("object", "a node sends either a data object or a body, not both")
	}
	if b == nil || b.Kind == "" || b.Kind == BodyNone {
		return
	}
	if m := n.method(); m == "GET" || m == "HEAD" {
		e.add("body", m+" requests never carry a body: choose POST, PUT, PATCH or DELETE, or set the body to none")
	}
	switch b.Kind {
	case BodyRaw:
		checkTemplate(e, "body.raw", b.Raw, rawMode(b.contentType()))
	case BodyBinary:
		if strings.TrimSpace(b.File) == "" {
			e.add("body.file", "a binary body sends exactly one attachment: choose the file parameter")
		}
		if len(b.Fields) > 0 || b.Raw != "" {
			e.add("body", "a binary body sends only its one attachment: remove the fields and raw text")
		}
	case BodyFormData, BodyURLEncoded:
		validateFields(e, b)
	default:
		e.add("body.kind", fmt.Sprintf("%q is not a body kind: use none, form-data, x-www-form-urlencoded, raw or binary", b.Kind))
	}
}

func validateFields(e *ConfigError, b *Body) {
	for i, f := range b.Fields {
		name := indexed("body.fields", i)
		if strings.TrimSpace(f.Key) == "" {
			e.add(name+".key", "the form field has no name")
		}
		if f.File != "" && b.Kind == BodyURLEncoded {
			e.add(name+".file", "x-www-form-urlencoded cannot carry files: use form-data")
		}
		if f.File != "" && f.Value != "" {
			e.add(name, "a form field is either a value or a file, not both")
		}
		validatePart(e, name, b.Kind, f)
		checkTemplate(e, name+".value", f.Value, modeText)
	}
}

// validatePart checks a field's part settings: form-data only, a media
// type, and a file name for a file.
func validatePart(e *ConfigError, name string, kind BodyKind, f FormField) {
	if f.ContentType == "" && f.Filename == "" {
		return
	}
	if kind != BodyFormData {
		e.add(name, "contentType and filename are part settings of form-data: remove them, or use form-data")
	}
	if _, _, err := mime.ParseMediaType(f.ContentType); f.ContentType != "" && (err != nil || strings.ContainsAny(f.ContentType, headerBreaks)) {
		e.add(name+".contentType", fmt.Sprintf("%q is not a media type: write one such as application/json or text/plain; charset=utf-8", f.ContentType))
	}
	if f.Filename != "" && f.File == "" {
		e.add(name+".filename", "only a file part has a file name: choose the file, or remove the name")
	}
}

func (n *NodeConfig) validateSuccess(e *ConfigError) {
	s := &n.Success
	for _, c := range s.Codes {
		if c < 100 || c > 599 {
			e.add("success.codes", fmt.Sprintf("%d is not an HTTP status: use 100 to 599", c))
		}
	}
	for k := range s.ErrorMessages {
		if c, err := strconv.Atoi(k); err != nil || c < 100 || c > 599 {
			e.add("success.errorMessages", fmt.Sprintf("%q is not an HTTP status: key each message by a status such as \"500\"", k))
		}
	}
	switch s.MissingCode {
	case "", MissingCodeFailure, MissingCodeSuccess:
	default:
		e.add("success.missingCode", fmt.Sprintf("%q is not a choice: use failure or success", s.MissingCode))
	}
	if s.ErrorCodePath == "" && s.MissingCode != "" {
		e.add("success.errorCodePath", "missingCode decides an answer without a code: say where the code is, e.g. \"errcode\"")
	}
	if s.ErrorCodePath == "" && len(s.SuccessValues) > 0 {
		e.add("success.errorCodePath", "say where the business code is in the response, e.g. \"errcode\"")
	}
}

func (n *NodeConfig) validateRun(e *ConfigError) {
	if p := n.policy(); p != Terminate && p != Continue {
		e.add("onFailure", fmt.Sprintf("%q is not a policy: use terminate or continue", n.OnFailure))
	}
	if n.Timeout < 0 {
		e.add("timeout", "the timeout cannot be negative")
	}
	n.Retry.check(e)
	if r := n.Retry; r != nil && len(r.StopOnCodes) > 0 && n.Success.ErrorCodePath == "" {
		e.add("retry.stopOnCodes", "the codes are read at success.errorCodePath: say where the code is, e.g. \"error.code\"")
	}
	if p := n.Paginate; p != nil {
		p.validate(e, n.Body)
	}
}

// Refs returns every ref the node uses, once each, in order of first use:
// URL, query, headers, auth, body, data object. The host prompts for these when
// the user clicks "Test API".
func (n *NodeConfig) Refs() []string {
	return slices.DeleteFunc(n.allRefs(), isCallbackRef) // the queue gives {{$callback.url}}
}

// allRefs is Refs with the reserved {{$callback.url}} kept.
func (n *NodeConfig) allRefs() []string {
	if n == nil {
		return nil
	}
	var refs []string
	add := func(src string) {
		if segs, err := parseTemplate(src); err == nil {
			refs = (&template{segs: segs}).refs(refs)
		}
	}
	add(n.URL)
	for _, q := range n.Query {
		add(q.Value)
	}
	for _, h := range n.Headers {
		add(h.Value)
	}
	for _, src := range n.Auth.templates() {
		add(src)
	}
	if b := n.Body; b != nil {
		add(b.Raw)
		for _, f := range b.Fields {
			add(f.Value)
			refs = appendRef(refs, f.File)
		}
		refs = appendRef(refs, b.File)
	}
	refs = appendRef(refs, n.Object)
	if c := n.Callback; c != nil {
		add(c.Secret)
	}
	if a := n.Async; a != nil {
		refs = pollURLRefs(a.PollURL, refs)
	}
	if a := n.Auth; a != nil && (a.Type == AuthSignature || a.Type == AuthToken) {
		refs = slices.DeleteFunc(refs, isSigVar) // the signature's own variables
	}
	return dedupe(refs)
}

func appendRef(refs []string, ref string) []string {
	if ref = strings.TrimSpace(ref); ref != "" {
		refs = append(refs, ref)
	}
	return refs
}

func dedupe(refs []string) []string {
	seen := make(map[string]bool, len(refs))
	out := refs[:0]
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// indexed names element i of a list field, e.g. "headers[1]".
func indexed(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}
