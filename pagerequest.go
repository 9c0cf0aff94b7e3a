package httpstep

import (
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
	"golang.org/x/net/http/httpguts"
)

// request returns the request for page i of the pull: for i 0 the first
// request, else the one after prev, going to next (next_url and
// link_header modes) or asking for cursor (cursor mode), with Param placed
// where Pagination.In says.
func (p *pull) request(prev *outgoing, i int, next *url.URL, cursor string) (*outgoing, *Failure) {
	pg, first := p.pg, p.first
	value, set := p.value(i, cursor)
	u := first.url
	if pg.Mode == PaginateNextURL || pg.Mode == PaginateLinkHeader {
		set = false
		if i > 0 {
			u = next
		}
	}
	if set && pg.in() == PageInQuery {
		u = withParam(first.url, pg.Param, value)
	}
	page := first.withURL(u)
	if i > 0 {
		page = prev.forPage(first, u, cursor)
	}
	if !set {
		return page, nil
	}
	switch pg.in() {
	case PageInHeader:
		return page, page.withHeaderParam(pg.Param, value)
	case PageInBody:
		return page, page.withBodyParam(pg.Param, value, pg.Mode != PaginateCursor)
	}
	return page, nil
}

// in is where Param goes.
func (p *Pagination) in() string {
	if p.In == "" {
		return PageInQuery
	}
	return p.In
}

// value is what Param carries on page i, and whether it is set at all (a
// cursor pull's first page carries none).
func (p *pull) value(i int, cursor string) (string, bool) {
	switch p.pg.Mode {
	case PaginatePage:
		start := p.pg.Start
		if start == 0 {
			start = 1
		}
		return strconv.Itoa(start + i), true
	case PaginateOffset:
		return strconv.Itoa(p.offset), true
	case PaginateCursor:
		return cursor, i > 0
	}
	return "", false
}

// withHeaderParam sets header key to value on this page only. A value from
// the server that HTTP cannot carry in a header fails the page: nothing is
// sent.
func (o *outgoing) withHeaderParam(key, value string) *Failure {
	if !httpguts.ValidHeaderFieldValue(value) {
		return paramFailure(errorf("the next page's %s cannot go in a header: the API's cursor holds a control character or line break", key))
	}
	o.header = o.header.Clone()
	o.header.Set(key, value)
	return nil
}

// withBodyParam sets the dotted path in this page's raw JSON body to value:
// a number for page and offset modes, a string for a cursor. The rest of
// the body is kept byte for byte.
func (o *outgoing) withBodyParam(path, value string, number bool) *Failure {
	var data string
	if o.body != nil {
		data = o.body.data
	}
	if len(data) == 0 {
		data = "{}"
	}
	if !gjson.Valid(data) {
		return paramFailure(errorf("the body is not JSON, so paginate.param %s cannot be set in it; check the raw body and the parameters it uses", path))
	}
	var v any = value
	if number {
		v = json.Number(value)
	}
	out, err := sjson.Set(data, path, v)
	if err != nil {
		return paramFailure(errorf("paginate.param %s cannot be set in the body: %v", path, err))
	}
	b := payload{contentType: "application/json"}
	if o.body != nil {
		b = *o.body
	}
	b.data = out
	o.body = &b
	return nil
}

// following reports whether the page res names a page after it, and that
// page's URL for the next_url and link_header modes (cur otherwise).
func (p *Pagination) following(res *Result, cur *url.URL) (*url.URL, bool) {
	switch p.Mode {
	case PaginateCursor:
		return cur, p.cursorOf(res) != ""
	case PaginateNextURL:
		return resolveNext(cur, pathGet(res.doc(), p.NextPath).String())
	case PaginateLinkHeader:
		return resolveNext(cur, nextLink(res.Header.Values("Link")))
	}
	return cur, true
}
