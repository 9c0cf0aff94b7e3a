package httpstep

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/callbackurl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dryCase is a node of the dry-run tests, built on the API's base URL.
type dryCase struct {
	name string
	node func(base string) *NodeConfig
	// shown are the header values (canonical names) the dry run shows
	// exactly, placeholders included.
	shown map[string]string
	// query is what the recorded URL's query must contain.
	query string
	// challenge: the real run's first request goes without the credential
	// header (digest answers a challenge), so the comparison skips it.
	challenge bool
}

// drySecretValues give every credential ref echoedSecret, in every form an
// API could echo it in (echoedForms).
// acct is a plain value that only the credential headers use, which the
// history redacts whole.
var drySecretValues = Values{"p": echoedSecret, "s": Secret(echoedSecret), "user": "bob", "acct": dryAccount}

const dryAccount = "acct-plain-77"

// dryTokenURL is where the token requests of dryCases go.
func dryTokenURL(base string) string { return base + "/token" }

var dryCases = []dryCase{
	{name: "none, secret in path, query, header and JSON body", node: func(b string) *NodeConfig {
		return &NodeConfig{Method: "POST", URL: b + "/v1/{{s}}?q={{s}}", Headers: []KeyValue{{"X-Sig", "{{s}}"}},
			Body: &Body{Kind: BodyRaw, Raw: `{"k":"{{s}}","n":1}`}}
	}, shown: map[string]string{"Content-Type": "application/json", "X-Sig": redacted}, query: "q=" + redacted},
	{name: "form body with a secret field", node: func(b string) *NodeConfig {
		return &NodeConfig{Method: "POST", URL: b + "/f", Body: &Body{Kind: BodyURLEncoded, Fields: []FormField{{Key: "a", Value: "1"}, {Key: "password", Value: "{{p}}"}}}}
	}},
	{name: "basic", node: authNode(&Auth{Type: AuthBasic, Username: "{{user}}", Password: "{{p}}"}),
		shown: map[string]string{"Authorization": redacted}},
	{name: "bearer", node: authNode(&Auth{Type: AuthBearer, Token: "{{p}}"}),
		shown: map[string]string{"Authorization": redacted}},
	{name: "apiKey header", node: authNode(&Auth{Type: AuthAPIKey, Name: "X-K", Value: "{{p}}"}),
		shown: map[string]string{"X-K": redacted}},
	{name: "apiKey query", node: authNode(&Auth{Type: AuthAPIKey, Name: "k", In: InQuery, Value: "{{p}}"}), query: "k=" + redacted},
	{name: "digest", node: authNode(&Auth{Type: AuthDigest, Username: "{{user}}", Password: "{{p}}"}),
		shown: map[string]string{"Authorization": placeholderDigest}, challenge: true},
	{name: "oauth2", node: func(b string) *NodeConfig {
		return authNode(&Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: dryTokenURL(b),
			ClientID: "cid", ClientSecret: "{{p}}"}})(b)
	}, shown: map[string]string{"Authorization": placeholderOAuth2}},
	{name: "token in a header", node: func(b string) *NodeConfig {
		return authNode(&Auth{Type: AuthToken, Name: "X-Token", Value: "Token {{acct}}.{{$token}}", Fetch: &TokenFetch{
			Request: NodeConfig{Method: "POST", URL: dryTokenURL(b), Body: &Body{Kind: BodyRaw, Raw: `{"secret":"{{p}}"}`}}}})(b)
	}, shown: map[string]string{"X-Token": "Token [REDACTED]." + placeholderToken}},
	{name: "token in the query", node: func(b string) *NodeConfig {
		return authNode(&Auth{Type: AuthToken, Name: "access_token", In: InQuery, Fetch: &TokenFetch{
			Request: NodeConfig{URL: dryTokenURL(b), Query: []KeyValue{{"secret", "{{p}}"}}}}})(b)
	}, query: "access_token=" + placeholderToken},
	{name: "awsSigV4", node: authNode(&Auth{Type: AuthAWSSigV4, AWS: &AWSAuth{AccessKeyID: "AKIADRYRUN", SecretAccessKey: "{{p}}",
		SessionToken: "{{s}}", Region: "eu-west-1", Service: "execute-api"}}),
		shown: map[string]string{"Authorization": placeholderAWS, "X-Amz-Security-Token": redacted}},
	{name: "signature in header, query and body", node: func(b string) *NodeConfig {
		n := authNode(&Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256, Key: "{{p}}", Message: "{{$timestamp}}{{$query}}",
			Headers: []KeyValue{{"X-Signature", "t={{$timestamp}},v1={{$signature}}"}, {"X-Time", "{{$timestamp}}"},
				{"X-Auth", "{{acct}}:{{$signature}}"}},
			Query: []KeyValue{{"sign", "{{$signature}}"}}}})(b)
		n.Method, n.Body = "POST", &Body{Kind: BodyRaw, Raw: `{"sig":"{{$signature}}","n":1}`}
		return n
	}, shown: map[string]string{"X-Signature": "t=1700000000,v1=" + placeholderSignature, "X-Time": "1700000000",
		"X-Auth": "[REDACTED]:" + placeholderSignature},
		query: "sign=" + placeholderSignature},
	{name: "webhook signing", node: func(b string) *NodeConfig {
		return &NodeConfig{Method: "POST", URL: b + "/hook", Sign: true, Body: &Body{Kind: BodyRaw, Raw: `{"event":"paid"}`}}
	}, shown: map[string]string{"Webhook-Signature": placeholderWebhook, "Webhook-Timestamp": "1700000000"}},
	{name: "paginate: the first page", node: func(b string) *NodeConfig {
		return &NodeConfig{URL: b + "/items?size=2", Paginate: &Pagination{Mode: PaginatePage, Param: "page", ItemsPath: "items"}}
	}, query: "size=2&page=1"},
	{name: "async: the first request", node: func(b string) *NodeConfig {
		return &NodeConfig{Method: "POST", URL: b + "/jobs", Async: &Async{URLPath: "url"}, Body: &Body{Kind: BodyRaw, Raw: `{"job":1}`}}
	}},
	{name: "download, with retries", node: func(b string) *NodeConfig {
		return &NodeConfig{URL: b + "/file.bin", Download: true, Retry: &RetryPolicy{MaxAttempts: 2}}
	}},
	{name: "callback", node: func(b string) *NodeConfig {
		return &NodeConfig{Method: "POST", URL: b + "/pay", Callback: &Callback{}, Body: &Body{Kind: BodyRaw, Raw: `{"notify":"{{$callback.url}}"}`}}
	}},
}

// authNode is a GET of base+"/api" with auth a.
func authNode(a *Auth) func(base string) *NodeConfig {
	return func(base string) *NodeConfig {
		c := *a
		c.AllowCleartext = true // the DNS test's name is not loopback
		return &NodeConfig{URL: base + "/api", Auth: &c}
	}
}

// dryClient is a Client on a fixed clock (signatures' timestamps), with a
// signing secret for nodes that sign.
func dryClient(t *testing.T) *Client {
	c := signedClient(t, time.Unix(1700000000, 0))
	c.SigningSecret = Secret("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	return c
}

// TestDryRunMatchesRun: for every auth type and every kind of node, the
// request DryRun gives is the request a real Run sends first (its
// Attempt.Request against a loopback API), the same method, URL, header
// and body preview, except where a placeholder stands for what only
// sending gives, and that placeholder says so. No form of any secret is in
// it.
func TestDryRunMatchesRun(t *testing.T) {
	api := dryAPI(t)
	c := dryClient(t)
	ctx := callbackurl.With(t.Context(), api.URL+"/callback/one-use-"+"c4Jq9TzX")
	for _, tc := range dryCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.node(api.URL).Compile()
			require.NoError(t, err)
			dry, err := c.DryRun(t.Context(), s, drySecretValues)
			require.NoError(t, err)
			res, _ := c.Run(ctx, s, drySecretValues)
			sent := firstOwnAttempt(t, res)
			assertNoSecretForm(t, dry)
			for k, want := range tc.shown {
				assert.Equal(t, []string{want}, dry.Header[k], "header %s", k)
			}
			assert.Contains(t, dry.URL, tc.query)
			if tc.challenge {
				delete(dry.Header, "Authorization")
			}
			assert.Equal(t, asHistory(sent.Request), asHistory(*dry))
		})
	}
}

// firstOwnAttempt is the record of the run's first request to the API
// (not a token request).
func firstOwnAttempt(t *testing.T, res *Result) Attempt {
	t.Helper()
	for _, a := range res.Attempts {
		if a.Auth == "" {
			return a
		}
	}
	t.Fatalf("the run sent no request of its own: %+v", res.Attempts)
	return Attempt{}
}

// placeholderRE finds a dry run's placeholders.
var placeholderRE = regexp.MustCompile(`\[[^\[\]]*when the step runs\]`)

// asHistory is rec as the history would show a run's request: a
// placeholder is what the history redacts ([REDACTED], a header holding
// one redacted whole), and the values each run draws afresh (its
// Idempotency-Key and webhook id) are blanked.
func asHistory(rec RequestRecord) RequestRecord {
	h := map[string][]string{}
	for k, vs := range rec.Header {
		out := make([]string, len(vs))
		for i, v := range vs {
			switch {
			case k == idempotencyHeader || k == "Webhook-Id":
				out[i] = "fresh"
			case placeholderRE.MatchString(v):
				out[i] = redacted
			default:
				out[i] = v
			}
		}
		h[k] = out
	}
	rec.Header = h
	rec.URL = placeholderRE.ReplaceAllString(rec.URL, redacted)
	rec.Body = placeholderRE.ReplaceAllString(rec.Body, redacted)
	return rec
}

// assertNoSecretForm fails when any form of echoedSecret is in rec.
func assertNoSecretForm(t *testing.T, rec *RequestRecord) {
	t.Helper()
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	for form, v := range echoedForms {
		assert.NotContains(t, string(b), jsonInner(v), "the %s form", form)
		assert.NotContains(t, rec.URL+rec.Body, v, "the %s form", form)
	}
	assert.NotContains(t, string(b), dryAccount, "a value of a header the history redacts whole")
}

// dryAPI is a loopback API: a token endpoint (as an OAuth2 server and as
// auth.fetch read it) at /token, {} everywhere else.
func dryAPI(t *testing.T) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/token" {
			io.WriteString(w, `{"access_token":"issued-tok-7Yx2Qp","token_type":"Bearer","expires_in":3600}`)
			return
		}
		io.WriteString(w, `{"url":"/jobs/1","items":[]}`)
	})
}

// dryResolver is a resolver that records each name asked and answers
// 127.0.0.1 (the counting listener); it never asks real DNS.
type dryResolver struct {
	mu    sync.Mutex
	asked []string
}

func (r *dryResolver) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, host)
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

// TestDryRunSendsNothing: DryRun of every dryCase, the API and its token
// endpoint a counting listener behind a name only the test's resolver
// knows, accepts no connection and looks up no name. The control, a real
// Run of the same node with the same Client, is counted and looked up.
func TestDryRunSendsNothing(t *testing.T) {
	ln := listenCounting(t, "127.0.0.1:0")
	dns := &dryResolver{}
	c := attackClient(t, dns.lookup, "127.0.0.0/8")
	c.Now, c.SigningSecret = dryClient(t).Now, "whsec_dGVzdA=="
	base := "http://api.dryrun.test:" + ln.port()
	for _, tc := range dryCases {
		s, err := tc.node(base).Compile()
		require.NoError(t, err)
		_, err = c.DryRun(t.Context(), s, drySecretValues)
		require.NoError(t, err, tc.name)
	}
	assert.Zero(t, ln.n.Load(), "connections accepted")
	dns.mu.Lock()
	assert.Empty(t, dns.asked, "names looked up")
	dns.mu.Unlock()

	s, err := dryCases[2].node(base).Compile() // the control: basic auth, sent
	require.NoError(t, err)
	_, _ = c.Run(t.Context(), s, drySecretValues)
	assert.Positive(t, ln.n.Load(), "the real run reached the listener")
	dns.mu.Lock()
	assert.Contains(t, dns.asked, "api.dryrun.test")
	dns.mu.Unlock()
}

// TestDryRunOpensNoAttachment: the attachments of a form-data body are
// listed (field, name, type, size) as the history lists them, and none is
// opened, also when awsSigV4 would hash them.
func TestDryRunOpensNoAttachment(t *testing.T) {
	var opened atomic.Int32
	file := &File{Name: "report.pdf", Size: 5, Open: func() (io.ReadCloser, error) {
		opened.Add(1)
		return io.NopCloser(strings.NewReader("%PDF-")), nil
	}}
	node := &NodeConfig{Method: "POST", URL: "http://127.0.0.1:9/upload", Body: &Body{Kind: BodyFormData,
		Fields: []FormField{{Key: "note", Value: "q3"}, {Key: "doc", File: "doc"}}},
		Auth: &Auth{Type: AuthAWSSigV4, AWS: &AWSAuth{AccessKeyID: "AKIADRYRUN", SecretAccessKey: "{{p}}", Region: "eu-west-1", Service: "s3"}}}
	s, err := node.Compile()
	require.NoError(t, err)
	rec, err := dryClient(t).DryRun(t.Context(), s, Values{"doc": file, "p": Secret(echoedSecret)})
	require.NoError(t, err)
	assert.Zero(t, opened.Load(), "attachments opened")
	assert.Equal(t, []FileRecord{{Field: "doc", Name: "report.pdf", ContentType: "application/pdf", Size: 5}}, rec.Files)
	assert.Empty(t, rec.Body, "a streamed body has no preview")
	assert.Equal(t, []string{placeholderHash}, rec.Header["X-Amz-Content-Sha256"])
	assert.Equal(t, []string{placeholderAWS}, rec.Header["Authorization"])
	assert.Contains(t, rec.Header["Content-Type"][0], "multipart/form-data; boundary=")
}

// TestDryRunErrors: what Run refuses before sending, DryRun refuses with
// the same typed error and message, whatever the failure policy; nothing
// of a secret is in it.
func TestDryRunErrors(t *testing.T) {
	c := dryClient(t)
	_, err := c.DryRun(t.Context(), nil, nil)
	var cfg *ConfigError
	require.ErrorAs(t, err, &cfg)
	_, runErr := c.Run(t.Context(), nil, nil)
	assert.Equal(t, runErr.Error(), err.Error())

	for name, tc := range map[string]struct {
		node   *NodeConfig
		params Values
	}{
		"a header with a line break": {&NodeConfig{URL: "http://127.0.0.1:9/", Headers: []KeyValue{{"X-Id", "{{id}}"}}, OnFailure: Continue},
			Values{"id": "1\r\nX-Admin: yes"}},
		"a credential ref without a value": {&NodeConfig{URL: "http://127.0.0.1:9/", Auth: &Auth{Type: AuthBearer, Token: "{{tok}}"}}, nil},
		"a bad URL":                        {&NodeConfig{URL: "{{u}}"}, Values{"u": "ftp://x/" + echoedSecret}},
		"a secret with a line break in a header": {&NodeConfig{URL: "http://127.0.0.1:9/", Headers: []KeyValue{{"X-Key", "{{s}}"}}},
			Values{"s": Secret(echoedSecret + "\r\nX-Admin: yes")}},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := tc.node.Compile()
			require.NoError(t, err)
			rec, err := c.DryRun(t.Context(), s, tc.params)
			assert.Nil(t, rec)
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindParam, f.Kind)
			res, _ := c.Run(t.Context(), s, tc.params)
			require.NotNil(t, res.Failure)
			assert.Equal(t, res.Failure.Message, f.Message)
			assert.True(t, strings.HasPrefix(err.Error(), "httpstep: "), err.Error())
			for _, v := range echoedForms {
				assert.NotContains(t, err.Error(), v)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, _ := (&NodeConfig{URL: "http://127.0.0.1:9/"}).Compile()
	_, err = c.DryRun(ctx, s, nil)
	assert.True(t, errors.Is(err, context.Canceled), err)
}

// TestDryRunTraceContextHook: the headers the Client's InjectTraceContext
// hook adds to each attempt are in the dry run's request too, as the
// history shows them; no other hook is called.
func TestDryRunTraceContextHook(t *testing.T) {
	c := dryClient(t)
	started := 0
	c.Hooks = &Hooks{
		InjectTraceContext: func(_ context.Context, h http.Header) {
			h.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		},
		RunStart: func(ctx context.Context) context.Context { started++; return ctx },
	}
	s, err := (&NodeConfig{URL: "http://127.0.0.1:9/"}).Compile()
	require.NoError(t, err)
	rec, err := c.DryRun(t.Context(), s, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, rec.Header["Traceparent"])
	assert.Zero(t, started)
}

// TestDryRunNilClient: a nil Client is DefaultClient.
func TestDryRunNilClient(t *testing.T) {
	s, err := (&NodeConfig{URL: "https://api.example.test/v1?x={{x}}"}).Compile()
	require.NoError(t, err)
	rec, err := (*Client)(nil).DryRun(t.Context(), s, Values{"x": "a b"})
	require.NoError(t, err)
	assert.Equal(t, "https://api.example.test/v1?x=a+b", rec.URL)
	assert.Equal(t, []string{UserAgent}, rec.Header["User-Agent"])
}

// FuzzDryRun: whatever a parameter holds, DryRun of a node that places it
// in the path, query, a header and a JSON body, signed and with a fetched
// token, neither panics nor gives another error than a kind param
// *Failure, and a Secret of letters and digits never shows in the record.
func FuzzDryRun(f *testing.F) {
	for _, seed := range []string{"", "a b", "1\r\nX: y", "{{x}}", "%zz", "é/?#&=", "\x00", strings.Repeat("x", 5000)} {
		f.Add(seed, "Secret9Value")
	}
	base := &NodeConfig{Method: "POST", URL: "https://api.example.test/v1/{{v}}?q={{v}}",
		Headers: []KeyValue{{"X-V", "{{v}}"}, {"X-S", "{{s}}"}},
		Body:    &Body{Kind: BodyRaw, Raw: `{"v":"{{v}}","s":{{s}}}`},
		Auth: &Auth{Type: AuthToken, Name: "X-Token", Value: "{{v}} {{$token}}", Fetch: &TokenFetch{
			Request: NodeConfig{URL: "https://auth.example.test/token?k={{s}}"}}}}
	s, err := base.Compile()
	require.NoError(f, err)
	c := &Client{Now: func() time.Time { return time.Unix(1700000000, 0) }}
	word := regexp.MustCompile(`^[A-Za-z0-9]{8,}$`)
	f.Fuzz(func(t *testing.T, v, secret string) {
		rec, err := c.DryRun(context.Background(), s, Values{"v": v, "s": Secret(secret)})
		if err != nil {
			var fail *Failure
			require.ErrorAs(t, err, &fail)
			require.Equal(t, KindParam, fail.Kind)
			return
		}
		if !word.MatchString(secret) || strings.Contains(v, secret) {
			return
		}
		other, err := c.DryRun(context.Background(), s, Values{"v": v, "s": Secret("-")})
		require.NoError(t, err)
		if b, _ := json.Marshal(other); strings.Contains(string(b), secret) {
			return // the node's own text holds it
		}
		b, _ := json.Marshal(rec)
		require.NotContains(t, string(b), secret)
	})
}

// FuzzWithRecordParam: writing a placeholder into a recorded URL's query
// keeps what comes before the query and the fragment, and the number of
// parameters, and never touches a URL without a query.
func FuzzWithRecordParam(f *testing.F) {
	f.Add("http://h/p?a=1&access_token=[REDACTED]#f", "access_token", "[token: x]")
	f.Add("http://h/p", "k", "v")
	f.Add("http://h/p?%zz=1&k=2&k=3", "k", "v")
	f.Fuzz(func(t *testing.T, u, key, v string) {
		if strings.ContainsAny(v, "&#") {
			return
		}
		got := withRecordParam(u, key, v)
		before, rest, ok := strings.Cut(u, "?")
		if !ok {
			require.Equal(t, u, got)
			return
		}
		require.True(t, strings.HasPrefix(got, before+"?"), got)
		query, frag, hasFrag := strings.Cut(rest, "#")
		if hasFrag {
			require.True(t, strings.HasSuffix(got, "#"+frag), got)
		}
		gotQuery, _, _ := strings.Cut(strings.TrimPrefix(got, before+"?"), "#")
		require.Equal(t, strings.Count(query, "&"), strings.Count(gotQuery, "&"))
	})
}
