package httpstep

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hmacB64 and hmacHex are the tests' own HMAC-SHA256, as the vendors' docs
// write it, never the library's.
func hmacB64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// signedClient is a loopback Client whose clock stands at now.
func signedClient(t *testing.T, now time.Time) *Client {
	c := testClient(t)
	c.Now = func() time.Time { return now }
	return c
}

// verdict is what a verifying server concluded about one request.
type verdict struct {
	mu  sync.Mutex
	got []string // "ok" or why not
}

func (v *verdict) say(s string) {
	v.mu.Lock()
	v.got = append(v.got, s)
	v.mu.Unlock()
}

func (v *verdict) all() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.got...)
}

// TestSignatureBinance reproduces the worked example of Binance's API
// docs (SIGNED endpoint security): HMAC-SHA256 of the query string with the
// secret key, hex, appended as "signature". The server checks the HMAC over
// the query as it arrived, up to "&signature=".
func TestSignatureBinance(t *testing.T) {
	const (
		secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
		apiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
		// The docs' signature of their example order.
		docSignature = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
	)
	v := &verdict{}
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		q, sig, ok := strings.Cut(r.URL.RawQuery, "&signature=")
		switch {
		case !ok:
			v.say("no signature")
		case r.Header.Get("X-MBX-APIKEY") != apiKey:
			v.say("no api key")
		case hmacHex(secret, q) != sig:
			v.say("bad signature " + sig)
		default:
			v.say(sig)
		}
		io.WriteString(w, `{"orderId":28}`)
	})
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/api/v3/order",
		Query: []KeyValue{{"symbol", "LTCBTC"}, {"side", "BUY"}, {"type", "LIMIT"}, {"timeInForce", "GTC"},
			{"quantity", "1"}, {"price", "0.1"}, {"recvWindow", "5000"}},
		Headers: []KeyValue{{"X-MBX-APIKEY", "{{binance.apiKey}}"}},
		Auth: &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256, Key: "{{binance.secret}}",
			Message: "{{$query}}", Query: []KeyValue{{"timestamp", "{{$timestampMs}}"}, {"signature", "{{$signature}}"}}}}}
	c := signedClient(t, time.UnixMilli(1499827319559))
	res, err := c.Execute(t.Context(), node, Values{"binance": map[string]any{"apiKey": apiKey, "secret": secret}})
	require.NoError(t, err)
	assert.Equal(t, []string{docSignature}, v.all())
	assert.Equal(t, "/api/v3/order?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature="+docSignature,
		srv.last(t).RequestURI)
	history, _ := json.Marshal(res.Attempts)
	assert.NotContains(t, string(history), secret)
	assert.NotContains(t, string(history), docSignature, "a signature authenticates within its window: redacted")
	assert.Contains(t, string(history), "timestamp=1499827319559")
}

// TestSignatureDingTalk follows DingTalk's custom robot docs ("加签"):
// sign = urlEncode(base64(HmacSHA256(key=secret, "timestamp\nsecret"))),
// timestamp in milliseconds, both in the query. The server recomputes it.
func TestSignatureDingTalk(t *testing.T) {
	const secret = "SEC this is secret" // the docs' example secret, with the SEC prefix robots show
	now := time.UnixMilli(1577262236757)
	v := &verdict{}
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		ts, sign := r.URL.Query().Get("timestamp"), r.URL.Query().Get("sign")
		want := hmacB64(secret, ts+"\n"+secret)
		switch {
		case ts != "1577262236757":
			v.say("timestamp " + ts)
		case sign != want:
			v.say("bad sign " + sign)
		case !strings.Contains(r.URL.RawQuery, "sign="+url.QueryEscape(want)):
			v.say("sign not url-escaped: " + r.URL.RawQuery)
		default:
			v.say("ok")
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	})
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/robot/send?access_token={{robot.token}}",
		Body: &Body{Kind: BodyRaw, Raw: `{"msgtype":"text","text":{"content":"{{text}}"}}`},
		Auth: &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256, Encoding: EncodingBase64,
			Key: "{{robot.secret}}", Message: "{{$timestampMs}}\n{{robot.secret}}",
			Query: []KeyValue{{"timestamp", "{{$timestampMs}}"}, {"sign", "{{$signature}}"}}}}}
	res, err := signedClient(t, now).Execute(t.Context(), node, Values{"text": "build green",
		"robot": map[string]any{"token": "robot-token-1", "secret": secret}})
	require.NoError(t, err)
	assert.Equal(t, []string{"ok"}, v.all())
	history, _ := json.Marshal(res.Attempts)
	assert.NotContains(t, string(history), "this is secret")
	assert.NotContains(t, string(history), url.QueryEscape(hmacB64(secret, "1577262236757\n"+secret)))
}

// TestSignatureFeishu follows Feishu's custom bot docs: the HMAC-SHA256 key
// is "timestamp\nsecret", the message empty, the base64 result and the
// timestamp (seconds, a string) go in the JSON body.
func TestSignatureFeishu(t *testing.T) {
	const secret = "demo-feishu-secret-9f3"
	now := time.Unix(1599360473, 0)
	v := &verdict{}
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Timestamp string `json:"timestamp"`
			Sign      string `json:"sign"`
			MsgType   string `json:"msg_type"`
		}
		err := json.NewDecoder(r.Body).Decode(&body)
		switch {
		case err != nil:
			v.say(err.Error())
		case body.Timestamp != "1599360473" || body.MsgType != "text":
			v.say("body " + body.Timestamp + " " + body.MsgType)
		case body.Sign != hmacB64(body.Timestamp+"\n"+secret, ""):
			v.say("bad sign " + body.Sign)
		default:
			v.say("ok")
		}
		io.WriteString(w, `{"code":0,"msg":"success"}`)
	})
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/open-apis/bot/v2/hook/abc",
		Body: &Body{Kind: BodyRaw, Raw: `{"timestamp":"{{$timestamp}}","sign":"{{$signature}}","msg_type":"text","content":{"text":"{{text}}"}}`},
		Auth: &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256, Encoding: EncodingBase64,
			Key: "{{$timestamp}}\n{{bot.secret}}"}}}
	res, err := signedClient(t, now).Execute(t.Context(), node, Values{"text": "hi", "bot": map[string]any{"secret": secret}})
	require.NoError(t, err)
	assert.Equal(t, []string{"ok"}, v.all())
	history, _ := json.Marshal(res.Attempts)
	assert.NotContains(t, string(history), secret)
	assert.Contains(t, string(history), `\"timestamp\":\"1599360473\"`, "the history shows the body as sent")
}

var testRSA struct {
	once sync.Once
	key  *rsa.PrivateKey
	pem  string
}

// rsaKey is a 2048-bit key made once per test binary, and its PKCS #8 PEM.
func rsaKey(t testing.TB) (*rsa.PrivateKey, string) {
	testRSA.once.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		testRSA.key, testRSA.pem = k, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	return testRSA.key, testRSA.pem
}

// wechatPayAuth reads the WECHATPAY2-SHA256-RSA2048 Authorization header.
var wechatPayAuth = regexp.MustCompile(`(\w+)="([^"]*)"`)

// TestSignatureRSAPayment follows WeChat Pay API v3's request signature:
// SHA256withRSA over "method\nURL\ntimestamp\nnonce\nbody\n", base64, in
// an Authorization header with the merchant id, nonce, timestamp and
// certificate serial. The server rebuilds the message from the request and
// verifies with the public key; a retry signs afresh with its own nonce.
func TestSignatureRSAPayment(t *testing.T) {
	key, keyPEM := rsaKey(t)
	clock := &testClock{t: time.Unix(1554208460, 0)}
	v := &verdict{}
	var nonces []string
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		params := map[string]string{}
		scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		for _, m := range wechatPayAuth.FindAllStringSubmatch(rest, -1) {
			params[m[1]] = m[2]
		}
		msg := r.Method + "\n" + r.URL.RequestURI() + "\n" + params["timestamp"] + "\n" + params["nonce_str"] + "\n" + string(body) + "\n"
		sig, _ := base64.StdEncoding.DecodeString(params["signature"])
		d := sha256.Sum256([]byte(msg))
		nonces = append(nonces, params["nonce_str"])
		switch {
		case scheme != "WECHATPAY2-SHA256-RSA2048" || params["mchid"] != "1900009191":
			v.say("header " + r.Header.Get("Authorization"))
		case !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(params["nonce_str"]):
			v.say("nonce " + params["nonce_str"])
		case rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d[:], sig) != nil:
			v.say("bad signature")
		default:
			v.say("ok " + params["timestamp"])
		}
		clock.advance(time.Second)
		if len(nonces) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		io.WriteString(w, `{"prepay_id":"wx201410272009395522657a690389285100"}`)
	})
	node := &NodeConfig{Method: "POST", URL: srv.URL + "/v3/pay/transactions/jsapi?lang=en",
		Body:  &Body{Kind: BodyRaw, Raw: `{"appid":"wxd678efh567hg6787","mchid":"1900009191","description":"{{item}}","amount":{"total":100}}`},
		Retry: &RetryPolicy{MaxAttempts: 2, InitialInterval: Duration(time.Millisecond)},
		Auth: &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignRSASHA256, Encoding: EncodingBase64,
			Key:     "{{merchant.key}}",
			Message: "{{$method}}\n{{$target}}\n{{$timestamp}}\n{{$nonce}}\n{{$body}}\n",
			Headers: []KeyValue{{"Authorization", `WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="{{$nonce}}",signature="{{$signature}}",timestamp="{{$timestamp}}",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"`}}}}}
	c := testClient(t)
	c.Now = clock.Now
	res, err := c.Execute(t.Context(), node, Values{"item": "Image形象店-深圳腾大-QQ公仔", "merchant": map[string]any{"key": strings.ReplaceAll(keyPEM, "\n", `\n`)}})
	require.NoError(t, err)
	assert.Equal(t, []string{"ok 1554208460", "ok 1554208461"}, v.all(), "each attempt signs with its own timestamp")
	require.Len(t, nonces, 2)
	assert.NotEqual(t, nonces[0], nonces[1], "each attempt has its own nonce")
	history, _ := json.Marshal(res.Attempts)
	for line := range strings.Lines(keyPEM) {
		if !strings.HasPrefix(line, "-----") {
			assert.NotContains(t, string(history), strings.TrimSpace(line))
		}
	}
}

// TestSignatureStaysHome: a redirect to another origin and a next page on
// another origin carry no signature (header, query or Referer); a redirect
// hop to the same origin keeps the signature header.
func TestSignatureStaysHome(t *testing.T) {
	other := newRecorderOn(t, "127.0.0.2", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"items":[]}`) })
	home := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, "/hop", http.StatusTemporaryRedirect)
		case "/hop", "/direct":
			http.Redirect(w, r, other.URL+"/away", http.StatusTemporaryRedirect)
		}
	})
	node := &NodeConfig{URL: home.URL + "/start",
		Auth: &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256, Key: "{{k}}", Message: "{{$target}}",
			Headers: []KeyValue{{"X-Sign", "{{$signature}}"}}, Query: []KeyValue{{"sig", "{{$signature}}"}}}}}
	c := signedClient(t, fixedNow)
	_, err := c.Execute(t.Context(), node, Values{"k": "key-for-home-only"})
	require.NoError(t, err)
	hop := home.reqs[1]
	assert.Equal(t, "/hop", hop.RequestURI)
	assert.NotEmpty(t, hop.Header.Get("X-Sign"), "a hop to the same origin keeps the header")
	away := other.last(t)
	assert.Empty(t, away.Header.Get("X-Sign"))
	assert.NotContains(t, away.Header.Get("Referer"), "sig=")
	assert.NotContains(t, away.RequestURI, "sig=")

	node.URL = home.URL + "/direct" // signed in its query, straight to the other origin
	_, err = c.Execute(t.Context(), node, Values{"k": "key-for-home-only"})
	require.NoError(t, err)
	away = other.last(t)
	assert.Empty(t, away.Header.Get("X-Sign"))
	assert.Empty(t, away.Header.Get("Referer"), "the Referer would carry the signature")

	node.URL, node.Paginate = home.URL+"/first", &Pagination{Mode: "next_url", ItemsPath: "items", NextPath: "next"}
	home.next = func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"items":[1],"next":"`+other.URL+`/page2"}`)
	}
	_, err = c.Execute(t.Context(), node, Values{"k": "key-for-home-only"})
	require.NoError(t, err)
	away = other.last(t)
	assert.Equal(t, "/page2", away.RequestURI, "a next page on another origin is not signed")
	assert.Empty(t, away.Header.Get("X-Sign"))
	assert.NotEmpty(t, home.last(t).Header.Get("X-Sign"))
}

// TestSignatureValidate: Validate names auth and the missing piece.
func TestSignatureValidate(t *testing.T) {
	sig := func(f func(*Signature)) *NodeConfig {
		s := &Signature{Algorithm: SignHMACSHA256, Key: "{{k}}", Message: "{{$query}}", Query: []KeyValue{{"sign", "{{$signature}}"}}}
		f(s)
		return &NodeConfig{Method: "POST", URL: "https://api.example.com/x", Auth: &Auth{Type: AuthSignature, Signature: s}}
	}
	cases := []struct {
		name string
		node *NodeConfig
		want string
	}{
		{"no block", &NodeConfig{URL: "https://api.example.com", Auth: &Auth{Type: AuthSignature}}, "auth.signature: auth signature needs the algorithm"},
		{"algorithm", sig(func(s *Signature) { s.Algorithm = "hmac-sha3" }), `auth.signature.algorithm: auth signature: "hmac-sha3" is not an algorithm`},
		{"key", sig(func(s *Signature) { s.Key = "" }), "auth.signature.key: auth signature needs the key"},
		{"rsa key", sig(func(s *Signature) { s.Algorithm, s.Key = SignRSASHA256, "not a pem" }), "auth.signature.key: auth: the private key is not PEM"},
		{"encoding", sig(func(s *Signature) { s.Encoding = "base32" }), `auth.signature.encoding: auth signature: "base32" is not an encoding`},
		{"nowhere", sig(func(s *Signature) { s.Query = []KeyValue{{"ts", "{{$timestamp}}"}} }), "auth signature: nowhere to put the signature"},
		{"var in key", sig(func(s *Signature) { s.Key = "{{$method}}{{k}}" }), "auth.signature.key: auth signature: {{$method}} cannot be used here"},
		{"unknown var", sig(func(s *Signature) { s.Message = "{{$bodyHash}}" }), "auth.signature.message: auth signature: {{$bodyHash}} cannot be used here"},
		{"header name", sig(func(s *Signature) { s.Headers = []KeyValue{{"X Sign", "{{$signature}}"}} }), `auth.signature.headers[0].key: auth signature: "X Sign" is not a valid header name`},
		{"digest key var", sig(func(s *Signature) { s.Message = "{{$key}}" }), "auth.signature.message: auth signature: {{$key}} cannot be used here"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.node.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	t.Run("body", func(t *testing.T) {
		n := sig(func(s *Signature) { s.Message = "{{$body}}" })
		n.Body = &Body{Kind: BodyFormData, Fields: []FormField{{Key: "a", Value: "b"}}}
		assert.ErrorContains(t, n.Validate(), "auth.signature.message: auth signature: {{$body}} cannot sign a form-data body: it is streamed")
		n.Body = &Body{Kind: BodyRaw, Raw: `{"sign":"{{$signature}}"}`}
		assert.ErrorContains(t, n.Validate(), "the message cannot sign {{$body}} when the body carries the signature variables")
		n.URL = "https://api.example.com/x?t={{$timestamp}}"
		assert.ErrorContains(t, n.Validate(), "url: auth signature: {{$timestamp}} is set per request only in")
	})
	t.Run("cleartext", func(t *testing.T) {
		n := sig(func(*Signature) {})
		n.URL = "http://api.example.com/x"
		assert.ErrorContains(t, n.Validate(), "auth: credentials would go over plain http")
	})
	t.Run("valid", func(t *testing.T) {
		assert.NoError(t, sig(func(*Signature) {}).Validate())
		assert.NoError(t, sig(func(s *Signature) { s.Algorithm, s.Key, s.Message = SignMD5, "", "{{$sortedQuery}}&key={{$key}}" }).Validate())
	})
}

// TestSignatureRefs: Refs lists the refs inside the signature, not its
// variables.
func TestSignatureRefs(t *testing.T) {
	n := &NodeConfig{Method: "POST", URL: "https://api.example.com/x",
		Body: &Body{Kind: BodyRaw, Raw: `{"sign":"{{$signature}}","text":"{{text}}"}`},
		Auth: &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256, Key: "{{$timestamp}}\n{{bot.secret}}",
			Headers: []KeyValue{{"X-App", "{{bot.app}}"}}}}}
	require.NoError(t, n.Validate())
	assert.ElementsMatch(t, []string{"text", "bot.secret", "bot.app"}, n.Refs())
}

// TestSortedQuery pins the canonical form of {{$sortedQuery}}.
func TestSortedQuery(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=1&a=10", "a=1&a=10&a=2"},
		{"q=hello+world&p=a%2Fb", "p=a%2Fb&q=hello%20world"},
		{"x=%E4%BD%A0&y=~-._*", "x=%E4%BD%A0&y=~-._%2A"},
		{"flag&a=", "a=&flag"},
		{"&&b=1&", "b=1"},
		{"bad=%zz", "bad=%25zz"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, sortedQuery(tc.in), "sortedQuery(%q)", tc.in)
	}
}

// FuzzSortedQuery: the canonical query never panics, and is canonical:
// sorting it again changes nothing.
func FuzzSortedQuery(f *testing.F) {
	for _, s := range []string{"b=2&a=1", "q=a+b&q=a%20b", "%zz=1", "=&=", "a=%E4%BD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s := sortedQuery(raw)
		if again := sortedQuery(s); again != s {
			t.Fatalf("sortedQuery(%q) = %q, but sorting that gives %q", raw, s, again)
		}
	})
}

// FuzzSignatureMessage renders any message template over any request: no
// panic, and a template Validate accepts renders (the message renderer is
// a parser of user text).
func FuzzSignatureMessage(f *testing.F) {
	for _, s := range []string{"{{$method}}\n{{$path}}\n{{$sortedQuery}}", "{{$header.X-Ts}}{{$body}}", "{{ $timestamp }}{{a.b}}", "{{$header.}}", "{{"} {
		f.Add(s, "/p?q=1&b=%20")
	}
	f.Fuzz(func(t *testing.T, msg, target string) {
		n := &NodeConfig{Method: "POST", URL: "https://api.example.com/x",
			Auth: &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256, Key: "k3y", Message: msg,
				Query: []KeyValue{{"s", "{{$signature}}"}}}}}
		if n.Validate() != nil {
			return
		}
		s, err := n.Compile()
		if err != nil {
			t.Fatalf("Validate accepted %q but Compile refused it: %v", msg, err)
		}
		req, err := http.NewRequest("POST", "https://api.example.com"+target, nil)
		if err != nil {
			return
		}
		req.Header.Set("X-Ts", "1")
		v := &sigVars{base: Values{"a": map[string]any{"b": "c"}}, now: fixedNow, nonce: newNonce(), req: req, body: "{}"}
		if _, err := newRenderer(v).render(s.auth.sig.message); err != nil {
			t.Fatalf("message %q: %v", msg, err)
		}
	})
}

// TestNonce: 32 characters of [A-Za-z0-9], never the same twice.
func TestNonce(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		n := newNonce()
		assert.Regexp(t, `^[A-Za-z0-9]{32}$`, n)
		assert.False(t, seen[n])
		seen[n] = true
	}
}

// TestSignatureMissingKey: a key whose ref has no value fails the run with
// kind param, naming the ref, and sends nothing.
func TestSignatureMissingKey(t *testing.T) {
	srv := newRecorder(t, nil)
	node := &NodeConfig{URL: srv.URL, Auth: &Auth{Type: AuthSignature, Signature: &Signature{Algorithm: SignHMACSHA256,
		Key: "{{org.secret}}", Message: "{{$timestamp}}", Query: []KeyValue{{"sign", "{{$signature}}"}}}}}
	_, err := signedClient(t, fixedNow).Execute(t.Context(), node, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindParam, f.Kind)
	assert.Contains(t, f.Message, "auth.signature.key: {{org.secret}} has no value")
	assert.Equal(t, 0, srv.count())
}
