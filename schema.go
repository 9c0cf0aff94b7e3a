package httpstep

import "errors"

// Schema is the list of output fields of a node, usually built by InferSchema
// from a response example the user pasted.
type Schema struct {
	Fields []Field `json:"fields"`
}

// Field is one output field.
type Field struct {
	Name   string  `json:"name"`
	Path   string  `json:"path"`             // gjson path from the body root
	Type   string  `json:"type"`             // "string" "number" "boolean" "object" "array" "null"
	Format string  `json:"format,omitempty"` // e.g. "date-time" for strings that parse as dates
	Fields []Field `json:"fields,omitempty"` // object members, or the members of an array's elements
}

// InferSchema builds a Schema from a JSON response example.
func InferSchema(example []byte) (*Schema, error) {
	return nil, errors.New("httpstep: InferSchema is not implemented yet")
}
