package httpstep

import (
	"bytes"
	"github.com/httpstep/httpstep/internal/bytesize"

	"github.com/tidwall/gjson"
)

// pageItems gathers the items of every page into one JSON array, copying
// each item's raw JSON once.
type pageItems struct {
	buf   bytes.Buffer
	limit int64
}

// add appends the items at path in body ("" = the body itself) and returns
// how many there were. A page whose items are missing or not an array
// counts as empty: the pull ends there.
func (p *pageItems) add(body []byte, path string) (int, error) {
	arr := pathGet(body, path)
	if !arr.IsArray() {
		return 0, nil
	}
	n := 0
	var err error
	arr.ForEach(func(_, item gjson.Result) bool {
		if int64(p.buf.Len()+len(item.Raw)+2) > p.limit {
			err = errorf("the pages together are larger than the limit of %s; raise Client.MaxResponseBytes, lower paginate.maxPages or filter the list", bytesize.Format(p.limit))
			return false
		}
		if p.buf.Len() == 0 {
			p.buf.WriteByte('[')
		} else {
			p.buf.WriteByte(',')
		}
		p.buf.WriteString(item.Raw)
		n++
		return true
	})
	return n, err
}

// bytes is the array of every item gathered.
func (p *pageItems) bytes() []byte {
	if p.buf.Len() == 0 {
		return []byte("[]")
	}
	p.buf.WriteByte(']')
	return p.buf.Bytes()
}
