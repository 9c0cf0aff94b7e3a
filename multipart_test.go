package httpstep

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep/internal/testpeer"
)

// TestPartSettingsOnTheWire checks, without curl, what the referee checks:
// the Host header is sent, a part's type and file name are honoured, and a
// multipart subtype stays with its parameters and "attachment" parts.
func TestPartSettingsOnTheWire(t *testing.T) {
	srv := testpeer.NewCapture(t, UserAgent)
	file := File{Name: "a.pdf", ContentType: "application/pdf", Size: 3, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("pdf")), nil }}
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/up",
		Headers: []KeyValue{{Key: "Host", Value: "api.example.com"}, {Key: "Content-Type", Value: `multipart/related; type="application/json"`}},
		Body: &Body{Kind: BodyFormData, Fields: []FormField{
			{Key: "meta", Value: `{"a":1}`, ContentType: "application/json"},
			{Key: "f", File: "doc", ContentType: "application/x-pdf", Filename: "b.pdf"},
		}}}
	_, err := testClient(t).Execute(context.Background(), node, Values{"doc": file})
	require.NoError(t, err)
	got := srv.Take()
	require.Len(t, got, 1)
	assert.Equal(t, "api.example.com", got[0].Host)
	assert.Equal(t, "multipart/related", got[0].MediaType)
	assert.Equal(t, map[string]string{"type": "application/json"}, got[0].TypeParams)
	assert.Equal(t, []testpeer.WirePart{{ContentType: "application/json", Content: `{"a":1}`}, {Filename: "b.pdf", ContentType: "application/x-pdf", Content: "pdf"}}, got[0].Parts,
		"parts of multipart/related are attachments, which FormName does not read")
}

// TestValidatePartSettings: part settings belong to form-data, and a type
// must be a media type, which keeps a line break out of the part header.
func TestValidatePartSettings(t *testing.T) {
	cases := map[string]Body{
		"body.fields[0].contentType": {Kind: BodyFormData, Fields: []FormField{{Key: "a", ContentType: "text/plain\r\nX-Evil: 1"}}},
		"body.fields[0].filename":    {Kind: BodyFormData, Fields: []FormField{{Key: "a", Filename: "x.txt"}}},
		"body.fields[0]":             {Kind: BodyURLEncoded, Fields: []FormField{{Key: "a", ContentType: "text/plain"}}},
	}
	for field, body := range cases {
		err := (&NodeConfig{Method: "POST", URL: "https://a.example.com/", Body: &body}).Validate()
		var ce *ConfigError
		require.ErrorAs(t, err, &ce, field)
		assert.Equal(t, field, ce.Problems[0].Field)
	}
}
