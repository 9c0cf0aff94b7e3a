// Command ip-location runs the product's GET use case offline: when course
// feedback arrives, look up where the sender's IP address is and write the
// country, province and city into the feedback record.
//
// It starts a demo IP-location API on loopback, executes a stored "Send API
// Request" node against it for two feedback records (one lookup fails with a
// business error code under the "continue" policy), maps the returned fields
// into each record the way an "Update Record" node would, and prints the
// records and the execution history.
//
//	go run ./examples/ip-location
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/httpstep/httpstep"
)

// nodeJSON is the node as the workflow engine stores it. {{api.base}} stands
// for the API's address, which the demo only knows once it is listening.
const nodeJSON = `{
  "method": "GET",
  "url": "{{api.base}}/ip/ipNewV3",
  "query": [
    {"key": "ip", "value": "{{feedback.ip}}"},
    {"key": "key", "value": "{{org.apiKey}}"}
  ],
  "success": {
    "codes": "200",
    "errorCodePath": "error_code",
    "successValues": ["0"],
    "errorMessagePath": "reason"
  },
  "onFailure": "continue",
  "timeout": "5s"
}`

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	api := httptest.NewServer(demoAPI())
	defer api.Close()

	node, err := httpstep.ParseNode([]byte(nodeJSON)) // strict: a misspelt key is an error, not ignored
	if err != nil {
		return err
	}
	// The demo API listens on loopback, which the SSRF guard blocks by
	// default; a real deployment keeps the guard on.
	client := &httpstep.Client{AllowPrivate: true}
	defer client.CloseIdleConnections()

	for _, ip := range []string{"115.236.1.10", "300.1.1.1"} {
		record := map[string]any{"course": "Go for workflow engineers", "ip": ip}
		params := httpstep.Values{
			"api":      map[string]any{"base": api.URL},
			"feedback": record,
			"org":      map[string]any{"apiKey": httpstep.Secret("demo-key-123")},
		}
		res, err := client.Execute(context.Background(), node, params)
		if err != nil {
			return err
		}
		updateRecord(record, res)
		if err := report(w, record, res); err != nil {
			return err
		}
	}
	return nil
}

// updateRecord maps the node's output into the record. Under "continue" a
// failed lookup answers false, so only the fields that depend on it are
// skipped; the rest of the update goes ahead.
func updateRecord(record map[string]any, res *httpstep.Result) {
	fields := map[string]string{"country": "result.Country", "province": "result.Province", "city": "result.City"}
	for field, path := range fields {
		if v, ok := res.Lookup(path); ok {
			record[field] = v.String()
		}
	}
	record["checkedAt"] = "2026-11-27"
}

func report(w io.Writer, record map[string]any, res *httpstep.Result) error {
	fmt.Fprintf(w, "== feedback from %v\n", record["ip"])
	for _, k := range []string{"country", "province", "city"} {
		v, ok := record[k]
		if !ok {
			v = "(skipped: the lookup failed)"
		}
		fmt.Fprintf(w, "  %-9s %v\n", k+":", v)
	}
	fmt.Fprintln(w, "  execution history:")
	for _, a := range res.Attempts {
		outcome := "ok"
		if a.Kind != "" {
			outcome = string(a.Kind) + ": " + a.Error
		}
		status := 0
		if a.Response != nil {
			status = a.Response.Status
		}
		fmt.Fprintf(w, "    #%d %s %s -> %d %s\n", a.N, a.Request.Method, a.Request.URL, status, outcome)
	}
	if res.OK() {
		return nil
	}
	fmt.Fprintln(w, "  the attempt as the execution history stores it:")
	a := res.Attempts[0]
	a.Start, a.Duration, a.Timing = time.Time{}, 0, nil // vary from run to run
	a.Response.Header = nil
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	fmt.Fprint(w, "    ")
	return enc.Encode(a)
}

// demoAPI answers like a public IP-location API: a business error code in a
// 200 response when the address is not valid.
func demoAPI() http.Handler {
	places := map[string][3]string{"115.236.1.10": {"China", "Zhejiang", "Hangzhou"}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.URL.Query().Get("key") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error_code":10001,"reason":"missing API key"}`)
			return
		}
		p, ok := places[r.URL.Query().Get("ip")]
		if !ok {
			io.WriteString(w, `{"error_code":201102,"reason":"the IP address is not valid","result":null}`)
			return
		}
		time.Sleep(time.Millisecond)
		fmt.Fprintf(w, `{"error_code":0,"reason":"success","result":{"Country":%q,"Province":%q,"City":%q,"Isp":"%s"}}`,
			p[0], p[1], p[2], strings.ToUpper("telecom"))
	})
}
