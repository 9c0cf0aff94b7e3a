package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/httpstep/httpstep"
	"github.com/tidwall/gjson"
)

// rowCount is the length of the array GET /rows sends (about 11 MB).
const rowCount = 100_000

// rowsBody is the reply of GET /rows, built once: rowCount orders of eight
// fields each, one a nested object and one a string with escapes.
var rowsBody = sync.OnceValue(func() []byte {
	statuses := []string{"paid", "open", "refunded", "void"}
	names := []string{`Ann \"A\"`, `Bo`, `Zoë`, `D\\E \u00e9`}
	b := make([]byte, 0, rowCount*112)
	b = append(b, '[')
	for i := range rowCount {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"id":%d,"status":"%s","total":%d.%02d,"qty":%d,`+
			`"customer":{"id":%d,"name":"%s"},"note":"n\t%d","paid":%t}`,
			100000+i, statuses[i%4], i%997, i%100, i%9+1, i%5003, names[i%len(names)], i%7, i%4 == 0)
	}
	return append(b, ']')
})

// Tally is what a Rows contender computes from three fields of every row
// (id, status, customer.name), so that all of them can be checked against
// one another.
type Tally struct {
	Rows, IDSum, Paid, NameBytes int
}

func (t *Tally) add(id int, status, name string) {
	t.Rows++
	t.IDSum += id
	if status == "paid" {
		t.Paid++
	}
	t.NameBytes += len(name)
}

// Rows is the job of BenchmarkRows: GET an array of 100,000 orders and read
// three fields of each. encodingjson decodes into a struct of the three
// fields, as a Go engineer who knows the shape would; encodingjson-map
// decodes into []map[string]any, as a host that learns the shape only at
// run time (a no-code workflow) would have to.
var Rows = []Contender[Tally]{
	{"httpstep", func(s *Server) (Op[Tally], func()) {
		c := &httpstep.Client{AllowPrivate: true}
		run := compiled(c, &httpstep.NodeConfig{URL: s.URL + "/rows"})
		return func(ctx context.Context) (Tally, error) {
			var t Tally
			res, err := run(ctx, nil)
			if err != nil {
				return t, err
			}
			rows, err := res.Rows("")
			for _, row := range rows {
				t.add(int(row.Get("id").Int()), row.Get("status").String(), row.Get("customer.name").String())
			}
			return t, err
		}, c.CloseIdleConnections
	}},
	{"encodingjson", func(s *Server) (Op[Tally], func()) {
		type row struct {
			ID       int    `json:"id"`
			Status   string `json:"status"`
			Customer struct {
				Name string `json:"name"`
			} `json:"customer"`
		}
		return nethttpRows(s.URL+"/rows", func(dec *json.Decoder) (Tally, error) {
			var t Tally
			var rows []row
			err := dec.Decode(&rows)
			for _, r := range rows {
				t.add(r.ID, r.Status, r.Customer.Name)
			}
			return t, err
		})
	}},
	{"encodingjson-map", func(s *Server) (Op[Tally], func()) {
		return nethttpRows(s.URL+"/rows", func(dec *json.Decoder) (Tally, error) {
			var t Tally
			var rows []map[string]any
			err := dec.Decode(&rows)
			for _, r := range rows {
				id, _ := r["id"].(float64)
				status, _ := r["status"].(string)
				customer, _ := r["customer"].(map[string]any)
				name, _ := customer["name"].(string)
				t.add(int(id), status, name)
			}
			return t, err
		})
	}},
}

// nethttpRows GETs u and decodes the reply as it streams in.
func nethttpRows(u string, decode func(*json.Decoder) (Tally, error)) (Op[Tally], func()) {
	hc := &http.Client{Transport: newTransport()}
	return func(ctx context.Context) (Tally, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return Tally{}, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return Tally{}, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return Tally{}, &statusError{code: resp.StatusCode}
		}
		return decode(json.NewDecoder(resp.Body))
	}, hc.CloseIdleConnections
}

// wantTally is what every Rows contender must compute, by gjson over the
// body the server sends.
var wantTally = sync.OnceValue(func() Tally {
	var t Tally
	gjson.ParseBytes(rowsBody()).ForEach(func(_, row gjson.Result) bool {
		t.add(int(row.Get("id").Int()), row.Get("status").String(), row.Get("customer.name").String())
		return true
	})
	return t
})

// check reports whether t is what the server's rows hold.
func (t Tally) check() error {
	if want := wantTally(); t != want {
		return fmt.Errorf("tallied %+v, want %+v", t, want)
	}
	return nil
}
