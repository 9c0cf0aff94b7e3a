package httpstep

import "strings"

// urlState is the part of a URL a scan has reached.
type urlState uint8

const (
	urlScheme     urlState = iota
	urlAfterWhole          // after a whole-URL placeholder, before a literal / ? or #
	urlAuthority
	urlPath
	urlQuery
	urlFragment
)

// assignURL places URL placeholders: a template that starts with a
// placeholder inserts it whole; later ones land in the authority, a path
// segment, the query or the fragment, depending on the literal text before
// them. Right after a whole-URL placeholder, before any literal "/", "?" or
// "#", where a value lands is unknown, so it is escaped strictly: only
// unreserved characters stay. Literal text outside the authority has spaces and other characters
// that are never valid in a URL percent-encoded; what is already encoded
// stays as typed.
func (t *template) assignURL() {
	st := urlScheme
	for i := range t.segs {
		s := &t.segs[i]
		var lit string
		lit, st = scanURL(s.lit, st)
		s.lit = lit
		switch {
		case s.ref == "":
		case i == 0 && s.lit == "":
			s.place = placeURLWhole
			st = urlAfterWhole
		case st == urlAfterWhole:
			s.place = placeURLStrict
		case st <= urlAuthority:
			s.place = placeURLHost
		case st == urlPath:
			s.place = placeURLPath
		case st == urlQuery:
			s.place = placeURLQuery
		default:
			s.place = placeURLFragment
		}
	}
}

// scanURL walks literal URL text from state st, returning the text with
// invalid characters encoded and the state at its end.
func scanURL(lit string, st urlState) (string, urlState) {
	var b strings.Builder
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		switch {
		case st == urlScheme && strings.HasPrefix(lit[i:], "://"):
			b.WriteString("://")
			i += 2
			st = urlAuthority
			continue
		case st == urlAfterWhole && c == '/':
			st = urlPath
		case st == urlAfterWhole && c == '?':
			st = urlQuery
		case st == urlAfterWhole && c == '#':
			st = urlFragment
		case st <= urlAuthority && c == '/':
			st = urlPath
		case st <= urlPath && c == '?':
			st = urlQuery
		case st <= urlQuery && c == '#':
			st = urlFragment
		}
		if st >= urlPath && needsURLEscape(c) {
			b.WriteString(percent(c))
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), st
}

// needsURLEscape reports whether c can never appear raw in a URL.
func needsURLEscape(c byte) bool {
	return c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}", c) >= 0
}

func percent(c byte) string {
	const hex = "0123456789ABCDEF"
	return string([]byte{'%', hex[c>>4], hex[c&15]})
}

// assignJSON places JSON placeholders inside a string literal or as a bare
// value by scanning the literal text for unescaped quotes.
func (t *template) assignJSON() {
	inString, escaped := false, false
	for i := range t.segs {
		s := &t.segs[i]
		for j := 0; j < len(s.lit); j++ {
			c := s.lit[j]
			switch {
			case escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case c == '"':
				inString = !inString
			}
		}
		if inString {
			s.place = placeJSONString
		} else {
			s.place = placeJSONBare
		}
	}
}
