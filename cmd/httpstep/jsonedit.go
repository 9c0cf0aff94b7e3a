package main

import (
	"bytes"
	"encoding/json"
	"errors"
)

// setMember returns the JSON object doc with its top-level member key set to
// value, and nothing else changed: an existing member's value is replaced
// where it stands; a new member goes after the last one, on a line of its
// own indented as the others when the object spans lines. Of a key given
// twice, the last is replaced. value is indented
// to match (compact when doc is on one line).
func setMember(doc []byte, key string, value any) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("the node file is not a JSON object")
	}
	open := dec.InputOffset()
	last, indent := open, ""
	found, at := false, [3]int64{} // the member's value start, end, and key start
	for dec.More() {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keyStart := skipSpace(doc, before, " \t\r\n,")
		if indent == "" {
			indent = lineIndent(doc, keyStart)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		end := dec.InputOffset()
		if tok == key { // the last one counts, as in every decoder
			found, at = true, [3]int64{end - int64(len(raw)), end, keyStart} // Decode gives the value's own bytes
		}
		last = end
	}
	if found {
		return splice(doc, at[0], at[1], encodeMember(value, lineIndent(doc, at[2]), doc)), nil
	}
	member := encodeMember(value, indent, doc)
	name, _ := json.Marshal(key)
	sep := []byte(", ")
	if bytes.Contains(doc, []byte("\n")) {
		sep = []byte(",\n" + indent)
	}
	if last == open {
		sep = sep[1:] // the first member: no comma
	}
	insert := append(append(append(sep, name...), ": "...), member...)
	return splice(doc, last, last, insert), nil
}

// encodeMember is value as JSON, indented under a member at indent when doc
// spans lines, compact when it is one line.
func encodeMember(value any, indent string, doc []byte) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if bytes.Contains(doc, []byte("\n")) {
		unit := indent // one level deeper, as the file indents its members
		if unit == "" {
			unit = "  "
		}
		enc.SetIndent(indent, unit)
	}
	if err := enc.Encode(value); err != nil {
		return []byte("null")
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// lineIndent is the blanks before offset off on its line.
func lineIndent(doc []byte, off int64) string {
	i := int(off)
	for i > 0 && (doc[i-1] == ' ' || doc[i-1] == '\t') {
		i--
	}
	if i > 0 && doc[i-1] != '\n' {
		return ""
	}
	return string(doc[i:off])
}

// skipSpace moves off past any of the bytes in set.
func skipSpace(doc []byte, off int64, set string) int64 {
	for off < int64(len(doc)) && bytes.IndexByte([]byte(set), doc[off]) >= 0 {
		off++
	}
	return off
}

// splice is doc with doc[start:end] replaced by with.
func splice(doc []byte, start, end int64, with []byte) []byte {
	out := make([]byte, 0, len(doc)+len(with))
	out = append(out, doc[:start]...)
	out = append(out, with...)
	return append(out, doc[end:]...)
}
