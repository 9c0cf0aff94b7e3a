package httpstep

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/idna"
)

// TestFormCache: a cached secret has exactly the forms computed afresh, the
// cache forgets everything when full rather than grow, and concurrent runs
// of one Step may share it (go test -race).
func TestFormCache(t *testing.T) {
	var c formCache
	for _, s := range []string{"t0k3n", " padded ", `quo"te<&>`, "p@ss/word?", "ab"} {
		assert.Equal(t, secretForms(s), c.forms(s), s)
		assert.Equal(t, secretForms(s), c.forms(s), "%s, from the cache", s)
	}
	assert.Contains(t, secretForms(`quo"te<&>`), `quo\"te<&>`, "JSON-escaped")
	assert.Empty(t, secretForms("ab"), "too short to find in text")

	for i := range 3 * maxCachedSecrets {
		c.forms(fmt.Sprintf("secret-%d", i))
	}
	assert.LessOrEqual(t, len(c.m), maxCachedSecrets)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				s := fmt.Sprintf("value-%d", (i*j)%100)
				if got := c.forms(s); !assert.Equal(t, secretForms(s), got) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestStepRedactsFromTheCache: the second run of a Step, whose secret forms
// come from the cache, redacts the echoed credential as the first did.
func TestStepRedactsFromTheCache(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"echo":%q,"query":%q}`, r.Header.Get("Authorization"), r.URL.RawQuery)
	})
	step, err := (&NodeConfig{
		URL:     srv.URL + "/x",
		Query:   []KeyValue{{"q", "{{token}}"}},
		Headers: []KeyValue{{"Authorization", "Bearer {{token}}"}},
	}).Compile()
	require.NoError(t, err)
	c := testClient(t)
	for run := range 3 {
		res, err := c.Run(t.Context(), step, Values{"token": Secret("s3cr3t value")})
		require.NoError(t, err)
		assert.Equal(t, "Bearer s3cr3t value", res.Get("echo").String(), "the secret was sent")
		b, err := json.Marshal(res.Attempts)
		require.NoError(t, err)
		for _, form := range []string{"s3cr3t value", "s3cr3t+value", "s3cr3t%20value"} {
			assert.NotContains(t, string(b), form, "run %d", run)
		}
	}
}

// TestPreviewCutThroughSecret: a secret that the 4 KiB preview cut splits
// shows none of its characters, in the request preview nor in the echoed
// response, wherever the cut falls inside it.
func TestPreviewCutThroughSecret(t *testing.T) {
	const secret = "s3cr3t-0123456789abcdefghijklmnopqrstuvwxyz"
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) })
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

// TestEchoedCredentialForms: an API that echoes a credential back in the
// escaping of its own language (encoding/json's \u003c, Python's \u00e9,
// PHP's \/, .NET's lower-case %2f) shows none of them in the history, for
// every auth type and for a Secret parameter.
func TestEchoedCredentialForms(t *testing.T) {
	forms := echoedForms
	srv := newEchoServer(t)
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
		res, _ := c.Execute(context.Background(), node, Values{"p": echoedSecret, "s": Secret(echoedSecret)})
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

// echoedSecret is a credential with every character that escapes
// differently in a URL, JSON, XML and base64.
const echoedSecret = `p<a>s&s"w'o rd/é+1`

// echoedForms are echoedSecret in every form an API may echo it back in,
// by name; "basic" is the Basic form of user bob.
var echoedForms = func() map[string]string {
	goJSON, _ := json.Marshal(echoedSecret)
	return map[string]string{
		"raw":           echoedSecret,
		"encoding/json": string(goJSON[1 : len(goJSON)-1]),
		"python json":   `p<a>s&s\"w'o rd/\u00e9+1`,
		"php json":      `p<a>s&s\"w'o rd\/\u00e9+1`,
		"query":         url.QueryEscape(echoedSecret),
		"path":          url.PathEscape(echoedSecret),
		"lower-hex":     strings.ToLower(url.QueryEscape(echoedSecret)),
		"basic":         base64.StdEncoding.EncodeToString([]byte("bob:" + echoedSecret)),
	}
}()

// newEchoServer is a loopback API that answers every request with every
// one of echoedForms, one per line.
func newEchoServer(t *testing.T) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		for k, v := range echoedForms {
			fmt.Fprintf(w, "%s=%s\n", k, v)
		}
	})
}

// jsonInner is s as it stands inside a JSON string.
func jsonInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
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
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(200 * time.Millisecond) })
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
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"code":%q}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	})
	node := &NodeConfig{URL: srv.URL, Auth: &Auth{Type: AuthBearer, Token: "{{t}}"}, Success: SuccessRule{ErrorCodePath: "code", SuccessValues: []string{"0"}}}
	res, err := testClient(t).Execute(context.Background(), node, Values{"t": secret})
	require.Error(t, err)
	assert.Equal(t, KindErrorCode, res.Failure.Kind)
	assert.NotContains(t, res.Failure.Code, secret)
	assert.NotContains(t, err.Error(), secret)
}

// TestEscapedCredentialRedacted: a credential that needs escaping is
// redacted raw, base64-Basic, URL- and JSON-escaped, in Attempts, errors
// and Redact, even when the API echoes it in a failed answer. The JSON
// forms are the ones real APIs write: Go's encoding/json (HTML-safe by
// default), Python's json.dumps (ASCII only) and PHP's json_encode (ASCII
// only, slashes escaped).
func TestEscapedCredentialRedacted(t *testing.T) {
	const pw = `p"a&s s/\é<`
	common := []string{
		pw, url.QueryEscape(pw), url.PathEscape(pw),
		`p\"a&s s/\\é<`,           // JSON, no HTML escaping
		`p\"a\u0026s s/\\é\u003c`, // Go's json.Marshal
		`p\"a&s s/\\\u00e9<`,      // Python's json.dumps
		`p\"a&s s\/\\\u00e9<`,     // PHP's json_encode
	}
	goJSON, _ := json.Marshal(pw)
	require.Equal(t, `"`+common[4]+`"`, string(goJSON))
	c := testClient(t)
	for _, tc := range []struct {
		auth  Auth
		forms []string
	}{
		{Auth{Type: AuthBasic, Username: "u", Password: "{{pw}}"}, append([]string{base64.StdEncoding.EncodeToString([]byte("u:" + pw))}, common...)},
		{Auth{Type: AuthBearer, Token: "{{pw}}"}, common},
		{Auth{Type: AuthAPIKey, Name: "k", In: InQuery, Value: "{{pw}}"}, common},
	} {
		t.Run(tc.auth.Type, func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(500)
				io.WriteString(w, strings.Join(tc.forms, " | "))
			})
			node := &NodeConfig{URL: srv.URL + "/x", Auth: &tc.auth}
			res, err := c.Execute(context.Background(), node, Values{"pw": pw})
			require.Error(t, err)
			hist, _ := json.Marshal(res.Attempts)
			for _, f := range tc.forms {
				var body string
				if res.Attempts[0].Response != nil {
					body = res.Attempts[0].Response.Body
				}
				assert.NotContains(t, body, f)
				assert.NotContains(t, string(hist), jsonInner(f))
				assert.NotContains(t, err.Error(), f)
				assert.NotContains(t, res.Redact("x "+f+" y"), f)
			}
		})
	}
}

// BenchmarkSecretForms: the redaction forms of one secret, computed once
// per value and Step (a bearer token with a character JSON and URLs
// escape).
func BenchmarkSecretForms(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(secretForms("t0k3n/with&odd<chars>é")) == 0 {
			b.Fatal("no forms")
		}
	}
}

// TestEchoedJSONBodySecret: a Secret placed in a raw JSON body is sent
// JSON-escaped; an API that echoes the body as a JSON string (httpbin's
// "data") escapes it again. The history shows neither form.
func TestEchoedJSONBodySecret(t *testing.T) {
	base := httpbinURL(t)
	c := testClient(t)
	node := &NodeConfig{Method: "POST", URL: base + "/anything", Body: &Body{Kind: BodyRaw, Raw: `{"note": "{{s}}"}`}}
	res, err := c.Execute(context.Background(), node, Values{"s": Secret(echoedSecret)})
	require.NoError(t, err)
	inner := func(s string) string { j := jsonString(s); return string(j[1 : len(j)-1]) }
	sent := inner(echoedSecret)
	require.Contains(t, string(res.Body), inner(sent), "httpbin echoes the body escaped twice")
	for _, twice := range []string{inner(sent), jsonInner(sent), htmlSafeJSON.Replace(inner(sent))} {
		assert.NotContains(t, res.Attempts[0].Response.Body, twice)
	}
	assert.NotContains(t, res.Attempts[0].Response.Body, "w'o rd")
}

// everyForm is what redactor.text must give: each form, longest first,
// replaced wherever it is in s as the earlier ones left it.
func everyForm(r *redactor, s string) string {
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, redacted)
	}
	return s
}

// TestRedactorTextLooksOnce: a text without the secret costs one look for
// all its forms, and the result is the one of looking for every form,
// also where a replacement makes a new match (a secret that holds part of
// the marker) and for a run with more forms than within relates.
func TestRedactorTextLooksOnce(t *testing.T) {
	const tok = "t0k3n-6f1d2c9a"
	bearer := http.Header{"Authorization": {"Bearer " + tok}}
	many := make([]string, 2*maxWithin)
	for i := range many {
		many[i] = fmt.Sprintf("secret-%02d", i)
	}
	tests := []struct {
		name    string
		secrets []string
		header  http.Header
		texts   []string
	}{
		{"bearer token", []string{tok}, bearer, []string{
			`{"id":"ord_1","status":"paid"}`, "Bearer " + tok, "bearer " + tok, "Bearer%20" + tok, "Bearer+" + tok,
			"a " + tok + " b " + tok, "t0k3n-6f1d2c9", "",
		}},
		{"a replacement makes a match", []string{"ED]xyz", "abc"}, http.Header{"Authorization": {"Bearer abc"}}, []string{
			"Bearer abcxyz", "[REDACTED]xyz", "Bearer abc", "ED]xy",
		}},
		{"more forms than within relates", many, nil, []string{"secret-00 and secret-63", "secret-6", "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRedactor(tt.secrets, nil, tt.header, nil)
			for _, s := range tt.texts {
				assert.Equal(t, everyForm(r, s), r.text(s), s)
			}
		})
	}
	r := newRedactor([]string{tok}, nil, bearer, nil)
	assert.Greater(t, len(r.forms), 2)
	assert.LessOrEqual(t, len(r.forms), maxWithin)
	for i, f := range r.forms[:len(r.forms)-1] {
		assert.Equal(t, len(r.forms)-1, int(r.within[i]), "%q is found through the token it holds", f)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { r.text(`{"id":"ord_1","status":"paid"}`) }))
}

// FuzzRedactorText: text gives what looking for every form gives, whatever
// the secrets and the text.
func FuzzRedactorText(f *testing.F) {
	f.Add("t0k3n-6f1d2c9a", "abc", "Bearer t0k3n-6f1d2c9a and abc")
	f.Add("ED]xyz", "abc", "Bearer abcxyz [REDACTED]xyz")
	f.Add("a&b=c", "é\"x", `{"k":"a\u0026b=c","v":"\u00e9\"x"}`)
	f.Fuzz(func(t *testing.T, s1, s2, text string) {
		r := newRedactor([]string{s1, s2}, nil, http.Header{"Authorization": {"Bearer " + s1}, "X-Api-Key": {s2}}, nil)
		if got, want := r.text(text), everyForm(r, text); got != want {
			t.Fatalf("text(%q) = %q, looking for every form gives %q (forms %q)", text, got, want, r.forms)
		}
	})
}

// BenchmarkRedactorText: the history's scan of a 1 KiB JSON answer that
// holds no secret, for a run with a bearer token (5 forms).
func BenchmarkRedactorText(b *testing.B) {
	const tok = "t0k3n-6f1d2c9a"
	r := newRedactor([]string{tok}, nil, http.Header{"Authorization": {"Bearer " + tok}}, nil)
	body := `{"id":"ord_1","status":"paid & shipped","total":19.5,"note":"` + strings.Repeat("thanks, that is the order. ", 36) + `"}`
	b.ReportAllocs()
	for b.Loop() {
		if r.text(body) != body {
			b.Fatal("redacted a text without the secret")
		}
	}
}

// FuzzContainsAt: the search from a form's rarest byte agrees with
// strings.Contains.
func FuzzContainsAt(f *testing.F) {
	f.Add(strings.Repeat("that text ", 40)+"t0k3n-6f1d2c9a", "t0k3n-6f1d2c9a")
	f.Add("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk-k3", "k-k3")
	f.Add("abc", "")
	f.Add("é中文é", "中文")
	f.Fuzz(func(t *testing.T, s, form string) {
		if got, want := containsAt(s, form, rarest(form)), strings.Contains(s, form); got != want {
			t.Fatalf("containsAt(%q, %q) = %v, strings.Contains says %v", s, form, got, want)
		}
	})
}
