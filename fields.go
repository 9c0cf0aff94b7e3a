package httpstep

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// HeaderPathPrefix marks a Field whose value comes from a response header
// rather than the body: Path "header:X-Request-Id". InferSchema reads only
// bodies, so a host's node editor that offers a header as an output field
// writes its Path with this prefix.
const HeaderPathPrefix = "header:"

// Fields returns the node's declared output fields (NodeConfig.Response) by
// name, the values a host hands to the nodes downstream, each converted to its declared type as Field describes. Fields that
// are missing or cannot convert are left out. It returns nil when the node
// failed or declares no fields. Its cost is one pass over the body per
// field, however deeply the body nests.
func (r *Result) Fields() map[string]any {
	if !r.OK() || r.schema == nil {
		return nil
	}
	root := gjson.ParseBytes(r.doc())
	return r.convertFields(root, r.schema.Fields)
}

// Field returns the declared output field called name, converted to its
// declared type the forgiving way a no-code user expects: "12" for a number
// field is 12 (int64 when whole, else float64), "true", "1" or "yes" for a
// boolean field is true, a number or boolean for a string field is its text,
// an object or array keeps the declared members of its elements (one with
// no declared members is decoded whole: map[string]any, []any, float64). A
// value that cannot convert is missing, never a zero value; so is an object
// or array nested deeper than 10,000 levels, and the value of a path that
// applies a gjson modifier in a body nested deeper than 100. Field answers false
// when the node failed.
func (r *Result) Field(name string) (any, bool) {
	if !r.OK() || r.schema == nil {
		return nil, false
	}
	for _, f := range r.schema.Fields {
		if f.Name == name {
			return r.convertField(gjson.ParseBytes(r.doc()), f)
		}
	}
	return nil, false
}

func (r *Result) convertFields(root gjson.Result, fields []Field) map[string]any {
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if v, ok := r.convertField(root, f); ok {
			out[f.Name] = v
		}
	}
	return out
}

// convertField reads f relative to root (or from the headers). As
// InferSchema writes them, an object's member paths are relative to the same
// base as the object ("data.id"), an array's element paths to each element.
func (r *Result) convertField(root gjson.Result, f Field) (any, bool) {
	if name, ok := strings.CutPrefix(f.Path, HeaderPathPrefix); ok {
		vals := r.Header.Values(name)
		if len(vals) == 0 {
			return nil, false
		}
		return convert(gjson.Result{Type: gjson.String, Str: vals[0], Raw: strconv.Quote(vals[0])}, f.Type)
	}
	v := resultGet(root, f.Path)
	if !v.Exists() {
		return nil, false
	}
	switch {
	case f.Type == TypeObject && len(f.Fields) > 0 && v.IsObject():
		return r.convertFields(root, f.Fields), true // member paths share the object's base
	case f.Type == TypeArray && len(f.Fields) > 0 && v.IsArray():
		return r.convertElements(v, f.Fields), true
	}
	return convert(v, f.Type)
}

// convertElements converts each element of an array by the element fields:
// object members, or one elementPath field for scalar elements.
func (r *Result) convertElements(arr gjson.Result, fields []Field) []any {
	out := []any{}
	scalar := len(fields) == 1 && fields[0].Path == elementPath
	arr.ForEach(func(_, el gjson.Result) bool {
		if scalar {
			v, _ := r.convertField(el, fields[0])
			out = append(out, v)
		} else {
			out = append(out, r.convertFields(el, fields))
		}
		return true
	})
	return out
}

// convert turns v into the Go value of a schema type.
func convert(v gjson.Result, typ string) (any, bool) {
	switch typ {
	case TypeString:
		return toString(v)
	case TypeNumber:
		return toNumber(v)
	case TypeBoolean:
		return toBool(v)
	case TypeNull:
		return nil, v.Type == gjson.Null
	case TypeObject:
		return valueIf(v, v.IsObject())
	case TypeArray:
		return valueIf(v, v.IsArray())
	}
	return valueIf(v, true)
}

// valueIf is v decoded into Go values (see plainValue) when ok.
func valueIf(v gjson.Result, ok bool) (any, bool) {
	if !ok {
		return nil, false
	}
	if v.Type != gjson.JSON {
		return v.Value(), true
	}
	return plainValue(v.Raw)
}

func toString(v gjson.Result) (any, bool) {
	switch v.Type {
	case gjson.Null:
		return nil, false
	case gjson.JSON, gjson.Number:
		return v.Raw, true
	}
	return v.String(), true
}

func toNumber(v gjson.Result) (any, bool) {
	text := v.Raw
	switch v.Type {
	case gjson.String:
		text = strings.TrimSpace(v.Str)
	case gjson.Number:
	default:
		return nil, false
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

func toBool(v gjson.Result) (any, bool) {
	switch v.Type {
	case gjson.True:
		return true, true
	case gjson.False:
		return false, true
	case gjson.Number:
		switch v.Raw {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	case gjson.String:
		switch strings.ToLower(strings.TrimSpace(v.Str)) {
		case "true", "1", "yes", "y", "on":
			return true, true
		case "false", "0", "no", "n", "off":
			return false, true
		}
	}
	return nil, false
}
