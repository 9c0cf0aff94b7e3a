package httpstep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ParseNode reads a stored node configuration strictly and validates it.
// Where encoding/json would drop or bend a setting in silence, ParseNode
// names it: a key the node has no setting for, nested ones included (with a
// suggestion: "header" → did you mean "headers"), a key in the wrong case
// ("Timeout" for "timeout": keys are case-sensitive), a key given twice, and a
// value of the wrong type. Every problem comes at once in one *ConfigError,
// each with its JSON path as Field ("success.codes", "headers[1].value"),
// together with what [NodeConfig.Validate] finds; only JSON that is not well
// formed stops the reading at its first fault, named with its line and
// column. A node without problems is returned. null stands for a setting left unset, as in encoding/json.
// Duration, the text form of success codes ("200,201") and the other
// documented shorthands are read as Unmarshal reads them.
func ParseNode(data []byte) (*NodeConfig, error) {
	e := &ConfigError{}
	if err := checkNodeJSON(e, data); err != nil {
		e.add("node", err.Error())
		return nil, e
	}
	n := &NodeConfig{}
	err := json.Unmarshal(data, n)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		if len(e.Problems) == 0 { // the strict pass accepted it: not expected
			e.add("node", problemText(err))
		}
		return nil, e // a value Unmarshal stopped at: the rest is not known
	}
	var cfg *ConfigError
	if errors.As(n.Validate(), &cfg) {
		e.addNew(cfg.Problems)
	}
	if len(e.Problems) > 0 {
		return nil, e
	}
	return n, nil
}

// addNew adds the problems whose field is not under one e already names:
// a value of the wrong type is one problem, not also a missing setting.
func (e *ConfigError) addNew(problems []Problem) {
	named := len(e.Problems)
	for _, p := range problems {
		if !slices.ContainsFunc(e.Problems[:named], func(q Problem) bool { return underField(p.Field, q.Field) }) {
			e.Problems = append(e.Problems, p)
		}
	}
}

// underField reports whether field is parent or lies inside it; every
// field lies inside "node", the whole document.
func underField(field, parent string) bool {
	if parent == "node" {
		return true
	}
	rest, ok := strings.CutPrefix(field, parent)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// checkNodeJSON walks data against NodeConfig's fields, adding a problem
// for each key or value Unmarshal would drop or misread. The error is one
// that ends the walk: JSON that is not well formed.
func checkNodeJSON(e *ConfigError, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := &nodeWalker{dec: dec, data: data, e: e}
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("the node is empty; it must be a JSON object such as {\"url\": \"https://...\"}")
	}
	if err := w.value(reflect.TypeFor[NodeConfig](), ""); err != nil {
		return w.syntax(err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		rest := data[end:]
		end += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
		return fmt.Errorf("there is more after the node's JSON object%s: remove it", w.at(end))
	}
	return nil
}

// nodeWalker reads one JSON document token by token beside the Go type it
// is meant for.
type nodeWalker struct {
	dec  *json.Decoder
	data []byte
	e    *ConfigError
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	successRuleType = reflect.TypeFor[SuccessRule]()
)

// value checks the next value, meant for type t, at path.
func (w *nodeWalker) value(t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Interface || (t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(unmarshalerType)) {
		return w.custom(t, path)
	}
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return w.object(t, path)
	case json.Delim('['):
		return w.array(t, path)
	}
	w.scalar(t, path, tok)
	return nil
}

// custom reads the next value whole and has t's own UnmarshalJSON judge it
// (an interface takes anything).
func (w *nodeWalker) custom(t reflect.Type, path string) error {
	var raw json.RawMessage
	if err := w.dec.Decode(&raw); err != nil {
		return err
	}
	if t.Kind() == reflect.Interface {
		return nil
	}
	if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
		w.e.add(fieldName(path), problemText(err))
	}
	return nil
}

// object checks the members of an object meant for t, its '{' read.
func (w *nodeWalker) object(t reflect.Type, path string) error {
	var fields map[string]reflect.StructField
	switch t.Kind() {
	case reflect.Struct:
		fields = jsonFields(t)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			w.mismatch(t, path, "an object")
			return w.skip(1)
		}
	default:
		w.mismatch(t, path, "an object")
		return w.skip(1)
	}
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		at := joinPath(path, key)
		if seen[key] {
			w.e.add(at, fmt.Sprintf("%q is given twice; only the last would count: keep one", key))
		}
		seen[key] = true
		if err := w.member(t, fields, key, at); err != nil {
			return err
		}
	}
	_, err := w.dec.Token() // '}'
	return err
}

// member checks the value of key in an object meant for t.
func (w *nodeWalker) member(t reflect.Type, fields map[string]reflect.StructField, key, at string) error {
	if t.Kind() == reflect.Map {
		return w.value(t.Elem(), at)
	}
	f, ok := fields[key]
	if !ok {
		w.e.add(at, unknownKey(key, fields))
		return w.skipValue()
	}
	if t == successRuleType && key == "codes" {
		return w.codes(at)
	}
	return w.value(f.Type, at)
}

// codes checks success.codes, which also takes the text form "200,201".
func (w *nodeWalker) codes(at string) error {
	var raw json.RawMessage
	if err := w.dec.Decode(&raw); err != nil {
		return err
	}
	if _, err := parseCodes(raw); err != nil {
		w.e.add(at, problemText(err))
	}
	return nil
}

// array checks the elements of an array meant for t, its '[' read.
func (w *nodeWalker) array(t reflect.Type, path string) error {
	if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
		w.mismatch(t, path, "an array")
		return w.skip(1)
	}
	for i := 0; w.dec.More(); i++ {
		if err := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	_, err := w.dec.Token() // ']'
	return err
}

// scalar checks a string, number, boolean or null meant for t.
func (w *nodeWalker) scalar(t reflect.Type, path string, tok json.Token) {
	switch v := tok.(type) {
	case nil:
		return // null leaves the setting unset
	case string:
		if t.Kind() != reflect.String {
			w.mismatch(t, path, fmt.Sprintf("the string %s", shortJSON(v)))
		}
	case bool:
		if t.Kind() != reflect.Bool {
			w.mismatch(t, path, strconv.FormatBool(v))
		}
	case json.Number:
		if !numberFits(t, v) {
			w.mismatch(t, path, "the number "+string(v))
		}
	}
}

// numberFits reports whether n can be stored in a value of type t.
func numberFits(t reflect.Type, n json.Number) bool {
	var err error
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(string(n), 10, t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err = strconv.ParseUint(string(n), 10, t.Bits())
	case reflect.Float32, reflect.Float64:
		_, err = strconv.ParseFloat(string(n), t.Bits())
	default:
		return false
	}
	return err == nil
}

// mismatch records a value of the wrong type.
func (w *nodeWalker) mismatch(t reflect.Type, path, got string) {
	w.e.add(fieldName(path), fmt.Sprintf("wants %s, not %s", typeWords(t), got))
}

// typeWords names what a value of type t is in JSON.
func typeWords(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array of " + pluralWords(t.Elem())
	}
	return "an object"
}

// pluralWords names the items of an array of t.
func pluralWords(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "strings"
	case reflect.Bool:
		return "booleans"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole numbers"
	case reflect.Float32, reflect.Float64:
		return "numbers"
	case reflect.Slice, reflect.Array:
		return "arrays"
	}
	return "objects"
}

// skipValue consumes the next value whatever it is.
func (w *nodeWalker) skipValue() error {
	var raw json.RawMessage
	return w.dec.Decode(&raw)
}

// skip consumes tokens until depth open delimiters are closed.
func (w *nodeWalker) skip(depth int) error {
	for depth > 0 {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// syntax turns a decoding error into one that says where the JSON breaks.
func (w *nodeWalker) syntax(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("not valid JSON%s: %s", w.at(syn.Offset), syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("the JSON ends too early%s: check for a missing } or ]", w.at(int64(len(w.data))))
	}
	return fmt.Errorf("not valid JSON%s: %s", w.at(w.dec.InputOffset()), strings.TrimPrefix(err.Error(), "json: "))
}

// at is " at line L, column C" for a byte offset of the document.
func (w *nodeWalker) at(off int64) string {
	off = min(max(off, 0), int64(len(w.data)))
	before := w.data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf(" at line %d, column %d", line, col)
}

// fieldCache holds jsonFields' answer per struct type; the map is only read
// once stored.
var fieldCache sync.Map // reflect.Type → map[string]reflect.StructField

// jsonFields maps the JSON keys of struct t to its fields, as
// encoding/json names them (embedded structs flattened, "-" left out).
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.StructField)
	}
	m, _ := fieldCache.LoadOrStore(t, structFields(t))
	return m.(map[string]reflect.StructField)
}

// structFields is jsonFields without the cache.
func structFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || len(f.Index) > 1 && !embeddedVisible(t, f) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if name == "-" || f.Anonymous && ft.Kind() == reflect.Struct && name == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f
	}
	return out
}

// embeddedVisible reports whether a promoted field f of t is reached through
// exported embedded structs with no JSON name of their own.
func embeddedVisible(t reflect.Type, f reflect.StructField) bool {
	for i := range f.Index[:len(f.Index)-1] {
		e := t.FieldByIndex(f.Index[:i+1])
		if name, _, _ := strings.Cut(e.Tag.Get("json"), ","); !e.Anonymous || name != "" {
			return false
		}
	}
	return true
}

// unknownKey is the problem of a key the object has no setting for, with
// the nearest known key as a suggestion.
func unknownKey(key string, fields map[string]reflect.StructField) string {
	best, dist := "", -1
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf("keys are case-sensitive: write %q, not %q", name, key)
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(name)); dist < 0 || d < dist || d == dist && name < best {
			best, dist = name, d
		}
	}
	msg := fmt.Sprintf("%q is not a setting here, so it would be ignored", key)
	if best != "" && dist <= max(2, len(key)/2) {
		msg += fmt.Sprintf(": did you mean %q?", best)
	}
	return msg
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// joinPath appends an object key to a JSON path as Validate writes them.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldName is path, or "node" for the document itself.
func fieldName(path string) string {
	if path == "" {
		return "node"
	}
	return path
}

// problemText is err's message without the package prefix.
func problemText(err error) string {
	var se *stepError
	if errors.As(err, &se) {
		return se.msg
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// shortJSON quotes s, cut to a readable length.
func shortJSON(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:37]) + "..."
	}
	return strconv.Quote(s)
}
