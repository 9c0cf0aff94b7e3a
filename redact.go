package httpstep

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// redactor scrubs secrets from everything that goes into the history: Secret
// values (raw and in their URL- and JSON-escaped forms), the values of
// credential headers and token-like query parameters, and URL user info.
type redactor struct {
	forms []string  // longest first, so "Bearer x" goes before "x"
	short []string  // secrets too short to find in text: redacted where they stand whole
	first [6]string // forms' first array: a secret or two take no allocation of their own
	// within[i] is the index of a shorter form that forms[i] contains
	// (the raw secret in "Bearer <secret>"), or 0 for none (a shorter form
	// comes later, so never at 0): a text without that one cannot hold
	// forms[i], so text need not look for it. Used when there are at most
	// maxWithin forms.
	within [maxWithin]uint8
}

// maxWithin is the most forms a redactor relates by within; a run with
// more has text look for each of them.
const maxWithin = 8

// minSecretLen is the shortest value redacted; shorter ones would blot out
// ordinary text.
const minSecretLen = 3

// newRedactor builds a redactor for the given secret values; the values of
// sensitive headers in h are treated as secrets too, so an API that echoes
// them back (as httpbin does) cannot leak them through the response preview.
func newRedactor(secrets []string, u *url.URL, h http.Header, cache *formCache) *redactor {
	var first [8]string // on the stack unless a run has more
	all := append(append(first[:0], secrets...), urlSecrets(u)...)
	for k, vs := range h {
		if sensitiveHeader(k) {
			for _, v := range vs {
				all = appendHeaderSecrets(all, k, v)
			}
		}
	}
	r := &redactor{}
	r.forms = r.first[:0] // grown by append when a run has many
	for _, s := range all {
		for _, f := range cache.forms(s) {
			r.add(f)
		}
		if s != "" && len(s) < minSecretLen && !slices.Contains(r.short, s) {
			r.short = append(r.short, s)
		}
	}
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	r.relate()
	return r
}

// relate fills within: for each form the shortest later form it contains.
func (r *redactor) relate() {
	if len(r.forms) > maxWithin {
		return
	}
	for i, f := range r.forms {
		for j := len(r.forms) - 1; j > i; j-- {
			if g := r.forms[j]; len(g) < len(f) && strings.Contains(f, g) {
				r.within[i] = uint8(j)
				break
			}
		}
	}
}

// secretForms returns a secret in every form it can take once placed in a
// request or an API's echo of it: as is, trimmed, URL-escaped (with upper-
// and lower-case hex), JSON-escaped (and that escaped again for a URL; and
// as encoding/json, Python and PHP write it by default: \u003c, \u00e9,
// \/; and each JSON form escaped again, as an API that echoes a JSON body
// inside a JSON string sends it), XML-escaped. Forms shorter than
// minSecretLen are left out.
func secretForms(s string) []string {
	var forms []string
	add := func(f string) {
		if len(f) >= minSecretLen && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	for _, v := range []string{s, strings.TrimSpace(s)} {
		add(v)
		for _, e := range []string{url.QueryEscape(v), url.PathEscape(v)} {
			add(e)
			add(lowerHex(e)) // %2f, as .NET's encoders write it
		}
		jsonForms := foreignJSONForms(v)
		if needsJSONEscape(v) {
			j := jsonString(v)
			inner := string(j[1 : len(j)-1])
			add(inner)
			add(url.QueryEscape(inner))
			add(url.PathEscape(inner))
			jsonForms = append(jsonForms, inner)
		}
		for _, f := range jsonForms {
			add(f)
			if needsJSONEscape(f) { // escaped again: an API that echoes a JSON body as a string (httpbin's "data")
				j := jsonString(f)
				add(string(j[1 : len(j)-1]))
				add(htmlSafeJSON.Replace(string(j[1 : len(j)-1])))
			}
		}
		if strings.ContainsAny(v, "<>&'\"") {
			var b strings.Builder
			_ = xml.EscapeText(b2w{&b}, []byte(v))
			add(b.String())
		}
		add(hostForm(v))
	}
	return forms
}

// hostForm is v as it is sent when it sits in a host name: lower-cased,
// and mapped to ASCII by IDNA when it is not ASCII.
func hostForm(v string) string {
	h := strings.ToLower(v)
	if strings.IndexFunc(h, func(r rune) bool { return r >= utf8.RuneSelf }) < 0 {
		return h
	}
	if a, err := idna.Lookup.ToASCII(h); err == nil {
		h = a
	}
	return h
}

// lowerHex writes the hex digits of the percent escapes in e in lower case.
func lowerHex(e string) string {
	if !strings.Contains(e, "%") {
		return e
	}
	b := []byte(e)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerASCII(b[i+1]), lowerASCII(b[i+2])
		}
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// maxCachedSecrets is how many secret values a formCache keeps.
const maxCachedSecrets = 64

// formCache remembers the forms of the secret values a Step has met, so a
// step run for many rows with the same credential escapes it once, not once
// per row. It keeps at most maxCachedSecrets values, forgetting them all
// when full, and lives as long as its Step. A nil *formCache remembers
// nothing. It is safe for concurrent use.
type formCache struct {
	mu sync.Mutex
	m  map[string][]string // read-only once stored
}

// forms returns secretForms(s), computed once per value.
func (c *formCache) forms(s string) []string {
	if c == nil {
		return secretForms(s)
	}
	c.mu.Lock()
	f, ok := c.m[s]
	c.mu.Unlock()
	if ok {
		return f
	}
	f = secretForms(s)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedSecrets {
		c.m = make(map[string][]string)
	}
	c.m[s] = f
	c.mu.Unlock()
	return f
}

func (r *redactor) add(form string) {
	if len(form) >= minSecretLen && !slices.Contains(r.forms, form) {
		r.forms = append(r.forms, form)
	}
}

// text scrubs secrets from s; it allocates only when it finds one. Each
// form, longest first, is replaced wherever it is in s as the earlier ones
// left it. Until one is found, a form is looked for only when the shorter
// form it contains (within) is in s: most texts hold no secret, and then
// "Bearer <secret>", its escapes and the secret cost one look, not one each.
func (r *redactor) text(s string) string {
	if r == nil {
		return s
	}
	if len(r.forms) > maxWithin {
		return r.replaceFrom(s, 0)
	}
	var in [maxWithin]found
	for i, f := range r.forms {
		if r.has(s, i, &in) {
			return r.replaceFrom(strings.ReplaceAll(s, f, redacted), i+1) // s changed: the rest are looked for as they are
		}
	}
	return s
}

// found is what text knows of whether a form is in the unchanged text.
type found uint8

const (
	formUnknown found = iota
	formIn
	formOut
)

// has reports whether s holds forms[i], remembered in in: s cannot when it
// lacks the shorter form forms[i] contains.
func (r *redactor) has(s string, i int, in *[maxWithin]found) bool {
	if in[i] == formUnknown {
		in[i] = formOut
		if w := r.within[i]; (w == 0 || r.has(s, int(w), in)) && contains(s, r.forms[i]) {
			in[i] = formIn
		}
	}
	return in[i] == formIn
}

// byteRank orders bytes from the most common in the texts the history
// keeps (JSON, English words, dates, numbers) to the rarest; a byte not
// listed ranks rarer than all (control bytes, UTF-8 beyond ASCII).
const byteRank = ` "etaoinsrhldcu:,mfpgwyb.0v1k2-_/3x459867jqz{}[]TSACIEPRNDOMLBHFGWUKVYJXQZ=&%+?#@!;'()*<>\|^~$`

// rarity ranks each byte by its place in byteRank, higher for rarer.
var rarity = func() (r [256]uint8) {
	for b := range r {
		r[b] = uint8(len(byteRank))
	}
	for i := len(byteRank) - 1; i >= 0; i-- {
		r[byteRank[i]] = uint8(i)
	}
	return r
}()

// rarest returns the offset, within the first 255 bytes of form, of its
// byte that byteRank ranks rarest.
func rarest(form string) int {
	best := 0
	for i := 1; i < min(len(form), 255); i++ {
		if rarity[form[i]] > rarity[form[best]] {
			best = i
		}
	}
	return best
}

// contains reports whether s holds form, looked for from its rarest byte.
func contains(s, form string) bool { return containsAt(s, form, rarest(form)) }

// containsAt reports whether s holds f, looking for f's byte at offset k
// (its rarest) and comparing around each one found: a secret such as
// "t0k3n-..." in a JSON text full of t's costs a look per "k", not per "t".
// Past a few false matches per byte looked at, it leaves the rest to
// strings.Contains, as strings.Index does.
func containsAt(s, f string, k int) bool {
	if len(f) == 0 || len(f) > len(s) {
		return len(f) == 0
	}
	b, last, misses := f[k], len(s)-len(f)+k, 0
	for i := k; i <= last; i++ {
		j := strings.IndexByte(s[i:last+1], b)
		if j < 0 {
			return false
		}
		i += j
		if s[i-k:i-k+len(f)] == f {
			return true
		}
		if misses++; misses > 4+(i>>4) {
			return strings.Contains(s[i-k+1:], f)
		}
	}
	return false
}

// replaceFrom replaces, in s, each form from forms[from] on.
func (r *redactor) replaceFrom(s string, from int) string {
	for _, f := range r.forms[from:] {
		if contains(s, f) {
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
	if r != nil && len(r.short) > 0 {
		c.RawQuery = r.shortInQuery(c.RawQuery)
		c.RawPath = r.shortInPath(c.EscapedPath())
		c.Path, _ = url.PathUnescape(c.RawPath)
	}
	hadUser := c.User != nil
	c.User = nil
	s := c.String()
	if hadUser {
		s = strings.Replace(s, "://", "://"+redacted+"@", 1)
	}
	return r.text(s)
}

// redactQuery hides the values of token-like parameters, keeping the rest of
// the query exactly as it was.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	if !anySensitiveParam(raw) {
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

// shortInQuery redacts query values that are, whole, a short secret.
func (r *redactor) shortInQuery(raw string) string {
	if len(r.short) == 0 || raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, has := strings.Cut(p, "=")
		if val, err := url.QueryUnescape(v); has && err == nil && slices.Contains(r.short, val) {
			parts[i] = k + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// shortInPath redacts path segments that are, whole, a short secret.
func (r *redactor) shortInPath(escaped string) string {
	segs := strings.Split(escaped, "/")
	for i, seg := range segs {
		if val, err := url.PathUnescape(seg); err == nil && slices.Contains(r.short, val) {
			segs[i] = redacted
		}
	}
	return strings.Join(segs, "/")
}

// anySensitiveParam reports, without allocating, whether a raw query has a
// parameter whose name sensitiveParam would hide. Escaped names are checked
// the slow way.
func anySensitiveParam(raw string) bool {
	for part := range strings.SplitSeq(raw, "&") {
		k, _, _ := strings.Cut(part, "=")
		if strings.ContainsAny(k, "%+") || sensitiveParam(k) {
			return true
		}
	}
	return false
}

// header copies h with credential headers redacted; extra names headers
// that hold a secret although their names do not say so, redacted whole.
func (r *redactor) header(h http.Header, extra ...string) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	vals := make([]string, n) // one array for every value, as http.Header.Clone does
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		cp := vals[:len(vs):len(vs)]
		vals = vals[len(vs):]
		whole := sensitiveHeader(k) || slices.Contains(extra, k)
		for i, v := range vs {
			if whole {
				cp[i] = redacted
			} else if k == "Location" || k == "Content-Location" { // a status or redirect URL may carry a token
				cp[i] = clip(r.text(redactQuery(v)), maxHeaderValue)
			} else {
				cp[i] = clip(r.text(v), maxHeaderValue) // cut after redaction, so no part of a secret stays
			}
		}
		out[k] = cp
	}
	return out
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

// trimPartial drops the end of a cut text when it is the start of a secret
// form, so that a cut through a secret shows none of it. Every form the cut
// split ends the text, so dropping the longest such end drops them all.
func (r *redactor) trimPartial(s string) string {
	if r == nil {
		return s
	}
	longest := 0
	for _, f := range r.forms {
		// the earliest start in the tail whose rest begins f is the longest
		for j := max(0, len(s)-len(f)+1); j < len(s)-longest; {
			i := strings.IndexByte(s[j:len(s)-longest], f[0])
			if i < 0 {
				break
			}
			if j += i; strings.HasPrefix(f, s[j:]) {
				longest = len(s) - j
				break
			}
			j++
		}
	}
	return s[:len(s)-longest]
}
