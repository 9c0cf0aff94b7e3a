package httpstep

import (
	"fmt"
	"mime"
	"path/filepath"
	"reflect"
	"strings"
)

// files resolves an attachment ref, trimmed as Refs reports it, to one or
// more Files.
func (r *renderer) files(field, ref string) ([]*File, error) {
	ref = strings.TrimSpace(ref)
	v, ok := r.value(ref)
	if !ok || v == nil {
		return nil, errorf("%s: the attachment {{%s}} has no value: choose a file", field, ref)
	}
	out, err := attachments(v)
	if err != nil {
		return nil, errorf("%s: {{%s}} %v: choose a file parameter", field, ref, err)
	}
	for _, f := range out {
		if f == nil || f.Open == nil {
			return nil, errorf("%s: the attachment {{%s}} cannot be opened: it has no Open function", field, ref)
		}
		if strings.ContainsAny(f.ContentType, headerBreaks) { // names are percent-encoded in part headers
			return nil, errorf("%s: %s", field, breakProblem("the content type of the attachment {{"+ref+"}}"))
		}
		if f.ContentType != "" {
			if _, _, err := mime.ParseMediaType(f.ContentType); err != nil {
				return nil, errorf("%s: the attachment {{%s}} has content type %q, which is not a media type", field, ref, clip(f.ContentType, 40))
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

// fileRecord describes attachment f for the history; a Size that is not
// positive is unknown and recorded as -1.
func fileRecord(field string, f *File) FileRecord {
	size := f.Size
	if size <= 0 {
		size = -1
	}
	return FileRecord{Field: field, Name: f.Name, ContentType: fileType(f), Size: size}
}
