package httpstep

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/httpstep/httpstep/internal/nodespec"
)

// Curl returns the node as one runnable cURL command for a POSIX shell,
// every word single-quoted where it needs to be and one option per line.
// An invalid node gives its *ConfigError.
//
// With nil params the command keeps the node's templates as typed
// ({{ref}}, with -g so that curl does not read the braces as a glob) and
// the attachments as their refs (-F 'doc=@doc'); curl.Parse reads it back
// into the same node, up to these normalisations: the method is written out
// in full, Query entries join the URL's query, form and raw field order is
// kept but file refs become curl.Parse's "file", "file2" ..., an x-www-form-
// urlencoded body loses OmitEmpty, a part's content type loses the spaces
// around it (as curl's -F ;type= does), a retry policy keeps only its number of
// attempts, an apiKey auth becomes its header or query parameter, and what
// curl has no option for (success rule, failure policy, response schema,
// pagination, async polling, signing, oauth2 auth; a retry policy's jitter
// and stopOnCodes) is left out. Basic auth is written as
// -u user:password, digest adds --digest, bearer is --oauth2-bearer. A
// literal credential typed into the node (an Authorization or Cookie
// header, a token-like query parameter or form field, a URL password, an
// auth password, token or key) is shown as [REDACTED]; a {{ref}} is not a
// secret and is kept.
//
// With params every template is rendered as Execute would render it (a
// missing ref is empty), attachments are named by their file names (curl
// reads them from its working directory), and every Secret value and every
// credential is shown as [REDACTED]. The organisation's proxy, which the
// node does not know, is written as -x "$HTTPSTEP_PROXY". The headers
// Execute adds by itself (User-Agent, Idempotency-Key, a signature) are not
// written.
//
// A value with a NUL byte cannot be an argument of a command: Curl returns
// an error for it. Curl only formats: nothing is sent.
func (n *NodeConfig) Curl(params Params) (string, error) {
	s, err := n.Compile()
	if err != nil {
		return "", err
	}
	var req *curlRequest
	if params == nil {
		req = templateRequest(s)
	} else if req, err = renderedRequest(s, params); err != nil {
		return "", err
	}
	return req.command()
}

// curlRequest is what a command says, before quoting.
type curlRequest struct {
	node    *NodeConfig
	method  string
	url     string
	headers []KeyValue
	data    *string     // raw, rendered x-www-form-urlencoded or object body
	fields  []FormField // x-www-form-urlencoded body as typed
	form    []formPart  // form-data body
	binary  string      // binary body: the file's name or ref
	dataCT  string      // the Content-Type a raw or object body needs
	auth    curlAuth    // -u, --digest, --oauth2-bearer
}

// ---- the node as typed ----

// templateRequest is the node with its templates as typed and literal
// credentials redacted.
func templateRequest(s *Step) *curlRequest {
	n := &s.node
	req := &curlRequest{node: n, method: s.method, url: redactURLText(n.URL)}
	for _, q := range n.Query {
		req.url = nodespec.AppendQuery(req.url, queryText(q.Key)+"="+queryText(literalSecret(q.Key, q.Value)))
	}
	for _, h := range n.Headers {
		req.headers = append(req.headers, KeyValue{Key: h.Key, Value: literalCredential(h.Key, h.Value)})
	}
	req.templateAuth(n.Auth)
	switch b := n.Body; {
	case n.Object != "":
		raw := "{{" + strings.TrimSpace(n.Object) + "}}"
		req.data, req.dataCT = &raw, "application/json"
	case b == nil:
	case b.Kind == BodyRaw:
		req.data, req.dataCT = &b.Raw, b.contentType()
	case b.Kind == BodyURLEncoded && len(b.Fields) == 0:
		empty := ""
		req.data = &empty
	case b.Kind == BodyURLEncoded:
		for _, f := range b.Fields {
			req.fields = append(req.fields, FormField{Key: f.Key, Value: literalSecret(f.Key, f.Value)})
		}
	case b.Kind == BodyFormData:
		for _, f := range b.Fields {
			f.Value = literalSecret(f.Key, f.Value)
			req.form = append(req.form, formPart{field: f, file: strings.TrimSpace(f.File)})
		}
	case b.Kind == BodyBinary:
		req.binary = strings.TrimSpace(b.File)
	}
	return req
}

// queryText query-escapes the text of a template but not its {{refs}},
// which Execute escapes when it renders them. The refs are found by the
// template parser, as the run finds them, and written as {{ref}}.
func queryText(t string) string {
	segs, err := parseTemplate(t)
	if err != nil {
		return curlEscape(t)
	}
	var b strings.Builder
	for _, seg := range segs {
		b.WriteString(curlEscape(seg.lit))
		if seg.ref != "" {
			b.WriteString("{{" + seg.ref + "}}")
		}
	}
	return b.String()
}

// literalCredential redacts the literal credentials in the value of a
// credential header and keeps its refs: "Bearer abc" shows as
// "Bearer [REDACTED]", "Bearer {{token}}" stays, and so does each cookie
// whose value is a ref.
func literalCredential(key, v string) string {
	key = http.CanonicalHeaderKey(key)
	switch {
	case !sensitiveHeader(key) || !hasLiteral(v):
		return v
	case key == "Authorization" || key == "Proxy-Authorization":
		if scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
			return scheme + " " + literalSecretText(cred)
		}
	case key == "Cookie":
		parts := strings.Split(v, ";")
		for i, p := range parts {
			if name, val, ok := strings.Cut(p, "="); ok {
				parts[i] = name + "=" + literalSecretText(val)
			} else {
				parts[i] = literalSecretText(p)
			}
		}
		return strings.Join(parts, ";")
	}
	return redacted
}

// literalSecretText is t, or [REDACTED] when it has literal text.
func literalSecretText(t string) string {
	if hasLiteral(t) {
		return redacted
	}
	return t
}

// literalSecret redacts the literal value of a token-like parameter.
func literalSecret(key, v string) string {
	if sensitiveParam(key) {
		return literalSecretText(v)
	}
	return v
}

// hasLiteral reports whether t has text besides its {{refs}} and blanks.
// Text that is not a template is all literal.
func hasLiteral(t string) bool {
	segs, err := parseTemplate(t)
	if err != nil {
		return true
	}
	for _, seg := range segs {
		if strings.TrimSpace(seg.lit) != "" {
			return true
		}
	}
	return false
}

// redactURLText redacts a literal password and literal token-like query
// values of a URL template, leaving the rest as typed.
func redactURLText(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && hasLiteral(pw) {
			raw = strings.Replace(raw, ":"+pw+"@", ":"+redacted+"@", 1)
		}
	}
	base, query, ok := strings.Cut(raw, "?")
	if !ok {
		return raw
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	parts := strings.Split(query, "&")
	for i, p := range parts {
		if k, v, found := strings.Cut(p, "="); found {
			parts[i] = k + "=" + literalSecret(k, v)
		}
	}
	raw = base + "?" + strings.Join(parts, "&")
	if hasFrag {
		raw += "#" + frag
	}
	return raw
}

// ---- the node rendered ----

// renderedRequest is the request Execute would send for s with params,
// rendered by the run's own render (the same checks, so a value the run
// refuses fails the export with the same kind param *Failure), written for
// curl with every secret redacted. The headers Execute adds by itself are
// left out: only the node's own and its credentials are written.
func renderedRequest(s *Step, params Params) (*curlRequest, error) {
	o, f := (&Client{}).render(s, params)
	if f != nil {
		return nil, f
	}
	req := &curlRequest{node: &s.node, method: o.method}
	authKey := req.renderedAuth(s, o)
	req.headers = nodeHeaders(s, o.header, authKey)
	if authKey != "" && authKey != "Authorization" {
		req.headers = append(req.headers, KeyValue{Key: s.auth.auth.Name, Value: o.header.Get(authKey)})
	}
	req.renderedBody(s, o.body)
	req.redact(o.secrets, o.url)
	return req, nil
}

// nodeHeaders returns the values the node's own headers were rendered to in
// h, in the node's order, but the credential header skip that its auth
// block sets. A multipart Content-Type loses the boundary the run's encoder
// chose: curl's -F sets its own.
func nodeHeaders(s *Step, h http.Header, skip string) []KeyValue {
	next := map[string]int{}
	var out []KeyValue
	for _, p := range s.headers {
		key := http.CanonicalHeaderKey(p.key)
		vals := h.Values(key)
		if key == skip || next[key] >= len(vals) {
			continue
		}
		v := vals[next[key]]
		next[key]++
		if mt, params, err := mime.ParseMediaType(v); key == "Content-Type" && err == nil && params["boundary"] != "" {
			delete(params, "boundary")
			v = mime.FormatMediaType(mt, params)
		}
		out = append(out, KeyValue{Key: p.key, Value: v})
	}
	return out
}

// renderedBody writes the rendered body: data as sent, the file of a binary
// body, the parts of a form-data body.
func (req *curlRequest) renderedBody(s *Step, p *payload) {
	switch b := s.node.Body; {
	case p == nil:
	case s.node.Object == "" && b != nil && b.Kind == BodyFormData:
		req.form = p.form
	case s.node.Object == "" && b != nil && b.Kind == BodyBinary:
		req.binary, req.dataCT = p.files[0].Name, p.contentType
	default:
		data := p.data
		req.data, req.dataCT = &data, p.contentType
	}
}

// redact hides every secret of the rendered request.
func (req *curlRequest) redact(s *secrets, u *url.URL) {
	req.url = s.url(u)
	for i, h := range req.headers {
		if s.credential(http.CanonicalHeaderKey(h.Key)) {
			req.headers[i].Value = redacted
		} else {
			req.headers[i].Value = s.text(h.Value)
		}
	}
	if req.data != nil {
		data := s.text(*req.data)
		req.data = &data
	}
	for i := range req.form {
		req.form[i].field.Value = s.text(req.form[i].field.Value)
		req.form[i].file = s.text(req.form[i].file)
	}
}

// ---- the command ----

// command writes the request as curl words, one option per line.
func (req *curlRequest) command() (string, error) {
	w := &curlWriter{}
	w.opt(req.methodOption()...)
	if strings.ContainsAny(req.url, "[]{}") {
		w.opt("-g")
	}
	w.opt(req.url)
	hasCT := false
	for _, h := range req.headers {
		if hk := strings.ToLower(h.Key); hk == "content-length" || hk == "accept-encoding" {
			continue
		}
		hasCT = hasCT || strings.EqualFold(h.Key, "Content-Type")
		if strings.ContainsAny(h.Value, "\r\n") {
			w.fail(errorf("the value of header %s holds a line break, which curl would send as two lines: remove it", h.Key))
		}
		if strings.TrimSpace(h.Value) == "" {
			w.opt("-H", h.Key+";")
		} else {
			w.opt("-H", h.Key+": "+h.Value)
		}
	}
	if req.dataCT != "" && !hasCT && req.form == nil {
		w.opt("-H", "Content-Type: "+req.dataCT)
	}
	req.auth.options(w)
	req.bodyOptions(w)
	req.runOptions(w)
	return w.command()
}

// methodOption is -X when curl would not choose the node's method itself.
func (req *curlRequest) methodOption() []string {
	hasBody := req.data != nil || req.form != nil || req.fields != nil || req.binary != ""
	switch {
	case req.method == "HEAD" && !hasBody:
		return []string{"--head"}
	case req.method == "GET" && !hasBody, req.method == "POST" && hasBody:
		return nil
	}
	return []string{"-X", req.method}
}

func (req *curlRequest) bodyOptions(w *curlWriter) {
	switch {
	case req.data != nil:
		w.opt("--data-raw", *req.data)
	case req.binary != "":
		w.opt("--data-binary", "@"+req.binary)
	}
	for _, p := range req.form {
		if strings.Contains(p.field.Key, "=") {
			w.fail(errorf("the form field name %q holds '=', which curl -F cannot write: rename the field", clip(p.field.Key, errorQuoteRunes)))
		}
		w.opt("-F", p.word())
	}
	for _, f := range req.fields {
		if k := curlEscape(f.Key); k == f.Key {
			w.opt("--data-urlencode", f.Key+"="+f.Value)
		} else {
			w.opt("--data-raw", k+"="+curlEscape(f.Value))
		}
	}
}

// word is the -F value: name=value, "quoted" when curl would read it
// otherwise, or name=@file, then ;type= and ;filename=.
func (p formPart) word() string {
	f := p.field
	v := f.Value
	if p.file != "" {
		v = "@" + formQuote(p.file)
	} else {
		v = formQuote(v)
	}
	if f.ContentType != "" {
		v += ";type=" + f.ContentType
	}
	if f.Filename != "" {
		v += ";filename=" + formQuote(f.Filename)
	}
	return f.Key + "=" + v
}

// formQuote quotes a -F value when curl would not read it as it is.
func formQuote(s string) string {
	if strings.TrimSpace(s) == s && !strings.Contains(s, ";") && (s == "" || !strings.Contains(`"@<(`, s[:1])) {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// runOptions are the node's run settings that curl has options for.
func (req *curlRequest) runOptions(w *curlWriter) {
	n := req.node
	if n.InsecureSkipVerify {
		w.opt("-k")
	}
	if n.UseProxy {
		w.raw("-x", `"$HTTPSTEP_PROXY"`)
	}
	if n.Timeout > 0 {
		w.opt("-m", strconv.FormatFloat(time.Duration(n.Timeout).Seconds(), 'f', -1, 64))
	}
	if n.Retry != nil && n.Retry.MaxAttempts > 1 {
		w.opt("--retry", strconv.Itoa(n.Retry.MaxAttempts-1))
	}
}

// curlWriter collects quoted words, one option per line.
type curlWriter struct {
	lines []string
	err   error
}

// opt adds an option and its words, quoted for a POSIX shell.
func (w *curlWriter) opt(words ...string) {
	quoted := make([]string, len(words))
	for i, s := range words {
		if strings.IndexByte(s, 0) >= 0 {
			w.fail(errorf("a value holds a NUL byte, which no command can carry: remove it from the node"))
		}
		quoted[i] = shellQuote(s)
	}
	w.raw(quoted...)
}

// fail keeps the first error.
func (w *curlWriter) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// raw adds words as they are.
func (w *curlWriter) raw(words ...string) {
	if len(words) > 0 {
		w.lines = append(w.lines, strings.Join(words, " "))
	}
}

// command returns the words as one command, or the first error.
func (w *curlWriter) command() (string, error) {
	if w.err != nil {
		return "", w.err
	}
	if len(w.lines) == 0 {
		return "curl", nil
	}
	return "curl " + strings.Join(w.lines, " \\\n  "), nil
}

// shellQuote quotes s for a POSIX shell: as it is when every byte is safe,
// in $'...' (POSIX.1-2024, bash, zsh) when it holds a control character
// other than a line break or tab, which a paste may not keep, else in single
// quotes, a ' written as '\”.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }) >= 0 {
		return ansiQuote(s)
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ansiQuote writes s as $'...', escaping \, ' and control characters.
func ansiQuote(s string) string {
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// errorQuoteRunes is how much of a value an error quotes.
const errorQuoteRunes = 60

// curlEscape query-escapes s as the export writes query pieces.
func curlEscape(s string) string { return url.QueryEscape(s) }
