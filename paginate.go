package httpstep

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"golang.org/x/net/http/httpguts"
)

// Pagination pulls every page of a list. A paginated Execute returns a Result
// whose Body is one JSON array of every page's items, in order (so Rows("")
// is the whole pull).
//
// The pull ends after a page without items, a page whose HasMorePath value
// is false, null, 0, "" or absent, once TotalPath's count of items has
// arrived, at an empty cursor or next URL, at a Link header without
// rel="next", at a page that would repeat an earlier request, or after
// MaxPages pages; the last page's attempt record says which. A page with
// fewer items than Size is not the end: servers cap pages below what was
// asked (Jira does), so offset mode moves by the items each page held.
//
// Param goes where In says: the query (default), a request header, or, with
// "body", a dotted path set in the raw JSON body ("start_cursor",
// "variables.cursor"). Page and offset modes set it on every page; cursor
// mode sends the first page as the node renders it and sets the cursor
// from the second page on. Every path (ItemsPath, NextPath, HasMorePath,
// TotalPath) is a gjson path, except that a path naming a key the body has
// literally ("@odata.nextLink") reads that key.
type Pagination struct {
	Mode        string `json:"mode"`                  // "page" | "offset" | "cursor" | "next_url" | "link_header"
	Param       string `json:"param,omitempty"`       // the parameter carrying the page number, offset or cursor
	In          string `json:"in,omitempty"`          // where Param goes: "query" (default) | "header" | "body"
	Start       int    `json:"start,omitempty"`       // first page number (default 1) or offset (default 0)
	Size        int    `json:"size,omitempty"`        // offset mode: the page size asked for; the offset moves by the items a page held
	ItemsPath   string `json:"itemsPath"`             // gjson path of the items array in each page
	NextPath    string `json:"nextPath,omitempty"`    // cursor: path of the next cursor; next_url: path of the next URL
	HasMorePath string `json:"hasMorePath,omitempty"` // a value in each page; false, null, 0, "" or absent ends the pull after that page
	TotalPath   string `json:"totalPath,omitempty"`   // the total item count; the pull ends once that many items arrived
	MaxPages    int    `json:"maxPages,omitempty"`    // default 100
}

// The pagination modes, the values of Pagination.Mode (untyped, as the field
// is a plain string in the node's contract).
const (
	PaginatePage       = "page"        // a page number in Param, from Start (default 1)
	PaginateOffset     = "offset"      // an offset in Param, from Start, moving by the items each page held
	PaginateCursor     = "cursor"      // the cursor at NextPath of each page, in Param
	PaginateNextURL    = "next_url"    // the URL at NextPath of each page
	PaginateLinkHeader = "link_header" // the rel="next" URL of the Link header
)

// The places of Pagination.Param, the values of Pagination.In (untyped, as
// the field is a plain string).
const (
	PageInQuery  = "query"  // a query parameter (the default)
	PageInHeader = "header" // a request header
	PageInBody   = "body"   // a dotted path in the raw JSON body
)

// validate records the pagination's problems; body is the node's body.
func (p *Pagination) validate(e *ConfigError, body *Body) {
	switch p.Mode {
	case PaginatePage, PaginateOffset, PaginateCursor:
		if p.Param == "" {
			e.add("paginate.param", "name the "+p.place()+" that carries the "+p.Mode)
		}
	case PaginateNextURL, PaginateLinkHeader:
		if p.In != "" && p.In != PageInQuery {
			e.add("paginate.in", "only page, offset and cursor modes place a parameter; "+p.Mode+" follows the URL it is given")
		}
	default:
		e.add("paginate.mode", fmt.Sprintf("%q is not a pagination mode: use page, offset, cursor, next_url or link_header", p.Mode))
	}
	switch {
	case p.Mode == PaginateCursor && p.NextPath == "":
		e.add("paginate.nextPath", "say where the next cursor is in each page, e.g. \"next\"")
	case p.Mode == PaginateNextURL && p.NextPath == "":
		e.add("paginate.nextPath", "say where the next URL is in each page, e.g. \"next\"")
	}
	if p.Mode == PaginateOffset && p.Size <= 0 {
		e.add("paginate.size", "say how many items one page holds")
	}
	if p.MaxPages < 0 || p.Start < 0 {
		e.add("paginate", "start and maxPages cannot be negative")
	}
	p.validateIn(e, body)
}

// validateIn checks where Param goes.
func (p *Pagination) validateIn(e *ConfigError, body *Body) {
	switch p.In {
	case "", PageInQuery:
	case PageInHeader:
		if p.Param != "" && !httpguts.ValidHeaderFieldName(p.Param) {
			e.add("paginate.param", fmt.Sprintf("%q is not a header name", p.Param))
		}
	case PageInBody:
		if body == nil || body.Kind != BodyRaw || !isJSONType(body.contentType()) {
			e.add("paginate.in", "\"body\" sets the parameter in a raw JSON body: give the node one")
		}
		if p.Param != "" && !validBodyPath(p.Param) {
			e.add("paginate.param", fmt.Sprintf("%q is not a dotted path of object keys, such as \"start_cursor\" or \"variables.cursor\"", p.Param))
		}
	default:
		e.add("paginate.in", fmt.Sprintf("%q is not a place for the parameter: use query, header or body", p.In))
	}
}

// place names where Param goes, for messages.
func (p *Pagination) place() string {
	switch p.In {
	case PageInHeader:
		return "header"
	case PageInBody:
		return "body path"
	}
	return "query parameter"
}

// validBodyPath reports whether path is keys joined by dots, with none of
// gjson's or sjson's special characters, so setting it cannot land
// anywhere but where it reads.
func validBodyPath(path string) bool {
	for _, k := range strings.Split(path, ".") {
		if k == "" || strings.ContainsAny(k, "*?|#@!\\=<>%{}[]()\"' ") {
			return false
		}
		if _, err := strconv.Atoi(k); err == nil {
			return false
		}
	}
	return true
}

// DefaultMaxPages bounds a paginated pull whose node sets no MaxPages.
const DefaultMaxPages = 100

// pull is the state of a paginated pull between pages.
type pull struct {
	pg     *Pagination
	first  *outgoing // the first page's request, as rendered
	offset int       // offset mode: the offset of the page being asked for
	got    int       // items so far
	seen   map[string]bool
}

// paginate pulls page after page, starting with request first. Each page
// is one request with its own retries and identity; the Result's Body is one
// JSON array of every page's items in order, its status and headers are the
// last page's, and Attempts holds every exchange. A page that fails ends the
// pull with that failure; the items so far stay readable. The combined body
// is bounded by Client.MaxResponseBytes like a single response.
func (c *Client) paginate(ctx context.Context, first *outgoing) *Result {
	pg := first.step.node.Paginate
	out := first.newResult()
	items := pageItems{limit: first.maxBytes}
	p := &pull{pg: pg, first: first, offset: pg.Start, seen: map[string]bool{}}
	page, f := p.request(first, 0, nil, "")
	for i := 0; f == nil; i++ {
		if p.repeats(page) {
			out.note("the pull ended: the next page would repeat an earlier request (same URL, parameter and body)")
			break
		}
		pctx := c.Hooks.pageStart(ctx, i+1)
		res := c.send(pctx, page, historySeq{before: len(out.Attempts)})
		c.Hooks.pageDone(pctx, res)
		out.absorb(res, 0)
		if res.Failure != nil {
			break
		}
		n, err := items.add(res.list(pg.ItemsPath))
		if err != nil {
			out.Failure = tooLargeFailure(err, res.StatusCode)
			break
		}
		p.got += n
		next, why := p.next(res, n, i, page.url)
		if why != "" {
			out.note(why)
			break
		}
		page, f = p.request(page, i+1, next, pg.cursorOf(res))
	}
	if f != nil && len(out.Attempts) == 0 {
		return page.failedResult(f)
	}
	if f != nil {
		out.Failure = f
		out.note(f.Message)
	}
	out.Body, out.tree = items.bytes(), nil
	return out
}

// repeats reports whether page asks for what an earlier page asked for.
func (p *pull) repeats(page *outgoing) bool {
	key := page.url.String()
	if p.pg.In == PageInHeader {
		key += "\x00" + page.header.Get(p.pg.Param)
	}
	if p.pg.In == PageInBody && page.body != nil {
		key += "\x00" + page.body.data
	}
	if p.seen[key] {
		return true
	}
	p.seen[key] = true
	return false
}

// next decides, after page i (0-based) with n items, whether another page
// follows: it returns the next URL for the next_url and link_header modes,
// or why the pull ends here.
func (p *pull) next(res *Result, n, i int, cur *url.URL) (*url.URL, string) {
	pg := p.pg
	if n == 0 {
		return nil, pg.emptyReason(res, i)
	}
	if why := p.stopRule(res); why != "" {
		return nil, why
	}
	next, more := pg.following(res, cur)
	if !more {
		if why := p.expected(res); why != "" {
			return nil, why
		}
		return nil, pg.noNextReason(res, i)
	}
	if i == pg.maxPages()-1 {
		return nil, fmt.Sprintf("stopped after %d pages (paginate.maxPages); more pages may exist", pg.maxPages())
	}
	if pg.Mode == PaginateOffset {
		p.offset += n
	}
	return next, ""
}

// stopRule applies HasMorePath and TotalPath to a page: why the pull ends
// there, or "".
func (p *pull) stopRule(res *Result) string {
	pg := p.pg
	if pg.HasMorePath != "" {
		if v := pathGet(res.doc(), pg.HasMorePath); !truthy(v) {
			return fmt.Sprintf("the pull ended: hasMorePath %q is %s", pg.HasMorePath, falsyText(v))
		}
	}
	if pg.TotalPath != "" {
		if n, ok := count(pathGet(res.doc(), pg.TotalPath)); ok && p.got >= n {
			return fmt.Sprintf("the pull ended: all %d items arrived (totalPath %q)", n, pg.TotalPath)
		}
	}
	return ""
}

// count reads a TotalPath value: a number, or a string of digits (XML
// answers and some JSON APIs give counts as text).
func count(v gjson.Result) (int, bool) {
	switch v.Type {
	case gjson.Number:
		return int(v.Int()), true
	case gjson.String:
		n, err := strconv.Atoi(strings.TrimSpace(v.Str))
		return n, err == nil
	}
	return 0, false
}

// expected explains a page that names no next page although its stop rule
// says more follow (hasMorePath true, or fewer items than totalPath's
// count): the next cursor or URL is not where the node looks. "" when no
// stop rule expected more.
func (p *pull) expected(res *Result) string {
	pg := p.pg
	if pg.Mode != PaginateCursor && pg.Mode != PaginateNextURL {
		return ""
	}
	switch total, ok := count(pathGet(res.doc(), pg.TotalPath)); {
	case pg.HasMorePath != "":
		return fmt.Sprintf("the pull ended early: hasMorePath %q says more pages follow, but the page has nothing at nextPath %q; check the path", pg.HasMorePath, pg.NextPath)
	case pg.TotalPath != "" && ok && p.got < total:
		return fmt.Sprintf("the pull ended early: %d of %d items arrived (totalPath %q), but the page has nothing at nextPath %q; check the path", p.got, total, pg.TotalPath, pg.NextPath)
	}
	return ""
}

// truthy reports whether a HasMorePath value says more pages follow: not
// false, null, 0, "" or absent ("false" and "0" as strings count as false).
func truthy(v gjson.Result) bool {
	switch v.Type {
	case gjson.True, gjson.JSON:
		return true
	case gjson.Number:
		return v.Float() != 0
	case gjson.String:
		s := strings.TrimSpace(v.Str)
		return s != "" && s != "0" && !strings.EqualFold(s, "false")
	}
	return false
}

// falsyText describes a HasMorePath value that ended the pull.
func falsyText(v gjson.Result) string {
	switch {
	case !v.Exists():
		return "absent"
	case v.Type == gjson.False:
		return "false"
	}
	return clip(v.Raw, 40)
}

// emptyReason explains a pull that ended at page i (0-based) without items;
// on the first page, it points at itemsPath, which is usually wrong.
func (p *Pagination) emptyReason(res *Result, i int) string {
	switch {
	case i > 0:
		return fmt.Sprintf("the pull ended: page %d has no items", i+1)
	case p.ItemsPath != "" && !pathGet(res.doc(), p.ItemsPath).Exists():
		return fmt.Sprintf("the first page has nothing at itemsPath %q, so the pull is empty; check the path", p.ItemsPath)
	}
	return "the first page has no items"
}

// noNextReason explains a pull that ended because page i names no next
// page. On the first page a path that matches nothing is pointed at.
func (p *Pagination) noNextReason(res *Result, i int) string {
	what := "next cursor"
	switch p.Mode {
	case PaginateLinkHeader:
		return `the pull ended: the page's Link header has no rel="next"`
	case PaginateNextURL:
		what = "next URL"
	}
	if i == 0 && !pathGet(res.doc(), p.NextPath).Exists() {
		return fmt.Sprintf("the first page has nothing at nextPath %q, so no other page was asked for; if the list has more pages, check the path", p.NextPath)
	}
	return fmt.Sprintf("the pull ended: the page has no %s at nextPath %q", what, p.NextPath)
}

func (p *Pagination) maxPages() int {
	if p.MaxPages > 0 {
		return p.MaxPages
	}
	return DefaultMaxPages
}

// cursorOf is the next cursor in a cursor-mode page.
func (p *Pagination) cursorOf(res *Result) string {
	if p.Mode != PaginateCursor {
		return ""
	}
	return pathGet(res.doc(), p.NextPath).String()
}

// resolveNext resolves a next URL against the current one; empty means the
// last page. A next URL that does not parse, or is not http(s), ends the
// pull.
func resolveNext(cur *url.URL, next string) (*url.URL, bool) {
	next = strings.TrimSpace(next)
	if next == "" {
		return nil, false
	}
	ref, err := url.Parse(next)
	if err != nil {
		return nil, false
	}
	u := cur.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, false
	}
	normalizeHost(u)
	return u, true
}

// withParam returns u with query parameter key set to value, the rest of
// the query kept exactly as it was.
func withParam(u *url.URL, key, value string) *url.URL {
	c := *u
	pair := url.QueryEscape(key) + "=" + url.QueryEscape(value)
	var kept []string
	if c.RawQuery != "" {
		for _, part := range strings.Split(c.RawQuery, "&") {
			k, _, _ := strings.Cut(part, "=")
			if name, err := url.QueryUnescape(k); err != nil || name != key {
				kept = append(kept, part)
			}
		}
	}
	c.RawQuery = strings.Join(append(kept, pair), "&")
	return &c
}
