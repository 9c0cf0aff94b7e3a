package httpstep

import (
	"net/url"
	"strings"
)

// parseTargetURL parses a rendered URL and checks that it can be requested:
// absolute, http or https, with a host.
func parseTargetURL(raw string) (*url.URL, error) { return parseNamedURL(raw, "URL") }

// parseNamedURL is parseTargetURL for a URL its errors call name ("token
// URL").
func parseNamedURL(raw, name string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	shown := func() string { return redactRawURL(raw) } // only on error: it allocates
	if err != nil {
		return nil, errorf("the %s %q does not parse: %v", name, shown(), urlProblem(err))
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return nil, errorf("the %s %q has no scheme: start it with https://", name, shown())
	default:
		return nil, errorf("the %s scheme %q is not supported: only http and https URLs can be requested", name, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errorf("the %s %q has no host", name, shown())
	}
	u.Scheme = strings.ToLower(u.Scheme)
	normalizeHost(u)
	return u, nil
}

// urlProblem is what is wrong with a URL, without the URL itself (which
// url.Parse quotes whole, credentials included).
func urlProblem(err error) string {
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err
	}
	msg := err.Error()
	if i := strings.Index(msg, ` "`); i >= 0 && strings.Contains(msg, "://") {
		msg = msg[:i]
	}
	return msg
}

// buildURL renders the node's URL and appends its query entries. Query keys
// are written as typed (query-escaped), values are rendered and
// query-escaped whole.
func (r *renderer) buildURL(s *Step) (*url.URL, error) {
	u, err := r.baseURL(s)
	if err != nil {
		return nil, err
	}
	if len(s.query) == 0 {
		return u, nil
	}
	var q strings.Builder
	q.Grow(len(u.RawQuery) + len(s.query)*valueHint)
	q.WriteString(u.RawQuery)
	for _, p := range s.query {
		v, err := r.render(p.value)
		if err != nil {
			return nil, err
		}
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		writeQueryEscaped(&q, strings.TrimSpace(p.key))
		q.WriteByte('=')
		writeQueryEscaped(&q, v)
	}
	u.RawQuery = q.String()
	return u, nil
}

// baseURL renders and parses the URL template of s; a URL without
// placeholders was parsed once, when s was compiled, and is copied.
func (r *renderer) baseURL(s *Step) (*url.URL, error) {
	if s.base != nil {
		u := *s.base
		return &u, nil
	}
	raw, err := r.render(s.url)
	if err != nil {
		return nil, err
	}
	return parseTargetURL(raw)
}

// writeQueryEscaped writes url.QueryEscape(s) to b without the string
// QueryEscape allocates: letters, digits and -_.~ as they are, the space as
// +, every other byte as %XX.
func writeQueryEscaped(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}
