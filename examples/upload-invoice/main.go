// Command upload-invoice runs the product's form-data use case offline:
// send an invoice PDF with its fields to an accounting system, which checks
// what arrived.
//
// It starts a demo accounting API on loopback. A stored "Send API Request"
// node posts a form-data body: text fields from the workflow's record, a
// JSON part with its own content type ("contentType", as curl's
// -F 'meta=...;type=application/json'), and the invoice as an attachment
// streamed from disk under the name the accounting system expects
// ("filename": the file on disk is scan-0193.pdf). The receiver parses the multipart body and checks every
// part, the file's size and SHA-256 included, and answers with a business
// code that the node's success rule reads.
//
//	go run ./examples/upload-invoice
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/httpstep/httpstep"
)

// nodeJSON is the node as the workflow engine stores it.
const nodeJSON = `{
  "method": "POST",
  "url": "{{api.base}}/v2/invoices",
  "headers": [{"key": "X-Api-Key", "value": "{{org.apiKey}}"}],
  "body": {
    "kind": "form-data",
    "fields": [
      {"key": "number", "value": "{{invoice.number}}"},
      {"key": "amount", "value": "{{invoice.amount}}"},
      {"key": "currency", "value": "EUR"},
      {"key": "meta", "value": "{\"approvedBy\": \"{{invoice.approver}}\"}", "contentType": "application/json"},
      {"key": "document", "file": "invoice.pdf", "filename": "invoice.pdf"}
    ]
  },
  "success": {"codes": "201", "errorCodePath": "code", "successValues": ["0"], "errorMessagePath": "message"},
  "timeout": "10s"
}`

// demoAPIKey is the only key the demo API accepts.
const demoAPIKey = "acct-key-7"

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	dir, err := os.MkdirTemp("", "upload-invoice-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pdf := filepath.Join(dir, "scan-0193.pdf")
	if err := os.WriteFile(pdf, invoicePDF, 0o600); err != nil {
		return err
	}
	receiver := &receiver{w: w}
	api := httptest.NewServer(receiver)
	defer api.Close()

	node, err := httpstep.ParseNode([]byte(nodeJSON)) // strict: a misspelt key is an error, not ignored
	if err != nil {
		return err
	}
	// The demo API listens on loopback, which the SSRF guard blocks by
	// default; a real deployment keeps the guard on.
	client := &httpstep.Client{AllowPrivate: true}
	defer client.CloseIdleConnections()
	res, err := client.Execute(context.Background(), node, httpstep.Values{
		"api":         map[string]any{"base": api.URL},
		"org":         map[string]any{"apiKey": httpstep.Secret(demoAPIKey)},
		"invoice":     map[string]any{"number": "INV-2026-0193", "amount": "1499.00", "approver": "Grace Hopper"},
		"invoice.pdf": attachment(pdf, "application/pdf"),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "accounting answered %d: invoice id %s\n", res.StatusCode, res.Get("data.id"))
	a := res.Attempts[0]
	fmt.Fprintf(w, "execution history: %s %s, X-Api-Key %v, files:\n", a.Request.Method, a.Request.URL, a.Request.Header["X-Api-Key"])
	for _, f := range a.Request.Files {
		fmt.Fprintf(w, "  %s: %s (%s, %d bytes)\n", f.Field, f.Name, f.ContentType, f.Size)
	}
	return nil
}

// attachment is a file on disk as a parameter value: opened per attempt and
// streamed, never read whole.
func attachment(path, contentType string) httpstep.File {
	fi, err := os.Stat(path)
	size := int64(-1)
	if err == nil {
		size = fi.Size()
	}
	return httpstep.File{Name: filepath.Base(path), ContentType: contentType, Size: size,
		Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// invoicePDF stands for a scanned invoice.
var invoicePDF = []byte("%PDF-1.7\n% demo invoice INV-2026-0193\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// receiver is the demo accounting API: it checks every part of the upload
// and prints what it received.
type receiver struct {
	w io.Writer
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if problem := rc.check(r); problem != "" {
		fmt.Fprintf(rc.w, "receiver: refused: %s\n", problem)
		w.WriteHeader(http.StatusCreated) // this API reports problems in the body
		json.NewEncoder(w).Encode(map[string]any{"code": 4001, "message": problem})
		return
	}
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, `{"code": 0, "data": {"id": "acc-5521"}}`)
}

// part is one part of the upload as it arrived.
type part struct {
	filename, contentType string
	data                  []byte
}

// check returns what is wrong with the upload, or "".
func (rc *receiver) check(r *http.Request) string {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/invoices" {
		return "unknown route " + r.Method + " " + r.URL.Path
	}
	if r.Header.Get("X-Api-Key") != demoAPIKey {
		return "bad API key"
	}
	parts, err := readParts(r)
	if err != nil {
		return "not a multipart form: " + err.Error()
	}
	fmt.Fprintln(rc.w, "receiver: got")
	for _, k := range []string{"number", "amount", "currency", "meta", "document"} {
		p := parts[k]
		if p == nil {
			return "the part " + k + " is missing"
		}
		sum := sha256.Sum256(p.data)
		fmt.Fprintf(rc.w, "  %-8s %-40q type %q, file %q, sha256 %s...\n", k, clip(p.data), p.contentType, p.filename, hex.EncodeToString(sum[:6]))
	}
	return checkParts(parts)
}

// checkParts checks the parts against what the accounting system expects.
func checkParts(parts map[string]*part) string {
	var meta struct{ ApprovedBy string }
	doc, want := parts["document"], sha256.Sum256(invoicePDF)
	switch {
	case string(parts["number"].data) != "INV-2026-0193" || string(parts["amount"].data) != "1499.00":
		return "the invoice number or amount is wrong"
	case parts["meta"].contentType != "application/json" || json.Unmarshal(parts["meta"].data, &meta) != nil || meta.ApprovedBy == "":
		return "meta is not the JSON expected"
	case doc.filename != "invoice.pdf" || doc.contentType != "application/pdf":
		return "the document should be invoice.pdf, an application/pdf"
	case sha256.Sum256(doc.data) != want:
		return "the document arrived damaged"
	}
	return ""
}

// readParts reads every part of a multipart/form-data request by name.
func readParts(r *http.Request) (map[string]*part, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	parts := map[string]*part{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(p, 1<<20))
		if err != nil {
			return nil, err
		}
		parts[p.FormName()] = &part{filename: p.FileName(), contentType: p.Header.Get("Content-Type"), data: data}
	}
}

// clip shortens a part's content for printing.
func clip(b []byte) string {
	if len(b) > 30 {
		return string(b[:30]) + "..."
	}
	return string(b)
}
