package httpstep

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
