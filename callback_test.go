package httpstep

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
