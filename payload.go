package httpstep

import (
	"net/url"
	"strings"
)

// payload is a request body that can be opened once per attempt.
type payload struct {
	contentType string
	data        string  // a body rendered in memory (raw, urlencoded, object): immutable, so the history's preview of a short one is this string, not a copy
	parts       []chunk // a streamed body (form-data, binary)
	files       []FileRecord
	form        []formPart // form-data: the parts in order, for the cURL export
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
func (r *renderer) buildPayload(s *Step, boundary, headerType string) (*payload, error) {
	n := &s.node
	if n.Object != "" {
		if m := n.method(); m == "GET" || m == "HEAD" {
			return nil, errorf("%s requests never carry a body: send the data object with POST, PUT, PATCH or DELETE", m)
		}
		return r.objectPayload(n.Object)
	}
	b := n.Body
	if b == nil {
		return nil, nil
	}
	switch b.Kind {
	case BodyRaw:
		return r.rawPayload(s, headerType)
	case BodyURLEncoded:
		return r.urlencodedPayload(b, s.fields)
	case BodyFormData:
		return r.multipartPayload(b, s.fields, boundary, headerType)
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
		return nil, errorf("the data object {{%s}} has no value: choose the record to send", ref)
	}
	data, err := jsonValue(v)
	if err != nil {
		return nil, errorf("the data object {{%s}} cannot be sent as JSON: %v", ref, err)
	}
	return &payload{contentType: "application/json", data: string(data)}, nil
}

// rawPayload renders a raw body, escaping values for the content type that
// is actually sent: the node's Content-Type header when it sets one, else
// Body.ContentType.
func (r *renderer) rawPayload(s *Step, headerType string) (*payload, error) {
	ct := s.rawType
	if headerType != "" {
		ct = headerType
	}
	t, err := s.rawTemplate(ct)
	if err != nil {
		return nil, err
	}
	text, err := r.render(t)
	if err != nil {
		return nil, err
	}
	return &payload{contentType: ct, data: text}, nil
}

func (r *renderer) urlencodedPayload(b *Body, values []*template) (*payload, error) {
	var buf strings.Builder
	for i, f := range b.Fields {
		v, err := r.render(values[i])
		if err != nil {
			return nil, err
		}
		if v == "" && b.OmitEmpty {
			continue
		}
		r.secrets.addField(f.Key, v)
		if buf.Len() > 0 {
			buf.WriteByte('&')
		}
		buf.WriteString(url.QueryEscape(f.Key))
		buf.WriteByte('=')
		buf.WriteString(url.QueryEscape(v))
	}
	return &payload{contentType: "application/x-www-form-urlencoded", data: buf.String()}, nil
}

// binaryPayload streams exactly one attachment.
func (r *renderer) binaryPayload(b *Body) (*payload, error) {
	files, err := r.files("body.file", b.File)
	if err != nil {
		return nil, err
	}
	if len(files) != 1 {
		return nil, errorf("body.file {{%s}} holds %d attachments; a binary body sends exactly one", b.File, len(files))
	}
	f := files[0]
	p := &payload{contentType: fileType(f), parts: []chunk{{file: f, field: "body.file"}}}
	p.files = []FileRecord{fileRecord("", f)}
	return p, nil
}
