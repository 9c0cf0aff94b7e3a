package httpstep

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/tokenpeer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/idna"
)

// TestPreviewCutThroughSecret: a secret that the 4 KiB preview cut splits
// shows none of its characters, in the request preview nor in the echoed
// response, wherever the cut falls inside it.
func TestPreviewCutThroughSecret(t *testing.T) {
	const secret = "s3cr3t-0123456789abcdefghijklmnopqrstuvwxyz"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	c := testClient(t)
	for _, before := range []int{previewBytes - 4, previewBytes - 20, previewBytes - len(secret) + 1} {
		t.Run(fmt.Sprint(before), func(t *testing.T) {
			node := &NodeConfig{URL: srv.URL, Method: "POST", Body: &Body{Kind: "raw", ContentType: "text/plain",
				Raw: strings.Repeat("a", before) + "{{k}}" + strings.Repeat("b", 100)}}
			res, err := c.Execute(context.Background(), node, Values{"k": Secret(secret)})
			require.NoError(t, err)
			b, err := json.Marshal(res.Attempts)
			require.NoError(t, err)
			assert.NotContains(t, string(b), secret[:3], "the start of a cut secret")
			assert.True(t, res.Attempts[0].Request.Truncated)
			assert.True(t, res.Attempts[0].Response.Truncated)
		})
	}
}

// TestBasicUserWithColon: a basic-auth username that renders with a ':'
// would move the rest of it into the password the server reads (RFC 7617
// forbids it): the attempt fails with kind param and nothing is sent,
// whether the colon is typed or comes from a value.
func TestBasicUserWithColon(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	c := testClient(t)
	for _, user := range []string{"{{u}}", "admin{{u}}"} {
		node := &NodeConfig{URL: srv.URL, Auth: &Auth{Type: AuthBasic, Username: user, Password: "pw-{{p}}"}}
		res, err := c.Execute(context.Background(), node, Values{"u": "admin:x", "p": "secret"})
		require.Error(t, err, user)
		require.NotNil(t, res.Failure, user)
		assert.Equal(t, KindParam, res.Failure.Kind, user)
		assert.Contains(t, res.Failure.Message, "username", user)
	}
	assert.Zero(t, hits, "nothing sent")
	err := (&NodeConfig{URL: srv.URL, Auth: &Auth{Type: AuthBasic, Username: "a:b", Password: "c"}}).Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "auth.username")
}

// TestDownloadJudgedJSONNotInHistory: a download node that checks a
// business code reads a JSON answer into memory to judge it, then saves
// it; the history holds the file's SHA-256, never its content.
func TestDownloadJudgedJSONNotInHistory(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"code":0,"data":"file-content-0123456789"}`)
	}))
	defer srv.Close()
	c := testClient(t)
	c.DownloadDir = t.TempDir()
	node := &NodeConfig{URL: srv.URL + "/report.json", Download: true, Success: SuccessRule{ErrorCodePath: "code", SuccessValues: []string{"0"}}}
	res, err := c.Execute(context.Background(), node, nil)
	require.NoError(t, err)
	require.NotNil(t, res.File)
	b, err := json.Marshal(res.Attempts)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "file-content", "content in the history")
	assert.NotEmpty(t, res.Attempts[len(res.Attempts)-1].Response.File.SHA256)
}

// TestEchoedCredentialForms: an API that echoes a credential back in the
// escaping of its own language (encoding/json's \u003c, Python's \u00e9,
// PHP's \/, .NET's lower-case %2f) shows none of them in the history, for
// every auth type and for a Secret parameter.
func TestEchoedCredentialForms(t *testing.T) {
	const secret = `p<a>s&s"w'o rd/é+1`
	goJSON, _ := json.Marshal(secret)
	forms := map[string]string{
		"raw":           secret,
		"encoding/json": string(goJSON[1 : len(goJSON)-1]),
		"python json":   `p<a>s&s\"w'o rd/\u00e9+1`,
		"php json":      `p<a>s&s\"w'o rd\/\u00e9+1`,
		"query":         url.QueryEscape(secret),
		"path":          url.PathEscape(secret),
		"lower-hex":     strings.ToLower(url.QueryEscape(secret)),
		"basic":         base64.StdEncoding.EncodeToString([]byte("bob:" + secret)),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range forms {
			fmt.Fprintf(w, "%s=%s\n", k, v)
		}
	}))
	defer srv.Close()
	c := testClient(t)
	nodes := map[string]*NodeConfig{
		"secret param": {URL: srv.URL, Headers: []KeyValue{{"X-Sig", "{{s}}"}}},
	}
	for _, a := range []*Auth{
		{Type: AuthBasic, Username: "bob", Password: "{{p}}"},
		{Type: AuthBearer, Token: "{{p}}"},
		{Type: AuthAPIKey, Name: "X-K", Value: "{{p}}"},
		{Type: AuthAPIKey, Name: "k", In: InQuery, Value: "{{p}}"},
		{Type: AuthDigest, Username: "bob", Password: "{{p}}"},
	} {
		nodes[a.Type+" "+a.In] = &NodeConfig{URL: srv.URL, Auth: a}
	}
	for name, node := range nodes {
		res, _ := c.Execute(context.Background(), node, Values{"p": secret, "s": Secret(secret)})
		b, err := json.Marshal(res.Attempts)
		require.NoError(t, err)
		for form, v := range forms {
			if form == "basic" && name != "basic " {
				continue // only basic auth sends (and so redacts) the Basic form
			}
			assert.NotContains(t, string(b), jsonInner(v), "%s: the %s form", name, form)
		}
	}
}

// jsonInner is s as it stands inside a JSON string.
func jsonInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestTokenCacheNeedsTheSecret: a token cached for one client secret or
// password is not handed to a node that renders another: otherwise anyone
// who knows a client id or a username (and shares the Client, as the
// workflows of one engine do) would get its token, sent to a URL of their
// choosing. The wrong credentials make a token request of their own, which
// the endpoint refuses.
func TestTokenCacheNeedsTheSecret(t *testing.T) {
	peer := tokenpeer.New(t, tokenpeer.Options{})
	for _, tc := range []struct {
		grant, param, wrong string
	}{{GrantClientCredentials, "csec", "guessed-secret"}, {GrantPassword, "pw", "guessed-password"}} {
		t.Run(tc.grant, func(t *testing.T) {
			c := testClient(t)
			res, err := c.Execute(context.Background(), oauthNode(peer, tc.grant), oauthParams())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode)
			wrong := oauthParams()
			wrong[tc.param] = tc.wrong
			res, err = c.Execute(context.Background(), oauthNode(peer, tc.grant), wrong)
			require.Error(t, err, "the cached token went to a node with the wrong credentials")
			assert.Equal(t, KindAuth, res.Failure.Kind)
		})
	}
}

// TestRawFormBodyEscapesValues: a raw body sent as
// application/x-www-form-urlencoded has no form encoder to escape its
// values, so a value with '&' or '=' would add fields: values are
// query-escaped there, as in a URL's query.
func TestRawFormBodyEscapesValues(t *testing.T) {
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		got = r.PostForm
	}))
	defer srv.Close()
	for _, ct := range []string{"application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8"} {
		node := &NodeConfig{URL: srv.URL, Method: "POST", Body: &Body{Kind: BodyRaw, ContentType: ct, Raw: "a={{v}}&c=1"}}
		_, err := testClient(t).Execute(context.Background(), node, Values{"v": "x y&admin=true"})
		require.NoError(t, err)
		assert.Equal(t, url.Values{"a": {"x y&admin=true"}, "c": {"1"}}, got, ct)
	}
}

// TestTrimPartial: the end of a cut text that starts a secret form is
// dropped (the longest such end), and nothing else.
func TestTrimPartial(t *testing.T) {
	r := &redactor{forms: []string{"abcdef", "xyz123"}}
	for in, want := range map[string]string{
		"text abc":     "text ",
		"text a":       "text ",
		"text abcdeX":  "text abcdeX",
		"text xyz12":   "text ",
		"aaaa":         "aaa",
		"no secret":    "no secret",
		"":             "",
		"abcdef whole": "abcdef whole",
	} {
		assert.Equal(t, want, r.trimPartial(in), in)
	}
	long := strings.Repeat("k", 4000) // a PEM key's length, all one letter: the worst case stays fast
	r = &redactor{forms: []string{long}}
	assert.Empty(t, r.trimPartial(strings.Repeat("k", previewBytes)[:3999]))
}

// TestFailureChainHoldsNoSecret: the error chain under a Failure (what a
// host logs with errors.Unwrap or %v of Failure.Err) carries no secret
// either, while errors.Is still sees the cause's sentinels.
func TestFailureChainHoldsNoSecret(t *testing.T) {
	const secret = "secretval-123"
	c := testClient(t)
	for name, node := range map[string]*NodeConfig{
		"whole URL": {URL: "{{u}}"},
		"host":      {URL: "https://{{h}}.example.com/"},
	} {
		res, err := c.Execute(context.Background(), node, Values{"u": Secret("http://exa mple.com/" + secret), "h": Secret("a/" + secret)})
		require.Error(t, err, name)
		require.NotNil(t, res.Failure, name)
		for e := err; e != nil; e = errors.Unwrap(e) {
			assert.NotContains(t, e.Error(), secret, "%s: %T", name, e)
		}
		assert.NotContains(t, fmt.Sprintf("%+v %#v", res.Failure.Err, res.Failure.Err), secret, name)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(200 * time.Millisecond) }))
	defer srv.Close()
	res, _ := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/{{s}}", Timeout: Duration(50 * time.Millisecond)}, Values{"s": Secret(secret)})
	require.NotNil(t, res.Failure)
	assert.NotContains(t, fmt.Sprint(res.Failure.Err), secret)
	var ue *url.Error
	assert.ErrorAs(t, res.Failure, &ue, "a chain without a secret is kept as it is")
}

// TestSecretInHostRedacted: a Secret placed in the host name is sent
// lower-cased, and IDNA-mapped when it is not ASCII; the history shows
// neither form.
func TestSecretInHostRedacted(t *testing.T) {
	c := &Client{AllowPrivate: true, lookup: newRebinder(nil).lookup}
	puny, err := idna.Lookup.ToASCII("tenänt-key")
	require.NoError(t, err)
	for secret, sent := range map[string]string{"SeCrEt-Tenant": "secret-tenant", "tenänt-key": puny} {
		res, _ := c.Execute(context.Background(), &NodeConfig{URL: "http://{{h}}.localhost:1/"}, Values{"h": Secret(secret)})
		b, err := json.Marshal(res.Attempts)
		require.NoError(t, err)
		assert.NotContains(t, string(b), sent, secret)
		assert.NotContains(t, res.Failure.Error(), sent, secret)
	}
}

// TestFailureCodeRedacted: a business code that echoes a credential is
// scrubbed in the Failure like its message.
func TestFailureCodeRedacted(t *testing.T) {
	const secret = "bearer-secret-42"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"code":%q}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer srv.Close()
	node := &NodeConfig{URL: srv.URL, Auth: &Auth{Type: AuthBearer, Token: "{{t}}"}, Success: SuccessRule{ErrorCodePath: "code", SuccessValues: []string{"0"}}}
	res, err := testClient(t).Execute(context.Background(), node, Values{"t": secret})
	require.Error(t, err)
	assert.Equal(t, KindErrorCode, res.Failure.Kind)
	assert.NotContains(t, res.Failure.Code, secret)
	assert.NotContains(t, err.Error(), secret)
}

// TestHeaderControlCharacterIsParam: a header value with a control
// character HTTP forbids (not only CR, LF and NUL) fails with kind param,
// is not retried, and nothing is sent; a tab and non-ASCII text are fine.
func TestHeaderControlCharacterIsParam(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	c := testClient(t)
	for _, v := range []string{"a\x01b", "a\x7fb", "a\x0bb", "a\x1bb"} {
		for name, node := range map[string]*NodeConfig{
			"header": {URL: srv.URL, Headers: []KeyValue{{"X-A", "{{v}}"}}, Retry: &RetryPolicy{MaxAttempts: 3}},
			"apiKey": {URL: srv.URL, Auth: &Auth{Type: AuthAPIKey, Name: "X-Key", Value: "{{v}}"}, Retry: &RetryPolicy{MaxAttempts: 3}},
			"bearer": {URL: srv.URL, Auth: &Auth{Type: AuthBearer, Token: "{{v}}"}, Retry: &RetryPolicy{MaxAttempts: 3}},
		} {
			res, err := c.Execute(context.Background(), node, Values{"v": v})
			require.Error(t, err, "%s %q", name, v)
			assert.Equal(t, KindParam, res.Failure.Kind, "%s %q", name, v)
			assert.Len(t, res.Attempts, 1, "%s %q: not retried", name, v)
		}
	}
	assert.Zero(t, hits)
	for _, v := range []string{"a\tb", "é"} {
		_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Headers: []KeyValue{{"X-A", "{{v}}"}}}, Values{"v": v})
		require.NoError(t, err, "%q", v)
	}
}

// TestHostHeaderInvalidIsParam: a Host header that renders to something
// net/http refuses as a host fails with kind param before sending, not as a
// network fault retried with back-off.
func TestHostHeaderInvalidIsParam(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	c := testClient(t)
	for _, v := range []string{"a b", "a\"b", "a{b}"} {
		res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Headers: []KeyValue{{"host", "{{v}}"}}, Retry: &RetryPolicy{MaxAttempts: 3}}, Values{"v": v})
		require.Error(t, err, v)
		assert.Equal(t, KindParam, res.Failure.Kind, v)
		assert.Len(t, res.Attempts, 1, v)
	}
	assert.Zero(t, hits)
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, Headers: []KeyValue{{"Host", "api.example.com:8080"}}}, nil)
	require.NoError(t, err)
	assert.True(t, res.OK())
}
