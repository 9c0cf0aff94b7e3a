package httpsteptest_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/httpsteptest"
	"github.com/httpstep/httpstep/internal/golden"
)

// echoAPI is a fake API that echoes back every credential it was sent (as
// some APIs do), so the cassette's response side must be redacted too.
func echoAPI(t *testing.T) *httpsteptest.Server {
	api := httpsteptest.NewServer(t)
	echo := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		out, _ := json.Marshal(map[string]any{
			"path": r.URL.Path, "query": r.URL.RawQuery, "body": string(body),
			"authorization": r.Header.Get("Authorization"), "cookie": r.Header.Get("Cookie"), "apiKey": r.Header.Get("X-Api-Key"),
		})
		w.Header()["Date"] = nil // for the golden file
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session="+r.Header.Get("X-Api-Key")+"; HttpOnly")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			_, _ = zw.Write(out)
			_ = zw.Close()
			return
		}
		_, _ = w.Write(out)
	}
	api.HandleFunc("GET /v1/users/{id}", echo)
	api.HandleFunc("POST /v1/orders", echo)
	api.HandleFunc("GET /v1/me", echo)
	api.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token": "issued-token-9f8e", "token_type": "bearer", "expires_in": 3600}`)
	})
	return api
}

// secretNodes are nodes that put a secret in every place a run can: Basic
// credentials, a path segment, an API-key query parameter and header, a
// cookie, a JSON body, a bearer token, an OAuth2 client secret in a form
// body and the token the server hands out.
func secretNodes(base string) []string {
	return []string{
		`{"url": "` + base + `/v1/users/{{uid}}?api_key={{key}}&page=1",
		  "headers": [{"key": "X-Api-Key", "value": "{{key}}"}, {"key": "Cookie", "value": "session={{sess}}"}],
		  "auth": {"type": "basic", "username": "ann", "password": "{{pw}}"}}`,
		`{"method": "POST", "url": "` + base + `/v1/orders",
		  "body": {"kind": "raw", "raw": "{\"note\": \"{{pw}}\", \"sku\": \"A-1\"}"},
		  "auth": {"type": "bearer", "token": "{{tok}}"}}`,
		`{"url": "` + base + `/v1/me", "auth": {"type": "oauth2", "oauth2": {"grant": "client_credentials",
		  "tokenUrl": "` + base + `/oauth/token", "clientId": "app-1", "clientSecret": "{{cs}}", "credentialsIn": "body"}}}`,
	}
}

// secretValues are the parameters of secretNodes: every one a Secret.
func secretValues(suffix string) httpstep.Values {
	return httpstep.Values{
		"pw": httpstep.Secret(`pa"ss/wörd&1` + suffix), "key": httpstep.Secret("k3y-abc" + suffix),
		"uid": httpstep.Secret("u-secret-77" + suffix), "sess": httpstep.Secret("sess-zz9" + suffix),
		"tok": httpstep.Secret("tok-bearer-5" + suffix), "cs": httpstep.Secret("client-s3cret" + suffix),
	}
}

// forms are the shapes a secret takes in a request or an echo of it.
func forms(s string) []string {
	j, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), url.PathEscape(s), string(j[1 : len(j)-1]), base64.StdEncoding.EncodeToString([]byte("ann:" + s))}
}

// TestCassette records the secretNodes' runs, checks that no form of any
// secret reached the file and that the file is the golden one, then
// replays them with other secrets after the API is gone, through a next
// transport that fails the test if it is ever used.
func TestCassette(t *testing.T) {
	api := echoAPI(t)
	path := filepath.Join(t.TempDir(), "cassette.json")
	nodes := secretNodes(api.URL)
	var recorded []string
	t.Run("record", func(t *testing.T) {
		cas := httpsteptest.NewCassette(t, path, httpsteptest.Record)
		c := &httpstep.Client{AllowPrivate: true, WrapTransport: cas.Wrap}
		for _, n := range nodes {
			res := run(t, c, n, secretValues(""))
			require.True(t, res.OK(), "%+v", res.Failure)
			recorded = append(recorded, string(res.Body))
		}
	}) // the subtest's end writes the cassette
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	texts := append(strings.Split(string(data), "\n"), decodedStrings(t, data)...) // the file, and every string in it
	var leaks []string
	for _, v := range secretValues("") {
		leaks = append(leaks, forms(string(v.(httpstep.Secret)))...)
	}
	leaks = append(leaks, "issued-token-9f8e", "session=k3y", base64.StdEncoding.EncodeToString([]byte("ann:")))
	for _, text := range texts {
		for _, leak := range leaks {
			assert.NotContains(t, text, leak)
		}
	}
	data = bytes.ReplaceAll(data, []byte(api.URL), []byte("http://127.0.0.1:PORT"))
	data = idempotencyKey.ReplaceAll(data, []byte(`"\"KEY\""`))
	golden.Check(t, "testdata/cassette.golden.json", data)
	api.Close()

	cas := httpsteptest.NewCassette(t, path, httpsteptest.Replay)
	never := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("replay sent %s %s to the network", r.Method, r.URL)
		return nil, errors.New("no network")
	})
	c := &httpstep.Client{WrapTransport: func(http.RoundTripper) http.RoundTripper { return cas.Wrap(never) }} // the guard on: nothing is dialled
	for i, n := range nodes {
		res := run(t, c, n, secretValues("-other"))
		require.True(t, res.OK(), "%+v", res.Failure)
		assert.NotEqual(t, recorded[i], string(res.Body), "the replayed body is the redacted one")
		assert.Equal(t, 200, res.StatusCode)
	}
}

// idempotencyKey is the random Idempotency-Key of a POST, in a cassette.
var idempotencyKey = regexp.MustCompile(`"\\"[0-9a-f-]{36}\\""`)

// decodedStrings is every string value in a JSON document, and every
// string in those that are JSON documents themselves (an echoed body).
func decodedStrings(t *testing.T, data []byte) []string {
	var v any
	require.NoError(t, json.Unmarshal(data, &v))
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
			var inner any
			if json.Unmarshal([]byte(x), &inner) == nil {
				walk(inner)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestReplaySequence: a retried push and a paginated pull replay their
// exchanges in the order they were recorded, identical requests included.
func TestReplaySequence(t *testing.T) {
	api := httpsteptest.NewServer(t)
	api.Handle("POST /v1/push", httpsteptest.Status(503).WithHeader("Retry-After", "0"), httpsteptest.Status(503), httpsteptest.JSON(200, `{"done": true}`))
	api.Handle("GET /v1/items", httpsteptest.JSON(200, `{"items": [1, 2]}`), httpsteptest.JSON(200, `{"items": [3]}`), httpsteptest.JSON(200, `{"items": []}`))
	push := `{"method": "POST", "url": "` + api.URL + `/v1/push", "retry": {"maxAttempts": 5, "initialInterval": "1ms"}}`
	pull := `{"url": "` + api.URL + `/v1/items", "paginate": {"mode": "page", "param": "page", "itemsPath": "items"}}`
	path := filepath.Join(t.TempDir(), "sequence.json")
	statuses := func(res *httpstep.Result) (out []int) {
		for _, a := range res.Attempts {
			out = append(out, a.Response.Status)
		}
		return out
	}
	var want [][]int
	t.Run("record", func(t *testing.T) {
		c := &httpstep.Client{AllowPrivate: true, WrapTransport: httpsteptest.NewCassette(t, path, httpsteptest.Record).Wrap}
		for _, n := range []string{push, pull} {
			res := run(t, c, n, nil)
			require.True(t, res.OK(), "%+v", res.Failure)
			want = append(want, statuses(res))
		}
	})
	assert.Equal(t, [][]int{{503, 503, 200}, {200, 200, 200}}, want)
	api.Close()
	c := &httpstep.Client{WrapTransport: httpsteptest.NewCassette(t, path, httpsteptest.Replay).Wrap}
	res := run(t, c, push, nil)
	assert.Equal(t, want[0], statuses(res))
	res = run(t, c, pull, nil)
	assert.Equal(t, want[1], statuses(res))
	assert.JSONEq(t, `[1, 2, 3]`, string(res.Body))
}

// TestReplayUnrecorded: a request the cassette has no exchange for (another
// URL, another body, one more time than recorded, an empty cassette) fails
// the run with an *UnrecordedError naming it and the closest recorded
// request, and fails the test with the same words.
func TestReplayUnrecorded(t *testing.T) {
	api := httpsteptest.NewServer(t)
	api.Handle("POST /v1/orders", httpsteptest.JSON(201, `{"id": 1}`))
	order := func(path, sku string) string {
		return `{"method": "POST", "url": "` + api.URL + path + `", "body": {"kind": "raw", "raw": "{\"sku\": \"` + sku + `\"}"}}`
	}
	dir := t.TempDir()
	full, empty := filepath.Join(dir, "orders.json"), filepath.Join(dir, "empty.json")
	t.Run("record", func(t *testing.T) {
		c := &httpstep.Client{AllowPrivate: true, WrapTransport: httpsteptest.NewCassette(t, full, httpsteptest.Record).Wrap}
		require.True(t, run(t, c, order("/v1/orders?page=1", "A-1"), nil).OK())
		httpsteptest.NewCassette(t, empty, httpsteptest.Record)
	})
	recorded := "POST " + api.URL + "/v1/orders?page=1"
	for _, tc := range []struct {
		name, cassette, node  string
		first                 bool // replay the recorded request first
		wantURL, closest, why string
	}{
		{"another URL", full, order("/v1/orders?page=2", "A-1"), false, "/v1/orders?page=2", recorded, "another URL"},
		{"another body", full, order("/v1/orders?page=1", "B-2"), false, "/v1/orders?page=1", recorded, "another body"},
		{"once more", full, order("/v1/orders?page=1", "A-1"), true, "/v1/orders?page=1", recorded, "already replayed"},
		{"empty cassette", empty, order("/v1/orders", "A-1"), false, "/v1/orders", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &reporter{TB: t}
			c := &httpstep.Client{WrapTransport: httpsteptest.NewCassette(rep, tc.cassette, httpsteptest.Replay).Wrap}
			if tc.first {
				require.True(t, run(t, c, tc.node, nil).OK())
			}
			res := run(t, c, tc.node, nil)
			require.NotNil(t, res.Failure)
			assert.Equal(t, httpstep.KindNetwork, res.Failure.Kind)
			var ue *httpsteptest.UnrecordedError
			require.ErrorAs(t, res.Failure, &ue)
			assert.Equal(t, "POST", ue.Method)
			assert.Equal(t, api.URL+tc.wantURL, ue.URL)
			assert.Equal(t, tc.closest, ue.Closest)
			assert.Contains(t, ue.Why, tc.why)
			assert.Equal(t, []string{ue.Error()}, rep.failures())
			assert.True(t, strings.HasPrefix(ue.Error(), "httpstep: httpsteptest: POST "+api.URL+tc.wantURL+" is not recorded in "+tc.cassette), ue.Error())
			assert.Contains(t, ue.Error(), "record the cassette again")
		})
	}
}

// TestCassetteMissing: replaying a cassette that does not exist fails the
// test at once and says how to record it.
func TestCassetteMissing(t *testing.T) {
	rep := &reporter{TB: t}
	httpsteptest.NewCassette(rep, filepath.Join(t.TempDir(), "none.json"), httpsteptest.Replay)
	f := rep.failures()
	require.Len(t, f, 1)
	assert.Contains(t, f[0], "none.json: no such file")
	assert.Contains(t, f[0], "httpsteptest.Record")
}

// TestMatches: a redacted value in a recorded URL or body stands for any
// value of a character or more, and only there.
func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		recorded, got string
		want          bool
	}{
		{"/v1/a?k=[REDACTED]&p=1", "/v1/a?k=secret&p=1", true},
		{"/v1/a?k=[REDACTED]&p=1", "/v1/a?k=&p=1", false},
		{"/v1/a?k=[REDACTED]&p=1", "/v1/a?k=s&p=2", false},
		{"/u/[REDACTED]/x/[REDACTED]", "/u/1/x/2", true},
		{"/u/[REDACTED]/x/[REDACTED]", "/u/1/x/", false},
		{"[REDACTED]", "anything", true},
		{"plain", "plain", true},
		{"plain", "plain2", false},
		{"a[REDACTED]a", "aa", false},
		{"a[REDACTED]a", "aba", true},
	} {
		assert.Equal(t, tc.want, httpsteptest.Matches(tc.recorded, tc.got), "%q ~ %q", tc.recorded, tc.got)
	}
}

// FuzzMatches: a recorded text made from got by redacting any non-empty
// part of it matches got, and matching never panics.
func FuzzMatches(f *testing.F) {
	f.Add("/v1/a?k=secret&p=1", 8, 14, "")
	f.Add("[REDACTED]x[REDACTED]", 1, 3, "/u/[REDACTED]")
	f.Fuzz(func(t *testing.T, got string, i, j int, other string) {
		httpsteptest.Matches(other, got)
		if len(got) == 0 {
			return
		}
		i, j = abs(i)%len(got), abs(j)%len(got)+1
		if i >= j {
			i, j = j-1, i+1
		}
		recorded := got[:i] + "[REDACTED]" + got[j:]
		if !httpsteptest.Matches(recorded, got) {
			t.Fatalf("%q does not match %q", recorded, got)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1)
	}
	return n
}

// TestReplayCanceled: a request whose context is done gets its error, as
// from a transport, and leaves its exchange for the next request; a
// replayed response reads as net/http's would.
func TestReplayCanceled(t *testing.T) {
	api := httpsteptest.NewServer(t)
	api.Handle("GET /a", httpsteptest.Text(200, "hello"))
	path := filepath.Join(t.TempDir(), "a.json")
	t.Run("record", func(t *testing.T) {
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		rt := httpsteptest.NewCassette(t, path, httpsteptest.Record).Wrap(tr)
		resp, err := (&http.Client{Transport: rt}).Get(api.URL + "/a")
		require.NoError(t, err)
		resp.Body.Close()
	})
	rt := httpsteptest.NewCassette(t, path, httpsteptest.Replay).Wrap(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", api.URL+"/a", nil)
	_, err := rt.RoundTrip(req)
	assert.ErrorIs(t, err, context.Canceled)
	resp, err := rt.RoundTrip(req.WithContext(context.Background()))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "200 OK", resp.Status)
	assert.Equal(t, "hello", string(body))
	assert.Equal(t, int64(5), resp.ContentLength)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
}

// TestRecordDecodes: a response in gzip or deflate (zlib or raw) is kept
// decoded, so it can be redacted, and replays decoded; another coding is
// kept in base64 with its Content-Encoding.
func TestRecordDecodes(t *testing.T) {
	const text = `{"token": "tok-in-a-gzip-body"}`
	var gz, zl, raw bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(text))
	_ = zw.Close()
	zlw := zlib.NewWriter(&zl)
	_, _ = zlw.Write([]byte(text))
	_ = zlw.Close()
	fw, _ := flate.NewWriter(&raw, flate.BestSpeed)
	_, _ = fw.Write([]byte(text))
	_ = fw.Close()
	api := httpsteptest.NewServer(t)
	for name, a := range map[string]httpsteptest.Answer{
		"gzip": {Body: gz.Bytes()}, "deflate": {Body: zl.Bytes()}, "raw-deflate": {Body: raw.Bytes()}, "br": {Body: []byte{0x8b, 0x0f, 0x80}},
	} {
		api.Handle("GET /"+name, a.WithHeader("Content-Encoding", name[strings.LastIndex(name, "-")+1:]))
	}
	path := filepath.Join(t.TempDir(), "codings.json")
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	t.Run("record", func(t *testing.T) {
		c := &http.Client{Transport: httpsteptest.NewCassette(t, path, httpsteptest.Record).Wrap(tr)}
		for _, name := range []string{"gzip", "deflate", "raw-deflate", "br"} {
			req, _ := http.NewRequest("GET", api.URL+"/"+name, nil)
			req.Header.Set("Accept-Encoding", "gzip, deflate, br") // asked for: net/http leaves the coding on
			resp, err := c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
		}
	})
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var f struct {
		Exchanges []struct {
			Response struct {
				Header     http.Header `json:"header"`
				Body       string      `json:"body"`
				BodyBase64 string      `json:"bodyBase64"`
			} `json:"response"`
		} `json:"exchanges"`
	}
	require.NoError(t, json.Unmarshal(data, &f))
	require.Len(t, f.Exchanges, 4)
	for i, e := range f.Exchanges[:3] {
		assert.Equal(t, text, e.Response.Body, i)
		assert.Empty(t, e.Response.Header.Get("Content-Encoding"), i)
	}
	br := f.Exchanges[3].Response
	assert.Equal(t, "br", br.Header.Get("Content-Encoding"))
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte{0x8b, 0x0f, 0x80}), br.BodyBase64)

	c := &http.Client{Transport: httpsteptest.NewCassette(t, path, httpsteptest.Replay).Wrap(nil)}
	resp, err := c.Get(api.URL + "/gzip")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, text, string(body))
}
