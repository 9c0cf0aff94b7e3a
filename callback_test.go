package httpstep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/httpstep/httpstep/internal/callbackurl"
)

// callbackNode is a node that hands the API its callback URL in the query,
// a header and the JSON body.
func callbackNode(base string) *NodeConfig {
	return &NodeConfig{
		Method:   "POST",
		URL:      base + "/jobs?notify={{$callback.url}}",
		Headers:  []KeyValue{{Key: "X-Callback", Value: "{{ $callback.url }}"}},
		Body:     &Body{Kind: BodyRaw, ContentType: "application/json", Raw: `{"video":"{{video}}","callback":"{{$callback.url}}"}`},
		Callback: &Callback{},
	}
}

// testCallbackURL has characters each place escapes differently.
const testCallbackURL = `https://host.example/cb/tok?a=1&b="2"`

// TestCallbackRefusedOutsideQueue: Execute and Run refuse a callback node
// with a *ConfigError that points at the durable queue, and send nothing.
func TestCallbackRefusedOutsideQueue(t *testing.T) {
	srv := newRecorder(t, nil)
	c := testClient(t)
	n := callbackNode(srv.URL)
	s, err := n.Compile()
	require.NoError(t, err)
	for name, run := range map[string]func() (*Result, error){
		"Execute": func() (*Result, error) { return c.Execute(context.Background(), n, Values{"video": "v"}) },
		"Run":     func() (*Result, error) { return c.Run(context.Background(), s, Values{"video": "v"}) },
	} {
		res, err := run()
		var ce *ConfigError
		require.True(t, errors.As(err, &ce), "%s: %v", name, err)
		assert.Nil(t, res, name)
		assert.Contains(t, err.Error(), "durable queue", name)
		assert.Contains(t, err.Error(), "httpstep:", name)
	}
	assert.Zero(t, srv.count(), "nothing is sent")
}

// TestCallbackRendered: with the queue's URL in the context, the URL lands
// in each place escaped for it, and the history shows it redacted.
func TestCallbackRendered(t *testing.T) {
	srv := newRecorder(t, nil)
	s, err := callbackNode(srv.URL).Compile()
	require.NoError(t, err)
	ctx := callbackurl.With(context.Background(), testCallbackURL)
	res, err := testClient(t).Run(ctx, s, Values{"video": "v1", "$callback.url": "from the user"})
	require.NoError(t, err)
	got := srv.last(t)
	q, err := url.ParseQuery(strings.SplitN(got.RequestURI, "?", 2)[1])
	require.NoError(t, err)
	assert.Equal(t, testCallbackURL, q.Get("notify"))
	assert.Equal(t, testCallbackURL, got.Header.Get("X-Callback"))
	var body struct{ Video, Callback string }
	require.NoError(t, json.Unmarshal(got.Body, &body))
	assert.Equal(t, "v1", body.Video)
	assert.Equal(t, testCallbackURL, body.Callback)
	hist, err := json.Marshal(res.Attempts)
	require.NoError(t, err)
	assert.NotContains(t, string(hist), "cb/tok")
	assert.Contains(t, string(hist), redacted)
}

// TestCallbackRefs: the reserved ref is the queue's, never asked of the
// user.
func TestCallbackRefs(t *testing.T) {
	n := callbackNode("https://api.example")
	assert.Equal(t, []string{"video"}, n.Refs())
	n.Callback.Secret = "{{org.cbSecret}}"
	assert.Equal(t, []string{"video", "org.cbSecret"}, n.Refs(), "the host is asked for the callback's secret")
}

func TestCallbackValidate(t *testing.T) {
	ok := func(n *NodeConfig) {}
	for name, tc := range map[string]struct {
		edit  func(*NodeConfig)
		field string // "" = valid
		msg   string
	}{
		"valid":             {edit: ok},
		"ref, no callback":  {edit: func(n *NodeConfig) { n.Callback = nil }, field: "callback", msg: "add \"callback\""},
		"callback, no ref":  {edit: func(n *NodeConfig) { n.URL, n.Headers, n.Body = "https://api.example/jobs", nil, nil }, field: "callback", msg: "never tells the API"},
		"other $callback":   {edit: func(n *NodeConfig) { n.Headers[0].Value = "{{$callback.token}}" }, field: "callback", msg: "not a callback value"},
		"negative timeout":  {edit: func(n *NodeConfig) { n.Callback.Timeout = -1 }, field: "callback.timeout", msg: "negative"},
		"with paginate":     {edit: func(n *NodeConfig) { n.Paginate = &Pagination{Mode: "page", Param: "page"} }, field: "paginate", msg: "call back"},
		"with async":        {edit: func(n *NodeConfig) { n.Async = &Async{} }, field: "async", msg: "call back"},
		"with download":     {edit: func(n *NodeConfig) { n.Download = true }, field: "download", msg: "call back"},
		"secret":            {edit: func(n *NodeConfig) { n.Callback.Secret = "{{ org.cbSecret }}" }},
		"secret literal":    {edit: func(n *NodeConfig) { n.Callback.Secret = "whsec_abc" }, field: "callback.secret", msg: "one placeholder"},
		"secret and text":   {edit: func(n *NodeConfig) { n.Callback.Secret = "x{{org.cbSecret}}" }, field: "callback.secret", msg: "one placeholder"},
		"two secrets":       {edit: func(n *NodeConfig) { n.Callback.Secret = "{{a}}{{b}}" }, field: "callback.secret", msg: "one placeholder"},
		"secret is the url": {edit: func(n *NodeConfig) { n.Callback.Secret = "{{$callback.url}}" }, field: "callback.secret", msg: "not a secret"},
	} {
		t.Run(name, func(t *testing.T) {
			n := callbackNode("https://api.example")
			tc.edit(n)
			err := n.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "%v", err)
			var msgs []string
			for _, p := range ce.Problems {
				if p.Field == tc.field {
					msgs = append(msgs, p.Message)
				}
			}
			require.NotEmpty(t, msgs, "no problem at %s in %v", tc.field, ce.Problems)
			assert.Contains(t, strings.Join(msgs, "\n"), tc.msg)
		})
	}
}

// TestCallbackParseNode: a stored node's callback key reads strictly.
func TestCallbackParseNode(t *testing.T) {
	n, err := ParseNode([]byte(`{"method":"POST","url":"https://api.example/jobs?cb={{$callback.url}}","callback":{"timeout":"2h"}}`))
	require.NoError(t, err)
	require.NotNil(t, n.Callback)
	assert.Equal(t, "2h0m0s", n.Callback.Timeout.String())
	_, err = ParseNode([]byte(`{"url":"https://api.example/jobs?cb={{$callback.url}}","callback":{"timout":"2h"}}`))
	assert.ErrorContains(t, err, "callback.timout")
}

// TestCallbackResult: the body of the API's call is read as an answer is:
// converted from its charset, an XML body read through its JSON tree, bad
// bytes and a body too large to convert kept with a note.
func TestCallbackResult(t *testing.T) {
	enc := func(e encoding.Encoding, s string) []byte {
		b, err := e.NewEncoder().Bytes([]byte(s))
		require.NoError(t, err)
		return b
	}
	wechatPay := `<xml><return_code><![CDATA[SUCCESS]]></return_code><out_trade_no>1217752501201407033233368018</out_trade_no><total_fee>1</total_fee></xml>`
	zh := `{"status":"完成","rows":[{"id":1},{"id":2}]}`
	for _, tc := range []struct {
		name, contentType string
		body              []byte
		limit             int64
		path, want        string
		note              string
	}{
		{"JSON", "application/json", []byte(zh), 0, "status", "完成", ""},
		{"GBK JSON", "application/json; charset=GBK", enc(simplifiedchinese.GBK, zh), 0, "status", "完成", ""},
		{"UTF-16 BOM", "application/json", enc(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), zh), 0, "rows.1.id", "2", "UTF-16LE"},
		{"XML, as WeChat Pay notifies", "text/xml", []byte(wechatPay), 0, "xml.out_trade_no", "1217752501201407033233368018", ""},
		{"XML in GBK", "text/xml; charset=gbk", enc(simplifiedchinese.GBK, `<r><s>完成</s></r>`), 0, "r.s", "完成", ""},
		{"invalid UTF-8 declared", "application/json; charset=utf-8", []byte("{\"s\":\"a\xffb\"}"), 0, "s", "a\uFFFDb", "invalid"},
		{"too large once converted", "application/json; charset=GBK", enc(simplifiedchinese.GBK, zh), 20, "", "", "kept as it came"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, notes := CallbackResult(tc.contentType, tc.body, tc.limit)
			require.NotNil(t, res)
			assert.Equal(t, 200, res.StatusCode)
			assert.Equal(t, tc.contentType, res.Header.Get("Content-Type"))
			if tc.path != "" {
				v, ok := res.Lookup(tc.path)
				require.True(t, ok, "%s in %s", tc.path, res.Body)
				assert.Equal(t, tc.want, fmt.Sprint(v))
			}
			if tc.note == "" {
				assert.Empty(t, notes)
			} else {
				assert.Contains(t, strings.Join(notes, "\n"), tc.note)
			}
		})
	}
	res, _ := CallbackResult("application/json", []byte(zh), 0)
	rows, err := res.Rows("rows")
	require.NoError(t, err)
	assert.Len(t, rows, 2)
	empty, notes := CallbackResult("", nil, 0)
	assert.Empty(t, empty.Body)
	assert.Empty(t, notes)
}
