package httpstep

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// orders serves 25 orders, 10 to a page, in every pagination style.
func orders(t *testing.T) *recorder {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		from := 0
		switch r.URL.Path {
		case "/page":
			p, _ := strconv.Atoi(q.Get("page"))
			from = (p - 1) * 10
		case "/offset":
			from, _ = strconv.Atoi(q.Get("offset"))
		case "/cursor", "/next", "/link":
			if c := q.Get("after"); c != "" {
				from, _ = strconv.Atoi(strings.TrimPrefix(c, "c"))
			}
		}
		to := min(from+10, 25)
		var items []string
		for i := from; i < to; i++ {
			items = append(items, fmt.Sprintf(`{"id":%d}`, i))
		}
		next := ""
		if to < 25 {
			next = fmt.Sprintf("c%d", to)
		}
		if r.URL.Path == "/link" && next != "" {
			w.Header().Add("Link", `<https://example.test/docs>; rel="help"`)
			w.Header().Add("Link", fmt.Sprintf(`</link?after=%s&size=10>; rel="next last", <https://x.test/first>; rel=first`, next))
		}
		nextURL := ""
		if next != "" {
			nextURL = "/next?after=" + next
		}
		fmt.Fprintf(w, `{"data":{"items":[%s]},"next":%q,"nextUrl":%q}`, strings.Join(items, ","), next, nextURL)
	})
	return rec
}

func TestPaginate(t *testing.T) {
	srv := orders(t)
	tests := []struct {
		name     string
		path     string
		pg       Pagination
		requests int
		items    int
	}{
		{"page", "/page?size=10", Pagination{Mode: "page", Param: "page", ItemsPath: "data.items"}, 4, 25},
		{"offset", "/offset", Pagination{Mode: "offset", Param: "offset", Size: 10, ItemsPath: "data.items"}, 4, 25},
		{"cursor", "/cursor", Pagination{Mode: "cursor", Param: "after", NextPath: "next", ItemsPath: "data.items"}, 3, 25},
		{"next_url", "/next", Pagination{Mode: "next_url", NextPath: "nextUrl", ItemsPath: "data.items"}, 3, 25},
		{"link_header", "/link", Pagination{Mode: "link_header", ItemsPath: "data.items"}, 3, 25},
		{"maxPages", "/page", Pagination{Mode: "page", Param: "page", ItemsPath: "data.items", MaxPages: 2}, 2, 20},
		{"start page 2", "/page", Pagination{Mode: "page", Param: "page", Start: 2, ItemsPath: "data.items"}, 3, 15},
	}
	c := testClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.count()
			pg := tt.pg
			res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + tt.path, Paginate: &pg}, nil)
			require.NoError(t, err)
			assert.Equal(t, tt.requests, srv.count()-before)
			rows, err := res.Rows("")
			require.NoError(t, err)
			require.Len(t, rows, tt.items)
			for i, r := range rows {
				assert.Equal(t, int64(i+(tt.pg.Start-1)*10*boolInt(tt.pg.Start > 1)), r.Get("id").Int())
			}
			require.Len(t, res.Attempts, tt.requests)
			if tt.pg.MaxPages > 0 {
				assert.Contains(t, res.Attempts[len(res.Attempts)-1].Notes, "stopped after 2 pages (paginate.maxPages); more pages may exist")
			}
			for i, a := range res.Attempts {
				assert.Equal(t, i+1, a.N)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPaginateFailure: a page that fails fails the node under its policy,
// with the pages so far still readable.
func TestPaginateFailure(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			w.WriteHeader(502)
			return
		}
		fmt.Fprint(w, `[1,2,3]`)
	})
	node := &NodeConfig{URL: srv.URL, OnFailure: Continue, Paginate: &Pagination{Mode: "page", Param: "page"}}
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.NotNil(t, res.Failure)
	assert.Equal(t, KindStatus, res.Failure.Kind)
	assert.Equal(t, 502, res.StatusCode)
	assert.JSONEq(t, `[1,2,3]`, string(res.Body), "the pages before the failure stay readable")
	assert.Len(t, res.Attempts, 2)
	_, err = res.Rows("")
	var f *Failure
	assert.ErrorAs(t, err, &f, "Rows refuses a failed node, as Lookup does")
}

// TestPaginateNextHostGuarded: a next URL on another host goes through the
// SSRF guard and does not get the first host's credentials.
func TestPaginateNextHostGuarded(t *testing.T) {
	other := newRecorderOn(t, "127.0.0.2", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"items":[9],"next":""}`) })
	otherURL := other.URL
	first := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"items":[1],"next":%q}`, otherURL+"/more")
	})
	node := &NodeConfig{URL: first.URL, Headers: []KeyValue{{"Authorization", "Bearer t"}, {"X-Tenant", "a"}},
		Paginate: &Pagination{Mode: "next_url", NextPath: "next", ItemsPath: "items"}}

	guarded := &Client{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	defer guarded.CloseIdleConnections()
	res, err := guarded.Execute(context.Background(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindBlocked, f.Kind)
	assert.JSONEq(t, `[1]`, string(res.Body))
	assert.Zero(t, other.count())

	res, err = testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `[1,9]`, string(res.Body))
	rows, err := res.Rows("")
	require.NoError(t, err)
	assert.Len(t, rows, 2, "one array of every page's items")
	got := other.last(t)
	assert.Empty(t, got.Header.Get("Authorization"), "credentials stay with the first host")
	assert.Equal(t, "a", got.Header.Get("X-Tenant"))
}

// TestPaginateStops: an empty page, a repeated URL, and items that are not
// an array end the pull.
func TestPaginateStops(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/self":
			fmt.Fprint(w, `{"items":[1],"next":"/self"}`)
		case "/notarray":
			fmt.Fprint(w, `{"items":{"a":1}}`)
		}
	})
	c := testClient(t)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/self", Paginate: &Pagination{Mode: "next_url", NextPath: "next", ItemsPath: "items"}}, nil)
	require.NoError(t, err)
	assert.Len(t, res.Attempts, 1, "a next URL equal to the current one ends the pull")
	res, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/notarray", Paginate: &Pagination{Mode: "page", Param: "p", ItemsPath: "items"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, "[]", string(res.Body))

	res, err = c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/notarray", Paginate: &Pagination{Mode: "page", Param: "p", ItemsPath: "data.items"}}, nil)
	require.NoError(t, err)
	assert.Contains(t, res.Attempts[0].Notes, `the first page has nothing at itemsPath "data.items", so the pull is empty; check the path`)
}

func TestNextLink(t *testing.T) {
	tests := map[string]string{
		`<https://a.test/p2>; rel="next"`:                                "https://a.test/p2",
		`<https://a.test/p1>; rel="prev", <https://a.test/p3>; rel=next`: "https://a.test/p3",
		`<https://a.test/x?a=1,2>; rel="next"`:                           "https://a.test/x?a=1,2",
		`<https://a.test/p>; title="a, b"; rel="last next"`:              "https://a.test/p",
		`<https://a.test/p>; rel="nextish"`:                              "",
		`garbage`:                                                        "",
		``:                                                               "",
		`<https://a.test/p>; REL="NEXT"`:                                 "https://a.test/p",
	}
	for in, want := range tests {
		assert.Equal(t, want, nextLink([]string{in}), in)
	}
}

func TestWithParam(t *testing.T) {
	u, _ := parseTargetURL("https://a.test/x?b=%20keep&page=1&c=2")
	assert.Equal(t, "b=%20keep&c=2&page=3", withParam(u, "page", "3").RawQuery)
	assert.Equal(t, "b=%20keep&page=1&c=2", u.RawQuery, "the first URL is not changed")
}

// TestPaginateIdempotencyKeys: each page is its own request with its own
// key; a node's own key is kept as it is.
func TestPaginateIdempotencyKeys(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "3" {
			fmt.Fprint(w, `[]`)
			return
		}
		fmt.Fprint(w, `[1]`)
	})
	c := testClient(t)
	node := &NodeConfig{Method: "POST", URL: srv.URL, Paginate: &Pagination{Mode: "page", Param: "page"}}
	_, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	keys := map[string]bool{}
	for _, r := range srv.reqs {
		keys[r.Header.Get("Idempotency-Key")] = true
	}
	assert.Len(t, keys, 3, "three pages, three keys")

	node.Headers = []KeyValue{{"Idempotency-Key", "pull-{{run}}"}}
	before := srv.count()
	_, err = c.Execute(context.Background(), node, Values{"run": 9})
	require.NoError(t, err)
	for _, r := range srv.reqs[before:] {
		assert.Equal(t, "pull-9", r.Header.Get("Idempotency-Key"))
	}
}

// pullAll runs node with a test client and returns its Result, which must
// have succeeded, and how many requests srv received for it.
func pullAll(t *testing.T, srv *recorder, node *NodeConfig) (*Result, int) {
	t.Helper()
	before := srv.count()
	res, err := testClient(t).Execute(context.Background(), node, nil)
	require.NoError(t, err)
	return res, srv.count() - before
}

// ids are the "id" members of a pull's rows.
func ids(t *testing.T, res *Result) []string {
	t.Helper()
	rows, err := res.Rows("")
	require.NoError(t, err)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Get("id").String()
	}
	return out
}

// lastNotes are the notes of a pull's last attempt.
func lastNotes(res *Result) []string { return res.Attempts[len(res.Attempts)-1].Notes }

// TestPaginateOffsetServerCap (finding 1): Jira caps maxResults at 50 and
// says so in its answer; asked for 100 a page, offset mode moved by 100
// and 70 of 120 issues came back, with no failure. Offset mode now moves
// by the items each page held, and totalPath stops at the total.
func TestPaginateOffsetServerCap(t *testing.T) {
	srv := jiraSearch(t, 120)
	node := nodeJSON(t, `{"url": %q, "query": [{"key": "jql", "value": "project = PROJ"}, {"key": "maxResults", "value": "100"}],
		"paginate": {"mode": "offset", "param": "startAt", "size": 100, "itemsPath": "issues"}}`, srv.URL+"/rest/api/2/search")
	res, n := pullAll(t, srv, node)
	got := ids(t, res)
	require.Len(t, got, 120, "every issue arrives")
	assert.Equal(t, "PROJ-51", got[50])
	assert.Equal(t, 4, n, "0, 50, 100, then the empty page at 120")

	node = nodeJSON(t, `{"url": %q, "query": [{"key": "maxResults", "value": "100"}],
		"paginate": {"mode": "offset", "param": "startAt", "size": 100, "totalPath": "total", "itemsPath": "issues"}}`, srv.URL+"/rest/api/2/search")
	res, n = pullAll(t, srv, node)
	assert.Len(t, ids(t, res), 120)
	assert.Equal(t, 3, n, "total says when the list ends: no request past it")
	assert.Contains(t, lastNotes(res), `the pull ended: all 120 items arrived (totalPath "total")`)
}

// TestPaginateCursorInBody (finding 2): Notion, HubSpot and GraphQL APIs
// take the cursor in the POST body; re-sending the same body returned
// page 1 again and again. paginate.in "body" sets it at a dotted path,
// absent on the first page.
func TestPaginateCursorInBody(t *testing.T) {
	t.Run("notion", func(t *testing.T) {
		srv := notionQuery(t, 7)
		node := nodeJSON(t, `{"method": "POST", "url": %q, "headers": [{"key": "Notion-Version", "value": "2022-06-28"}],
			"body": {"kind": "raw", "raw": "{\"page_size\": 3, \"filter\": {\"property\": \"Done\", \"checkbox\": {\"equals\": true}}}"},
			"paginate": {"mode": "cursor", "in": "body", "param": "start_cursor", "nextPath": "next_cursor", "hasMorePath": "has_more", "itemsPath": "results"}}`,
			srv.URL+"/v1/databases/d9824bdc/query")
		res, n := pullAll(t, srv, node)
		assert.Equal(t, []string{"page-1", "page-2", "page-3", "page-4", "page-5", "page-6", "page-7"}, ids(t, res))
		assert.Equal(t, 3, n)
		assert.NotContains(t, string(srv.reqs[len(srv.reqs)-3].Body), "start_cursor", "the first page sends the body as the node has it")
		assert.JSONEq(t, `{"page_size": 3, "filter": {"property": "Done", "checkbox": {"equals": true}}, "start_cursor": "cur-6"}`, string(srv.last(t).Body))
	})
	t.Run("hubspot", func(t *testing.T) {
		srv := hubspotSearch(t, 5)
		node := nodeJSON(t, `{"method": "POST", "url": %q, "body": {"kind": "raw", "raw": "{\"limit\": 2, \"sorts\": [\"createdate\"]}"},
			"paginate": {"mode": "cursor", "in": "body", "param": "after", "nextPath": "paging.next.after", "itemsPath": "results"}}`,
			srv.URL+"/crm/v3/objects/contacts/search")
		res, n := pullAll(t, srv, node)
		assert.Equal(t, []string{"1", "2", "3", "4", "5"}, ids(t, res))
		assert.Equal(t, 3, n, "the last page has no paging.next: no request past it")
	})
	t.Run("graphql", func(t *testing.T) {
		srv := shopifyGraphQL(t, 5, 2)
		node := nodeJSON(t, `{"method": "POST", "url": %q,
			"body": {"kind": "raw", "raw": "{\"query\": \"query($cursor: String) { orders(first: 2, after: $cursor) { nodes { id } pageInfo { hasNextPage endCursor } } }\", \"variables\": {}}"},
			"paginate": {"mode": "cursor", "in": "body", "param": "variables.cursor", "nextPath": "data.orders.pageInfo.endCursor",
				"hasMorePath": "data.orders.pageInfo.hasNextPage", "itemsPath": "data.orders.nodes"}}`, srv.URL+"/admin/api/2024-01/graphql.json")
		res, n := pullAll(t, srv, node)
		assert.Len(t, ids(t, res), 5)
		assert.Equal(t, 3, n)
		assert.Contains(t, lastNotes(res), `the pull ended: hasMorePath "data.orders.pageInfo.hasNextPage" is false`)
	})
	t.Run("header", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			from, _ := strconv.Atoi(r.Header.Get("X-Page-Token"))
			next := ""
			if from < 4 {
				next = strconv.Itoa(from + 2)
			}
			fmt.Fprintf(w, `{"items":[%d,%d],"next":%q}`, from, from+1, next)
		})
		node := nodeJSON(t, `{"url": %q, "paginate": {"mode": "cursor", "in": "header", "param": "X-Page-Token", "nextPath": "next", "itemsPath": "items"}}`, srv.URL)
		res, n := pullAll(t, srv, node)
		assert.JSONEq(t, `[0,1,2,3,4,5]`, string(res.Body))
		assert.Equal(t, 3, n)
	})
}

// TestPaginateStopRules (finding 3): Stripe (has_more), Zendesk
// (meta.has_more), Jira (total) and Mailchimp (total_items) each made one
// request past the end. hasMorePath and totalPath end the pull on the
// last page.
func TestPaginateStopRules(t *testing.T) {
	t.Run("stripe", func(t *testing.T) {
		srv := stripeList(t, 7)
		node := nodeJSON(t, `{"url": %q, "query": [{"key": "limit", "value": "3"}],
			"paginate": {"mode": "cursor", "param": "starting_after", "nextPath": "data.@reverse.0.id", "hasMorePath": "has_more", "itemsPath": "data"}}`,
			srv.URL+"/v1/customers")
		res, n := pullAll(t, srv, node)
		assert.Len(t, ids(t, res), 7)
		assert.Equal(t, 3, n, "has_more false on the third page")
		assert.Contains(t, lastNotes(res), `the pull ended: hasMorePath "has_more" is false`)
	})
	t.Run("zendesk", func(t *testing.T) {
		srv := zendeskTickets(t, 5)
		node := nodeJSON(t, `{"url": %q, "query": [{"key": "page[size]", "value": "2"}],
			"paginate": {"mode": "cursor", "param": "page[after]", "nextPath": "meta.after_cursor", "hasMorePath": "meta.has_more", "itemsPath": "tickets"}}`,
			srv.URL+"/api/v2/tickets.json")
		res, n := pullAll(t, srv, node)
		assert.Len(t, ids(t, res), 5)
		assert.Equal(t, 3, n)
	})
	t.Run("mailchimp", func(t *testing.T) {
		srv := mailchimpMembers(t, 25)
		node := nodeJSON(t, `{"url": %q, "query": [{"key": "count", "value": "10"}],
			"paginate": {"mode": "offset", "param": "offset", "size": 10, "totalPath": "total_items", "itemsPath": "members"}}`,
			srv.URL+"/3.0/lists/4ca5becb8d/members")
		res, n := pullAll(t, srv, node)
		assert.Len(t, ids(t, res), 25)
		assert.Equal(t, 3, n)
	})
	t.Run("jira page mode", func(t *testing.T) {
		srv := jiraSearch(t, 100)
		node := nodeJSON(t, `{"url": %q, "paginate": {"mode": "offset", "param": "startAt", "size": 50, "totalPath": "total", "itemsPath": "issues"}}`, srv.URL)
		res, n := pullAll(t, srv, node)
		assert.Len(t, ids(t, res), 100)
		assert.Equal(t, 2, n, "exactly the total: no empty page asked for")
	})
}

// TestPaginateLiteralKey (finding 4): Microsoft Graph's next link is the
// key "@odata.nextLink", which gjson reads as a modifier: the pull stopped
// after page 1 with no note. A key the body has literally wins.
func TestPaginateLiteralKey(t *testing.T) {
	srv := graphUsers(t, 12)
	node := nodeJSON(t, `{"url": %q, "paginate": {"mode": "next_url", "nextPath": "@odata.nextLink", "itemsPath": "value"}}`, srv.URL+"/v1.0/users?$top=5")
	res, n := pullAll(t, srv, node)
	assert.Len(t, ids(t, res), 12)
	assert.Equal(t, 3, n)
	assert.Contains(t, lastNotes(res), `the pull ended: the page has no next URL at nextPath "@odata.nextLink"`)

	node.Paginate.NextPath = "odata.nextLink"
	res, n = pullAll(t, srv, node)
	assert.Equal(t, 1, n)
	assert.Contains(t, lastNotes(res), `the first page has nothing at nextPath "odata.nextLink", so no other page was asked for; if the list has more pages, check the path`)
}

// TestPaginateStopReasons: the history says, on the last page's attempt,
// why the pull ended.
func TestPaginateStopReasons(t *testing.T) {
	srv := orders(t)
	tests := []struct {
		path string
		pg   string
		note string
	}{
		{"/page", `{"mode": "page", "param": "page", "itemsPath": "data.items"}`, "the pull ended: page 4 has no items"},
		{"/cursor", `{"mode": "cursor", "param": "after", "nextPath": "next", "itemsPath": "data.items"}`, `the pull ended: the page has no next cursor at nextPath "next"`},
		{"/link", `{"mode": "link_header", "itemsPath": "data.items"}`, `the pull ended: the page's Link header has no rel="next"`},
		{"/page", `{"mode": "page", "param": "page", "itemsPath": "data.items", "maxPages": 2}`, "stopped after 2 pages (paginate.maxPages); more pages may exist"},
	}
	for _, tt := range tests {
		t.Run(tt.pg, func(t *testing.T) {
			res, _ := pullAll(t, srv, nodeJSON(t, `{"url": %q, "paginate": %s}`, srv.URL+tt.path, tt.pg))
			assert.Contains(t, lastNotes(res), tt.note)
			for _, a := range res.Attempts[:len(res.Attempts)-1] {
				assert.Empty(t, a.Notes, "only the last page says why the pull ended")
			}
		})
	}
}

// TestPaginateValidateIn: where the page parameter goes is checked before
// anything is sent.
func TestPaginateValidateIn(t *testing.T) {
	raw := &Body{Kind: BodyRaw, Raw: `{"page_size": 100}`}
	bad := []struct {
		name  string
		node  NodeConfig
		field string
	}{
		{"unknown place", NodeConfig{URL: "https://x.test", Paginate: &Pagination{Mode: "page", Param: "p", In: "cookie"}}, "paginate.in"},
		{"body without body", NodeConfig{Method: "POST", URL: "https://x.test", Paginate: &Pagination{Mode: "cursor", Param: "c", NextPath: "n", In: "body"}}, "paginate.in"},
		{"body not JSON", NodeConfig{Method: "POST", URL: "https://x.test", Body: &Body{Kind: BodyRaw, ContentType: "text/plain"}, Paginate: &Pagination{Mode: "cursor", Param: "c", NextPath: "n", In: "body"}}, "paginate.in"},
		{"body path with modifier", NodeConfig{Method: "POST", URL: "https://x.test", Body: raw, Paginate: &Pagination{Mode: "cursor", Param: "a.#.b", NextPath: "n", In: "body"}}, "paginate.param"},
		{"body path with index", NodeConfig{Method: "POST", URL: "https://x.test", Body: raw, Paginate: &Pagination{Mode: "cursor", Param: "a.0", NextPath: "n", In: "body"}}, "paginate.param"},
		{"header name", NodeConfig{URL: "https://x.test", Paginate: &Pagination{Mode: "cursor", Param: "bad header", NextPath: "n", In: "header"}}, "paginate.param"},
		{"in on next_url", NodeConfig{URL: "https://x.test", Paginate: &Pagination{Mode: "next_url", NextPath: "n", In: "header"}}, "paginate.in"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var ce *ConfigError
			require.ErrorAs(t, tt.node.Validate(), &ce)
			assert.True(t, slices.ContainsFunc(ce.Problems, func(p Problem) bool { return p.Field == tt.field }), "%v", ce.Problems)
		})
	}
	ok := []NodeConfig{
		{Method: "POST", URL: "https://x.test", Body: raw, Paginate: &Pagination{Mode: "cursor", Param: "variables.cursor", NextPath: "n", In: "body"}},
		{Method: "POST", URL: "https://x.test", Body: raw, Paginate: &Pagination{Mode: "offset", Param: "startAt", Size: 50, In: "body", TotalPath: "total"}},
		{URL: "https://x.test", Paginate: &Pagination{Mode: "page", Param: "X-Page", In: "header", HasMorePath: "has_more"}},
	}
	for _, n := range ok {
		assert.NoError(t, n.Validate())
	}
}

// TestPaginateOffsetInBody: Jira's POST search takes startAt in the body;
// offset mode sets it on every page, moving by the items each page held.
func TestPaginateOffsetInBody(t *testing.T) {
	issues := keys("PROJ-", 60)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		var in struct{ StartAt, MaxResults int }
		json.NewDecoder(r.Body).Decode(&in)
		writeJSON(w, 200, map[string]any{"startAt": in.StartAt, "maxResults": 25, "total": 60, "issues": slab(issues, in.StartAt, min(in.MaxResults, 25))})
	})
	node := nodeJSON(t, `{"method": "POST", "url": %q, "body": {"kind": "raw", "raw": "{\"jql\": \"project = PROJ\", \"maxResults\": 100}"},
		"paginate": {"mode": "offset", "in": "body", "param": "startAt", "size": 100, "totalPath": "total", "itemsPath": "issues"}}`, srv.URL+"/rest/api/2/search")
	res, n := pullAll(t, srv, node)
	assert.Len(t, ids(t, res), 60)
	assert.Equal(t, 3, n)
	assert.JSONEq(t, `{"jql": "project = PROJ", "maxResults": 100, "startAt": 50}`, string(srv.last(t).Body))
}

// TestPaginateNextExpected: a page whose stop rule says more follow but
// that has nothing at nextPath ends the pull with a note pointing at the
// path, on any page.
func TestPaginateNextExpected(t *testing.T) {
	srv := stripeList(t, 7)
	res, n := pullAll(t, srv, nodeJSON(t, `{"url": %q, "query": [{"key": "limit", "value": "3"}],
		"paginate": {"mode": "cursor", "param": "starting_after", "nextPath": "data.last.id", "hasMorePath": "has_more", "itemsPath": "data"}}`, srv.URL))
	assert.Equal(t, 1, n)
	assert.Contains(t, lastNotes(res), `the pull ended early: hasMorePath "has_more" says more pages follow, but the page has nothing at nextPath "data.last.id"; check the path`)

	wx := wechatFollowers(t, 5, 2)
	res, _ = pullAll(t, wx, nodeJSON(t, `{"url": %q, "query": [{"key": "access_token", "value": "ACCESS_TOKEN"}],
		"paginate": {"mode": "cursor", "param": "next_openid", "nextPath": "nextOpenid", "itemsPath": "data.openid", "totalPath": "total"}}`, wx.URL))
	assert.Contains(t, lastNotes(res), `the pull ended early: 2 of 5 items arrived (totalPath "total"), but the page has nothing at nextPath "nextOpenid"; check the path`)
}
