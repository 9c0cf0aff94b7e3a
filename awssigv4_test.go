package httpstep

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test suite's credentials and moment (testdata/aws4_testsuite).
const (
	suiteKeyID  = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteToken  = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
)

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

// suiteSkips are the official vectors the signer does not reproduce, and
// why. Both are inputs the library never sends: awsSigV4 signs the path as it is sent and never rewrites it, as
// aws-sdk-go-v2 does.
var suiteSkips = map[string]string{
	"get-header-value-multiline": "obsolete line folding: net/http cannot send a folded header",
	"get-relative":               "path normalisation (/example/..): the path is signed as sent",
	"get-relative-relative":      "path normalisation: the path is signed as sent",
	"get-slash-dot-slash":        "path normalisation: the path is signed as sent",
	"get-slash-pointless-dot":    "path normalisation: the path is signed as sent",
	"get-slashes":                "path normalisation (//): the path is signed as sent",
	"get-slash":                  "path normalisation (//): the path is signed as sent",
	"post-sts-header-after":      "the session token is always signed, as the SDK signs it",
}

// TestAWSSigV4Suite signs every request of the official SigV4 test suite
// and compares the Authorization header with the suite's.
func TestAWSSigV4Suite(t *testing.T) {
	var cases []string
	err := filepath.WalkDir("testdata/aws4_testsuite", func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".req") {
			cases = append(cases, path)
		}
		return err
	})
	require.NoError(t, err)
	require.Greater(t, len(cases), 25)
	passed := 0
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".req")
		t.Run(name, func(t *testing.T) {
			if why := suiteSkips[name]; why != "" {
				t.Skip(why)
			}
			req, token := suiteRequest(t, path)
			s := &awsSigner{creds: aws.Credentials{AccessKeyID: suiteKeyID, SecretAccessKey: suiteSecret, SessionToken: token},
				region: "us-east-1", service: "service"}
			body, _ := io.ReadAll(req.Body)
			sum := sha256.Sum256(body)
			require.NoError(t, s.sign(req, hex.EncodeToString(sum[:]), suiteTime))
			want, err := os.ReadFile(strings.TrimSuffix(path, ".req") + ".authz")
			require.NoError(t, err)
			assert.Equal(t, strings.TrimSpace(string(want)), req.Header.Get("Authorization"))
			passed++
		})
	}
	t.Logf("%d of %d vectors reproduced", passed, len(cases))
}

// suiteRequest reads a suite .req file: the request line, headers (a
// folded line continues the one before), a blank line and the body. The
// session token is the X-Amz-Security-Token header, or the one of the
// get-vanilla-with-session-token case, which signs with a token its .req
// leaves out.
func suiteRequest(t *testing.T, path string) (*http.Request, string) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	head, body, _ := strings.Cut(string(data), "\n\n")
	sc := bufio.NewScanner(strings.NewReader(head))
	require.True(t, sc.Scan())
	method, target, _ := strings.Cut(sc.Text(), " ")
	target = strings.TrimSuffix(target, " HTTP/1.1")
	req, err := http.NewRequest(method, "https://example.amazonaws.com"+target, strings.NewReader(body))
	require.NoError(t, err)
	// The suite's paths are the resource's path, not yet encoded ("/ሴ",
	// "/example space/"); a request sends them encoded once, and the SDK
	// encodes what is sent once more, as AWS wants for every service but
	// S3. The SDK reads a path that is not encoded from URL.Opaque.
	resource, _, _ := strings.Cut(target, "?")
	req.URL.Opaque = "//example.amazonaws.com" + resource
	// The suite's requests carry no Content-Length header, which the SDK
	// signs whenever a request has one.
	req.ContentLength = 0
	var last string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") && last != "" {
			vs := req.Header.Values(last)
			vs[len(vs)-1] += "," + strings.TrimSpace(line)
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		switch {
		case strings.EqualFold(k, "Host"):
			req.Host = v
		case strings.EqualFold(k, "X-Amz-Date"):
		default:
			req.Header.Add(k, v)
			last = http.CanonicalHeaderKey(k)
		}
	}
	token := req.Header.Get("X-Amz-Security-Token")
	req.Header.Del("X-Amz-Security-Token")
	if strings.Contains(path, "get-vanilla-with-session-token") {
		token = suiteToken
	}
	return req, token
}

// sigv4Verify is the test's own SigV4 check, written from AWS's
// "Create a signed AWS API request" guide, never the library's code: it
// rebuilds the canonical request from what arrived and compares the
// signature. s3 paths are not escaped again. It returns "ok" or why not.
func sigv4Verify(r *http.Request, body []byte, secret string) string {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "no SigV4 Authorization: " + auth
	}
	f := map[string]string{}
	for part := range strings.SplitSeq(rest, ", ") {
		k, v, _ := strings.Cut(part, "=")
		f[k] = v
	}
	scope := strings.SplitN(f["Credential"], "/", 2)
	if len(scope) != 2 {
		return "bad credential " + f["Credential"]
	}
	parts := strings.Split(scope[1], "/") // date/region/service/aws4_request
	path := r.URL.EscapedPath()
	if parts[2] != "s3" {
		path = uriEncode(path, false)
	}
	var ch strings.Builder
	for h := range strings.SplitSeq(f["SignedHeaders"], ";") {
		v := strings.Join(r.Header.Values(h), ",")
		if h == "host" {
			v = r.Host
		}
		ch.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	hash := r.Header.Get("X-Amz-Content-Sha256")
	if hash == "" {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	creq := strings.Join([]string{r.Method, path, canonicalQuery(r.URL.RawQuery), ch.String(), f["SignedHeaders"], hash}, "\n")
	crSum := sha256.Sum256([]byte(creq))
	sts := "AWS4-HMAC-SHA256\n" + r.Header.Get("X-Amz-Date") + "\n" + scope[1] + "\n" + hex.EncodeToString(crSum[:])
	key := []byte("AWS4" + secret)
	for _, p := range parts {
		key = hmacSum(key, p)
	}
	if got := hex.EncodeToString(hmacSum(key, sts)); got != f["Signature"] {
		return "signature mismatch for\n" + creq
	}
	return "ok"
}

func hmacSum(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// uriEncode percent-encodes every byte but the unreserved ones (and "/"
// unless slash).
func uriEncode(s string, slash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || strings.IndexByte("-_.~", c) >= 0 || (c == '/' && !slash) {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

func canonicalQuery(raw string) string {
	v, _ := url.ParseQuery(raw)
	var pairs []string
	for k, vs := range v {
		for _, x := range vs {
			pairs = append(pairs, uriEncode(k, true)+"="+uriEncode(x, true))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// awsNode is a node signed for API Gateway with temporary credentials.
func awsNode(u string) *NodeConfig {
	return &NodeConfig{Method: "POST", URL: u, Body: &Body{Kind: BodyRaw, Raw: `{"order":"{{id}}"}`},
		Auth: &Auth{Type: AuthAWSSigV4, AWS: &AWSAuth{AccessKeyID: "{{aws.id}}", SecretAccessKey: "{{aws.secret}}",
			SessionToken: "{{aws.token}}", Region: "eu-west-1", Service: "execute-api"}}}
}

var awsValues = Values{"id": "o-1", "aws": map[string]any{"id": "AKIAEXAMPLE1", "secret": "secret/Key+with=chars", "token": "session-token-FwoGZXIvYXdz"}}

// TestAWSSigV4Loopback: every attempt and every redirect hop to the
// origin is signed afresh, on Client.Now, with the session token; the
// server checks each with its own SigV4. A hop to another origin gets
// neither signature nor token; the history holds neither secret.
func TestAWSSigV4Loopback(t *testing.T) {
	other := newRecorderOn(t, "127.0.0.2", nil)
	v := &verdict{}
	clock := &testClock{t: suiteTime.Add(time.Second)}
	var calls atomic.Int32
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v.say(r.URL.Path + " " + r.Header.Get("X-Amz-Date") + " " + sigv4Verify(r, body, "secret/Key+with=chars"))
		clock.advance(time.Second)
		if r.Header.Get("X-Amz-Security-Token") != "session-token-FwoGZXIvYXdz" {
			v.say("no session token")
		}
		switch n := calls.Add(1); {
		case n == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/prod/orders":
			http.Redirect(w, r, "/prod/v2/orders?x=a%20b", http.StatusTemporaryRedirect)
		case r.URL.Path == "/prod/v2/orders":
			http.Redirect(w, r, other.URL+"/elsewhere", http.StatusPermanentRedirect)
		}
	})
	c := testClient(t)
	c.Now = clock.Now
	node := awsNode(srv.URL + "/prod/orders")
	node.Retry = &RetryPolicy{MaxAttempts: 2, InitialInterval: Duration(time.Millisecond)}
	res, err := c.Execute(t.Context(), node, awsValues)
	require.NoError(t, err)
	assert.Equal(t, []string{"/prod/orders 20150830T123601Z ok", "/prod/orders 20150830T123602Z ok",
		"/prod/v2/orders 20150830T123603Z ok"}, v.all())
	away := other.last(t)
	for _, h := range []string{"Authorization", "X-Amz-Security-Token"} {
		assert.Empty(t, away.Header.Get(h), h)
	}
	history, _ := json.Marshal(res.Attempts)
	assert.NotContains(t, string(history), "secret/Key+with=chars")
	assert.NotContains(t, string(history), "session-token-FwoGZXIvYXdz")
}

// TestAWSSigV4Streamed: an S3 PUT of an attachment is signed with the hash
// of the file read through a body opened afresh for the attempt, or with
// UNSIGNED-PAYLOAD when the node says so (the file is then opened once).
func TestAWSSigV4Streamed(t *testing.T) {
	content := bytes.Repeat([]byte("invoice line\n"), 1000)
	for _, unsigned := range []bool{false, true} {
		var opens atomic.Int32
		file := File{Name: "invoice.txt", ContentType: "text/plain", Size: int64(len(content)), Open: func() (io.ReadCloser, error) {
			opens.Add(1)
			return io.NopCloser(bytes.NewReader(content)), nil
		}}
		v := &verdict{}
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			hash := r.Header.Get("X-Amz-Content-Sha256")
			sum := sha256.Sum256(body)
			if hash != unsignedPayload && hash != hex.EncodeToString(sum[:]) {
				v.say("hash does not match the body")
			}
			v.say(hash + " " + sigv4Verify(r, body, "s3-secret-key"))
		})
		node := &NodeConfig{Method: "PUT", URL: srv.URL + "/bucket/invoices/{{name}}", Body: &Body{Kind: BodyBinary, File: "file"},
			Auth: &Auth{Type: AuthAWSSigV4, AWS: &AWSAuth{AccessKeyID: "AKIAS3", SecretAccessKey: "{{s3secret}}",
				Region: "us-east-1", Service: "s3", UnsignedPayload: unsigned}}}
		_, err := signedClient(t, suiteTime).Execute(t.Context(), node, Values{"name": "2026 03.txt", "file": file, "s3secret": "s3-secret-key"})
		require.NoError(t, err)
		sum := sha256.Sum256(content)
		want, wantOpens := hex.EncodeToString(sum[:])+" ok", int32(2)
		if unsigned {
			want, wantOpens = "UNSIGNED-PAYLOAD ok", 1
		}
		assert.Equal(t, []string{want}, v.all(), "unsigned %v", unsigned)
		assert.Equal(t, wantOpens, opens.Load(), "unsigned %v", unsigned)
	}
}

// TestAWSSigV4Validate: Validate names auth and the missing piece; Refs
// lists the refs inside.
func TestAWSSigV4Validate(t *testing.T) {
	node := func(f func(*AWSAuth)) *NodeConfig {
		n := awsNode("https://abc.execute-api.eu-west-1.amazonaws.com/prod/orders")
		f(n.Auth.AWS)
		return n
	}
	cases := []struct {
		name string
		node *NodeConfig
		want string
	}{
		{"no block", &NodeConfig{URL: "https://x.example.com", Auth: &Auth{Type: AuthAWSSigV4}}, "auth.aws: auth awsSigV4 needs the access key"},
		{"key id", node(func(a *AWSAuth) { a.AccessKeyID = "" }), "auth.aws.accessKeyId: auth awsSigV4 needs the access key id"},
		{"secret", node(func(a *AWSAuth) { a.SecretAccessKey = " " }), "auth.aws.secretAccessKey: auth awsSigV4 needs the secret access key"},
		{"region", node(func(a *AWSAuth) { a.Region = "" }), "auth.aws.region: auth awsSigV4 needs the region"},
		{"service", node(func(a *AWSAuth) { a.Service = "execute api" }), `auth.aws.service: auth awsSigV4: "execute api" is not a service name`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorContains(t, tc.node.Validate(), tc.want)
		})
	}
	n := node(func(*AWSAuth) {})
	require.NoError(t, n.Validate())
	refs := n.Refs()
	for _, r := range []string{"aws.id", "aws.secret", "aws.token", "id"} {
		assert.True(t, slices.Contains(refs, r), r)
	}
}
