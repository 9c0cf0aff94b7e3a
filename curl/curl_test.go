package curl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/internal/golden"
	"github.com/httpstep/httpstep/internal/nodespec"
)

// hdrs builds a header list from "Key", "value" pairs.
func hdrs(kv ...string) []httpstep.KeyValue {
	var out []httpstep.KeyValue
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, httpstep.KeyValue{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func rawBody(contentType, raw string) *httpstep.Body {
	return &httpstep.Body{Kind: httpstep.BodyRaw, ContentType: contentType, Raw: raw}
}

func formBody(kind httpstep.BodyKind, fields ...httpstep.FormField) *httpstep.Body {
	return &httpstep.Body{Kind: kind, Fields: fields}
}

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

// curlCases are commands as people paste them, with the node each gives.
var curlCases = []struct {
	name string
	cmd  string
	want httpstep.NodeConfig
}{
	{
		name: "chrome bash GET with cookies and many headers",
		cmd: `curl 'https://api.example.com/v2/orders?status=open&page=1' \
  -H 'accept: application/json, text/plain, */*' \
  -H 'accept-language: en-US,en;q=0.9' \
  -b 'session=abc123; theme=dark' \
  -H 'priority: u=1, i' \
  -H 'referer: https://app.example.com/orders' \
  -H 'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"' \
  -H 'sec-fetch-mode: cors' \
  -H 'user-agent: ` + chromeUA + `'`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/v2/orders?status=open&page=1",
			Headers: hdrs("accept", "application/json, text/plain, */*", "accept-language", "en-US,en;q=0.9",
				"Cookie", "session=abc123; theme=dark", "priority", "u=1, i", "referer", "https://app.example.com/orders",
				"sec-ch-ua", `"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"`,
				"sec-fetch-mode", "cors", "user-agent", chromeUA)},
	},
	{
		name: "chrome bash POST with ANSI-C data",
		cmd: `curl 'https://api.example.com/v1/comments' \
  -H 'content-type: application/json' \
  -H 'origin: https://app.example.com' \
  --data-raw $'{"text":"It\'s done\u0021","note":"a\\nb","tab":"\x41\t"}'`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/v1/comments",
			Headers: hdrs("origin", "https://app.example.com"),
			Body:    rawBody("application/json", `{"text":"It's done!","note":"a\nb","tab":"A`+"\t"+`"}`)},
	},
	{
		name: "chrome bash form post",
		cmd: `curl 'https://app.example.com/login' \
  -H 'content-type: application/x-www-form-urlencoded; charset=UTF-8' \
  --data-raw 'email=ada%40example.com&password=p%26ss+word&remember=on'`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://app.example.com/login",
			Headers: hdrs("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"),
			Body: formBody(httpstep.BodyURLEncoded, httpstep.FormField{Key: "email", Value: "ada@example.com"},
				httpstep.FormField{Key: "password", Value: "p&ss word"}, httpstep.FormField{Key: "remember", Value: "on"})},
	},
	{
		name: "chrome bash PUT with quoted method",
		cmd: `curl 'https://api.example.com/v1/items/7' \
  -X 'PUT' \
  -H 'content-type: application/json;charset=UTF-8' \
  --data-raw '{"qty":3}'`,
		want: httpstep.NodeConfig{Method: "PUT", URL: "https://api.example.com/v1/items/7",
			Body: rawBody("application/json;charset=UTF-8", `{"qty":3}`)},
	},
	{
		name: "chrome bash multipart form copied as data",
		cmd: `curl 'https://api.example.com/upload' \
  -H 'content-type: multipart/form-data; boundary=----WebKitFormBoundaryQ1' \
  --data-raw $'------WebKitFormBoundaryQ1\r\nContent-Disposition: form-data; name="title"\r\n\r\nHello world\r\n------WebKitFormBoundaryQ1\r\nContent-Disposition: form-data; name="photo"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\r\n------WebKitFormBoundaryQ1--\r\n'`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/upload",
			Body: formBody(httpstep.BodyFormData, httpstep.FormField{Key: "title", Value: "Hello world"}, httpstep.FormField{Key: "photo", File: "file"})},
	},
	{
		name: "chrome bash URL with glob escapes",
		cmd:  `curl 'https://api.example.com/items?filter=\{"ids":\[1,2\]\}' -H 'accept: */*' --compressed`,
		want: httpstep.NodeConfig{Method: "GET", URL: `https://api.example.com/items?filter={"ids":[1,2]}`, Headers: hdrs("accept", "*/*")},
	},
	{
		name: "chrome cmd copy",
		cmd: "curl ^\"https://api.example.com/v1/items?q=a^%^20b&sort=-date^\" ^\n" +
			"  -H ^\"accept: application/json^\" ^\n" +
			"  -H ^\"content-type: application/json^\" ^\n" +
			"  --data-raw ^\"^{^\\^\"name^\\^\":^\\^\"Widget &amp; co^\\^\",^\\^\"path^\\^\":^\\^\"C:^\\^\\^\\^\\^\\^\"^}^\" ^\n" +
			"  --compressed",
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/v1/items?q=a%20b&sort=-date",
			Headers: hdrs("accept", "application/json"),
			Body:    rawBody("application/json", `{"name":"Widget &amp; co","path":"C:\\"}`)},
	},
	{
		name: "chrome cmd copy with a newline in the body",
		cmd: "curl ^\"https://api.example.com/notes^\" ^\r\n" +
			"  -H ^\"content-type: text/plain^\" ^\r\n" +
			"  --data-raw ^\"line one^\r\n\r\nline two^\"",
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/notes",
			Body: rawBody("text/plain", "line one\nline two")},
	},
	{
		name: "older chrome cmd copy with plain quotes",
		cmd:  `curl "https://api.example.com/x" -H "content-type: application/json" --data-binary "^{^\^"a^\^":1^}" --compressed`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/x", Body: rawBody("application/json", `{"a":1}`)},
	},
	{
		name: "older firefox cmd copy with doubled quotes",
		cmd:  `curl "https://api.example.com/x" -H "Content-Type: application/json" --data "{""a"":""b c"",""pct"":""5"%"""}"`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/x", Body: rawBody("application/json", `{"a":"b c","pct":"5%"}`)},
	},
	{
		name: "firefox bash POST",
		cmd: `curl 'https://api.example.com/graphql' -X POST -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0' ` +
			`-H 'Accept: */*' -H 'Accept-Encoding: gzip, deflate, br' -H 'Content-Type: application/json' -H 'Content-Length: 25' ` +
			`-H 'Connection: keep-alive' -H 'Cookie: sid=xyz' --data-raw '{"query":"{ me { id } }"}'`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/graphql",
			Headers: hdrs("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
				"Accept", "*/*", "Connection", "keep-alive", "Cookie", "sid=xyz"),
			Body: rawBody("application/json", `{"query":"{ me { id } }"}`)},
	},
	{
		name: "postman raw JSON",
		cmd: `curl --location 'https://api.example.com/v1/users' \
--header 'Content-Type: application/json' \
--header 'Authorization: Bearer eyJhbGciOi.abc.def' \
--data-raw '{
    "name": "Ada",
    "email": "ada@example.com"
}'`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/v1/users",
			Auth: &httpstep.Auth{Type: httpstep.AuthBearer, Token: "eyJhbGciOi.abc.def"},
			Body: rawBody("application/json", "{\n    \"name\": \"Ada\",\n    \"email\": \"ada@example.com\"\n}")},
	},
	{
		name: "postman urlencoded",
		cmd: `curl --location 'https://auth.example.com/oauth/token' \
--header 'Content-Type: application/x-www-form-urlencoded' \
--data-urlencode 'grant_type=client_credentials' \
--data-urlencode 'client_id=my app' \
--data-urlencode 'scope=read&write'`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://auth.example.com/oauth/token",
			Body: formBody(httpstep.BodyURLEncoded, httpstep.FormField{Key: "grant_type", Value: "client_credentials"},
				httpstep.FormField{Key: "client_id", Value: "my app"}, httpstep.FormField{Key: "scope", Value: "read&write"})},
	},
	{
		name: "postman form-data with a file",
		cmd: `curl --location 'https://api.example.com/upload' \
--header 'Content-Type: multipart/form-data' \
--form 'file=@"/C:/Users/me/Pictures/a b.png"' \
--form 'title="Holiday"' \
--form 'tags="x;y"'`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/upload",
			Body: formBody(httpstep.BodyFormData, httpstep.FormField{Key: "file", File: "file"},
				httpstep.FormField{Key: "title", Value: "Holiday"}, httpstep.FormField{Key: "tags", Value: "x;y"})},
	},
	{
		name: "postman GET with explicit request",
		cmd:  "curl --location --request GET 'https://api.example.com/v1/users?limit=10' \\\n--header 'X-Api-Key: k-123'",
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/v1/users?limit=10", Headers: hdrs("X-Api-Key", "k-123")},
	},
	{
		name: "insomnia export",
		cmd: `curl --request POST \
  --url 'https://api.example.com/v1/events' \
  --header 'content-type: application/json' \
  --data '{"type":"ping"}'`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/v1/events", Body: rawBody("application/json", `{"type":"ping"}`)},
	},
	{
		name: "docs basic auth",
		cmd:  `curl -u admin:s3cret https://api.example.com/v1/status`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/v1/status", Auth: &httpstep.Auth{Type: httpstep.AuthBasic, Username: "admin", Password: "s3cret"}},
	},
	{
		name: "docs basic auth with user only",
		cmd:  `curl --user sk_test_123 https://api.example.com/v1/charges`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/v1/charges", Auth: &httpstep.Auth{Type: httpstep.AuthBasic, Username: "sk_test_123"}},
	},
	{
		name: "docs digest auth",
		cmd:  `curl --digest -u 'ann:pa:ss' https://api.example.com/v1/status`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/v1/status", Auth: &httpstep.Auth{Type: httpstep.AuthDigest, Username: "ann", Password: "pa:ss"}},
	},
	{
		name: "docs multipart with files and types",
		cmd:  `curl -F "name=John Doe" -F "avatar=@photo.jpg;type=image/jpeg" -F "cv=<cv.txt" -F 'note=plain ; type=text/plain' https://api.example.com/profile`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/profile",
			Body: formBody(httpstep.BodyFormData, httpstep.FormField{Key: "name", Value: "John Doe"}, httpstep.FormField{Key: "avatar", File: "file", ContentType: "image/jpeg"},
				httpstep.FormField{Key: "cv", File: "file2"}, httpstep.FormField{Key: "note", Value: "plain", ContentType: "text/plain"})},
	},
	{
		name: "docs form-string keeps the value literally",
		cmd:  `curl --form-string 'note=@not a file;really' https://api.example.com/notes`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/notes",
			Body: formBody(httpstep.BodyFormData, httpstep.FormField{Key: "note", Value: "@not a file;really"})},
	},
	{
		name: "docs combined short flags and attached method",
		cmd:  `curl -sSLXPOST https://api.example.com/hooks -d 'a=1' -d 'b=two words'`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/hooks",
			Body: formBody(httpstep.BodyURLEncoded, httpstep.FormField{Key: "a", Value: "1"}, httpstep.FormField{Key: "b", Value: "two words"})},
	},
	{
		name: "docs bearer in double quotes with a shell variable",
		cmd: `curl -L \
  -H "Accept: application/vnd.example+json" \
  -H "Authorization: Bearer $TOKEN" \
  "https://api.example.com/repos/OWNER/REPO/issues"`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/repos/OWNER/REPO/issues",
			Headers: hdrs("Accept", "application/vnd.example+json"),
			Auth:    &httpstep.Auth{Type: httpstep.AuthBearer, Token: "$TOKEN"}},
	},
	{
		name: "docs json option",
		cmd:  `curl --json '{"tool":"curl"}' --json '' https://api.example.com/x`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/x", Headers: hdrs("Accept", "application/json"),
			Body: rawBody("application/json", `{"tool":"curl"}`)},
	},
	{
		name: "json option with a typed Accept",
		cmd:  `curl -H 'Accept: application/vnd.api+json' -H 'Content-Type: application/vnd.api+json' --json '{"a":1}' https://api.example.com/x`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://api.example.com/x", Headers: hdrs("Accept", "application/vnd.api+json"),
			Body: rawBody("application/vnd.api+json", `{"a":1}`)},
	},
	{
		name: "get puts the data in the query",
		cmd:  `curl -G https://api.example.com/search?lang=en --data-urlencode 'q=hello world' -d limit=10`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/search?lang=en&q=hello+world&limit=10"},
	},
	{
		name: "url-query",
		cmd:  `curl --url-query 'name=a b' --url-query '+raw=%41' https://api.example.com/x#top`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/x?name=a+b&raw=%41#top"},
	},
	{
		name: "head",
		cmd:  `curl -I https://example.com`,
		want: httpstep.NodeConfig{Method: "HEAD", URL: "https://example.com"},
	},
	{
		name: "insecure, proxy, timeout and retry",
		cmd:  `curl -k -x http://proxy.corp:3128 -m 2.5 --connect-timeout 3 --retry 3 https://internal.example.com/health`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://internal.example.com/health", InsecureSkipVerify: true, UseProxy: true,
			Timeout: httpstep.Duration(2500 * time.Millisecond), Retry: &httpstep.RetryPolicy{MaxAttempts: 4}},
	},
	{
		name: "negated insecure",
		cmd:  `curl -k --no-insecure --no-buffer https://example.com`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://example.com"},
	},
	{
		name: "no scheme gets http",
		cmd:  `curl localhost:8080/api/items`,
		want: httpstep.NodeConfig{Method: "GET", URL: "http://localhost:8080/api/items"},
	},
	{
		name: "template URL keeps its start",
		cmd:  `curl '{{base}}/items?id={{id}}'`,
		want: httpstep.NodeConfig{Method: "GET", URL: "{{base}}/items?id={{id}}"},
	},
	{
		name: "prompt, pipe and comment",
		cmd:  "# list the items\n$ curl -s https://api.example.com/items | jq '.[0]'",
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/items"},
	},
	{
		name: "curl path and exe",
		cmd:  `/usr/bin/curl -X patch -H 'X-Empty;' -H 'Expect:' https://api.example.com/x -d '{}'`,
		want: httpstep.NodeConfig{Method: "PATCH", URL: "https://api.example.com/x", Headers: hdrs("X-Empty", ""), Body: rawBody("application/json", "{}")},
	},
	{
		name: "curl.exe on windows",
		cmd:  `C:\Tools\curl.exe -A "agent/1.0" -e "https://ref.example.com;auto" --oauth2-bearer t0k https://api.example.com/x`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://api.example.com/x",
			Headers: hdrs("User-Agent", "agent/1.0", "Referer", "https://ref.example.com"), Auth: &httpstep.Auth{Type: httpstep.AuthBearer, Token: "t0k"}},
	},
	{
		name: "typed header wins over the option's",
		cmd:  `curl -A one -H 'user-agent: two' -b a=1 -b 'b=2' -u x:y -H 'Authorization: Token z' https://example.com`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://example.com", Headers: hdrs("user-agent", "two", "Cookie", "a=1;b=2", "Authorization", "Token z")},
	},
	{
		name: "content type without a body stays a header",
		cmd:  `curl -H 'Content-Type: application/json' https://example.com`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://example.com", Headers: hdrs("Content-Type", "application/json")},
	},
	{
		name: "data that is not a form",
		cmd:  `curl -d 'hello' https://example.com`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://example.com", Body: rawBody(formURLEncoded, "hello")},
	},
	{
		name: "xml data with its type",
		cmd:  `curl -H 'Content-Type: text/xml' -d '<a>1</a>' -X PUT https://example.com/x`,
		want: httpstep.NodeConfig{Method: "PUT", URL: "https://example.com/x", Body: rawBody("text/xml", "<a>1</a>")},
	},
	{
		name: "empty data",
		cmd:  `curl -d '' https://example.com`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://example.com", Body: formBody(httpstep.BodyURLEncoded)},
	},
	{
		name: "double quotes, continuation and an end of options",
		cmd:  "curl -H \"X-Note: say \\\"hi\\\" \\\\ \\$5\" -- \"https://example.com/\\\n-path\"",
		want: httpstep.NodeConfig{Method: "GET", URL: "https://example.com/-path", Headers: hdrs("X-Note", `say "hi" \ $5`)},
	},
	{
		name: "urlencode pieces without names are not a form",
		cmd:  `curl --data-urlencode '=a b' --data-urlencode 'c&d' https://example.com`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://example.com", Body: rawBody(formURLEncoded, "a+b&c%26d")},
	},
	{
		name: "cut-off multipart stays raw",
		cmd:  `curl -H 'Content-Type: multipart/form-data; boundary=XX' --data-raw $'--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\n1' https://example.com`,
		want: httpstep.NodeConfig{Method: "POST", URL: "https://example.com",
			Body: rawBody("multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1")},
	},
	{
		name: "empty option values add nothing",
		cmd:  `curl -u '' -b '' -A '' -e ';auto' -x '' -X '' https://example.com`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://example.com"},
	},
	{
		name: "scheme-relative URL",
		cmd:  `curl //example.com/x`,
		want: httpstep.NodeConfig{Method: "GET", URL: "http://example.com/x"},
	},
	{
		name: "URL without scheme whose query holds one",
		cmd:  `curl -G -d a=1 'example.com/?next=http://b.example.com&'`,
		want: httpstep.NodeConfig{Method: "GET", URL: "http://example.com/?next=http://b.example.com&a=1"},
	},
	{
		name: "unquoted query and a redirect",
		cmd:  `curl https://example.com/?a=1&b=2 2>/dev/null; echo done`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://example.com/?a=1&b=2"},
	},
	{
		name: "pipe without spaces",
		cmd:  `curl -s https://example.com/items|jq .`,
		want: httpstep.NodeConfig{Method: "GET", URL: "https://example.com/items"},
	},
	{
		name: "powershell continuation",
		cmd:  "curl.exe -X DELETE `\n  https://api.example.com/x/1",
		want: httpstep.NodeConfig{Method: "DELETE", URL: "https://api.example.com/x/1"},
	},
}

func TestParse(t *testing.T) {
	for _, tc := range curlCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.cmd)
			require.NoError(t, err)
			assert.Equal(t, &tc.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ cmd, want string }{
		{"", "the command is empty"},
		{"wget https://example.com", `starts with "wget", not curl`},
		{"curl -s", "has no URL"},
		{"curl 'https://example.com", "' quote at line 1, column 6 is never closed"},
		{"curl https://example.com \\\n  -d \"{", `" quote at line 2, column 6 is never closed`},
		{"curl $'abc", "$' quote at line 1, column 6"},
		{"curl ^\"https://example.com^\" ^\n -H ^\"a: b", `" quote at line 2, column 6 is never closed`},
		{"curl -d @body.json https://example.com", "-d @body.json sends a file, and file bodies cannot be imported"},
		{"curl --data-binary @- https://example.com", "--data-binary @- sends a file"},
		{"curl --json @x.json https://example.com", "--json @x.json sends a file"},
		{"curl --data-urlencode name@file.txt https://example.com", "--data-urlencode name@file.txt sends a file"},
		{"curl -T a.bin https://example.com", "-T a.bin sends a file"},
		{"curl -H @headers.txt https://example.com", "reads headers from a file"},
		{"curl -b cookies.txt https://example.com", "reads cookies from a file"},
		{"curl -sQ x https://example.com", "option -Q is not supported"},
		{"curl --header=X:1 https://example.com", "write --header VALUE"},
		{"curl https://a.example.com https://b.example.com", `more than one URL ("https://a.example.com" and "https://b.example.com")`},
		{"curl -d a=1 -F b=2 https://example.com", "both data (-d) and a form (-F)"},
		{"curl -G -F b=2 https://example.com", "a -F form cannot go there"},
		{"curl -I -d a=1 https://example.com", "HEAD request, which has no body"},
		{"curl -m abc https://example.com", `-m "abc": give the timeout in seconds`},
		{"curl -m -1 https://example.com", `-m "-1"`},
		{"curl --retry x https://example.com", "give the number of retries"},
		{"curl https://example.com -H", "option -H needs a value"},
		{"curl https://example.com --url", "option --url needs a value"},
		{"curl -H nocolon https://example.com", `header "nocolon" has no colon`},
		{"curl -H ': v' https://example.com", "has no name"},
		{"curl -F novalue https://example.com", `-F "novalue" has no '='`},
		{"curl -F 'a=(' https://example.com", "nested multipart"},
		{`curl -d $'\xff' https://example.com`, "not UTF-8 text"},
		{"curl \xff", "not UTF-8 text"},
		{"curl -H " + strings.Repeat("x", 100) + " https://example.com", `header "` + strings.Repeat("x", 60) + `..." has no colon`},
	}
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			node, err := Parse(tc.cmd)
			require.Error(t, err)
			assert.Nil(t, node)
			assert.True(t, strings.HasPrefix(err.Error(), "httpstep: curl: "), err.Error())
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestParseRetryLimit checks that the importer and Validate share one
// limit: the most retries import into a valid node, one more is refused.
func TestParseRetryLimit(t *testing.T) {
	node, err := Parse(fmt.Sprintf("curl --retry %d https://example.com", nodespec.MaxAttempts-1))
	require.NoError(t, err)
	require.NoError(t, node.Validate())
	assert.Equal(t, nodespec.MaxAttempts, node.Retry.MaxAttempts)
	for _, n := range []int{nodespec.MaxAttempts, 500} {
		_, err = Parse(fmt.Sprintf("curl --retry %d https://example.com", n))
		require.Error(t, err, n)
		assert.Contains(t, err.Error(), fmt.Sprintf("from 0 to %d", nodespec.MaxAttempts-1))
	}
}

// TestCurlOptionTable guards the option table against clashes.
func TestCurlOptionTable(t *testing.T) {
	all := allCurlOptions()
	longs, shorts := map[string]bool{}, map[byte]bool{}
	for _, o := range all {
		assert.False(t, longs[o.long], "long option %s listed twice", o.long)
		assert.False(t, o.short != 0 && shorts[o.short], "short option %c listed twice", o.short)
		assert.False(t, o.value != nil && !o.arg, "option %s has an effect for a value it does not take", o.long)
		longs[o.long], shorts[o.short] = true, o.short != 0
	}
	assert.Len(t, curlLong, len(all))
}

// marshalNode writes a node as indented JSON without HTML escaping.
func marshalNode(t testing.TB, node *httpstep.NodeConfig) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(node))
	return buf.Bytes()
}

// TestParseGolden parses the large commands in testdata/*.txt and
// compares the node with the .json beside each; -update rewrites them.
func TestParseGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			cmd, err := os.ReadFile(in)
			require.NoError(t, err)
			node, err := Parse(string(cmd))
			require.NoError(t, err)
			got := marshalNode(t, node)
			golden.Check(t, strings.TrimSuffix(in, ".txt")+".json", got)
		})
	}
}

func ExampleParse() {
	node, err := Parse(`curl 'https://api.example.com/v1/orders?source=web' \
  -H 'Authorization: Bearer {{token}}' \
  -H 'Content-Type: application/json' \
  --data-raw '{"sku":"A-1","qty":2}' \
  --max-time 5`)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.MarshalIndent(node, "", "  ")
	fmt.Println(string(out))
	// Output:
	// {
	//   "method": "POST",
	//   "url": "https://api.example.com/v1/orders?source=web",
	//   "auth": {
	//     "type": "bearer",
	//     "token": "{{token}}"
	//   },
	//   "body": {
	//     "kind": "raw",
	//     "contentType": "application/json",
	//     "raw": "{\"sku\":\"A-1\",\"qty\":2}"
	//   },
	//   "timeout": "5s"
	// }
}

// TestImportNotes checks the import defects of issue 16 that show in
// the node and its notes rather than on the wire.
func TestImportNotes(t *testing.T) {
	cases := []struct {
		name, cmd string
		method    string
		url       string
		body      *httpstep.Body
		notes     []string
	}{
		{name: "unquoted placeholder is kept", cmd: `curl -X POST https://api.example.com/v1/users/<USER_ID> -d 'a=1'`,
			method: "POST", url: "https://api.example.com/v1/users/<USER_ID>", body: formBody(httpstep.BodyURLEncoded, httpstep.FormField{Key: "a", Value: "1"}),
			notes: []string{"the URL holds <USER_ID>, a placeholder of the documentation: replace it with a value or a {{ref}}"}},
		{name: "a second curl line", cmd: "curl https://a.example.com/x\ncurl https://b.example.com/y",
			method: "GET", url: "https://a.example.com/x",
			notes: []string{"a second curl command follows the first: only the first was imported; import the other one on its own"}},
		{name: "a second command after &&", cmd: "curl https://a.example.com/x && curl https://b.example.com/y",
			method: "GET", url: "https://a.example.com/x",
			notes: []string{"a second curl command follows the first: only the first was imported; import the other one on its own"}},
		{name: "a line without continuation", cmd: "curl https://a.example.com/x\n  -H 'X-A: 1'",
			method: "GET", url: "https://a.example.com/x",
			notes: []string{`the text after the first line (-H X-A: 1) was ignored: a line break ends a command unless the line ends with \ (or ^ for cmd.exe)`}},
		{name: "pipe says nothing", cmd: "curl https://a.example.com/x | jq .", method: "GET", url: "https://a.example.com/x"},
		{name: "JSON guessed", cmd: `curl https://a.example.com/x -d '{"a":1}'`, method: "POST", url: "https://a.example.com/x",
			body:  rawBody("application/json", `{"a":1}`),
			notes: []string{"the data looks like JSON and no Content-Type was given: the node sends it as application/json, where curl would say application/x-www-form-urlencoded; add -H 'Content-Type: application/x-www-form-urlencoded' to send what curl sends"}},
		{name: "lower-case custom method kept", cmd: `curl -X purge https://a.example.com/x`, method: "purge", url: "https://a.example.com/x"},
		{name: "standard method upper-cased", cmd: `curl -X options https://a.example.com/x`, method: "OPTIONS", url: "https://a.example.com/x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node, notes, err := Import(tc.cmd)
			require.NoError(t, err)
			assert.Equal(t, tc.method, node.Method)
			assert.Equal(t, tc.url, node.URL)
			assert.Equal(t, tc.body, node.Body)
			assert.Equal(t, tc.notes, notes)
			require.NoError(t, node.Validate())
		})
	}
}

// TestParseOptionsOfIssue16 checks prefixes, --range and form part
// parameters against the node they give.
func TestParseOptionsOfIssue16(t *testing.T) {
	cases := []struct {
		cmd  string
		want httpstep.NodeConfig
	}{
		{`curl --sil --head --heade 'X-A: 1' --ins https://a.example.com/`,
			httpstep.NodeConfig{Method: "HEAD", URL: "https://a.example.com/", Headers: hdrs("X-A", "1"), InsecureSkipVerify: true}},
		{`curl --no-ins https://a.example.com/`, httpstep.NodeConfig{Method: "GET", URL: "https://a.example.com/"}},
		{`curl --range 600 https://a.example.com/`, httpstep.NodeConfig{Method: "GET", URL: "https://a.example.com/", Headers: hdrs("Range", "bytes=600-")}},
		{`curl -r -500 -H 'Range: bytes=1-2' https://a.example.com/`, httpstep.NodeConfig{Method: "GET", URL: "https://a.example.com/", Headers: hdrs("Range", "bytes=1-2")}},
		{`curl -F 'a=1;type=text/plain; charset=utf-8;filename=x.txt;foo=bar' -F 'f=@"a;b.pdf";filename="c;d.pdf";type=application/pdf' https://a.example.com/`,
			httpstep.NodeConfig{Method: "POST", URL: "https://a.example.com/", Body: formBody(httpstep.BodyFormData,
				httpstep.FormField{Key: "a", Value: "1", ContentType: "text/plain; charset=utf-8", Filename: "x.txt"},
				httpstep.FormField{Key: "f", File: "file", ContentType: "application/pdf", Filename: "c;d.pdf"})}},
		{`curl -H 'Content-Type: multipart/related; boundary=xyz; type="application/json"' -F a=1 https://a.example.com/`,
			httpstep.NodeConfig{Method: "POST", URL: "https://a.example.com/", Headers: hdrs("Content-Type", `multipart/related; type="application/json"`),
				Body: formBody(httpstep.BodyFormData, httpstep.FormField{Key: "a", Value: "1"})}},
	}
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			got, err := Parse(tc.cmd)
			require.NoError(t, err)
			assert.Equal(t, &tc.want, got)
		})
	}
	for cmd, want := range map[string]string{
		"curl --re https://a.example.com/":                    "option --re is ambiguous: it begins --referer, --remote-header-name, --remote-name, ...; write the whole name",
		"curl --range x https://a.example.com/":               `--range "x": give a byte range`,
		"curl -F 'a=1;headers=X-A: 1' https://a.example.com/": "remove the ;headers parameter",
		"curl --no-data a https://a.example.com/":             "option --no-data is not supported",
	} {
		_, err := Parse(cmd)
		require.Error(t, err, cmd)
		assert.Contains(t, err.Error(), want, cmd)
	}
}

// TestParseGlobOff: backslash escapes of brackets and braces are curl's
// glob escapes, removed on import, unless -g turns globbing off: curl then
// sends the backslashes as they stand, and so does the node.
func TestParseGlobOff(t *testing.T) {
	n, err := Parse(`curl 'https://api.example.com/a\{b\}'`)
	require.NoError(t, err)
	assert.Equal(t, "https://api.example.com/a{b}", n.URL)
	for _, cmd := range []string{`curl -g 'https://api.example.com/a\{b\}'`, `curl 'https://api.example.com/a\{b\}' --globoff`} {
		n, err = Parse(cmd)
		require.NoError(t, err)
		assert.Equal(t, `https://api.example.com/a\{b\}`, n.URL, cmd)
	}
}

// TestExportReadsBack: for every command of the corpus, the node's export
// (NodeConfig.Curl) imports into a node that exports to the same command
// and imports into the same node again. The field-by-field round trip,
// which needs the export's own normalisations, is the root package's
// TestCurlRoundTrip and FuzzCurlRoundTrip.
func TestExportReadsBack(t *testing.T) {
	for _, tc := range curlCases {
		t.Run(tc.name, func(t *testing.T) {
			node, err := Parse(tc.cmd)
			require.NoError(t, err)
			if node.Validate() != nil {
				t.Skip("the import is not a valid node")
			}
			cmd, err := node.Curl(nil)
			require.NoError(t, err)
			back, err := Parse(cmd)
			require.NoError(t, err, cmd)
			again, err := back.Curl(nil)
			require.NoError(t, err)
			assert.Equal(t, cmd, again)
			third, err := Parse(again)
			require.NoError(t, err, again)
			assert.Equal(t, back, third, again)
		})
	}
}

// corpusEntry is one command of curlCases as testdata/corpus.json holds it.
type corpusEntry struct {
	Name string `json:"name"`
	Cmd  string `json:"cmd"`
}

// TestCorpusFile keeps testdata/corpus.json equal to the commands of
// curlCases: the root package's round-trip test (TestCurlRoundTrip) reads
// them there, as it cannot import this package's tests. -update rewrites it.
func TestCorpusFile(t *testing.T) {
	entries := make([]corpusEntry, 0, len(curlCases))
	for _, tc := range curlCases {
		entries = append(entries, corpusEntry{Name: tc.name, Cmd: tc.cmd})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(entries))
	golden.Check(t, filepath.Join("testdata", "corpus.json"), buf.Bytes())
}
