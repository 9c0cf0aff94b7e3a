package httpstep

import (
	"fmt"
	"mime"
	"net/url"
	"path/filepath"
	"reflect"
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
// every XML type, text otherwise.
func rawMode(ct string) mode {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(ct)
	}
	switch {
	case strings.Contains(mt, "json"):
		return modeJSON
	case strings.Contains(mt, "xml"):
		return modeXML
	}
	return modeText
}

// payload is a request body that can be opened once per attempt.
type payload struct {
	contentType string
	data        []byte  // a body rendered in memory (raw, urlencoded, object)
	parts       []chunk // a streamed body (form-data, binary)
	files       []FileRecord
	maxUpload   int64
}

// chunk is bytes or an attachment of a streamed body.
type chunk struct {
	data  []byte
	file  *File
	field string
}

// buildPayload renders the node's body or data object; nil when it sends
// none.
func (r *renderer) buildPayload(n *NodeConfig, boundary, headerType string) (*payload, error) {
	if n.Object != "" {
		if m := n.method(); m == "GET" || m == "HEAD" {
			return nil, fmt.Errorf("httpstep: %s requests never carry a body: send the data object with POST, PUT, PATCH or DELETE", m)
		}
		return r.objectPayload(n.Object)
	}
	b := n.Body
	if b == nil {
		return nil, nil
	}
	switch b.Kind {
	case BodyRaw:
		return r.rawPayload(b, headerType)
	case BodyURLEncoded:
		return r.urlencodedPayload(b)
	case BodyFormData:
		return r.multipartPayload(b, boundary, headerType)
	case BodyBinary:
		return r.binaryPayload(b)
	}
	return nil, nil
}

// objectPayload is "Send Specified Data Object": the record as JSON. The
// ref is trimmed, as Refs reports it.
func (r *renderer) objectPayload(ref string) (*payload, error) {
	ref = strings.TrimSpace(ref)
	v, ok := r.value(ref)
	if !ok || v == nil {
		return nil, fmt.Errorf("httpstep: the data object {{%s}} has no value: choose the record to send", ref)
	}
	data, err := jsonValue(v)
	if err != nil {
		return nil, fmt.Errorf("httpstep: the data object {{%s}} cannot be sent as JSON: %v", ref, err)
	}
	return &payload{contentType: "application/json", data: data}, nil
}

// rawPayload renders a raw body, escaping values for the content type that
// is actually sent: the node's Content-Type header when it sets one, else
// Body.ContentType.
func (r *renderer) rawPayload(b *Body, headerType string) (*payload, error) {
	ct := b.contentType()
	if headerType != "" {
		ct = headerType
	}
	t, err := compile(b.Raw, rawMode(ct))
	if err != nil {
		return nil, err
	}
	s, err := r.render(t)
	if err != nil {
		return nil, err
	}
	return &payload{contentType: ct, data: []byte(s)}, nil
}

func (r *renderer) urlencodedPayload(b *Body) (*payload, error) {
	var buf strings.Builder
	for _, f := range b.Fields {
		v, err := r.renderText(f.Value)
		if err != nil {
			return nil, err
		}
		if v == "" && b.OmitEmpty {
			continue
		}
		r.noteFieldSecret(f.Key, v)
		if buf.Len() > 0 {
			buf.WriteByte('&')
		}
		buf.WriteString(url.QueryEscape(f.Key))
		buf.WriteByte('=')
		buf.WriteString(url.QueryEscape(v))
	}
	return &payload{contentType: "application/x-www-form-urlencoded", data: []byte(buf.String())}, nil
}

// binaryPayload streams exactly one attachment.
func (r *renderer) binaryPayload(b *Body) (*payload, error) {
	files, err := r.files("body.file", b.File)
	if err != nil {
		return nil, err
	}
	if len(files) != 1 {
		return nil, fmt.Errorf("httpstep: body.file {{%s}} holds %d attachments; a binary body sends exactly one", b.File, len(files))
	}
	f := files[0]
	p := &payload{contentType: fileType(f), parts: []chunk{{file: f, field: "body.file"}}}
	p.files = []FileRecord{fileRecord("", f)}
	return p, nil
}

// files resolves an attachment ref, trimmed as Refs reports it, to one or
// more Files.
func (r *renderer) files(field, ref string) ([]*File, error) {
	ref = strings.TrimSpace(ref)
	v, ok := r.value(ref)
	if !ok || v == nil {
		return nil, fmt.Errorf("httpstep: %s: the attachment {{%s}} has no value: choose a file", field, ref)
	}
	out, err := attachments(v)
	if err != nil {
		return nil, fmt.Errorf("httpstep: %s: {{%s}} %v: choose a file parameter", field, ref, err)
	}
	for _, f := range out {
		if f == nil || f.Open == nil {
			return nil, fmt.Errorf("httpstep: %s: the attachment {{%s}} cannot be opened: it has no Open function", field, ref)
		}
		if strings.ContainsAny(f.ContentType, "\r\n\x00") { // names are percent-encoded in part headers
			return nil, fmt.Errorf("httpstep: %s: the attachment {{%s}} has a line break in its content type, which could change the request", field, ref)
		}
		if f.ContentType != "" {
			if _, _, err := mime.ParseMediaType(f.ContentType); err != nil {
				return nil, fmt.Errorf("httpstep: %s: the attachment {{%s}} has content type %q, which is not a media type", field, ref, clip(f.ContentType, 40))
			}
		}
	}
	return out, nil
}

// attachments lists the Files in v: a File, a *File, or a list of them
// ([]File, []*File, or []any holding only Files).
func attachments(v any) ([]*File, error) {
	switch x := v.(type) {
	case File:
		return []*File{&x}, nil
	case *File:
		return []*File{x}, nil
	case []File:
		out := make([]*File, len(x))
		for i := range x {
			out[i] = &x[i]
		}
		return out, nil
	case []*File:
		return x, nil
	case []any:
		out := make([]*File, len(x))
		for i, e := range x {
			one, err := attachments(e)
			if err != nil || len(one) != 1 || isList(e) {
				return nil, fmt.Errorf("holds %s at [%d], not an attachment", kindOfValue(e), i)
			}
			out[i] = one[0]
		}
		return out, nil
	}
	return nil, fmt.Errorf("is %s, not an attachment", kindOfValue(v))
}

// kindOfValue names what a parameter holds in words a workflow author knows.
func kindOfValue(v any) string {
	switch reflect.ValueOf(v).Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "a yes/no value"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "a record"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a value of another kind"
}

func isList(v any) bool {
	switch v.(type) {
	case []File, []*File, []any:
		return true
	}
	return false
}

// fileType is f's content type, guessed from its name when empty.
func fileType(f *File) string {
	if f.ContentType != "" {
		return f.ContentType
	}
	if t := mime.TypeByExtension(filepath.Ext(f.Name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func fileRecord(field string, f *File) FileRecord {
	return FileRecord{Field: field, Name: f.Name, ContentType: fileType(f), Size: f.Size}
}

var secretType = reflect.TypeFor[Secret]()

// Bounds of the search for secrets in a record: depth, and values visited
// in all (a record is data, not a graph to explore for ever).
const (
	maxSecretDepth  = 64
	maxSecretVisits = 100_000
)

// secretsIn appends the Secret values anywhere in v (struct fields, map keys
// and values, elements, behind pointers and interfaces) to out, so the
// history can redact them wherever encoding/json put them. Fields that
// encoding/json skips (unexported, `json:"-"`) are skipped too; a pointer,
// map or slice met again is not walked again.
func secretsIn(v reflect.Value, out []string, depth int) []string {
	w := secretWalk{out: out, seen: map[visit]bool{}}
	w.walk(v, depth)
	return w.out
}

// visit identifies a reference value already walked.
type visit struct {
	ptr uintptr
	typ reflect.Type
}

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

// noteFieldSecret treats the value of a password- or token-like form field
// as a secret, so neither the preview nor an API's echo of it shows it.
func (r *renderer) noteFieldSecret(key, value string) {
	if sensitiveParam(key) {
		r.secrets = append(r.secrets, value)
	}
}
