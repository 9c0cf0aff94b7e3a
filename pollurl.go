package httpstep

import (
	"net/url"
	"strings"
)

// responseRef is the prefix of a ref in async.pollUrl that reads the
// first answer: {{$response.id}} is the value at "id" in its body.
const responseRef = "$response."

// pollPart is a piece of a rendered async.pollUrl: text already rendered
// (the literal text and the node's own refs, escaped for their place), or
// a value of the first answer, still to come, and the place it lands in.
type pollPart struct {
	text  string
	path  string // the $response path; "" for text
	place place
}

// renderPollURL renders the node's own refs in the pollUrl template t now,
// with the rest of the request (so their secrets are the run's), and keeps
// each $response ref for the first answer.
func (r *renderer) renderPollURL(t *template) ([]pollPart, error) {
	var parts []pollPart
	var b strings.Builder
	for _, s := range t.segs {
		b.WriteString(s.lit)
		if s.ref == "" {
			continue
		}
		if p, ok := strings.CutPrefix(s.ref, responseRef); ok {
			parts = append(parts, pollPart{text: b.String()}, pollPart{path: p, place: s.place})
			b.Reset()
			continue
		}
		if err := r.place(&b, s); err != nil {
			return nil, err
		}
	}
	return append(parts, pollPart{text: b.String()}), nil
}

// pollTarget completes a rendered pollUrl with the first answer's body. In
// the path a value keeps its slashes, each segment escaped ("." and ".."
// refused): it names a resource of the API itself ("operations/abc-123").
// In the query it is query-escaped; as the whole URL it is inserted.
func pollTarget(parts []pollPart, body []byte) (string, error) {
	var b strings.Builder
	for _, p := range parts {
		if p.path == "" {
			b.WriteString(p.text)
			continue
		}
		v := strings.TrimSpace(pathGet(body, p.path).String())
		if v == "" {
			return "", errorf("the first answer has no %s for async.pollUrl, so there is nothing to poll; check the path against the API's answer", p.path)
		}
		switch p.place {
		case placeURLPath:
			seg, err := resourcePath(v, p.path)
			if err != nil {
				return "", err
			}
			b.WriteString(seg)
		case placeURLQuery:
			writeQueryEscaped(&b, v)
		case placeURLWhole:
			b.WriteString(v)
		default:
			b.WriteString(url.PathEscape(v))
		}
	}
	return b.String(), nil
}

// resourcePath escapes each "/"-separated segment of v for a URL path,
// refusing "." and "..", which would climb out of the place the node put
// the value in.
func resourcePath(v, path string) (string, error) {
	segs := strings.Split(v, "/")
	for i, s := range segs {
		if s == "." || s == ".." {
			return "", errorf("the first answer's %s holds a %q segment, and \".\" and \"..\" are not allowed in async.pollUrl's path", path, s)
		}
		segs[i] = pathSegment(s)
	}
	return strings.Join(segs, "/"), nil
}

// pollURLRefs appends the refs of a pollUrl template src that come from the
// parameters (not $response) to dst.
func pollURLRefs(src string, dst []string) []string {
	segs, err := parseTemplate(src)
	if err != nil {
		return dst
	}
	for _, s := range segs {
		if s.ref != "" && !strings.HasPrefix(s.ref, responseRef) {
			dst = append(dst, s.ref)
		}
	}
	return dst
}
