package httpstep

import (
	"context"
	"encoding/json"
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
var readmeRow = regexp.MustCompile("(?m)^\\| `([a-zA-Z0-9.\\[\\]]+)` \\| ([a-z]+) \\|")

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

// readmeRecipes are the README's recipes by their headings: the API
// emulation each runs against, its parameters, and what the pull must
// bring back.
var readmeRecipes = map[string]struct {
	server   func(testing.TB) *recorder
	params   Values
	items    int
	requests int
}{
	"A GitHub issue pull": {func(t testing.TB) *recorder { return githubIssues(t, 250) }, Values{"github_token": Secret("ghp_test")}, 250, 4},
	"A Stripe list":       {func(t testing.TB) *recorder { return stripeList(t, 250) }, Values{"stripe_key": Secret("sk_test")}, 250, 3},
	"A Notion query":      {func(t testing.TB) *recorder { return notionQuery(t, 250) }, Values{"database_id": "d9824bdc", "notion_token": Secret("secret_x")}, 250, 3},
	"A Graph list":        {func(t testing.TB) *recorder { return graphUsers(t, 250) }, Values{"graph_token": Secret("eyJ0")}, 250, 3},
	"A WeChat call":       {func(t testing.TB) *recorder { return wechatFollowers(t, 250, 100) }, Values{"access_token": Secret("ACCESS_TOKEN")}, 250, 3},
	"A GraphQL query":     {func(t testing.TB) *recorder { return shopifyGraphQL(t, 250, 100) }, Values{"shop": "demo", "shopify_token": Secret("shpat_x")}, 250, 3},
}

// TestReadmeRecipes runs every recipe of the README, as written, against
// its API's loopback emulation (the URL's scheme and host swapped for the
// emulation's): every item arrives in as many requests as the API needs,
// and a recipe without a run here fails.
func TestReadmeRecipes(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(data), "\n## Recipes\n")
	require.True(t, ok, "README.md has no Recipes section")
	section, _, _ = strings.Cut(section, "\n## ")
	recipes := strings.Split(section, "\n### ")[1:]
	require.Len(t, recipes, len(readmeRecipes), "each recipe has a run in readmeRecipes, and each run a recipe")
	for _, recipe := range recipes {
		title, body, _ := strings.Cut(recipe, "\n")
		run, ok := readmeRecipes[title]
		require.True(t, ok, "recipe %q has no run in readmeRecipes", title)
		_, block, _ := strings.Cut(body, "```json\n")
		block, _, _ = strings.Cut(block, "```")
		t.Run(title, func(t *testing.T) {
			var node NodeConfig
			dec := json.NewDecoder(strings.NewReader(block))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&node))
			srv := run.server(t)
			scheme, rest, _ := strings.Cut(node.URL, "://")
			require.Equal(t, "https", scheme)
			_, path, _ := strings.Cut(rest, "/")
			node.URL = srv.URL + "/" + path
			c := testClient(t)
			stubEnv(c, 0, nil)
			res, err := c.Execute(context.Background(), &node, run.params)
			require.NoError(t, err)
			rows, err := res.Rows("")
			require.NoError(t, err)
			assert.Len(t, rows, run.items)
			assert.Equal(t, run.requests, srv.count())
			assert.NotEmpty(t, lastNotes(res), "the last page says why the pull ended")
		})
	}
}
