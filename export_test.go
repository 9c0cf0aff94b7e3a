package httpstep

import (
	"mime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/httpstep/httpstep/internal/nodespec"
)

// The cURL export's normalisations, opened to the round-trip tests of
// package httpstep_test (curl_roundtrip_test.go), which import package
// curl: a test inside this package cannot, as curl imports this package.
var (
	NormalForCurl = normalForCurl
	FuzzNode      = fuzzNode
)

// normalForCurl is n as a cURL command can carry it: the normalisations
// that (*NodeConfig).Curl documents, applied to a node.
func normalForCurl(n *NodeConfig) *NodeConfig {
	c := *n
	c.Method = n.method()
	c.URL = redactURLText(n.URL)
	c.Headers = nil
	for _, h := range n.Headers {
		if k := strings.ToLower(h.Key); k != "content-length" && k != "accept-encoding" {
			c.Headers = append(c.Headers, KeyValue{Key: h.Key, Value: literalCredential(h.Key, h.Value)})
		}
	}
	c.Success, c.OnFailure, c.Response, c.Paginate, c.Sign = SuccessRule{}, "", nil, nil, false
	c.Auth = authForCurl(n.Auth, &c)
	if c.Retry != nil {
		if c.Retry.MaxAttempts > 1 {
			c.Retry = &RetryPolicy{MaxAttempts: c.Retry.MaxAttempts}
		} else {
			c.Retry = nil
		}
	}
	if c.Body != nil {
		b := *c.Body
		b.OmitEmpty = false
		if b.Kind == BodyRaw {
			b.ContentType = b.contentType()
		}
		files := 0
		b.Fields = append([]FormField(nil), b.Fields...)
		for i := range b.Fields {
			b.Fields[i].Value = literalSecret(b.Fields[i].Key, b.Fields[i].Value)
			b.Fields[i].ContentType = strings.TrimSpace(b.Fields[i].ContentType)
			if b.Fields[i].File != "" {
				files++
				b.Fields[i].File = importedFileRef(files)
			}
		}
		if len(b.Fields) == 0 {
			b.Fields = nil
		}
		c.Body = &b
	}
	return &c
}

// importedFileRef is the placeholder ref the cURL import gives the n-th
// file part (1-based): "file", then "file2", "file3" ...
func importedFileRef(n int) string {
	if n <= 1 {
		return "file"
	}
	return "file" + strconv.Itoa(n)
}

// authForCurl is the auth block as a command carries it: basic, digest
// and bearer with literal secrets redacted; an API key as a header or a
// query parameter of c; no oauth2.
func authForCurl(a *Auth, c *NodeConfig) *Auth {
	if a == nil {
		return nil
	}
	switch a.Type {
	case AuthBasic, AuthDigest:
		return &Auth{Type: a.Type, Username: a.Username, Password: literalSecretText(a.Password)}
	case AuthBearer:
		return &Auth{Type: AuthBearer, Token: literalSecretText(a.Token)}
	case AuthAPIKey:
		if a.In == InQuery {
			c.URL = nodespec.AppendQuery(c.URL, queryText(strings.TrimSpace(a.Name))+"="+queryText(literalSecretText(a.Value)))
		} else {
			c.Headers = append(c.Headers, KeyValue{Key: a.Name, Value: literalSecretText(a.Value)})
		}
	}
	return nil
}

// fuzzNode makes a node of one of the body kinds a command round-trips:
// none, raw (JSON, or another type through a header), x-www-form-urlencoded
// and form-data.
func fuzzNode(kind uint8, path, hk, hv, key, value, ctype, filename string, ms uint16, attempts uint8) *NodeConfig {
	for _, s := range []*string{&path, &hk, &hv, &key, &value, &ctype, &filename} {
		if !utf8.ValidString(*s) {
			*s = strings.ToValidUTF8(*s, "?")
		}
	}
	n := &NodeConfig{Method: "GET", URL: "https://api.example.com/" + path, Timeout: Duration(time.Duration(ms) * time.Millisecond)}
	if hk != "" && !strings.EqualFold(hk, "Content-Type") {
		n.Headers = []KeyValue{{Key: hk, Value: strings.TrimSpace(hv)}}
	}
	if attempts > 1 {
		n.Retry = &RetryPolicy{MaxAttempts: int(attempts % 100)}
	}
	switch kind % 4 {
	case 1:
		n.Method, n.Body = "POST", &Body{Kind: BodyRaw, ContentType: "application/json", Raw: value}
		// The import reads data of these types as the form kinds.
		if mt, _, _ := mime.ParseMediaType(ctype); ctype != "" && mt != "application/x-www-form-urlencoded" && !strings.HasPrefix(mt, "multipart/") {
			n.Body.ContentType = ctype
		}
	case 2:
		n.Method, n.Body = "PUT", &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: key, Value: value}}}
	case 3:
		n.Method, n.Body = "POST", &Body{Kind: BodyFormData, Fields: []FormField{
			{Key: key, Value: value, ContentType: ctype}, {Key: key + "f", File: "doc", Filename: filename}}}
	}
	return n
}
