package httpstep

import "github.com/tidwall/gjson"

// pathGet reads path in a JSON body. A path that names a key the body has
// literally ("@odata.nextLink", "a.b" as one key) reads that key, whatever
// gjson's syntax would make of it (a modifier, a nested path); any other
// path is a gjson path. "" is the body itself. A path that applies a
// modifier finds nothing in a body nested deeper than maxModifierNesting
// (see bodyread.go).
func pathGet(body []byte, path string) gjson.Result {
	if path == "" {
		return gjson.ParseBytes(body)
	}
	if esc := gjson.Escape(path); esc != path {
		if v := gjson.GetBytes(body, esc); v.Exists() {
			return v
		}
	}
	if tooDeepForPath(body, path) {
		return gjson.Result{}
	}
	return gjson.GetBytes(body, path)
}

// literalPath is path as gjson must be given it to read what pathGet
// reads: escaped when it names a key the body has literally.
func literalPath(body []byte, path string) string {
	if path == "" {
		return path
	}
	if esc := gjson.Escape(path); esc != path && gjson.GetBytes(body, esc).Exists() {
		return esc
	}
	return path
}

// resultGet is pathGet within a value already parsed.
func resultGet(v gjson.Result, path string) gjson.Result {
	if esc := gjson.Escape(path); esc != path {
		if lit := v.Get(esc); lit.Exists() {
			return lit
		}
	}
	if usesModifier(path) && tooDeepForPath([]byte(v.Raw), path) {
		return gjson.Result{}
	}
	return v.Get(path)
}
