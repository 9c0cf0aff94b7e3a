package httpstep

import "fmt"

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

// validate records the pagination's problems.
func (p *Pagination) validate(e *ConfigError) {
	switch p.Mode {
	case "page", "offset", "cursor":
		if p.Param == "" {
			e.add("paginate.param", "name the query parameter that carries the "+p.Mode)
		}
	case "next_url", "link_header":
	default:
		e.add("paginate.mode", fmt.Sprintf("%q is not a pagination mode: use page, offset, cursor, next_url or link_header", p.Mode))
	}
	if (p.Mode == "cursor" || p.Mode == "next_url") && p.NextPath == "" {
		e.add("paginate.nextPath", "say where the next "+map[bool]string{true: "cursor", false: "URL"}[p.Mode == "cursor"]+" is in each page, e.g. \"next\"")
	}
	if p.Mode == "offset" && p.Size <= 0 {
		e.add("paginate.size", "say how many items one page holds")
	}
	if p.MaxPages < 0 || p.Start < 0 {
		e.add("paginate", "start and maxPages cannot be negative")
	}
}
