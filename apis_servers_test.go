package httpstep

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Loopback emulations of well-known APIs, each answering as its public
// documentation describes (field names, caps, the shape of the last page),
// so the nodes the README teaches are run against what they meet in
// production. Every emulation is a recorder: tests count what arrived.

// nodeJSON reads a stored node as the product saves it.
func nodeJSON(t testing.TB, format string, args ...any) *NodeConfig {
	t.Helper()
	var n NodeConfig
	if err := json.Unmarshal([]byte(fmt.Sprintf(format, args...)), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// keys are n item keys with prefix p: p1, p2, ...
func keys(p string, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"id": fmt.Sprintf("%s%d", p, i+1)}
	}
	return out
}

// slab is items[from:from+size], clamped.
func slab(items []map[string]any, from, size int) []map[string]any {
	from = min(max(from, 0), len(items))
	return items[from:min(from+size, len(items))]
}

// jiraSearch emulates Jira's GET /rest/api/2/search: startAt and
// maxResults in the query, and, as Atlassian's docs warn, a server-side
// cap (here 50) on maxResults, which the answer reports as the maxResults
// it applied. The answer carries total.
func jiraSearch(t testing.TB, total int) *recorder {
	issues := keys("PROJ-", total)
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		start, _ := strconv.Atoi(q.Get("startAt"))
		size, err := strconv.Atoi(q.Get("maxResults"))
		if err != nil || size > 50 {
			size = 50
		}
		writeJSON(w, 200, map[string]any{"expand": "names,schema", "startAt": start, "maxResults": size,
			"total": total, "issues": slab(issues, start, size)})
	})
}

// notionQuery emulates Notion's POST /v1/databases/{id}/query: page_size
// and start_cursor in the JSON body (start_cursor absent on the first
// page; an unknown cursor is a 400 validation_error), results, has_more
// and next_cursor (null on the last page) in the answer.
func notionQuery(t testing.TB, total int) *recorder {
	pages := keys("page-", total)
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			PageSize    int     `json:"page_size"`
			StartCursor *string `json:"start_cursor"`
		}
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || json.Unmarshal(body, &in) != nil {
			writeJSON(w, 400, map[string]any{"object": "error", "status": 400, "code": "invalid_json"})
			return
		}
		from := 0
		if in.StartCursor != nil {
			n, err := strconv.Atoi(strings.TrimPrefix(*in.StartCursor, "cur-"))
			if err != nil {
				writeJSON(w, 400, map[string]any{"object": "error", "status": 400, "code": "validation_error", "message": "start_cursor is invalid"})
				return
			}
			from = n
		}
		size := min(max(in.PageSize, 1), 100)
		got := slab(pages, from, size)
		var next any
		if from+len(got) < total {
			next = fmt.Sprintf("cur-%d", from+len(got))
		}
		writeJSON(w, 200, map[string]any{"object": "list", "results": got, "next_cursor": next,
			"has_more": next != nil, "type": "page_or_database"})
	})
}

// hubspotSearch emulates HubSpot's POST /crm/v3/objects/contacts/search:
// limit and after in the JSON body; total, results and
// paging.next.after (no paging on the last page) in the answer.
func hubspotSearch(t testing.TB, total int) *recorder {
	contacts := keys("", total)
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Limit int    `json:"limit"`
			After string `json:"after"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		from, _ := strconv.Atoi(in.After)
		got := slab(contacts, from, max(in.Limit, 1))
		out := map[string]any{"total": total, "results": got}
		if from+len(got) < total {
			after := strconv.Itoa(from + len(got))
			out["paging"] = map[string]any{"next": map[string]any{"after": after, "link": "?after=" + after}}
		}
		writeJSON(w, 200, out)
	})
}

// shopifyGraphQL emulates a GraphQL connection as Shopify's Admin API
// serves it: POST {"query", "variables": {"cursor": ...}}, answered with
// data.orders.nodes and data.orders.pageInfo {hasNextPage, endCursor}.
// A request without a query is answered 200 with an errors member, as
// GraphQL servers do.
func shopifyGraphQL(t testing.TB, total, first int) *recorder {
	orders := keys("gid://shopify/Order/", total)
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Query     string `json:"query"`
			Variables struct {
				Cursor *string `json:"cursor"`
			} `json:"variables"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		if in.Query == "" {
			writeJSON(w, 200, map[string]any{"errors": []any{map[string]any{"message": "No query string was present",
				"extensions": map[string]any{"code": "BAD_REQUEST"}}}})
			return
		}
		from := 0
		if c := in.Variables.Cursor; c != nil {
			from, _ = strconv.Atoi(strings.TrimPrefix(*c, "eyJsYXN0X2lkIjo"))
		}
		got := slab(orders, from, first)
		end := "eyJsYXN0X2lkIjo" + strconv.Itoa(from+len(got))
		writeJSON(w, 200, map[string]any{"data": map[string]any{"orders": map[string]any{"nodes": got,
			"pageInfo": map[string]any{"hasNextPage": from+len(got) < total, "endCursor": end}}},
			"extensions": map[string]any{"cost": map[string]any{"requestedQueryCost": 12}}})
	})
}

// stripeList emulates a Stripe list endpoint (GET /v1/customers): limit
// and starting_after (an object id) in the query; object "list", data and
// has_more in the answer. After the last object, data is empty.
func stripeList(t testing.TB, total int) *recorder {
	customers := keys("cus_", total)
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		limit = min(max(limit, 1), 100)
		from := 0
		if after := q.Get("starting_after"); after != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(after, "cus_"))
			if err != nil {
				writeJSON(w, 400, map[string]any{"error": map[string]any{"type": "invalid_request_error", "code": "resource_missing"}})
				return
			}
			from = n
		}
		got := slab(customers, from, limit)
		writeJSON(w, 200, map[string]any{"object": "list", "url": "/v1/customers", "has_more": from+len(got) < total, "data": got})
	})
}

// zendeskTickets emulates Zendesk's cursor pagination (GET
// /api/v2/tickets.json?page[size]=N&page[after]=C): tickets, meta.has_more
// and meta.after_cursor, which stays set on the last page.
func zendeskTickets(t testing.TB, total int) *recorder {
	tickets := keys("", total)
	var srv *recorder
	srv = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		size, _ := strconv.Atoi(q.Get("page[size]"))
		from, _ := strconv.Atoi(q.Get("page[after]"))
		got := slab(tickets, from, max(size, 1))
		after := strconv.Itoa(from + len(got))
		writeJSON(w, 200, map[string]any{"tickets": got,
			"meta":  map[string]any{"has_more": from+len(got) < total, "after_cursor": after, "before_cursor": strconv.Itoa(from)},
			"links": map[string]any{"next": srv.URL + "/api/v2/tickets.json?page[size]=" + strconv.Itoa(size) + "&page[after]=" + after}})
	})
	return srv
}

// mailchimpMembers emulates Mailchimp's GET /3.0/lists/{id}/members:
// count and offset in the query; members and total_items in the answer.
func mailchimpMembers(t testing.TB, total int) *recorder {
	members := keys("member-", total)
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		count, err := strconv.Atoi(q.Get("count"))
		if err != nil {
			count = 10
		}
		offset, _ := strconv.Atoi(q.Get("offset"))
		writeJSON(w, 200, map[string]any{"members": slab(members, offset, min(count, 1000)), "list_id": "4ca5becb8d", "total_items": total})
	})
}

// graphUsers emulates Microsoft Graph's GET /v1.0/users?$top=N: value
// holds the page, and "@odata.nextLink" (a key with a dot in it) the
// absolute URL of the next page, absent on the last.
func graphUsers(t testing.TB, total int) *recorder {
	users := keys("user-", total)
	var srv *recorder
	srv = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		top, err := strconv.Atoi(q.Get("$top"))
		if err != nil {
			top = 100
		}
		from, _ := strconv.Atoi(strings.TrimPrefix(q.Get("$skiptoken"), "X%27"))
		got := slab(users, from, top)
		out := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": got}
		if from+len(got) < total {
			out["@odata.nextLink"] = fmt.Sprintf("%s/v1.0/users?$top=%d&$skiptoken=X%%2527%d", srv.URL, top, from+len(got))
		}
		writeJSON(w, 200, out)
	})
	return srv
}

// wechatFollowers emulates WeChat's GET /cgi-bin/user/get: with a valid
// access_token, total, count, data.openid and next_openid (empty once the
// list is done), and no errcode at all; with a bad one, HTTP 200
// {"errcode":40013,"errmsg":"invalid appid"}.
func wechatFollowers(t testing.TB, total, per int) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("access_token") != "ACCESS_TOKEN" {
			writeJSON(w, 200, map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
			return
		}
		from := 0
		if n := q.Get("next_openid"); n != "" {
			from, _ = strconv.Atoi(strings.TrimPrefix(n, "OPENID"))
		}
		ids := []string{}
		for i := from + 1; i <= min(from+per, total); i++ {
			ids = append(ids, "OPENID"+strconv.Itoa(i))
		}
		next := ""
		if len(ids) > 0 && from+len(ids) < total {
			next = ids[len(ids)-1]
		}
		writeJSON(w, 200, map[string]any{"total": total, "count": len(ids), "data": map[string]any{"openid": ids}, "next_openid": next})
	})
}

// openaiErrors are OpenAI's two 429 bodies: the quota is spent (retrying
// cannot help), or the rate limit was hit (it can).
var openaiErrors = map[string]string{
	"insufficient_quota":  `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
	"rate_limit_exceeded": `{"error":{"message":"Rate limit reached for gpt-4o in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
}

// openaiChat emulates POST /v1/chat/completions answering 429 with the
// body of code for the first fails requests, then 200.
func openaiChat(t testing.TB, code string, fails int) *recorder {
	var srv *recorder
	srv = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if srv.count() <= fails {
			w.WriteHeader(429)
			io.WriteString(w, openaiErrors[code])
			return
		}
		io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"}}]}`)
	})
	return srv
}

// githubLimited emulates GitHub's primary rate limit on GET
// /repos/{owner}/{repo}/issues: the first limited requests answer 403 with
// x-ratelimit-remaining 0 and x-ratelimit-reset at reset (UTC epoch
// seconds), as GitHub's docs describe; then the issues.
func githubLimited(t testing.TB, limited int, reset time.Time) *recorder {
	var srv *recorder
	srv = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("X-GitHub-Media-Type", "github.v3; format=json")
		h.Set("x-ratelimit-limit", "60")
		h.Set("x-ratelimit-reset", strconv.FormatInt(reset.Unix(), 10))
		h.Set("x-ratelimit-resource", "core")
		if srv.count() <= limited {
			h.Set("x-ratelimit-remaining", "0")
			h.Set("x-ratelimit-used", "60")
			w.WriteHeader(403)
			io.WriteString(w, `{"message":"API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`)
			return
		}
		h.Set("x-ratelimit-remaining", "59")
		io.WriteString(w, `[{"number":1347,"title":"Found a bug","state":"open"}]`)
	})
	return srv
}

// googleOperation emulates a Google long-running operation: POST
// /v1/projects/p/locations/l/instances answers 200 with an Operation
// {"name": "projects/p/locations/l/operations/operation-1", "done": false};
// GET /v1/{name} answers it again, done false for running polls, then done
// true with the response.
func googleOperation(t testing.TB, running int) *recorder {
	const name = "projects/p/locations/us-central1/operations/operation-1"
	var polls int
	var mu sync.Mutex
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		meta := map[string]any{"@type": "type.googleapis.com/google.cloud.common.OperationMetadata", "target": "projects/p/locations/us-central1/instances/i1", "verb": "create"}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/projects/p/locations/us-central1/instances":
			writeJSON(w, 200, map[string]any{"name": name, "metadata": meta, "done": false})
		case r.Method == http.MethodGet && r.URL.EscapedPath() == "/v1/"+name:
			mu.Lock()
			polls++
			n := polls
			mu.Unlock()
			if n <= running {
				writeJSON(w, 200, map[string]any{"name": name, "metadata": meta, "done": false})
				return
			}
			writeJSON(w, 200, map[string]any{"name": name, "metadata": meta, "done": true,
				"response": map[string]any{"@type": "type.googleapis.com/google.cloud.Instance", "name": "projects/p/locations/us-central1/instances/i1", "state": "READY"}})
		default:
			writeJSON(w, 404, map[string]any{"error": map[string]any{"code": 404, "message": "not found: " + r.URL.EscapedPath(), "status": "NOT_FOUND"}})
		}
	})
}

// openaiBatches emulates OpenAI's batches: POST /v1/batches answers 200
// with the batch, status "validating"; GET /v1/batches/{id} walks it
// through the statuses given, the last repeated.
func openaiBatches(t testing.TB, statuses ...string) *recorder {
	var polls int
	var mu sync.Mutex
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		batch := map[string]any{"id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": "file-abc123",
			"completion_window": "24h", "status": "validating", "request_counts": map[string]any{"total": 100, "completed": 0, "failed": 0}}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/batches":
			writeJSON(w, 200, batch)
		case r.Method == http.MethodGet && r.URL.Path == "/v1/batches/batch_abc123":
			mu.Lock()
			batch["status"] = statuses[min(polls, len(statuses)-1)]
			polls++
			mu.Unlock()
			if batch["status"] == "completed" {
				batch["output_file_id"] = "file-cvaTdG"
				batch["request_counts"] = map[string]any{"total": 100, "completed": 95, "failed": 5}
			}
			writeJSON(w, 200, batch)
		default:
			writeJSON(w, 404, map[string]any{"error": map[string]any{"message": "No batch found", "type": "invalid_request_error"}})
		}
	})
}

// githubIssues emulates GitHub's GET /repos/{owner}/{repo}/issues with
// per_page and page, a Link header with rel="next" (and "last") while
// pages remain, and the rate-limit headers; the first request meets the
// primary limit (403, x-ratelimit-remaining 0, a reset a second away).
func githubIssues(t testing.TB, total int) *recorder {
	issues := make([]map[string]any, total)
	for i := range issues {
		issues[i] = map[string]any{"id": fmt.Sprint(1000 + i), "number": i + 1, "state": "open"}
	}
	var srv *recorder
	srv = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("x-ratelimit-limit", "5000")
		h.Set("x-ratelimit-reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
		if srv.count() == 1 {
			h.Set("x-ratelimit-remaining", "0")
			writeJSON(w, 403, map[string]any{"message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"})
			return
		}
		if r.Header.Get("Authorization") != "Bearer ghp_test" {
			writeJSON(w, 401, map[string]any{"message": "Bad credentials"})
			return
		}
		h.Set("x-ratelimit-remaining", "4999")
		q := r.URL.Query()
		per, _ := strconv.Atoi(q.Get("per_page"))
		per = min(max(per, 1), 100)
		page, _ := strconv.Atoi(q.Get("page"))
		page = max(page, 1)
		last := (total + per - 1) / per
		if page < last {
			link := func(p int) string {
				return fmt.Sprintf("<%s%s?state=open&per_page=%d&page=%d>", srv.URL, r.URL.Path, per, p)
			}
			h.Set("Link", link(page+1)+`; rel="next", `+link(last)+`; rel="last"`)
		}
		writeJSON(w, 200, slab(issues, (page-1)*per, per))
	})
	return srv
}
