package httpstep

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestXMLTree(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"root and text", `<a><b>1</b><c></c></a>`, `{"a":{"b":"1","c":""}}`},
		{"attributes and text", `<Price currency="EUR">9.50</Price>`, `{"Price":{"-currency":"EUR","_":"9.50"}}`},
		{"repeated elements", `<Orders><Order id="1"/><Order id="2"/><Total>2</Total></Orders>`, `{"Orders":{"Order":[{"-id":"1"},{"-id":"2"}],"Total":"2"}}`},
		{"order of first appearance", `<r><x>1</x><y>2</y><x>3</x></r>`, `{"r":{"x":["1","3"],"y":"2"}}`},
		{"namespaces dropped", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:x"><soap:Body><m:R xmlns:m="urn:m" m:v="1">ok</m:R></soap:Body></soap:Envelope>`,
			`{"Envelope":{"Body":{"R":{"-v":"1","_":"ok"}}}}`},
		{"entities and CDATA", `<a>&lt;b&gt; &amp; &#x4E2D;<![CDATA[<raw>]]></a>`, `{"a":"<b> & 中<raw>"}`},
		{"comments and PIs", `<?xml version="1.0"?><!-- c --><a><?pi x?><b>1</b><!-- d --></a>`, `{"a":{"b":"1"}}`},
		{"whitespace between elements", "<a>\n  <b>1</b>\n</a>", `{"a":{"b":"1"}}`},
		{"mixed text kept", `<p>Hello <b>you</b></p>`, `{"p":{"b":"you","_":"Hello "}}`},
		{"latin-1 declared", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>", `{"a":"café"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := xmlTree([]byte(tt.in), false, 1<<20)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(got))
		})
	}
	for in, msg := range map[string]string{
		`<a>`:                                   "cannot be read",
		`<a/><b/>`:                              "more than one root element",
		`<a><b></a>`:                            "cannot be read",
		``:                                      "ends before",
		strings.Repeat("<a>", maxRowsNesting+1): "nests deeper than",
		`<!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>`: "cannot be read",
	} {
		_, err := xmlTree([]byte(in), false, 1<<20)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), msg, clip(in, 40))
	}
	_, err := xmlTree([]byte("<a>"+strings.Repeat("<b>xxxxxxxx</b>", 1000)+"</a>"), false, 1000)
	assert.ErrorIs(t, err, errTreeTooLarge)
}

func FuzzXMLTree(f *testing.F) {
	for _, s := range []string{`<a><b>1</b></a>`, `<a x="1">t<b/><b/></a>`, `<?xml version="1.0" encoding="UTF-16"?><a/>`, `<a>&amp;</a>`, `<`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := xmlTree(b, true, 1<<16)
		if err == nil && !json.Valid(out) {
			t.Fatalf("xmlTree(%q) = %q, not JSON", b, out)
		}
	})
}

// xmlOrders emulates a SOAP-style order service (as many government and
// ERP systems answer): POST with a page number, text/xml answers with a
// ResultCode, a message, and the page's Order elements (one on the last
// page); ResultCode 1001 and a message for a bad tenant.
func xmlOrders(t testing.TB, total, per int) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		if r.URL.Query().Get("tenant") != "acme" {
			fmt.Fprint(w, `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetOrdersResponse><ResultCode>1001</ResultCode><Message>unknown tenant</Message></GetOrdersResponse></soap:Body></soap:Envelope>`)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var b strings.Builder
		for i := (page-1)*per + 1; i <= min(page*per, total); i++ {
			fmt.Fprintf(&b, `<Order id="%d"><Customer>C%d</Customer><Amount currency="EUR">%d.50</Amount></Order>`, i, i, i)
		}
		fmt.Fprintf(w, `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetOrdersResponse><ResultCode>0</ResultCode><Total>%d</Total><Orders>%s</Orders></GetOrdersResponse></soap:Body></soap:Envelope>`, total, b.String())
	})
}

// TestXMLAnswers: the node's paths read an XML answer through the tree:
// the business code, the pages' items (a page of one element too), the
// total, output fields, Lookup and Rows.
func TestXMLAnswers(t *testing.T) {
	srv := xmlOrders(t, 5, 2)
	const base = "Envelope.Body.GetOrdersResponse."
	node := nodeJSON(t, `{"url": %q, "query": [{"key": "tenant", "value": "{{tenant}}"}],
		"success": {"errorCodePath": %q, "successValues": ["0"], "errorMessagePath": %q},
		"paginate": {"mode": "page", "param": "page", "itemsPath": %q, "totalPath": %q}}`,
		srv.URL+"/orders", base+"ResultCode", base+"Message", base+"Orders.Order", base+"Total")
	c := testClient(t)
	res, err := c.Execute(context.Background(), node, Values{"tenant": "acme"})
	require.NoError(t, err)
	rows, err := res.Rows("")
	require.NoError(t, err)
	require.Len(t, rows, 5, "the last page's single Order is a list of one")
	assert.Equal(t, "5", rows[4].Get("-id").String())
	assert.Equal(t, "EUR", rows[0].Get("Amount.-currency").String())
	assert.Equal(t, "1.50", rows[0].Get("Amount._").String())
	assert.Equal(t, 3, srv.count())

	_, err = c.Execute(context.Background(), node, Values{"tenant": "other"})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindErrorCode, f.Kind)
	assert.Equal(t, "1001", f.Code)
	assert.Equal(t, "unknown tenant", f.Message)

	one := nodeJSON(t, `{"url": %q, "query": [{"key": "tenant", "value": "acme"}, {"key": "page", "value": "1"}],
		"response": {"fields": [{"name": "total", "path": %q, "type": "string"}]}}`, srv.URL+"/orders", base+"Total")
	res, err = c.Execute(context.Background(), one, nil)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(res.Body), "<?xml"), "Body keeps the XML as it came")
	v, ok := res.Lookup(base + "Orders.Order.1.Customer")
	require.True(t, ok)
	assert.Equal(t, "C2", v.String())
	got, ok := res.Field("total")
	require.True(t, ok)
	assert.Equal(t, "5", got)
	rows, err = res.Rows(base + "Orders.Order")
	require.NoError(t, err)
	assert.Len(t, rows, 2)
}

// TestInferSchemaXML: an XML example gives the fields that read XML
// answers of its shape.
func TestInferSchemaXML(t *testing.T) {
	s, err := InferSchema([]byte(`<?xml version="1.0"?><Orders count="2"><Order id="1"><Amount currency="EUR">9.50</Amount></Order><Order id="2"><Amount currency="USD">3</Amount></Order></Orders>`))
	require.NoError(t, err)
	require.Len(t, s.Fields, 1)
	orders := s.Fields[0]
	assert.Equal(t, "Orders", orders.Path)
	assert.Equal(t, "object", orders.Type)
	var order Field
	for _, f := range orders.Fields {
		if f.Name == "Order" {
			order = f
		}
	}
	assert.Equal(t, "array", order.Type)
	assert.Equal(t, "Orders.Order", order.Path)
	_, err = InferSchema([]byte(`<a><b></a>`))
	assert.ErrorContains(t, err, "schema: the XML answer cannot be read")
}
