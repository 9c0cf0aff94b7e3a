package httpstep

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// schemaEnums are the keys that take one of a few words. The README's row
// of each names every word (TestNodeConfigSchema checks it); a key whose
// default is not "required" also takes "", which NodeConfig reads as the
// default.
var schemaEnums = map[string][]string{
	"auth.type":                 {"basic", "bearer", "apiKey", "digest", "oauth2", "awsSigV4", "signature", "token"},
	"auth.in":                   {"header", "query"},
	"auth.oauth2.grant":         {"client_credentials", "refresh_token", "password", "jwt_bearer"},
	"auth.oauth2.credentialsIn": {"header", "body"},
	"auth.signature.algorithm":  {"hmac-sha256", "hmac-sha1", "hmac-sha512", "hmac-md5", "sha256", "md5", "rsa-sha256"},
	"auth.signature.encoding":   {"hex", "base64", "base64url"},
	"body.kind":                 {"none", "form-data", "x-www-form-urlencoded", "raw", "binary"},
	"success.missingCode":       {"failure", "success"},
	"onFailure":                 {"terminate", "continue"},
	"retry.jitter":              {"full", "equal", "none"},
	"response.fields[].type":    {"string", "number", "boolean", "object", "array", "null"},
	"paginate.mode":             {"page", "offset", "cursor", "next_url", "link_header"},
	"paginate.in":               {"query", "header", "body"},
}

// The JSON forms NodeConfig reads beside the plain ones.
const (
	durationPattern = `^\s*$|^\s*[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+\s*$|^\s*[-+]?[0-9]+(\.[0-9]*)?\s*$`
	codesPattern    = `^[0-9xX\s,，\-]*$`
)

// refRow is one row of the README's configuration reference.
type refRow struct{ typ, def, allowed string }

// readmeRows reads the configuration reference by key.
func readmeRows(t testing.TB) map[string]refRow {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(data), "## Configuration reference")
	require.True(t, ok)
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]refRow{}
	for _, line := range strings.Split(section, "\n") {
		m := readmeRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		require.Len(t, cells, 4, line)
		rows[m[1]] = refRow{typ: cells[1], def: cells[2], allowed: cells[3]}
	}
	return rows
}

// schemaGen builds the schema of NodeConfig from its Go types and the
// README's rows: one source for the reference and the schema.
type schemaGen struct {
	t    testing.TB
	rows map[string]refRow
	refs map[reflect.Type]string // a type already built: its JSON pointer
}

var (
	templateWord = regexp.MustCompile(`\btemplate\b`)
	literalCell  = regexp.MustCompile("^`([^`]*)`$")
)

// generateNodeSchema is the document NodeConfigSchema returns.
func generateNodeSchema(t testing.TB) []byte {
	g := &schemaGen{t: t, rows: readmeRows(t), refs: map[reflect.Type]string{}}
	root := g.object(reflect.TypeFor[NodeConfig](), "", "#")
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "https://github.com/httpstep/httpstep/nodeconfig.schema.json",
		"title":       "httpstep node",
		"description": "A stored \"Send API Request\" node. A value marked \"x-template\": true is a template: {{ref}} placeholders are filled from the parameters, escaped for where they land. Generated from the README's configuration reference.",
	}
	maps.Copy(doc, root)
	out, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	return append(out, '\n')
}

// object is the schema of struct t at path (pointer ptr).
func (g *schemaGen) object(t reflect.Type, path, ptr string) map[string]any {
	g.refs[t] = ptr
	props := map[string]any{}
	var required []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		key := path + name
		props[name] = g.field(f.Type, key, ptr+"/properties/"+name)
		if g.rows[key].def == "required" {
			required = append(required, name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// field is the schema of the key at path, of Go type t.
func (g *schemaGen) field(t reflect.Type, path, ptr string) map[string]any {
	row, ok := g.rows[path]
	if !ok {
		g.t.Errorf("README.md's configuration reference has no row for %s", path)
	}
	s := g.typed(t, path, ptr)
	s["description"] = description(row)
	if s["$ref"] != nil { // the type's schema is elsewhere: name it only
		return s
	}
	if templateWord.MatchString(row.allowed) {
		s["x-template"] = true
	}
	if d, ok := defaultValue(row, s); ok {
		s["default"] = d
	}
	if words, ok := schemaEnums[path]; ok {
		for _, w := range words {
			if !strings.Contains(row.allowed, "`"+w+"`") {
				g.t.Errorf("README.md's row of %s does not name `%s`", path, w)
			}
		}
		if row.def != "required" {
			words = append([]string{""}, words...)
		}
		s["enum"] = words
	}
	return s
}

// typed is the type part of the schema of t at path.
func (g *schemaGen) typed(t reflect.Type, path, ptr string) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if p, ok := g.refs[t]; ok {
		return map[string]any{"$ref": p}
	}
	switch {
	case t == reflect.TypeFor[Duration]():
		return map[string]any{"type": []string{"string", "number"}, "pattern": durationPattern}
	case path == "success.codes":
		code := map[string]any{"type": []string{"integer", "string"}, "minimum": 100, "maximum": 599, "pattern": codesPattern}
		return map[string]any{"type": []string{"array", "string", "integer"}, "items": code,
			"minimum": 100, "maximum": 599, "pattern": codesPattern}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.typed(t.Elem(), path, ptr+"/additionalProperties")}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typed(t.Elem(), path+"[]", ptr+"/items")}
	case reflect.Struct:
		return g.object(t, path+".", ptr)
	}
	g.t.Errorf("no JSON Schema type for %s (%s)", path, t)
	return map[string]any{}
}

// description is a row's text: what it allows, and a default in words.
func description(r refRow) string {
	d := r.allowed
	switch {
	case r.def == "none", r.def == "required", literalCell.MatchString(r.def):
	default:
		d += fmt.Sprintf(". Default: %s", r.def)
	}
	return d
}

// defaultValue is a row's default when it is one literal value of s's type.
func defaultValue(r refRow, s map[string]any) (any, bool) {
	m := literalCell.FindStringSubmatch(r.def)
	if m == nil {
		return nil, false
	}
	var v any
	if json.Unmarshal([]byte(m[1]), &v) == nil {
		return v, true
	}
	if typ, _ := s["type"].(string); typ == "string" || slices.Contains(anyStrings(s["type"]), "string") {
		return m[1], true
	}
	return nil, false
}

func anyStrings(v any) []string {
	s, _ := v.([]string)
	return s
}
