package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	s := out.String()
	assert.NotContains(t, s, "refused")
	assert.Contains(t, s, `meta     "{\"approvedBy\": \"Grace Hopper\"}"     type "application/json"`)
	assert.Contains(t, s, `type "application/pdf", file "invoice.pdf"`)
	assert.Contains(t, s, "accounting answered 201: invoice id acc-5521")
	assert.Contains(t, s, "document: invoice.pdf (application/pdf, 106 bytes)")
	assert.NotContains(t, s, demoAPIKey)
}

// TestReceiverRefuses: the receiver's checks can fail, and the node's
// success rule turns its business code into a failure.
func TestReceiverRefuses(t *testing.T) {
	good := func() map[string]*part {
		return map[string]*part{
			"number": {data: []byte("INV-2026-0193")}, "amount": {data: []byte("1499.00")},
			"meta":     {contentType: "application/json", data: []byte(`{"approvedBy":"x"}`)},
			"document": {filename: "invoice.pdf", contentType: "application/pdf", data: invoicePDF},
		}
	}
	assert.Empty(t, checkParts(good()))
	damaged := good()
	damaged["document"].data = append([]byte("x"), invoicePDF...)
	assert.Equal(t, "the document arrived damaged", checkParts(damaged))
	untyped := good()
	untyped["meta"].contentType = ""
	assert.Equal(t, "meta is not the JSON expected", checkParts(untyped))
	renamed := good()
	renamed["document"].filename = "scan-0193.pdf"
	assert.Contains(t, checkParts(renamed), "invoice.pdf")
}
