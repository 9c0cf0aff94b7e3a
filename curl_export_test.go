package httpstep

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/testpeer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCurlExport writes nodes as commands, templates as typed.
func TestCurlExport(t *testing.T) {
	cases := []struct {
		name string
		node NodeConfig
		want string
	}{
		{"get", NodeConfig{URL: "https://api.example.com/items"}, "curl https://api.example.com/items"},
		{"head", NodeConfig{Method: "head", URL: "https://api.example.com/"}, "curl --head \\\n  https://api.example.com/"},
		{"templates, query, credential headers", NodeConfig{Method: "DELETE", URL: "https://api.example.com/users/{{id}}?token=abc&page=1",
			Query: []KeyValue{{Key: "q", Value: "a b {{term}}"}, {Key: "api_key", Value: "{{key}}"}},
			Headers: []KeyValue{{Key: "Authorization", Value: "Bearer s3cr3t"}, {Key: "X-Token", Value: "{{tok}}"}, {Key: "X-Empty", Value: ""},
				{Key: "Cookie", Value: "a=1; b={{b}}"}, {Key: "Proxy-Authorization", Value: "Basic {{basic}}"}}},
			`curl -X DELETE \
  -g \
  'https://api.example.com/users/{{id}}?token=[REDACTED]&page=1&q=a+b+{{term}}&api_key={{key}}' \
  -H 'Authorization: Bearer [REDACTED]' \
  -H 'X-Token: {{tok}}' \
  -H 'X-Empty;' \
  -H 'Cookie: a=[REDACTED]; b={{b}}' \
  -H 'Proxy-Authorization: Basic {{basic}}'`},
		{"raw JSON with options", NodeConfig{Method: "POST", URL: "https://api.example.com/orders", Body: &Body{Kind: BodyRaw, Raw: `{"sku":"{{sku}}","note":"it's"}`},
			Timeout: Duration(1500 * time.Millisecond), InsecureSkipVerify: true, UseProxy: true, Retry: &RetryPolicy{MaxAttempts: 3}},
			`curl https://api.example.com/orders \
  -H 'Content-Type: application/json' \
  --data-raw '{"sku":"{{sku}}","note":"it'\''s"}' \
  -k \
  -x "$HTTPSTEP_PROXY" \
  -m 1.5 \
  --retry 2`},
		{"urlencoded", NodeConfig{Method: "PUT", URL: "https://a.example.com/", Body: &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "q", Value: "a&b {{x}}"}, {Key: "a b", Value: "1"}, {Key: "password", Value: "hunter2"}}}},
			`curl -X PUT \
  https://a.example.com/ \
  --data-urlencode 'q=a&b {{x}}' \
  --data-raw a+b=1 \
  --data-urlencode 'password=[REDACTED]'`},
		{"form-data", NodeConfig{Method: "POST", URL: "https://a.example.com/up", Body: &Body{Kind: BodyFormData, Fields: []FormField{
			{Key: "meta", Value: `{"a":1}`, ContentType: "application/json"}, {Key: "note", Value: "x;y"}, {Key: "doc", File: "invoice", ContentType: "application/pdf", Filename: "b.pdf"}}}},
			`curl https://a.example.com/up \
  -F 'meta={"a":1};type=application/json' \
  -F 'note="x;y"' \
  -F 'doc=@invoice;type=application/pdf;filename=b.pdf'`},
		{"binary", NodeConfig{Method: "PUT", URL: "https://a.example.com/f", Body: &Body{Kind: BodyBinary, File: "blob"}},
			"curl -X PUT \\\n  https://a.example.com/f \\\n  --data-binary @blob"},
		{"object", NodeConfig{URL: "https://a.example.com/hook", Object: "order"},
			"curl https://a.example.com/hook \\\n  -H 'Content-Type: application/json' \\\n  --data-raw '{{order}}'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.node.Curl(nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestCurlExportErrors: an invalid node, and values no command can carry.
func TestCurlExportErrors(t *testing.T) {
	_, err := (&NodeConfig{URL: "ftp://x"}).Curl(nil)
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	_, err = (&NodeConfig{Method: "POST", URL: "https://a.example.com/", Body: &Body{Kind: BodyRaw, Raw: "a\x00b"}}).Curl(nil)
	require.ErrorContains(t, err, "NUL byte")
	_, err = (&NodeConfig{Method: "POST", URL: "https://a.example.com/", Body: &Body{Kind: BodyFormData, Fields: []FormField{{Key: "a=b", Value: "1"}}}}).Curl(nil)
	require.ErrorContains(t, err, "holds '='")
}

// TestCurlExportRendered: with params, values are rendered as Execute
// renders them and every secret is [REDACTED].
func TestCurlExportRendered(t *testing.T) {
	node := &NodeConfig{Method: "POST", URL: "https://api.example.com/users/{{id}}?sig={{sig}}",
		Headers: []KeyValue{{Key: "Authorization", Value: "Bearer {{token}}"}, {Key: "X-Tenant", Value: "{{tenant}}"}},
		Body:    &Body{Kind: BodyRaw, Raw: `{"name":"{{name}}","key":"{{apiKey}}"}`}}
	got, err := node.Curl(Values{"id": "a/b", "sig": "xyz", "token": Secret("tok-123"), "tenant": "acme", "name": `Ada "A"`, "apiKey": Secret("k-456")})
	require.NoError(t, err)
	assert.Equal(t, `curl -g \
  'https://api.example.com/users/a%2Fb?sig=[REDACTED]' \
  -H 'Authorization: [REDACTED]' \
  -H 'X-Tenant: acme' \
  -H 'Content-Type: application/json' \
  --data-raw '{"name":"Ada \"A\"","key":"[REDACTED]"}'`, got)
	for _, secret := range []string{"tok-123", "k-456", "xyz"} {
		assert.NotContains(t, got, secret)
	}
}

// TestCurlExportRuns runs exported commands with the real curl and the
// nodes with Execute against one loopback server: both send the same.
func TestCurlExportRuns(t *testing.T) {
	curlBin := testpeer.LookCurl(t)
	srv := testpeer.NewCapture(t, "curl/", UserAgent)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.pdf")
	require.NoError(t, os.WriteFile(path, []byte("%PDF"), 0o644))
	doc := File{Name: "a.pdf", ContentType: "application/pdf", Size: 4, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
	params := Values{"id": "a b/c", "q": "x&y", "doc": doc, "name": `Ada "A"`}
	nodes := []NodeConfig{
		{URL: srv.URL + "/u/{{id}}", Query: []KeyValue{{Key: "q", Value: "{{q}}"}}, Headers: []KeyValue{{Key: "X-A", Value: "{{name}}"}, {Key: "Host", Value: "api.example.com"}}},
		{Method: "PATCH", URL: srv.URL + "/j", Body: &Body{Kind: BodyRaw, Raw: `{"n":"{{name}}"}`}},
		{Method: "POST", URL: srv.URL + "/f", Body: &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "n", Value: "{{name}}"}, {Key: "q", Value: "{{q}}"}}}},
		{Method: "POST", URL: srv.URL + "/m", Body: &Body{Kind: BodyFormData, Fields: []FormField{{Key: "n", Value: "{{name}}", ContentType: "text/plain"}, {Key: "d", File: "doc", Filename: "b.pdf"}}}},
		{Method: "purge", URL: srv.URL + "/p"},
	}
	client := testClient(t)
	for _, node := range nodes {
		cmd, err := node.Curl(params)
		require.NoError(t, err)
		t.Run(cmd, func(t *testing.T) {
			want := testpeer.RunCurl(t, srv, curlBin, cmd, dir)
			_, err = client.Execute(context.Background(), &node, params)
			require.NoError(t, err)
			got := srv.Take()
			require.Len(t, want, 1)
			require.Len(t, got, 1)
			assert.Equal(t, want[0], got[0])
		})
	}
}

// TestCurlExportSecrets: Curl never prints a credential or a Secret,
// whether it comes from a parameter (plain string or Secret) or is typed
// into the node.
func TestCurlExportSecrets(t *testing.T) {
	const pw = "pl41nPASS"
	for name, tc := range map[string]struct {
		node   NodeConfig
		params Params
	}{
		"basic from a plain value": {NodeConfig{URL: "https://a.example/", Auth: &Auth{Type: "basic", Username: "u", Password: "{{pw}}"}}, Values{"pw": pw}},
		"basic typed":              {NodeConfig{URL: "https://a.example/", Auth: &Auth{Type: "basic", Username: "u", Password: pw}}, nil},
		"bearer typed, params":     {NodeConfig{URL: "https://a.example/", Auth: &Auth{Type: "bearer", Token: pw}}, Values{}},
		"apiKey query":             {NodeConfig{URL: "https://a.example/", Auth: &Auth{Type: "apiKey", Name: "key", In: "query", Value: "{{k}}"}}, Values{"k": pw}},
		"digest":                   {NodeConfig{URL: "https://a.example/", Auth: &Auth{Type: "digest", Username: "u", Password: pw}}, Values{}},
		"secret header":            {NodeConfig{URL: "https://a.example/", Headers: []KeyValue{{Key: "X-T", Value: "{{s}}"}}}, Values{"s": Secret(pw)}},
		"secret in raw body":       {NodeConfig{Method: "POST", URL: "https://a.example/", Body: &Body{Kind: BodyRaw, Raw: `{"p":"{{s}}"}`}}, Values{"s": Secret(pw)}},
		"oauth2 client secret":     {NodeConfig{URL: "https://a.example/", Auth: &Auth{Type: "oauth2", OAuth2: &OAuth2{Grant: "client_credentials", TokenURL: "https://a.example/t", ClientID: "c", ClientSecret: pw}}}, Values{}},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := tc.node.Curl(tc.params)
			if err != nil {
				assert.NotContains(t, err.Error(), pw)
				return
			}
			require.NotEmpty(t, out)
			assert.NotContains(t, out, pw)
			assert.NotContains(t, out, "dTpwbDQxblBBU1M") // base64 "u:pl41nPASS"
		})
	}
}

// TestCurlExportRendersAsRun: with params the export renders through the
// run's own render, so it refuses what the run refuses (a control
// character in a header, which the run never sends) with the run's kind
// param failure, and writes the node's headers in the node's order without
// the ones Execute adds by itself.
func TestCurlExportRendersAsRun(t *testing.T) {
	node := &NodeConfig{URL: "https://api.example.com/x", Headers: []KeyValue{{Key: "X-B", Value: "{{v}}"}, {Key: "X-A", Value: "1"}}}
	_, err := node.Curl(Values{"v": "a\x01b"})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindParam, f.Kind)
	_, runErr := testClient(t).Execute(context.Background(), node, Values{"v": "a\x01b"})
	require.ErrorAs(t, runErr, &f)
	assert.Equal(t, f.Message, err.(*Failure).Message, "the same words as the run")

	got, err := node.Curl(Values{"v": "b"})
	require.NoError(t, err)
	assert.Equal(t, "curl https://api.example.com/x \\\n  -H 'X-B: b' \\\n  -H 'X-A: 1'", got)
	node.Headers = append(node.Headers, KeyValue{Key: "Idempotency-Key", Value: "k-1"})
	got, err = node.Curl(Values{"v": "b"})
	require.NoError(t, err)
	assert.Contains(t, got, "-H 'Idempotency-Key: k-1'", "a node's own key is written")
}
