package httpstep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedirectToOtherScheme: a redirect to another scheme, or to a Location
// that is not a URL, is a refused destination (kind blocked) whose message
// names what it led to; nothing follows it.
func TestRedirectToOtherScheme(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Location"] = []string{r.URL.Query().Get("to")}
		w.WriteHeader(http.StatusFound)
	})
	c := testClient(t)
	for to, words := range map[string]string{
		"file:///etc/passwd":          "a file: URL",
		"gopher://127.0.0.1:70/_x":    "a gopher: URL",
		"dict://127.0.0.1:11211/stat": "a dict: URL",
		"ftp://127.0.0.1/pub":         "a ftp: URL",
		"javascript:alert(1)":         "a javascript: URL",
		"http://[::1":                 "which is not a URL (missing ']' in host)",
		"http://%zz/":                 "which is not a URL (invalid URL escape \"%zz\")",
	} {
		t.Run(to, func(t *testing.T) {
			before := srv.count()
			res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL + "/?to=" + url.QueryEscape(to)}, nil)
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindBlocked, f.Kind)
			assert.Contains(t, f.Message, words)
			assert.Contains(t, f.Message, "only redirects to http and https URLs are followed")
			var blocked *BlockedError
			require.ErrorAs(t, err, &blocked)
			assert.NotEmpty(t, blocked.Redirect)
			assert.Equal(t, before+1, srv.count(), "nothing followed the redirect")
			require.Len(t, res.Attempts, 1)
			require.Len(t, res.Attempts[0].Redirects, 1)
			assert.False(t, res.Attempts[0].Redirects[0].Followed)
			assert.Equal(t, http.StatusFound, res.Attempts[0].Redirects[0].Status)
		})
	}
}

// TestPushRedirected: a push (or any request with a body) that a redirect
// would turn into a body-less GET is not followed and fails naming the
// redirect; 307 and 308 keep the method and body and are followed.
func TestPushRedirected(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			var gets int
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/hook":
					w.Header().Set("Location", "/hook/")
					w.WriteHeader(code)
				case r.Method == http.MethodGet:
					gets++
					fallthrough
				default:
					io.WriteString(w, "{}")
				}
			})
			c := testClient(t)
			node := PushNode(srv.URL+"/hook", "record")
			node.Retry = nil
			res, err := c.Execute(context.Background(), node, pushRecord)
			if code >= 307 {
				require.NoError(t, err)
				assert.Equal(t, []RedirectRecord{{Status: code, Method: "POST", URL: srv.URL + "/hook/", Followed: true}},
					res.Attempts[0].Redirects, "the hop is in the history with its real method")
				got := srv.last(t)
				assert.Equal(t, "POST", got.Method)
				assert.Equal(t, "/hook/", got.RequestURI)
				assert.JSONEq(t, `{"id":"po-7","amount":120.5,"approved":true}`, string(got.Body))
				return
			}
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindStatus, f.Kind)
			assert.Equal(t, code, f.StatusCode)
			assert.Contains(t, f.Message, fmt.Sprintf("answered the POST to %s/hook with %d", srv.URL, code))
			assert.Contains(t, f.Message, "a redirect to "+srv.URL+"/hook/ that would be followed as a GET without the request body")
			assert.Zero(t, gets, "the GET was never sent")
			assert.Equal(t, 1, srv.count())
			assert.Equal(t, f.Message, res.Attempts[0].Error)
			assert.Equal(t, "POST", res.Attempts[0].Request.Method)
			assert.Equal(t, []RedirectRecord{{Status: code, Method: "GET", URL: srv.URL + "/hook/"}},
				res.Attempts[0].Redirects, "the refused hop is in the history with the method it would have used")
		})
	}
	t.Run("GET is followed", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/old" {
				http.Redirect(w, r, "/new", http.StatusMovedPermanently)
				return
			}
			io.WriteString(w, `{"moved":true}`)
		})
		res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL + "/old"}, nil)
		require.NoError(t, err)
		assert.True(t, res.Get("moved").Bool())
	})
	t.Run("DELETE is not turned into GET", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		})
		_, err := testClient(t).Execute(context.Background(), &NodeConfig{Method: "DELETE", URL: srv.URL + "/item"}, nil)
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.Contains(t, f.Message, "answered the DELETE")
		assert.Equal(t, 1, srv.count())
	})
}

// TestRefusedRedirectAnswered: a redirect that is not followed still came
// back as an answer, and the attempt and the Result keep it: its status and
// headers are in Attempts[0].Response and Result.StatusCode and Header,
// whichever rule refused it (a push a 301 would turn into a GET, a Location
// of another scheme, one that is no URL, a chain too long).
func TestRefusedRedirectAnswered(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Hop", "answered")
		if to := r.URL.Query().Get("to"); to != "" {
			w.Header()["Location"] = []string{to}
			w.WriteHeader(http.StatusFound)
			return
		}
		w.Header().Set("Location", r.URL.Path+"x") // /hook, /loop: a longer path each hop
		w.WriteHeader(http.StatusMovedPermanently)
	})
	push := PushNode(srv.URL+"/hook", "record")
	push.Retry = nil
	tests := []struct {
		name   string
		node   *NodeConfig
		kind   FailureKind
		status int
	}{
		{"push answered 301", push, KindStatus, http.StatusMovedPermanently},
		{"another scheme", &NodeConfig{URL: srv.URL + "/?to=" + url.QueryEscape("gopher://127.0.0.1:70/_x")}, KindBlocked, http.StatusFound},
		{"no URL", &NodeConfig{URL: srv.URL + "/?to=" + url.QueryEscape("http://[::1")}, KindBlocked, http.StatusFound},
		{"too many", &NodeConfig{URL: srv.URL + "/loop"}, KindNetwork, http.StatusMovedPermanently},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := testClient(t).Execute(context.Background(), tt.node, pushRecord)
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, tt.kind, f.Kind, f.Message)
			assert.Equal(t, tt.status, f.StatusCode)
			assert.Equal(t, tt.status, res.StatusCode)
			assert.Equal(t, "answered", res.Header.Get("X-Hop"))
			got := res.Attempts[len(res.Attempts)-1].Response
			require.NotNil(t, got, "the attempt records the answer it got")
			assert.Equal(t, tt.status, got.Status)
			assert.Equal(t, []string{"answered"}, got.Header["X-Hop"])
			assert.NotEmpty(t, got.Header["Location"])
		})
	}
}

// TestPlatformEndpointsBlocked: the cloud platform endpoints are refused
// end to end, by address and by name, before any socket connects; the
// AllowNetworks entry for one lets it through to the socket, where only
// the test's loopback fence stops it.
func TestPlatformEndpointsBlocked(t *testing.T) {
	dns := newRebinder(map[string][2]string{"metadata.google.internal": {"169.254.169.254", "169.254.169.254"}})
	for host, allow := range map[string]string{
		"168.63.129.16":            "168.63.129.16/32",
		"[fd00:ec2::254]":          "fd00:ec2::254/128",
		"metadata.google.internal": "169.254.169.254/32",
		"100.100.100.200":          "100.100.100.200/32",
		"192.0.0.192":              "192.0.0.192/32",
		"169.254.169.254":          "169.254.169.254/32",
	} {
		t.Run(host, func(t *testing.T) {
			node := &NodeConfig{URL: "http://" + host + "/latest/meta-data/"}
			_, err := attackClient(t, dns.lookup).Execute(context.Background(), node, nil)
			var f *Failure
			require.ErrorAs(t, err, &f)
			assert.Equal(t, KindBlocked, f.Kind, f.Message)

			_, err = attackClient(t, dns.lookup, allow).Execute(context.Background(), node, nil)
			require.ErrorAs(t, err, &f)
			assert.NotEqual(t, KindBlocked, f.Kind, "AllowNetworks lets %s through", host)
			assert.Contains(t, f.Message, "test fence", "it reached the socket")
		})
	}
	assert.Equal(t, 1, dns.asked["metadata.google.internal"], "the name was refused before DNS, then resolved once when allowed")
}

// TestRedirectHistoryRedacted: a secret that the API echoes into a
// redirect's Location is hidden in the hop log and the failure, as in the
// rest of the history.
func TestRedirectHistoryRedacted(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b?echo="+r.URL.Query().Get("k"), http.StatusFound)
		case "/b":
			w.Header()["Location"] = []string{"gopher://internal/" + r.URL.Query().Get("echo")}
			w.WriteHeader(http.StatusFound)
		}
	})
	res, err := testClient(t).Execute(context.Background(), &NodeConfig{URL: srv.URL + "/a?k={{k}}"}, Values{"k": Secret("s3cr3t-value")})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, KindBlocked, f.Kind)
	history, _ := json.Marshal(res.Attempts)
	assert.NotContains(t, string(history), "s3cr3t-value")
	assert.NotContains(t, f.Error(), "s3cr3t-value")
	require.Len(t, res.Attempts[0].Redirects, 2)
	assert.True(t, res.Attempts[0].Redirects[0].Followed)
	assert.False(t, res.Attempts[0].Redirects[1].Followed)
}
