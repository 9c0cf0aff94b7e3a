package httpstep

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// configKey is one JSON key of a node: its dotted path and its JSON type.
type configKey struct{ path, typ string }

// configKeys walks t's JSON keys: "body.fields[].key". A type already on
// the way (Field in Field) is listed once and not entered again.
func configKeys(t reflect.Type, prefix string, seen []reflect.Type) []configKey {
	var keys []configKey
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		path := prefix + name
		keys = append(keys, configKey{path, jsonTypeName(f.Type)})
		inner := f.Type
		for inner.Kind() == reflect.Pointer || inner.Kind() == reflect.Slice {
			if inner.Kind() == reflect.Slice {
				path += "[]"
			}
			inner = inner.Elem()
		}
		if inner.Kind() == reflect.Struct && jsonTypeName(inner) == "object" && !slices.Contains(seen, inner) {
			keys = append(keys, configKeys(inner, path+".", append(seen, inner))...)
		}
	}
	return keys
}

// jsonTypeName is the JSON type the README names for a Go type.
func jsonTypeName(t reflect.Type) string {
	if t == reflect.TypeFor[Duration]() {
		return "duration"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Slice:
		return "array"
	}
	return "object"
}

// readmeRow matches a row of the configuration reference: key and type.
var readmeRow = regexp.MustCompile("(?m)^\\| `([a-zA-Z.\\[\\]]+)` \\| ([a-z]+) \\|")

// TestReadmeReference keeps the README's configuration reference and
// NodeConfig one: every key with its type, no key that is gone.
func TestReadmeReference(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(data), "## Configuration reference")
	require.True(t, ok, "README.md has no configuration reference")
	section, _, _ = strings.Cut(section, "\n## ")
	documented := map[string]string{}
	for _, m := range readmeRow.FindAllStringSubmatch(section, -1) {
		documented[m[1]] = m[2]
	}
	keys := configKeys(reflect.TypeFor[NodeConfig](), "", []reflect.Type{reflect.TypeFor[NodeConfig]()})
	require.Greater(t, len(keys), 40)
	for _, k := range keys {
		typ, ok := documented[k.path]
		if assert.True(t, ok, "README.md's configuration reference lacks `%s` (%s): add a row", k.path, k.typ) {
			assert.Equal(t, k.typ, typ, "the type of `%s` in README.md", k.path)
		}
		delete(documented, k.path)
	}
	assert.Empty(t, documented, "README.md documents keys that NodeConfig does not have")
}
