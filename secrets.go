package httpstep

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// secrets is the one home of what must never reach the execution history,
// an error or another host: the secret values of one run and the headers
// that carry them.
//
// The renderer adds values as it meets them: Secret parameters wherever
// they sit in a record, the values of password- or token-like form fields;
// the request adds the proxy's password. Once the request is rendered, seal
// adds the URL's credentials and the credential headers' values, and builds
// the redactor. After seal a secrets is read-only and safe for concurrent
// use; every record, message and echo is scrubbed through it, and
// credentials are stripped through it before a request goes to another
// host. A nil *secrets redacts nothing but the credential headers by name.
type secrets struct {
	values  []string  // raw secret values
	headers []string  // canonical names of headers holding a secret, whatever their names
	named   []string  // canonical names of headers set per request with a credential (a signature)
	red     *redactor // built by seal
	sealed  struct {  // what seal was given, for addSealed
		u     *url.URL
		h     http.Header
		cache *formCache
	}
	// The first arrays of values and headers, so that a run with a secret
	// or two allocates none for them. A secrets is never copied.
	firstValues  [2]string
	firstHeaders [1]string
}

// add adds secret values.
func (s *secrets) add(values ...string) {
	for _, v := range values {
		if v != "" {
			if s.values == nil {
				s.values = s.firstValues[:0]
			}
			s.values = append(s.values, v)
		}
	}
}

// addIn adds the Secret values inside v: v itself, or anywhere in a record
// (maps, slices, structs and pointers, wherever encoding/json would write
// them).
func (s *secrets) addIn(v any) {
	switch x := v.(type) {
	case nil, string, bool, int, int64, float64, json.Number, time.Time:
		return
	case Secret:
		s.add(string(x))
		return
	}
	w := secretWalk{out: s.values, seen: map[visit]bool{}}
	w.walk(reflect.ValueOf(v), 0)
	s.values = w.out
}

// addHeaderName marks header name as a credential header: one set on
// each request with a value not known when the request is rendered.
func (s *secrets) addHeaderName(name string) {
	s.named = append(s.named, http.CanonicalHeaderKey(strings.TrimSpace(name)))
}

// addField treats the value of a password- or token-like form field as a
// secret, so neither the preview nor an API's echo of it shows it.
func (s *secrets) addField(key, value string) {
	if sensitiveParam(key) {
		s.add(value)
	}
}

// addUser adds the password of URL user info and the Basic credentials
// net/http makes of it (an API may echo the Authorization header back).
func (s *secrets) addUser(u *url.Userinfo) {
	pw, ok := u.Password()
	if !ok {
		return
	}
	s.add(pw, base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
}

// seal fixes the set for the request to u with header h: the URL's
// credentials and the values of credential headers join it, the headers
// holding a secret are noted, and the redactor is built.
func (s *secrets) seal(u *url.URL, h http.Header, cache *formCache) {
	s.sealed.u, s.sealed.h, s.sealed.cache = u, h, cache
	s.headers = secretHeaders(s.firstHeaders[:0], h, s.values)
	for _, n := range s.named {
		if !slices.Contains(s.headers, n) {
			s.headers = append(s.headers, n)
		}
	}
	s.red = newRedactor(s.values, u, h, cache)
}

// addSealed adds secret values met after seal, such as an OAuth2 token
// fetched during the run, and builds the redactor again. The attempts of a
// run are sequential: nothing reads s meanwhile.
func (s *secrets) addSealed(values ...string) {
	n := len(s.values)
	for _, v := range values {
		if v != "" && !slices.Contains(s.values, v) {
			s.values = append(s.values, v)
		}
	}
	if len(s.values) > n {
		s.seal(s.sealed.u, s.sealed.h, s.sealed.cache)
	}
}

// text scrubs every secret from t.
func (s *secrets) text(t string) string {
	if s == nil {
		return t
	}
	return s.red.text(t)
}

// url renders u with user info, token-like query values and secrets hidden.
func (s *secrets) url(u *url.URL) string {
	if s == nil {
		return (*redactor)(nil).url(u)
	}
	return s.red.url(u)
}

// header copies h for a record: credential headers, by name or because they
// hold a secret, are redacted whole; secrets elsewhere are scrubbed.
func (s *secrets) header(h http.Header) map[string][]string {
	if s == nil {
		return (*redactor)(nil).header(h)
	}
	return s.red.header(h, s.headers...)
}

// credential reports whether header name carries credentials: by its name,
// or because a secret was placed in it.
func (s *secrets) credential(name string) bool {
	return sensitiveHeader(name) || (s != nil && slices.Contains(s.headers, name))
}

// strip deletes the credential headers from h, for a request that goes to
// another host (a redirect, a next page, a status URL).
func (s *secrets) strip(h http.Header) {
	for k := range h {
		if s.credential(k) {
			h.Del(k)
		}
	}
	if ref := h.Get("Referer"); ref != "" && (s.text(ref) != ref || redactRawURL(ref) != ref) {
		h.Del("Referer") // the URL Go sets on a redirect carries an API key in its query
	}
}

// forURL returns h for a request to u that first went to from: h itself on
// the same origin, a copy without credentials on another. It is the one
// rule for next pages, status URLs and redirect hops.
func (s *secrets) forURL(h http.Header, from, u *url.URL) http.Header {
	if sameOrigin(from, u) {
		return h
	}
	c := h.Clone()
	s.strip(c)
	return c
}

// scrubURLError redacts the URL that net/http puts in its errors, so that
// Failure.Err and its chain carry no secret either.
func (s *secrets) scrubURLError(err error) {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return
	}
	if u, perr := url.Parse(ue.URL); perr == nil {
		ue.URL = s.url(u)
	} else {
		ue.URL = s.text(redactQuery(ue.URL))
	}
}

// failure scrubs every secret from f's message and business code and from
// the text of its error chain. A chain whose text holds a secret is replaced by one error
// with the scrubbed text, through which errors.Is still reaches the causes
// (errors.As does not: a typed cause would hand the secret back).
func (s *secrets) failure(f *Failure) {
	f.Message, f.Code = s.text(f.Message), s.text(f.Code)
	if f.Err == nil || s == nil {
		return
	}
	if t := f.Err.Error(); s.text(t) != t {
		f.Err = &scrubbedError{text: s.text(t), cause: f.Err}
	}
}

// scrubbedError is an error chain with its secrets scrubbed from the text.
type scrubbedError struct {
	text  string
	cause error // for Is only; never unwrapped, never printed
}

func (e *scrubbedError) Error() string { return e.text }

// Is reports whether the scrubbed chain held target.
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.cause, target) }

// Format prints the scrubbed text whatever the verb, so %#v shows no cause.
func (e *scrubbedError) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.text)) }

// secretsKey carries a request's *secrets in its context, for the redirect
// policy, which sees only the request.
type secretsKey struct{}

// secretsOf returns the *secrets ctx carries, or nil.
func secretsOf(ctx context.Context) *secrets {
	s, _ := ctx.Value(secretsKey{}).(*secrets)
	return s
}

// secretHeaders appends to out the headers whose values hold one of the
// secrets.
func secretHeaders(out []string, h http.Header, values []string) []string {
	for k, vs := range h {
		for _, v := range vs {
			for _, s := range values {
				if s != "" && strings.Contains(v, s) && !slices.Contains(out, k) {
					out = append(out, k)
				}
			}
		}
	}
	return out
}

// sensitiveHeader reports whether a header carries credentials by its name.
func sensitiveHeader(name string) bool {
	switch name { // the usual suspects, canonical, without lowering
	case "Content-Type", "Content-Length", "Date", "User-Agent", "Accept", "Accept-Encoding",
		idempotencyHeader, "Server", "Connection", "Content-Encoding", "Cache-Control":
		return false
	}
	var buf [32]byte
	if b, ok := appendLowerASCII(buf[:0], name); ok {
		return sensitiveLowerHeader(string(b)) // on the stack: nothing escapes
	}
	return sensitiveLowerHeader(strings.ToLower(name))
}

// sensitiveLowerHeader is sensitiveHeader of a lowercase name.
func sensitiveLowerHeader(n string) bool {
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie", "cookie2", "set-cookie2":
		return true
	}
	if strings.HasPrefix(n, "access-control-") {
		return false
	}
	return containsAny(n, "token", "secret", "password", "passwd", "api-key", "apikey", "api_key", "auth", "session", "signature", "credential")
}

// sensitiveParam reports whether a query or form parameter carries
// credentials by its name.
func sensitiveParam(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "key", "sig", "code", "auth", "appkey", "app_key", "sign":
		return true
	}
	return containsAny(n, "token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "signature", "credential", "session")
}

// appendLowerASCII appends s in lowercase to buf (a caller's stack array), so
// that checking a header name allocates nothing; false when s is not ASCII
// (strings.ToLower folds some runes to ASCII letters) or does not fit.
func appendLowerASCII(buf []byte, s string) ([]byte, bool) {
	if len(s) > cap(buf)-len(buf) {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return nil, false
		}
		buf = append(buf, lowerASCII(c))
	}
	return buf, true
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// appendHeaderSecrets appends the secrets in the value of credential header
// k to dst: the whole value, the credentials after an auth scheme, each
// cookie's value.
func appendHeaderSecrets(dst []string, k, v string) []string {
	dst = append(dst, v)
	if _, cred, ok := strings.Cut(v, " "); ok && (strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Proxy-Authorization")) {
		dst = append(dst, strings.TrimSpace(cred))
	}
	if strings.EqualFold(k, "Cookie") {
		for part := range strings.SplitSeq(v, ";") {
			if _, val, ok := strings.Cut(part, "="); ok {
				dst = append(dst, strings.TrimSpace(val))
			}
		}
	}
	return dst
}

// urlSecrets are the credentials in u: the user info password (and its Basic
// form) and the values of token-like query parameters.
// It allocates nothing for a URL that has none.
func urlSecrets(u *url.URL) []string {
	if u == nil {
		return nil
	}
	var out []string
	if pw, ok := u.User.Password(); ok {
		out = appendSecrets(out, pw, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
	}
	for part := range strings.SplitSeq(u.RawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		if name, err := url.QueryUnescape(k); err == nil && sensitiveParam(name) {
			if val, err := url.QueryUnescape(v); err == nil {
				out = appendSecrets(out, val)
			}
			out = appendSecrets(out, v)
		}
	}
	return out
}

// appendSecrets appends the values that are not empty to out.
func appendSecrets(out []string, values ...string) []string {
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

var secretType = reflect.TypeFor[Secret]()

// Bounds of the search for secrets in a record: depth, and values visited
// in all (a record is data, not a graph to explore for ever).
const (
	maxSecretDepth  = 64
	maxSecretVisits = 100_000
)

// visit identifies a reference value already walked.
type visit struct {
	ptr uintptr
	typ reflect.Type
}

// secretWalk appends the Secret values anywhere in a value (struct fields,
// map keys and values, elements, behind pointers and interfaces) to out.
// Fields that encoding/json skips (unexported, `json:"-"`) are skipped too;
// a pointer, map or slice met again is not walked again.
type secretWalk struct {
	out    []string
	seen   map[visit]bool
	visits int
}

func (w *secretWalk) walk(v reflect.Value, depth int) {
	w.visits++
	if !v.IsValid() || depth > maxSecretDepth || w.visits > maxSecretVisits {
		return
	}
	if v.Type() == secretType {
		if s := v.String(); s != "" {
			w.out = append(w.out, s)
		}
		return
	}
	if w.again(v) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		w.walk(v.Elem(), depth+1)
	case reflect.Struct:
		w.walkStruct(v, depth)
	case reflect.Slice, reflect.Array:
		if mayHoldSecret(v.Type().Elem()) {
			for i := range v.Len() {
				w.walk(v.Index(i), depth+1)
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			w.walk(it.Key(), depth+1)
			w.walk(it.Value(), depth+1)
		}
	}
}

// again reports whether the pointer, map or slice v was walked before.
func (w *secretWalk) again(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return true
		}
		k := visit{v.Pointer(), v.Type()}
		if w.seen[k] {
			return true
		}
		w.seen[k] = true
	}
	return false
}

func (w *secretWalk) walkStruct(v reflect.Value, depth int) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if (f.IsExported() || f.Anonymous) && f.Tag.Get("json") != "-" {
			w.walk(v.Field(i), depth+1)
		}
	}
}

// mayHoldSecret reports whether a value of type t can be or hold a Secret.
func mayHoldSecret(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String:
		return t == secretType
	case reflect.Interface, reflect.Pointer, reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
		return true
	}
	return false
}

// sameOrigin reports whether a and b share scheme, host and port (default
// ports made explicit): only then does a request to b carry the
// credentials meant for a.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// previewString is preview of a body the run rendered: one that fits is
// its own preview, not a copy (a string does not change); a longer one's
// preview is a copy, so the record does not keep the whole body alive.
func (s *secrets) previewString(body string) (string, bool) {
	p, truncated := previewString(body, previewBytes)
	return s.scrubPreview(p, truncated)
}

// preview returns the history's preview of body with every secret scrubbed.
// A secret that the cut at previewBytes splits cannot be found whole, so
// the start of it that ends a truncated preview is dropped too.
func (s *secrets) preview(body []byte) (string, bool) {
	p, truncated := previewText(body, previewBytes)
	return s.scrubPreview(p, truncated)
}

// scrubPreview scrubs a preview of previewBytes at most, truncated or not.
func (s *secrets) scrubPreview(p string, truncated bool) (string, bool) {
	if s == nil {
		return p, truncated
	}
	p = s.red.text(p)
	if truncated {
		p = s.red.trimPartial(p)
	}
	return p, truncated
}
