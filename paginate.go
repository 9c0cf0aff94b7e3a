package httpstep

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Pagination pulls every page of a list. A paginated Execute returns a Result
// whose Body is one JSON array of every page's items, in order (so Rows("")
// is the whole pull); it stops at an empty page, an empty cursor or next URL,
// a Link header without rel="next", or MaxPages.
type Pagination struct {
	Mode      string `json:"mode"`               // "page" | "offset" | "cursor" | "next_url" | "link_header"
	Param     string `json:"param,omitempty"`    // query parameter carrying the page number, offset or cursor
	Start     int    `json:"start,omitempty"`    // first page number (default 1) or offset (default 0)
	Size      int    `json:"size,omitempty"`     // offset mode: how far one page moves
	ItemsPath string `json:"itemsPath"`          // gjson path of the items array in each page
	NextPath  string `json:"nextPath,omitempty"` // cursor: path of the next cursor; next_url: path of the next URL
	MaxPages  int    `json:"maxPages,omitempty"` // default 100
}

// The pagination modes, the values of Pagination.Mode.
const (
	PaginatePage       = "page"        // a page number in Param, from Start (default 1)
	PaginateOffset     = "offset"      // an offset in Param, from Start, moving by Size
	PaginateCursor     = "cursor"      // the cursor at NextPath of each page, in Param
	PaginateNextURL    = "next_url"    // the URL at NextPath of each page
	PaginateLinkHeader = "link_header" // the rel="next" URL of the Link header
)

// validate records the pagination's problems.
func (p *Pagination) validate(e *ConfigError) {
	switch p.Mode {
	case PaginatePage, PaginateOffset, PaginateCursor:
		if p.Param == "" {
			e.add("paginate.param", "name the query parameter that carries the "+p.Mode)
		}
	case PaginateNextURL, PaginateLinkHeader:
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
}

// DefaultMaxPages bounds a paginated pull whose node sets no MaxPages.
const DefaultMaxPages = 100

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
	page := first.withURL(pg.pageURL(first.url, nil, "", 0))
	seen := map[string]bool{}
	for i := 0; ; i++ {
		if key := page.url.String(); seen[key] {
			break
		} else {
			seen[key] = true
		}
		res := c.send(ctx, page)
		out.absorb(res, 0)
		if res.Failure != nil {
			break
		}
		n, err := items.add(res.Body, pg.ItemsPath)
		if err != nil {
			out.Failure = tooLargeFailure(err, res.StatusCode)
			break
		}
		next, more := pg.next(res, n, page.url)
		if !more {
			out.note(pg.stopReason(res, n, i))
			break
		}
		if i == pg.maxPages()-1 {
			out.note(fmt.Sprintf("stopped after %d pages (paginate.maxPages); more pages may exist", pg.maxPages()))
			break
		}
		cursor := pg.cursorOf(res)
		page = page.forPage(first, pg.pageURL(first.url, next, cursor, i+1), cursor)
	}
	out.Body = items.bytes()
	return out
}

// stopReason explains, for the history, a pull that ended on page i
// (0-based) with n items: only a first page without items is worth a note,
// since it usually means itemsPath is wrong.
func (p *Pagination) stopReason(res *Result, n, i int) string {
	if n > 0 || i > 0 {
		return ""
	}
	if p.ItemsPath != "" && !res.Get(p.ItemsPath).Exists() {
		return fmt.Sprintf("the first page has nothing at itemsPath %q, so the pull is empty; check the path", p.ItemsPath)
	}
	return "the first page has no items"
}

func (p *Pagination) maxPages() int {
	if p.MaxPages > 0 {
		return p.MaxPages
	}
	return DefaultMaxPages
}

// pageURL is the URL of page i: page and offset modes set their parameter
// on the first page's URL; cursor mode sets the cursor from the page before;
// next_url and link_header follow the next URL they were given.
func (p *Pagination) pageURL(first, next *url.URL, cursor string, i int) *url.URL {
	switch p.Mode {
	case PaginatePage:
		start := p.Start
		if start == 0 {
			start = 1
		}
		return withParam(first, p.Param, strconv.Itoa(start+i))
	case PaginateOffset:
		return withParam(first, p.Param, strconv.Itoa(p.Start+i*p.Size))
	case PaginateCursor:
		if i == 0 {
			return first
		}
		return withParam(first, p.Param, cursor)
	}
	if i == 0 {
		return first
	}
	return next
}

// next reports whether there is a page after res, and its URL for the
// next_url and link_header modes.
func (p *Pagination) next(res *Result, items int, cur *url.URL) (*url.URL, bool) {
	if items == 0 {
		return nil, false
	}
	switch p.Mode {
	case PaginateCursor:
		return cur, p.cursorOf(res) != ""
	case PaginateNextURL:
		return resolveNext(cur, res.Get(p.NextPath).String())
	case PaginateLinkHeader:
		return resolveNext(cur, nextLink(res.Header.Values("Link")))
	}
	return cur, true
}

// cursorOf is the next cursor in a cursor-mode page.
func (p *Pagination) cursorOf(res *Result) string {
	if p.Mode != PaginateCursor {
		return ""
	}
	return res.Get(p.NextPath).String()
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
