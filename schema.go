package httpstep

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Schema is the list of output fields of a node, usually built by InferSchema
// from a response example the user pasted.
type Schema struct {
	Fields []Field `json:"fields"`
}

// Field is one output field.
type Field struct {
	Name   string  `json:"name"`
	Path   string  `json:"path"`             // gjson path from the body root
	Type   string  `json:"type"`             // TypeString, TypeNumber, TypeBoolean, TypeObject, TypeArray or TypeNull
	Format string  `json:"format,omitempty"` // e.g. "date-time" for strings that parse as dates
	Fields []Field `json:"fields,omitempty"` // object members, or the members of an array's elements
}

// The values of Field.Type, the JSON types. They are untyped string
// constants because Field.Type is a plain string in the node's JSON
// contract; compare and assign with them rather than with literals.
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeBoolean = "boolean"
	TypeObject  = "object"
	TypeArray   = "array"
	TypeNull    = "null"
)

// schemaMaxDepth is how many levels of nesting InferSchema describes. A value
// at this depth keeps its type but gets no Fields, so a hostile example cannot
// make the walk (or the schema) grow without bound.
const schemaMaxDepth = 64

// elementPath is the Path of the one Field that describes the elements of an
// array whose elements are not objects. gjson's @this modifier resolves to the
// element itself; a member literally named "@this" is escaped to `\@this`, so
// the two never clash.
const elementPath = thisPath

// The names of the fields that stand for a value rather than a member: the
// elements of an array that are not objects, a root array, a root scalar.
const (
	elementName   = "item"
	rootArrayName = "items"
	rootValueName = "value"
)

// InferSchema builds a Schema from a JSON response example, the product's
// "import a response example from JSON". Every member becomes a Field, in the
// order the example lists it:
//
//   - Name is the member name (unescaped); Path is a gjson path to it, member
//     names joined with '.' and escaped with gjson.Escape, so names holding
//     '.', '*', '?', '|', '#', '@', '\' and the like still resolve.
//   - Type is "string", "number", "boolean", "object", "array" or "null".
//     Numbers too large for float64 (1e400) are still "number".
//   - Format is "date-time" for strings that are an RFC 3339 / ISO 8601 date
//     and time ("2024-05-01T08:30:00Z", also with a space instead of 'T',
//     without seconds, with a "+0800" offset or without any offset, which the
//     host should read as local time) and "date" for a bare "2024-05-01".
//   - Fields of an object are its members. Fields of an array describe its
//     elements, and their paths are relative to one element: use them with
//     gjson on each element, as "Get Multiple Data" rows do ("data.#." joined
//     to a member path "id" gives one column across all elements). When
//     the elements are objects, Fields is the union of their members in
//     first-seen order, including members only some elements have. Otherwise
//     Fields is one Field with Name "item" and Path "@this" typed as the
//     elements (nested arrays repeat this). An empty array has no Fields.
//
// The root value is described the same way: for an object, Schema.Fields are
// its members; for an array, Schema.Fields is the one Field {Name: "items",
// Path: "@this", Type: "array"} whose Fields describe the elements (paths
// relative to one element, the rows of "Get Multiple Data"), so the root is
// marked as an array and Result.Fields reads it; for a scalar, Schema.Fields
// is the one Field {Name: "value", Path: "@this"}.
//
// Where occurrences of a member disagree, null gives way to any other type,
// strings keep a Format only when all of them have it, and any other mix
// (number and string, object and array, ...) is reported as "string" without
// Fields, since every value can be read as text. A member repeated within one
// object is listed once and described by its first occurrence, the one gjson
// finds. A member with the empty name "" is left out: no gjson path reaches
// it reliably ("" means the root, ".." starts JSON Lines). Values nested
// deeper than 64 levels keep their type but get no Fields.
//
// InferSchema walks the example with gjson and never unmarshals it into maps,
// so member order is kept and large examples are cheap (about 20 ms a MiB). A
// leading UTF-8 byte order mark is ignored. An empty example is an error, and
// so is invalid JSON (trailing text included, and nesting deeper than 10,000
// levels): the error wraps the *json.SyntaxError and gives its Offset (the
// bytes read up to and including the bad one) and the line and column.
//
// An example that starts with "<" is XML: it is read through the mapping
// XML answers are read through (see isXMLType's file, xml.go: the root
// element as the one member, attributes as "-name", text beside them as
// "_", repeated elements as arrays), so its fields are strings, objects
// and arrays, and their paths read XML answers of that shape.
func InferSchema(example []byte) (*Schema, error) {
	doc, err := exampleDoc(example)
	if err != nil {
		return nil, err
	}
	var w schemaWalker
	root := new(shape)
	w.observe(root, gjson.ParseBytes(doc), 0)
	return &Schema{Fields: root.rootFields()}, nil
}

// exampleDoc is the JSON an example is read as: the example itself, or the
// tree of an XML example (one starting with "<"), mapped as XML answers
// are, so the fields it infers read the answers the example stands for.
func exampleDoc(example []byte) ([]byte, error) {
	if t := bytes.TrimSpace(bytes.TrimPrefix(example, []byte(utf8BOM))); len(t) > 0 && t[0] == '<' {
		tree, err := xmlTree(t, false, 0)
		if err != nil {
			return nil, errorf("schema: %s", messageOf(err))
		}
		return tree, nil
	}
	return checkExample(example)
}

// checkExample returns the example without its byte order mark, or an error
// saying what is wrong with it and where.
func checkExample(example []byte) ([]byte, error) {
	doc := bytes.TrimPrefix(example, []byte(utf8BOM)) // editors on some systems save JSON with it
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, errorf("schema: the example is empty; paste a JSON response example such as {\"id\": 1}")
	}
	if json.Valid(doc) {
		return doc, nil
	}
	var raw json.RawMessage
	err := json.Unmarshal(doc, &raw)
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		return nil, errorf("schema: invalid JSON: %w", err)
	}
	syntax.Offset += int64(len(example) - len(doc)) // count the byte order mark
	line, column := lineColumn(example, syntax.Offset)
	return nil, errorf("schema: invalid JSON at offset %d (line %d, column %d): %w; fix the example and paste it again",
		syntax.Offset, line, column, err)
}

// lineColumn gives the 1-based line and column (in characters) of the byte
// that made a json.SyntaxError with the given Offset: the last byte read.
func lineColumn(text []byte, offset int64) (line, column int) {
	bad := int(min(max(offset-1, 0), int64(len(text))))
	lineStart := bytes.LastIndexByte(text[:bad], '\n') + 1
	line = bytes.Count(text[:lineStart], []byte{'\n'}) + 1
	return line, utf8.RuneCount(text[lineStart:bad]) + 1
}

// kind is the type of a JSON value, or of all the values seen at one place.
type kind uint8

const (
	kindNone kind = iota // nothing seen yet
	kindNull
	kindBoolean
	kindNumber
	kindString
	kindObject
	kindArray
)

var kindNames = [...]string{"", TypeNull, TypeBoolean, TypeNumber, TypeString, TypeObject, TypeArray}

func (k kind) String() string { return kindNames[k] }

func kindOf(v gjson.Result) kind {
	switch v.Type {
	case gjson.Null:
		return kindNull
	case gjson.False, gjson.True:
		return kindBoolean
	case gjson.Number:
		return kindNumber
	case gjson.String:
		return kindString
	}
	if v.IsObject() {
		return kindObject
	}
	return kindArray
}

// shape is what InferSchema learned about the values at one place of the
// example: an object member, or the elements of an array.
type shape struct {
	name    string
	kind    kind
	format  string
	members []*shape          // object members in first-seen order
	index   map[string]*shape // members by name
	elem    *shape            // array elements; nil until one is seen
	pos     int               // position among its parent's members
	visit   uint64            // the object visit that last saw this member
}

// schemaWalker merges the values of an example into shapes. Each object value
// it walks gets a fresh visit number, which spots repeated member names
// without a set per object.
type schemaWalker struct {
	visits uint64
}

// observe merges value v, found depth levels below the root, into s.
func (w *schemaWalker) observe(s *shape, v gjson.Result, depth int) {
	k := kindOf(v)
	switch {
	case k == kindNull:
		if s.kind == kindNone {
			s.kind = kindNull
		}
		return
	case s.kind == kindNone || s.kind == kindNull:
		s.kind, s.format = k, formatOf(v)
	case s.kind != k:
		s.widen()
		return
	case k == kindString && s.format != "" && formatOf(v) != s.format:
		s.format = ""
	}
	if depth >= schemaMaxDepth {
		return
	}
	switch k {
	case kindObject:
		w.observeMembers(s, v, depth)
	case kindArray:
		w.observeElements(s, v, depth)
	}
}

func (w *schemaWalker) observeMembers(s *shape, v gjson.Result, depth int) {
	w.visits++
	visit, next := w.visits, 0
	v.ForEach(func(key, value gjson.Result) bool {
		if key.Str == "" { // no gjson path reaches it reliably, see InferSchema
			return true
		}
		m := s.member(key.Str, next)
		next = m.pos + 1
		if m.visit != visit { // later repeats of a name are invisible to gjson
			m.visit = visit
			w.observe(m, value, depth+1)
		}
		return true
	})
}

func (w *schemaWalker) observeElements(s *shape, v gjson.Result, depth int) {
	v.ForEach(func(_, value gjson.Result) bool {
		if s.elem == nil {
			s.elem = new(shape)
		}
		w.observe(s.elem, value, depth+1)
		return true
	})
}

// widen turns s into "string" after it has seen values of two different
// non-null types: text is the one reading that fits them all.
func (s *shape) widen() {
	*s = shape{name: s.name, kind: kindString, pos: s.pos, visit: s.visit}
}

// member returns the shape of the member called name, adding it if new.
// Objects in an array usually list their members in the same order, so the
// member at position guess is tried before the index.
func (s *shape) member(name string, guess int) *shape {
	if guess < len(s.members) && s.members[guess].name == name {
		return s.members[guess]
	}
	if m, ok := s.index[name]; ok {
		return m
	}
	if s.index == nil {
		s.index = make(map[string]*shape)
	}
	m := &shape{name: name, pos: len(s.members)}
	s.index[name] = m
	s.members = append(s.members, m)
	return m
}

// rootFields describes the root value; never nil, so it encodes as [].
func (s *shape) rootFields() []Field {
	var fields []Field
	switch s.kind {
	case kindObject:
		fields = s.memberFields("")
	case kindArray:
		fields = []Field{s.field(rootArrayName, elementPath)}
	default:
		fields = []Field{s.field(rootValueName, elementPath)}
	}
	if fields == nil {
		fields = []Field{}
	}
	return fields
}

// field describes the values of s, found at path.
func (s *shape) field(name, path string) Field {
	f := Field{Name: name, Path: path, Type: s.kind.String(), Format: s.format}
	switch s.kind {
	case kindObject:
		f.Fields = s.memberFields(path + ".")
	case kindArray:
		f.Fields = s.elementFields()
	}
	return f
}

// memberFields describes the members of object shape s; prefix is the path
// of the object followed by a dot, or "" when paths start at the object.
func (s *shape) memberFields(prefix string) []Field {
	if len(s.members) == 0 {
		return nil
	}
	fields := make([]Field, 0, len(s.members))
	for _, m := range s.members {
		fields = append(fields, m.field(m.name, prefix+gjson.Escape(m.name)))
	}
	return fields
}

// elementFields describes the elements of array shape s, with paths relative
// to one element.
func (s *shape) elementFields() []Field {
	switch {
	case s.elem == nil:
		return nil
	case s.elem.kind == kindObject:
		return s.elem.memberFields("")
	default:
		return []Field{s.elem.field(elementName, elementPath)}
	}
}

// formatOf returns the Format of a string value: "date-time", "date" or "".
func formatOf(v gjson.Result) string {
	if v.Type != gjson.String {
		return ""
	}
	return stringFormat(v.Str)
}

// dateTimeLayouts are the ISO 8601 date-times InferSchema recognises, after
// the date/time separator has been made 'T' and the text upper case. When
// parsing, time accepts fractional seconds after the seconds in any of them.
var dateTimeLayouts = [...]string{
	time.RFC3339, // also takes "Z"
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
}

// stringFormat returns "date" for a calendar date like "2024-05-01",
// "date-time" for an ISO 8601 date and time, and "" for anything else.
func stringFormat(s string) string {
	if len(s) > len("2006-01-02T15:04:05.999999999+07:00") || !hasDatePrefix(s) {
		return ""
	}
	if len(s) == len(time.DateOnly) {
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return "date"
		}
		return ""
	}
	if sep := s[len(time.DateOnly)]; sep != 'T' && sep != 't' && sep != ' ' {
		return ""
	}
	text := s[:len(time.DateOnly)] + "T" + strings.ToUpper(s[len(time.DateOnly)+1:])
	for _, layout := range dateTimeLayouts {
		if _, err := time.Parse(layout, text); err == nil {
			return "date-time"
		}
	}
	return ""
}

// hasDatePrefix reports whether s starts with "dddd-dd-dd", a cheap test
// that keeps time.Parse away from ordinary strings.
func hasDatePrefix(s string) bool {
	if len(s) < len(time.DateOnly) {
		return false
	}
	for i := range len(time.DateOnly) {
		if i == 4 || i == 7 {
			if s[i] != '-' {
				return false
			}
		} else if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
