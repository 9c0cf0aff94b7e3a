package httpstep

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/tidwall/gjson"
	"golang.org/x/text/encoding/htmlindex"
)

// XML answers (SOAP and the many enterprise and government APIs that
// answer application/xml or text/xml) are read through one mapping to a
// JSON tree, so every path a node has (success.errorCodePath,
// paginate.itemsPath, output fields, Result.Get, Lookup, Rows) reads them
// as it reads JSON. Result.Body keeps the XML as it came. The mapping:
//
//   - the document is an object with one member, the root element:
//     <a><b>1</b></a> is {"a": {"b": "1"}};
//   - elements are named by their local name, without namespace prefix
//     (soap:Envelope is "Envelope");
//   - an element with neither attributes nor child elements is its text,
//     a string (XML has no numbers; "" when empty);
//   - otherwise it is an object: each attribute a member named "-" + its
//     local name ("-id"), each child element a member by its name, and its
//     text, when it has any besides whitespace, the member "_";
//   - sibling elements with the same name are an array, in document order;
//     one element alone is not, and Rows and paginate.itemsPath take a
//     single element where they expect a list as a list of one;
//   - comments, processing instructions and the DOCTYPE are left out; no
//     DTD is read and no entity but XML's five and character references is
//     expanded (encoding/xml's rules), so no document can reach out or grow.
//
// The tree is bounded as JSON is: at most maxRowsNesting levels deep and
// no larger than Client.MaxResponseBytes.
//
// encoding/xml's streaming Decoder does the parsing: it is the standard
// library's, reads tokens without building its own tree, and never
// expands external entities.

// isXMLType reports whether a Content-Type value is XML of any kind.
func isXMLType(ct string) bool {
	mt, _ := parseContentType(ct)
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// xnode is an element being read.
type xnode struct {
	name  string
	attrs []xml.Attr
	kids  []*xnode
	text  strings.Builder
}

// xmlTree converts an XML document to its JSON tree. converted says the
// body was already converted to UTF-8 from the Content-Type's charset, so
// the document's own encoding declaration is ignored; otherwise a
// declared encoding other than UTF-8 is decoded.
func xmlTree(body []byte, converted bool, limit int64) ([]byte, error) {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte(utf8BOM))))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if converted || strings.EqualFold(label, "utf-8") {
			return in, nil
		}
		enc, err := htmlindex.Get(label)
		if err != nil {
			return nil, err
		}
		return enc.NewDecoder().Reader(in), nil
	}
	root, err := readElements(d)
	if err != nil {
		return nil, err
	}
	w := treeWriter{limit: limit}
	w.buf.WriteByte('{')
	w.str(root.name)
	w.buf.WriteByte(':')
	w.node(root)
	w.buf.WriteByte('}')
	if w.err != nil {
		return nil, w.err
	}
	return w.buf.Bytes(), nil
}

// readElements reads the document's root element and everything in it.
func readElements(d *xml.Decoder) (*xnode, error) {
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if root == nil || len(stack) > 0 {
				return nil, errorf("the XML answer ends before its root element closes")
			}
			return root, nil
		}
		if err != nil {
			return nil, errorf("the XML answer cannot be read: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, errorf("the XML answer has more than one root element")
			}
			if len(stack) >= maxRowsNesting {
				return nil, errorf("the XML answer nests deeper than %d levels", maxRowsNesting)
			}
			n := &xnode{name: t.Name.Local, attrs: t.Attr}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
}

// treeWriter writes the JSON tree, failing past limit bytes.
type treeWriter struct {
	buf   bytes.Buffer
	limit int64
	err   error
}

var errTreeTooLarge = errors.New("httpstep: the XML answer's tree is larger than Client.MaxResponseBytes")

// node writes element n's value.
func (w *treeWriter) node(n *xnode) {
	if w.err != nil {
		return
	}
	if w.limit > 0 && int64(w.buf.Len()) > w.limit {
		w.err = errTreeTooLarge
		return
	}
	text := n.text.String()
	if len(n.attrs) == 0 && len(n.kids) == 0 {
		w.str(text)
		return
	}
	w.buf.WriteByte('{')
	first := true
	member := func(name string) {
		if !first {
			w.buf.WriteByte(',')
		}
		first = false
		w.str(name)
		w.buf.WriteByte(':')
	}
	for _, a := range n.attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue // a namespace declaration, not data
		}
		member("-" + a.Name.Local)
		w.str(a.Value)
	}
	for _, group := range groupKids(n.kids) {
		member(group[0].name)
		w.group(group)
	}
	if strings.TrimSpace(text) != "" {
		member("_")
		w.str(text)
	}
	w.buf.WriteByte('}')
}

// group writes siblings of one name: one element as its value, several as
// an array.
func (w *treeWriter) group(g []*xnode) {
	if len(g) == 1 {
		w.node(g[0])
		return
	}
	w.buf.WriteByte('[')
	for i, k := range g {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.node(k)
	}
	w.buf.WriteByte(']')
}

// str writes s as a JSON string.
func (w *treeWriter) str(s string) {
	b, _ := json.Marshal(s) // a string always marshals
	w.buf.Write(b)
}

// groupKids groups children by name, in the order each name first appears.
func groupKids(kids []*xnode) [][]*xnode {
	var groups [][]*xnode
	at := map[string]int{}
	for _, k := range kids {
		i, ok := at[k.name]
		if !ok {
			i = len(groups)
			at[k.name] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], k)
	}
	return groups
}

// listAt returns, for a tree read from XML, a body and path at which a
// single element where a list is expected reads as a list of one:
// "Orders.Order" with one Order is [that Order]. Other values are left to
// the caller's own rules.
func listAt(tree []byte, path string) ([]byte, string) {
	v := pathGet(tree, path)
	if v.IsObject() || v.Type == gjson.String {
		return append(append([]byte{'['}, v.Raw...), ']'), ""
	}
	return tree, path
}

// readXML reads an XML body's tree into out, or notes why it could not be
// read (the paths then read nothing).
func (out *outcome) readXML(contentType string, limit int64) {
	if !isXMLType(contentType) || len(bytes.TrimSpace(out.body)) == 0 {
		return
	}
	_, charset := parseContentType(contentType)
	tree, err := xmlTree(out.body, charset != "", limit)
	if err != nil {
		out.note(messageOf(err) + "; the node's paths read nothing in it")
		out.tree = []byte("null")
		return
	}
	out.tree = tree
}

// doc is what the node's paths read in the outcome's body: the tree of an
// XML body, else the body itself.
func (out *outcome) doc() []byte {
	if out.tree != nil {
		return out.tree
	}
	return out.body
}

// doc is what paths read in the Result: the tree of an XML Body, else the
// Body itself.
func (r *Result) doc() []byte {
	if r.tree != nil {
		return r.tree
	}
	return r.Body
}

// list is the body and path Rows reads: for an XML answer a single element
// at path reads as a list of one; a path naming a key the body has
// literally reads that key.
func (r *Result) list(path string) ([]byte, string) {
	if r.tree == nil {
		return r.Body, literalPath(r.Body, path)
	}
	return listAt(r.tree, path)
}
