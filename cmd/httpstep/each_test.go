package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer answers {"n": n, "tag": tag} from the query, status 500 when
// n is 3, and counts the requests.
func echoServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	hits := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		q := r.URL.Query()
		if q.Get("n") == "3" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"n":%q,"tag":%q}`, q.Get("n"), q.Get("tag"))
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

// lines decodes one output object per line of stdout.
func lines(t *testing.T, stdout string) []printed {
	t.Helper()
	var out []printed
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var p printed
		require.NoError(t, json.Unmarshal([]byte(l), &p), "line: %s", l)
		out = append(out, p)
	}
	return out
}

// bodyN is the "n" of an output's body.
func bodyN(t *testing.T, p printed) string {
	var b struct{ N, Tag string }
	require.NoError(t, json.Unmarshal(p.Body, &b))
	return b.N + "/" + b.Tag
}

// TestRunEach: one compact result per row, in row order; a row's values
// win over -p, which fills in what the row lacks; under "continue" a
// failed row is a line like the others.
func TestRunEach(t *testing.T) {
	srv, hits := echoServer(t)
	node := nodeFile(t, `{"url": "%s/?n={{n}}&tag={{tag}}", "onFailure": "continue"}`, srv.URL)
	rows := writeFile(t, "rows.jsonl", "{\"n\": 1}\n\n{\"n\": 2, \"tag\": \"own\"}\n{\"n\": 3}\n{\"n\": 4}\n{\"n\": 5}\n")
	got := runCLI(t, "", "run", "-each", rows, "-c", "4", "-allow-private", "-p", "tag=base", node)
	require.Equal(t, 0, got.code, "stderr: %s", got.stderr)
	out := lines(t, got.stdout)
	require.Len(t, out, 5)
	var ns []string
	for _, p := range out {
		ns = append(ns, bodyN(t, p))
	}
	assert.Equal(t, []string{"1/base", "2/own", "3/base", "4/base", "5/base"}, ns)
	assert.False(t, out[2].OK)
	assert.Equal(t, "status", string(out[2].Failure.Kind))
	assert.EqualValues(t, 5, hits.Load())
}

// TestRunEachTerminate: under "terminate" the first failed row is the last
// line printed, and the exit status is 1.
func TestRunEachTerminate(t *testing.T) {
	srv, _ := echoServer(t)
	node := nodeFile(t, `{"url": "%s/?n={{n}}"}`, srv.URL)
	got := runCLI(t, "{\"n\":1}\n\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n", "run", "-allow-private", "-each", "-", node)
	assert.Equal(t, 1, got.code)
	out := lines(t, got.stdout)
	require.Len(t, out, 3)
	assert.False(t, out[2].OK)
	for i, o := range out {
		assert.Equal(t, i, o.Row, "every line names its row")
	}
	assert.Equal(t, []int{1, 3, 4}, []int{out[0].Line, out[1].Line, out[2].Line}, "and its line, blank lines counted")
	assert.Equal(t, "httpstep: standard input:4 (row 2): status: the API answered 500 Internal Server Error\n", got.stderr)
}

// TestRunEachUsage: bad rows are reported with their line before anything
// is sent; -c is checked.
func TestRunEachUsage(t *testing.T) {
	srv, hits := echoServer(t)
	node := nodeFile(t, `{"url": "%s/?n={{n}}"}`, srv.URL)
	bad := writeFile(t, "bad.jsonl", "{\"n\":1}\n{\"n\":2}\n[3]\n")
	broken := writeFile(t, "broken.jsonl", "{\"n\":1}\n{\"n\":,}\n")
	empty := writeFile(t, "empty.jsonl", "\n\n")
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"not an object", []string{"run", "-each", bad, node}, "bad.jsonl:3: the parameters must be a JSON object"},
		{"broken line", []string{"run", "-each", broken, node}, "broken.jsonl:2:6: invalid character ','"},
		{"no rows", []string{"run", "-each", empty, node}, "has no rows"},
		{"-c without -each", []string{"run", "-c", "4", node}, "-c needs -each"},
		{"-c zero", []string{"run", "-each", bad, "-c", "0", node}, "-c must be at least 1"},
		{"both on stdin", []string{"run", "-each", "-", "-"}, "cannot both come from standard input"},
		{"test has no -each", []string{"test", "-each", bad, node}, "flag provided but not defined: -each"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, "", tt.args...)
			assert.Equal(t, 2, got.code)
			assert.Contains(t, got.stderr, tt.stderr)
			assert.Empty(t, got.stdout)
		})
	}
	assert.Zero(t, hits.Load(), "nothing is sent when a row is bad")
}
