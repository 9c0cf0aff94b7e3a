package curl

import (
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/httpstep/httpstep"
)

const formURLEncoded = "application/x-www-form-urlencoded"

// dataBody chooses the body for data sent with contentType ("" when none
// was given).
func dataBody(data, contentType string) *httpstep.Body {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	switch {
	case contentType == "" && looksJSON(data):
		return &httpstep.Body{Kind: httpstep.BodyRaw, ContentType: "application/json", Raw: data}
	case contentType == "" || mediaType == formURLEncoded:
		if fields, ok := parseURLEncoded(data); ok {
			return &httpstep.Body{Kind: httpstep.BodyURLEncoded, Fields: fields}
		}
		if contentType == "" {
			contentType = formURLEncoded
		}
	case mediaType == "multipart/form-data" && params["boundary"] != "":
		if fields, ok := parseMultipart(data, params["boundary"]); ok {
			return &httpstep.Body{Kind: httpstep.BodyFormData, Fields: fields}
		}
	}
	return &httpstep.Body{Kind: httpstep.BodyRaw, ContentType: contentType, Raw: data}
}

func looksJSON(data string) bool {
	t := strings.TrimSpace(data)
	return t != "" && (t[0] == '{' || t[0] == '[')
}

// parseURLEncoded decodes name=value&... pieces in order; ok is false unless
// every non-empty piece has a name, an '=', valid escapes and UTF-8 text.
func parseURLEncoded(data string) (fields []httpstep.FormField, ok bool) {
	for piece := range strings.SplitSeq(data, "&") {
		if piece == "" {
			continue
		}
		k, v, found := strings.Cut(piece, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if !found || err1 != nil || err2 != nil || key == "" || !utf8.ValidString(key+value) {
			return nil, false
		}
		fields = append(fields, httpstep.FormField{Key: key, Value: value})
	}
	return fields, true
}

// parseMultipart reads a multipart/form-data body into fields; a part with
// a filename becomes a file field with a placeholder ref. ok is false unless
// the whole body parses into named parts with UTF-8 text.
func parseMultipart(data, boundary string) (fields []httpstep.FormField, ok bool) {
	r := multipart.NewReader(strings.NewReader(data), boundary)
	for files := 0; ; {
		p, err := r.NextPart()
		if err == io.EOF {
			return fields, len(fields) > 0
		}
		if err != nil {
			return nil, false
		}
		disposition, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if err != nil || disposition != "form-data" || params["name"] == "" || !utf8.ValidString(params["name"]) {
			return nil, false
		}
		if _, isFile := params["filename"]; isFile {
			files++
			fields = append(fields, httpstep.FormField{Key: params["name"], File: fileRef(files)})
			continue
		}
		value, err := io.ReadAll(p)
		if err != nil || !utf8.Valid(value) {
			return nil, false
		}
		fields = append(fields, httpstep.FormField{Key: params["name"], Value: string(value)})
	}
}
