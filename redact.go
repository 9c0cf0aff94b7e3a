package httpstep

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// redactor scrubs secrets from everything that goes into the history: Secret
// values (raw and in their URL- and JSON-escaped forms), the values of
// credential headers and token-like query parameters, and URL user info.
type redactor struct {
	forms []string // longest first, so "Bearer x" goes before "x"
}

// minSecretLen is the shortest value redacted; shorter ones would blot out
// ordinary text.
const minSecretLen = 3

// newRedactor builds a redactor for the given secret values; the values of
// sensitive headers in h are treated as secrets too, so an API that echoes
// them back (as httpbin does) cannot leak them through the response preview.
func newRedactor(secrets []string, u *url.URL, h http.Header) *redactor {
	secrets = append(secrets, urlSecrets(u)...)
	for k, vs := range h {
		if sensitiveHeader(k) {
			for _, v := range vs {
				secrets = append(secrets, v, strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(v, "Bearer "), "Basic ")))
			}
		}
	}
	r := &redactor{}
	for _, s := range secrets {
		r.add(s)
		r.add(url.QueryEscape(s))
		r.add(url.PathEscape(s))
		if needsJSONEscape(s) {
			j := jsonString(s)
			r.add(string(j[1 : len(j)-1]))
		}
	}
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	return r
}

func (r *redactor) add(form string) {
	if len(form) >= minSecretLen && !slices.Contains(r.forms, form) {
		r.forms = append(r.forms, form)
	}
}

// text scrubs secrets from s; it allocates only when it finds one.
func (r *redactor) text(s string) string {
	if r == nil {
		return s
	}
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, redacted)
		}
	}
	return s
}

// url renders u with user info and token-like query values redacted.
func (r *redactor) url(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery = redactQuery(c.RawQuery)
	hadUser := c.User != nil
	c.User = nil
	s := c.String()
	if hadUser {
		s = strings.Replace(s, "://", "://"+redacted+"@", 1)
	}
	return r.text(s)
}

// urlSecrets are the credentials in u: the user info password and the values
// of token-like query parameters.
func urlSecrets(u *url.URL) []string {
	if u == nil {
		return nil
	}
	var out []string
	if pw, ok := u.User.Password(); ok {
		out = append(out, pw)
	}
	for part := range strings.SplitSeq(u.RawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		if name, err := url.QueryUnescape(k); err == nil && sensitiveParam(name) {
			if val, err := url.QueryUnescape(v); err == nil {
				out = append(out, val)
			}
			out = append(out, v)
		}
	}
	return out
}

// redactQuery hides the values of token-like parameters, keeping the rest of
// the query exactly as it was.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, has := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if has && sensitiveParam(name) {
			parts[i] = k + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// header copies h with credential headers redacted.
func (r *redactor) header(h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		cp := make([]string, len(vs))
		for i, v := range vs {
			if sensitiveHeader(k) {
				cp[i] = redacted
			} else {
				cp[i] = r.text(v)
			}
		}
		out[k] = cp
	}
	return out
}

// sensitiveHeader reports whether a header carries credentials.
func sensitiveHeader(name string) bool {
	switch name { // the usual suspects, canonical, without lowering
	case "Content-Type", "Content-Length", "Date", "User-Agent", "Accept", "Accept-Encoding",
		"Idempotency-Key", "Server", "Connection", "Content-Encoding", "Cache-Control":
		return false
	}
	n := strings.ToLower(name)
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
// credentials.
func sensitiveParam(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "key", "sig", "code", "auth", "appkey", "app_key", "sign":
		return true
	}
	return containsAny(n, "token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "signature", "credential", "session")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// redactRawURL hides the user info and token-like query values of a URL
// given as text that may not parse (a template, a malformed URL), for
// quoting in records and messages.
func redactRawURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		start := i + 3
		end := len(s)
		if j := strings.IndexAny(s[start:], "/?#"); j >= 0 {
			end = start + j
		}
		if at := strings.LastIndex(s[start:end], "@"); at >= 0 {
			s = s[:start] + redacted + s[start+at:]
		}
	}
	base, query, ok := strings.Cut(s, "?")
	if !ok {
		return s
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	out := base + "?" + redactQuery(query)
	if hasFrag {
		out += "#" + frag
	}
	return out
}
