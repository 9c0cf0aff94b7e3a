package httpstep

import (
	"mime"
	"strings"
)

// BodyKind names the format of a request body.
type BodyKind string

// The body kinds of the product.
const (
	BodyNone       BodyKind = "none"
	BodyFormData   BodyKind = "form-data"
	BodyURLEncoded BodyKind = "x-www-form-urlencoded"
	BodyRaw        BodyKind = "raw"
	BodyBinary     BodyKind = "binary"
)

// Body is a request body. Only POST, PUT, PATCH and DELETE send one.
type Body struct {
	Kind        BodyKind    `json:"kind"`                  // "none" | "form-data" | "x-www-form-urlencoded" | "raw" | "binary"
	ContentType string      `json:"contentType,omitempty"` // raw: default application/json
	Raw         string      `json:"raw,omitempty"`         // raw: template
	Fields      []FormField `json:"fields,omitempty"`      // form-data, x-www-form-urlencoded
	File        string      `json:"file,omitempty"`        // binary: ref of exactly one attachment
	OmitEmpty   bool        `json:"omitEmpty,omitempty"`   // form kinds: leave out fields whose value renders empty
}

// FormField is one field of a form body. Value is a template; File is the ref
// of a File parameter (form-data only), or of a []File for several parts.
// ContentType and Filename (form-data only, not templates) set the part's
// Content-Type header and, for a file, the name sent in place of the File's,
// as curl's -F 'name=...;type=...;filename=...' does. A text part has no
// Content-Type by default; a file part has its File's.
type FormField struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	File        string `json:"file,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Filename    string `json:"filename,omitempty"`
}

// contentType is the raw body's content type, application/json by default.
func (b *Body) contentType() string {
	if ct := strings.TrimSpace(b.ContentType); ct != "" {
		return ct
	}
	return "application/json"
}

// rawMode picks the template mode for a raw body of content type ct: JSON
// for every JSON type (application/json, +json, x-ndjson, ...), XML for
// every XML type, form for application/x-www-form-urlencoded (no form
// encoder escapes a raw one), text otherwise.
func rawMode(ct string) mode {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(ct)
	}
	switch {
	case mt == "application/x-www-form-urlencoded":
		return modeForm
	case strings.Contains(mt, "json"):
		return modeJSON
	case strings.Contains(mt, "xml"):
		return modeXML
	}
	return modeText
}
