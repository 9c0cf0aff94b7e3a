package httpstep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep/internal/golden"
)

// TestNodeConfigSchema: the embedded schema is what NodeConfig and the
// README's configuration reference make of it, byte for byte
// (go test -run TestNodeConfigSchema -update rewrites it).
func TestNodeConfigSchema(t *testing.T) {
	golden.Check(t, "nodeconfig.schema.json", generateNodeSchema(t))
}

// compiledNodeSchema is NodeConfigSchema compiled by a draft 2020-12 validator.
func compiledNodeSchema(t testing.TB) *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(NodeConfigSchema()))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	require.NoError(t, c.AddResource("nodeconfig.schema.json", doc))
	s, err := c.Compile("nodeconfig.schema.json")
	require.NoError(t, err)
	return s
}

// validateNode validates one JSON document against s.
func validateNode(s *jsonschema.Schema, data []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// readmeJSONBlocks finds the README's JSON code blocks.
var readmeJSONBlocks = regexp.MustCompile("(?s)```json\n(.*?)```")

// schemaNodes are the nodes the repository keeps: every one is valid.
func schemaNodes(t *testing.T) map[string][]byte {
	nodes := map[string][]byte{}
	for _, glob := range []string{"testdata/nodes/*.json", "testdata/clone/*.json", "testdata/contract/*.json", "cmd/httpstep/testdata/curl/*.json"} {
		files, err := filepath.Glob(glob)
		require.NoError(t, err)
		require.NotEmpty(t, files, glob)
		for _, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			nodes[f] = data
		}
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for i, b := range readmeJSONBlocks.FindAllSubmatch(readme, -1) {
		dec := json.NewDecoder(bytes.NewReader(b[1]))
		for j := 0; dec.More(); j++ {
			var raw json.RawMessage
			require.NoError(t, dec.Decode(&raw))
			if bytes.Contains(raw[:min(len(raw), 40)], []byte(`"type"`)) { // an auth block: on a node
				raw = []byte(`{"url": "https://api.example.com/", "auth": ` + string(raw) + `}`)
			}
			nodes[fmt.Sprintf("README.md JSON block %d, value %d", i+1, j+1)] = raw
		}
	}
	return nodes
}

// TestNodeConfigSchemaAcceptsNodes: every node of testdata/, of the cURL
// goldens and of the README (recipes and examples) passes the schema.
func TestNodeConfigSchemaAcceptsNodes(t *testing.T) {
	s := compiledNodeSchema(t)
	for name, data := range schemaNodes(t) {
		assert.NoError(t, validateNode(s, data), name)
	}
}

// TestNodeConfigSchemaRefusesBadNodes: each bad node fails, at its path.
func TestNodeConfigSchemaRefusesBadNodes(t *testing.T) {
	s := compiledNodeSchema(t)
	for _, tc := range []struct{ node, at string }{
		{`{}`, ""},
		{`{"url": "https://a.test/", "header": []}`, ""},
		{`{"url": 7}`, "/url"},
		{`{"url": "https://a.test/", "method": ["GET"]}`, "/method"},
		{`{"url": "https://a.test/", "timeout": "ten seconds"}`, "/timeout"},
		{`{"url": "https://a.test/", "timeout": true}`, "/timeout"},
		{`{"url": "https://a.test/", "onFailure": "stop"}`, "/onFailure"},
		{`{"url": "https://a.test/", "success": {"codes": [700]}}`, "/success/codes/0"},
		{`{"url": "https://a.test/", "success": {"codes": "ok"}}`, "/success/codes"},
		{`{"url": "https://a.test/", "success": {"errorMessages": {"500": 1}}}`, "/success/errorMessages/500"},
		{`{"url": "https://a.test/", "headers": [{"value": "x"}]}`, "/headers/0"},
		{`{"url": "https://a.test/", "headers": [{"key": "A", "Value": "x"}]}`, "/headers/0"},
		{`{"url": "https://a.test/", "body": {"kind": "json"}}`, "/body/kind"},
		{`{"url": "https://a.test/", "auth": {"type": "bearer", "oauth2": {"grant": "implicit", "tokenUrl": "u", "clientId": "c"}}}`, "/auth/oauth2/grant"},
		{`{"url": "https://a.test/", "retry": {"maxAttempts": 1.5}}`, "/retry/maxAttempts"},
		{`{"url": "https://a.test/", "paginate": {"mode": "page", "in": "cookie"}}`, "/paginate/in"},
		{`{"url": "https://a.test/", "response": {"fields": [{"name": "a", "path": "a", "type": "object", "fields": [{"name": "b", "path": "b", "type": "date"}]}]}}`, "/response/fields/0/fields/0/type"},
		{`{"url": "https://a.test/", "async": {"interval": "soon"}}`, "/async/interval"},
	} {
		err := validateNode(s, []byte(tc.node))
		var ve *jsonschema.ValidationError
		if assert.True(t, errors.As(err, &ve), "%s passed the schema", tc.node) {
			assert.Contains(t, leafLocations(ve), tc.at, "%s: %v", tc.node, err)
		}
	}
}

// leafLocations are the JSON pointers where e's innermost causes are.
func leafLocations(e *jsonschema.ValidationError) []string {
	if len(e.Causes) == 0 {
		if len(e.InstanceLocation) == 0 {
			return []string{""}
		}
		return []string{"/" + strings.Join(e.InstanceLocation, "/")}
	}
	var out []string
	for _, c := range e.Causes {
		out = append(out, leafLocations(c)...)
	}
	return out
}

// TestNodeConfigSchemaCoversEveryField: every key of NodeConfig, nested,
// has an entry with a description in the embedded schema.
func TestNodeConfigSchemaCoversEveryField(t *testing.T) {
	var root map[string]any
	require.NoError(t, json.Unmarshal(NodeConfigSchema(), &root))
	keys := configKeys(reflect.TypeFor[NodeConfig](), "", []reflect.Type{reflect.TypeFor[NodeConfig]()})
	for _, k := range keys {
		s := schemaAt(root, k.path)
		if assert.NotNil(t, s, "the schema has no entry for %s", k.path) {
			assert.NotEmpty(t, s["description"], "the schema's %s has no description", k.path)
		}
	}
	assert.Equal(t, []string{"url"}, anyList(root["required"]))
}

// schemaAt finds the schema of the dotted key path ("body.fields[].key").
func schemaAt(root map[string]any, path string) map[string]any {
	s := root
	for part := range strings.SplitSeq(path, ".") {
		name, _, _ := strings.Cut(part, "[")
		props, _ := resolveRef(root, s)["properties"].(map[string]any)
		s, _ = props[name].(map[string]any)
		for range strings.Count(part, "[]") {
			s, _ = resolveRef(root, s)["items"].(map[string]any)
		}
		if s == nil {
			return nil
		}
	}
	return s
}

// resolveRef follows s's local "$ref" ("#/properties/...").
func resolveRef(root, s map[string]any) map[string]any {
	ref, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	out := root
	for p := range strings.SplitSeq(strings.TrimPrefix(ref, "#"), "/") {
		if p != "" {
			out, _ = out[p].(map[string]any)
		}
	}
	return out
}

func anyList(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return slices.Clip(out)
}
