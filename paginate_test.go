package httpstep

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
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
