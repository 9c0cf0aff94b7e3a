package httpstep

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// renderer renders templates for one run. It looks each ref up once,
// remembers the refs that were missing, so the history can name them, and
// adds the secrets it meets to the run's secrets.
type renderer struct {
	params  Params
	seen    []lookup // refs looked up so far: a node has few, so a slice beats a map
	missing []string
	secrets *secrets
	first   [8]lookup // seen's first array, so that most runs allocate none
	own     secrets   // what secrets points to, in the renderer's allocation
}

// lookup is a ref looked up and its value; v is an absent when the params
// have none (a flag would make every lookup 8 bytes larger, and the
// renderer's first array with it).
type lookup struct {
	ref string
	v   any
}

// absent is the value of a lookup that found none: what Lookup gave with
// false, nil as a rule. Stored as absent{} (no allocation) when nil.
type absent struct{ v any }

// found returns the value and whether Lookup reported one.
func (l lookup) found() (any, bool) {
	if a, ok := l.v.(absent); ok {
		return a.v, false
	}
	return l.v, true
}

func newRenderer(p Params) *renderer {
	if p == nil {
		p = Values(nil)
	}
	r := &renderer{params: p}
	r.seen, r.secrets = r.first[:0], &r.own
	return r
}

// value looks ref up, once per run.
func (r *renderer) value(ref string) (any, bool) {
	for _, l := range r.seen {
		if l.ref == ref {
			return l.found()
		}
	}
	v, ok := r.params.Lookup(ref)
	l := lookup{ref, v}
	if !ok {
		l.v = absent{v}
		r.missing = append(r.missing, ref)
	}
	r.seen = append(r.seen, l)
	r.secrets.addIn(v)
	return v, ok
}

// render renders t, escaping each value for its place.
func (r *renderer) render(t *template) (string, error) {
	if t.static() {
		return t.segs[0].lit, nil
	}
	if s := t.segs[0]; len(t.segs) == 1 && s.lit == "" && s.place == placeText {
		return r.text(s) // a lone placeholder: its text as it is, no copy
	}
	var b strings.Builder
	b.Grow(t.size)
	for _, s := range t.segs {
		b.WriteString(s.lit)
		if s.ref == "" {
			continue
		}
		if err := r.place(&b, s); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// text is the value of s.ref as text.
func (r *renderer) text(s segment) (string, error) {
	v, _ := r.value(s.ref)
	text, err := textOf(v)
	if err != nil {
		return "", errorf("{{%s}}: %v", s.ref, err)
	}
	return text, nil
}

// place writes the value of s.ref escaped for s.place.
func (r *renderer) place(b *strings.Builder, s segment) error {
	if s.place == placeJSONBare {
		v, _ := r.value(s.ref)
		j, err := jsonValue(v)
		if err != nil {
			return errorf("{{%s}} cannot be written as JSON: %v", s.ref, err)
		}
		b.Write(j)
		return nil
	}
	text, err := r.text(s)
	if err != nil {
		return err
	}
	return escapeFor(b, s, text)
}

// escapeFor writes text escaped for place s.place.
func escapeFor(b *strings.Builder, s segment, text string) error {
	switch s.place {
	case placeURLHost:
		if !validHostText(text) {
			return errorf("{{%s}} is %q, which cannot be part of a host name", s.ref, text)
		}
		b.WriteString(text)
	case placeURLPath:
		b.WriteString(pathSegment(text))
	case placeURLQuery:
		writeQueryEscaped(b, text)
	case placeURLFragment:
		b.WriteString(url.PathEscape(text))
	case placeURLStrict:
		b.WriteString(strictEscape(text))
	case placeJSONString:
		j := jsonString(text)
		b.Write(j[1 : len(j)-1])
	case placeXML:
		_ = xml.EscapeText(b2w{b}, []byte(text))
	default:
		b.WriteString(text)
	}
	return nil
}

// b2w adapts a strings.Builder to io.Writer for xml.EscapeText.
type b2w struct{ b *strings.Builder }

func (w b2w) Write(p []byte) (int, error) { return w.b.Write(p) }

// pathSegment escapes text as one path segment; "." and ".." are encoded so a
// value cannot walk up the path.
func pathSegment(text string) string {
	switch text {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(text)
}

// strictEscape percent-encodes every byte of text but the unreserved
// characters of RFC 3986 (letters, digits, - . _ ~).
func strictEscape(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString(percent(c))
		}
	}
	return b.String()
}

// validHostText reports whether text may appear in a host name or port.
func validHostText(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		ok := c >= 0x80 || c == '-' || c == '.' || c == '_' ||
			('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// jsonString returns the JSON encoding of s, quotes included, without
// HTML escaping.
func jsonString(s string) []byte {
	if !needsJSONEscape(s) {
		return []byte(`"` + s + `"`)
	}
	return appendJSONString(make([]byte, 0, len(s)+len(s)/8+8), s)
}

// appendJSONString appends s as encoding/json writes a string without HTML
// escaping: quotes and backslashes escaped, \b \f \n \r \t, other control
// characters as \u00xx, invalid UTF-8 as \ufffd, U+2028 and U+2029 as
// \u2028 and \u2029.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c >= 0x20:
				dst = append(dst, c)
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&15])
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}

// needsJSONEscape reports whether encoding/json would escape anything in s
// (without HTML escaping): quotes, backslashes, control characters, invalid
// UTF-8, U+2028 and U+2029.
func needsJSONEscape(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
			return true
		}
		i += n
	}
	return false
}

// htmlSafeJSON writes <, > and & as encoding/json does by default. Built
// once: a Replacer is safe for concurrent use, and building one costs
// about 12 KB.
var htmlSafeJSON = strings.NewReplacer("&", `\u0026`, "<", `\u003c`, ">", `\u003e`)

// foreignJSONForms returns s as other JSON encoders write it inside a
// string, where that differs from jsonString: Go's encoding/json by default
// (HTML-safe: <, > and & as \u003c, \u003e, \u0026), Python's json.dumps
// (non-ASCII as \uXXXX) and PHP's json_encode (that, and / as \/). An API
// that echoes a credential writes one of these, so each is a form to redact.
func foreignJSONForms(s string) []string {
	j := jsonString(s)
	inner := string(j[1 : len(j)-1])
	var forms []string
	add := func(f string) {
		if f != inner && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	add(htmlSafeJSON.Replace(inner))
	ascii := asciiJSON(inner)
	add(ascii)
	add(strings.ReplaceAll(ascii, "/", `\/`))
	return forms
}

// asciiJSON escapes every non-ASCII rune of a JSON string's inside as
// \uXXXX (a UTF-16 surrogate pair beyond the BMP), as Python and PHP do.
func asciiJSON(inner string) string {
	var b strings.Builder
	for _, r := range inner {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// jsonValue returns v's JSON encoding without HTML escaping; nil (and a
// missing value) is null; a Secret is its string.
func jsonValue(v any) ([]byte, error) {
	if s, ok := v.(Secret); ok {
		v = string(s)
	}
	if _, ok := v.(File); ok {
		return nil, fmt.Errorf("an attachment cannot be placed in text; use a binary or form-data body")
	}
	if j, ok := jsonScalar(v); ok {
		return j, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// jsonScalar is jsonValue of the plain values a row or a form carries
// (strings, numbers, bools, nil), written as encoding/json writes them,
// without its encoder; false for anything else (and for the floats
// encoding/json writes with an exponent, or refuses).
func jsonScalar(v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return []byte("null"), true
	case bool:
		return strconv.AppendBool(nil, x), true
	case int:
		return strconv.AppendInt(nil, int64(x), 10), true
	case int64:
		return strconv.AppendInt(nil, x, 10), true
	case float64:
		if a := math.Abs(x); a == 0 || a >= 1e-6 && a < 1e21 {
			return strconv.AppendFloat(nil, x, 'f', -1, 64), true
		}
	case string:
		return jsonString(x), true
	}
	return nil, false
}

// textOf renders v as text: strings as they are, numbers without exponent
// noise, bools, nil as "", json.Number as written, time.Time as RFC 3339,
// maps, slices and structs as JSON.
func textOf(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case Secret:
		return string(x), nil
	case []byte:
		return string(x), nil
	case json.Number:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case File, *File, []File:
		return "", fmt.Errorf("an attachment cannot be placed in text; use a binary or form-data body")
	case fmt.Stringer:
		return x.String(), nil
	}
	return textOfKind(v)
}

// textOfKind renders the other basic kinds (named types included), and
// everything else as JSON.
func textOfKind(v any) (string, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'f', -1, 64), nil
	case reflect.Pointer:
		if rv.IsNil() {
			return "", nil
		}
		return textOf(rv.Elem().Interface())
	}
	j, err := jsonValue(v)
	return string(j), err
}
