// Command pull-orders runs the product's "periodically fetch orders and add
// them to the worksheet" use case offline: a paginated pull from an order
// API, the array of orders turned into rows and printed as a table.
//
// It starts a demo order API on loopback that serves 7 orders, 3 a page,
// behind a bearer token. A stored "Send API Request" node asks for the
// orders updated since the last pull, page after page ("paginate", mode
// "page") until an empty page; Run returns one JSON array of every
// page's orders, and Rows turns it into the rows a worksheet gets. The
// token is a Secret, so the execution history shows it as [REDACTED].
//
//	go run ./examples/pull-orders
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/httpstep/httpstep"
)

// nodeJSON is the node as the workflow engine stores it. {{api.base}} stands
// for the API's address, which the demo only knows once it is listening.
const nodeJSON = `{
  "method": "GET",
  "url": "{{api.base}}/v1/orders",
  "query": [
    {"key": "updated_since", "value": "{{schedule.lastRun}}"},
    {"key": "per_page", "value": "3"}
  ],
  "headers": [{"key": "Authorization", "value": "Bearer {{shop.token}}"}],
  "paginate": {"mode": "page", "param": "page", "itemsPath": "data.orders", "maxPages": 10},
  "timeout": "5s"
}`

// demoToken is the only token the demo API accepts.
const demoToken httpstep.Secret = "shop-token-42"

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	api := httptest.NewServer(orderAPI())
	defer api.Close()
	// The demo API listens on loopback, which the SSRF guard blocks by
	// default; a real deployment keeps the guard on.
	client := &httpstep.Client{AllowPrivate: true}
	defer client.CloseIdleConnections()
	res, err := pull(context.Background(), client, api.URL, demoToken)
	if err != nil {
		return err
	}
	return report(w, res)
}

// pull runs the stored node against the order API at base with token:
// every page of the orders updated since the last run, in one Result.
// Its test runs it against a fake API and replays a recorded pull
// (main_test.go).
func pull(ctx context.Context, client *httpstep.Client, base string, token httpstep.Secret) (*httpstep.Result, error) {
	node, err := httpstep.ParseNode([]byte(nodeJSON)) // strict: a misspelt key is an error, not ignored
	if err != nil {
		return nil, err
	}
	step, err := node.Compile()
	if err != nil {
		return nil, err
	}
	return client.Run(ctx, step, httpstep.Values{
		"api":      map[string]any{"base": base},
		"schedule": map[string]any{"lastRun": "2026-11-01T00:00:00Z"},
		"shop":     map[string]any{"token": token},
	})
}

// report prints the pulled orders as a table, then the execution history.
func report(w io.Writer, res *httpstep.Result) error {
	rows, err := res.Rows("")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d orders in %d requests (the last page is empty)\n\n", len(rows), len(res.Attempts))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCUSTOMER\tTOTAL\tSTATUS\tUPDATED")
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%s\n", row.Get("id"), row.Get("customer.name"), row.Get("total").Float(),
			row.Get("status"), row.Get("updated_at"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nexecution history:")
	for _, a := range res.Attempts {
		fmt.Fprintf(w, "  #%d %s %s -> %d, Authorization: %v\n", a.N, a.Request.Method, a.Request.URL, a.Response.Status, a.Request.Header["Authorization"])
	}
	return nil
}

// order is one order of the demo API.
type order struct {
	ID       string `json:"id"`
	Customer struct {
		Name string `json:"name"`
	} `json:"customer"`
	Total     float64 `json:"total"`
	Status    string  `json:"status"`
	UpdatedAt string  `json:"updated_at"`
}

// orders are the demo API's orders.
var orders = func() []order {
	names := []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Ken Thompson", "Frances Allen"}
	statuses := []string{"paid", "shipped", "paid", "refunded", "paid", "shipped", "paid"}
	out := make([]order, len(names))
	for i, name := range names {
		out[i].ID = fmt.Sprintf("SO-%04d", 1001+i)
		out[i].Customer.Name = name
		out[i].Total = float64(1250+i*375) / 100
		out[i].Status = statuses[i]
		out[i].UpdatedAt = fmt.Sprintf("2026-11-%02dT09:30:00Z", 2+i)
	}
	return out
}()

// orderAPI serves the orders a page at a time, like a shop's REST API:
// ?page=N&per_page=M, the orders under data.orders, 401 without the token.
func orderAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/orders", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+string(demoToken) {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid token"}`)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if page < 1 || per < 1 || r.URL.Query().Get("updated_since") == "" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"page, per_page and updated_since are required"}`)
			return
		}
		from, to := min((page-1)*per, len(orders)), min(page*per, len(orders))
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"orders": orders[from:to], "page": page}})
	})
	return mux
}
