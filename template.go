package httpstep

import "strings"

// A template is text with {{ref}} placeholders, parsed once per Step. Each
// placeholder knows the place it lands in (URL path, query, JSON string, ...),
// decided from the literal text before it, so rendering escapes each value for
// its place and no value can change the shape of the request.
type template struct {
	segs []segment
	size int // a guess at the rendered length, to size the buffer once
}

// segment is literal text followed by an optional placeholder.
type segment struct {
	lit   string
	ref   string // empty: no placeholder after lit
	place place
}

// place is where a placeholder's value lands.
type place uint8

const (
	placeText        place = iota // as is
	placeURLWhole                 // the template starts with it: inserted, then parsed and checked
	placeURLHost                  // scheme or authority: only host-name characters are accepted
	placeURLPath                  // one path segment
	placeURLQuery                 // query-escaped
	placeURLFragment              // path-escaped
	placeURLStrict                // right after a whole URL: all but unreserved characters escaped
	placeJSONString               // JSON string escaping
	placeJSONBare                 // the value's JSON encoding
	placeXML                      // XML escaping
)

// mode is what a template is used as.
type mode uint8

const (
	modeText mode = iota
	modeURL
	modeJSON
	modeXML
	modeForm // a raw application/x-www-form-urlencoded body: values query-escaped
)

type templateKey struct {
	src  string
	mode mode
}

// compile parses src as a template used as m.
func compile(src string, m mode) (*template, error) {
	segs, err := parseTemplate(src)
	if err != nil {
		return nil, err
	}
	t := &template{segs: segs, size: sizeHint(segs)}
	t.assignPlaces(m)
	return t, nil
}

// templates are the templates a node's check parsed, by source and mode:
// [NodeConfig.Validate] parses every template to check it, and hands what
// it parsed to compile, which so parses each only once. A nil templates
// parses every time. Templates are not changed once parsed, so a Step may
// share them.
type templates map[templateKey]*template

// parse returns the template for src used as m: the one parsed before, or
// a new one, kept when ts is not nil.
func (ts templates) parse(src string, m mode) (*template, error) {
	k := templateKey{src, m}
	if t, ok := ts[k]; ok {
		return t, nil
	}
	t, err := compile(src, m)
	if err == nil && ts != nil {
		ts[k] = t
	}
	return t, err
}

// parseTemplate splits src into segments. Whitespace inside the braces is
// trimmed. In a run of braces the last "{{" opens the placeholder, so
// `{"a":{{{x}}}}` is an object around the value of x. An unclosed "{{", an empty "{{ }}" or a "{{" inside a placeholder
// is an error giving the byte offset.
func parseTemplate(src string) ([]segment, error) {
	var segs []segment
	rest, off := src, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return append(segs, segment{lit: rest}), nil
		}
		for i+2 < len(rest) && rest[i+2] == '{' { // "{{{a}}" is "{" then {{a}}
			i++
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, errorf("unclosed {{ at offset %d: close it with }}", off+i)
		}
		inner := rest[i+2 : i+2+j]
		ref := strings.TrimSpace(inner)
		switch {
		case ref == "":
			return nil, errorf("empty parameter {{}} at offset %d: put a parameter name between the braces", off+i)
		case strings.Contains(inner, "{{"):
			return nil, errorf("nested {{ at offset %d: a parameter name cannot contain {{", off+i)
		}
		segs = append(segs, segment{lit: rest[:i], ref: ref})
		n := i + 2 + j + 2
		rest, off = rest[n:], off+n
	}
}

// refs appends the template's refs to dst.
func (t *template) refs(dst []string) []string {
	for _, s := range t.segs {
		if s.ref != "" {
			dst = append(dst, s.ref)
		}
	}
	return dst
}

// valueHint is the length guessed for a placeholder's value.
const valueHint = 32

// sizeHint guesses the rendered length of segs: the literal text and
// valueHint bytes per placeholder.
func sizeHint(segs []segment) int {
	n := 0
	for _, s := range segs {
		n += len(s.lit)
		if s.ref != "" {
			n += valueHint
		}
	}
	return n
}

// static reports whether the template has no placeholder.
func (t *template) static() bool { return len(t.segs) == 1 && t.segs[0].ref == "" }

// assignPlaces decides, for template mode m, where each placeholder lands.
func (t *template) assignPlaces(m mode) {
	switch m {
	case modeURL:
		t.assignURL()
	case modeJSON:
		t.assignJSON()
	case modeXML:
		t.setAll(placeXML)
	case modeForm:
		t.setAll(placeURLQuery)
	default:
		t.setAll(placeText)
	}
}

func (t *template) setAll(p place) {
	for i := range t.segs {
		t.segs[i].place = p
	}
}
