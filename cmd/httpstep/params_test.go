package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/httpstep/httpstep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseParam(t *testing.T) {
	tests := []struct {
		arg    string
		secret bool
		want   param
		err    string
	}{
		{arg: "a=b", want: param{ref: "a", value: "b"}},
		{arg: " user.name =Ada Lovelace", want: param{ref: "user.name", value: "Ada Lovelace"}},
		{arg: "a=", want: param{ref: "a", value: ""}},
		{arg: "a=b=c", want: param{ref: "a", value: "b=c"}},
		{arg: "n:=42", want: param{ref: "n", value: json.Number("42")}},
		{arg: "big:=12345678901234567890", want: param{ref: "big", value: json.Number("12345678901234567890")}},
		{arg: `o:={"a":[1,true,null]}`, want: param{ref: "o", value: map[string]any{"a": []any{json.Number("1"), true, nil}}}},
		{arg: `at:="@home"`, want: param{ref: "at", value: "@home"}},
		{arg: "f=@dir/x.bin", want: param{ref: "f", path: "dir/x.bin"}},
		{arg: "k=v", secret: true, want: param{ref: "k", value: "v", secret: true}},
		{arg: "k=@key.txt", secret: true, want: param{ref: "k", path: "key.txt", secret: true}},
		{arg: "novalue", err: "write ref=value"},
		{arg: "=v", err: "write ref=value"},
		{arg: ":=1", err: "write ref=value"},
		{arg: "n:=", err: "not JSON"},
		{arg: "n:=01", err: "not JSON"},
		{arg: "n:=1 2", err: "more after the first JSON value"},
		{arg: "f=@", err: "name the file after @"},
		{arg: `k:="v"`, secret: true, err: "a secret is text"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			got, err := parseParam(tt.arg, tt.secret)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestResolve(t *testing.T) {
	key := writeFile(t, "key.txt", "k3y-value\r\n")
	v, err := param{ref: "k", path: key, secret: true}.resolve()
	require.NoError(t, err)
	assert.Equal(t, httpstep.Secret("k3y-value"), v)

	v, err = param{ref: "k", value: "plain", secret: true}.resolve()
	require.NoError(t, err)
	assert.Equal(t, httpstep.Secret("plain"), v)

	data := writeFile(t, "data.bin", "0123456789")
	v, err = param{ref: "f", path: data}.resolve()
	require.NoError(t, err)
	f, ok := v.(httpstep.File)
	require.True(t, ok)
	assert.Equal(t, "data.bin", f.Name)
	assert.EqualValues(t, 10, f.Size)
	for range 2 { // opened anew per attempt
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		assert.Equal(t, "0123456789", string(b))
	}
}

func TestSetParam(t *testing.T) {
	tests := []struct {
		name string
		in   string // -params
		ref  string
		want string // the Values as JSON
	}{
		{"top level", `{}`, "a", `{"a": "v"}`},
		{"creates nested objects", `{}`, "a.b.c", `{"a": {"b": {"c": "v"}}}`},
		{"overrides inside an object", `{"a": {"b": 1, "c": 2}}`, "a.b", `{"a": {"b": "v", "c": 2}}`},
		{"literal key wins", `{"a.b": 1, "a": {"b": 2}}`, "a.b", `{"a.b": "v", "a": {"b": 2}}`},
		{"a scalar in the way", `{"a": 1}`, "a.b", `{"a": 1, "a.b": "v"}`},
		{"empty segment", `{}`, "a..b", `{"a..b": "v"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals, err := decodeParams("params.json", []byte(tt.in))
			require.NoError(t, err)
			setParam(vals, tt.ref, "v")
			got, err := json.Marshal(vals)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(got))
			x, ok := vals.Lookup(tt.ref)
			assert.True(t, ok)
			assert.Equal(t, "v", x, "Lookup sees the override")
		})
	}
}

func TestJSONErrorPosition(t *testing.T) {
	data := []byte("{\n  \"a\": 1,\n  \"b\": x\n}")
	var v any
	err := jsonError("f.json", data, decodeOne(data, &v))
	assert.EqualError(t, err, "httpstep: f.json:3:8: invalid character 'x' looking for beginning of value")

	var n httpstep.NodeConfig
	data = []byte(`{"url": 5}`)
	err = jsonError("n.json", data, decodeOne(data, &n))
	assert.ErrorContains(t, err, "httpstep: n.json:1:")
	assert.ErrorContains(t, err, "cannot unmarshal number")

	data = []byte(`{"url": "http://x", "success": {"codes": "abc"}}`)
	err = jsonError("n.json", data, decodeOne(data, &n))
	require.Error(t, err)
	assert.Regexp(t, `^httpstep: n\.json: [^:]`, err.Error(), "the library's own message, once prefixed")
	assert.NotContains(t, err.Error()[len("httpstep:"):], "httpstep:")
}

// FuzzParseParam: no argument panics the parser, and a plain ref=text
// argument keeps its text exactly.
func FuzzParseParam(f *testing.F) {
	for _, s := range []string{"a=b", "n:=42", `o:={"a":1}`, "f=@x", "=", ":=", "a:=@", "a=@", "a.b.c=", " x =y=z"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, arg string, secret bool) {
		p, err := parseParam(arg, secret)
		if err != nil {
			return
		}
		if p.ref == "" || strings.TrimSpace(p.ref) != p.ref {
			t.Fatalf("ref %q from %q", p.ref, arg)
		}
		ref, value, _ := strings.Cut(arg, "=")
		if !strings.HasSuffix(strings.TrimSpace(ref), ":") && !strings.HasPrefix(value, "@") && p.value != value {
			t.Fatalf("value %q from %q", p.value, arg)
		}
		if secret && p.path == "" {
			if _, ok := p.value.(string); !ok {
				t.Fatalf("secret value %#v from %q", p.value, arg)
			}
		}
	})
}
