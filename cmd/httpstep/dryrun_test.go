package main

import (
	"encoding/json"
	"net"
	"sync/atomic"
	"testing"

	"github.com/httpstep/httpstep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingListener accepts and counts connections on loopback, closing
// each at once; it returns the base URL and the count.
func countingListener(t *testing.T) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	n := &atomic.Int64{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String(), n
}

// dryRunPrinted is run -dry-run's output as read back.
type dryRunPrinted struct {
	Request httpstep.RequestRecord `json:"request"`
	Curl    string                 `json:"curl"`
}

// TestDryRun: run -dry-run prints the request as it would go, redacted
// as the attempts are, with a placeholder for the OAuth2 token, and the
// node as a cURL command; neither the API nor the token endpoint (a
// counting listener) gets a connection, and no secret is printed.
func TestDryRun(t *testing.T) {
	base, accepted := countingListener(t)
	const secret = "sk_live_dry9Qz4"
	for name, tc := range map[string]struct {
		node, authorization string
		curl                []string
	}{
		"bearer": {`{"method": "POST", "url": "%[1]s/v1/orders?id={{id}}", "auth": {"type": "bearer", "token": "{{token}}"},
			"body": {"kind": "raw", "raw": "{\"id\": \"{{id}}\"}"}}`, "[REDACTED]",
			[]string{"curl", "--oauth2-bearer '[REDACTED]'", "/v1/orders?id=7", `{"id": "7"}`}},
		"oauth2": {`{"url": "%[1]s/v1/orders?id={{id}}", "auth": {"type": "oauth2", "oauth2": {"grant": "client_credentials",
			"tokenUrl": "%[1]s/token", "clientId": "app", "clientSecret": "{{token}}"}}}`,
			"Bearer [oauth2 token: fetched from the token URL when the step runs]", []string{"curl", "/v1/orders?id=7"}},
	} {
		t.Run(name, func(t *testing.T) {
			node := nodeFile(t, tc.node, base)
			got := runCLI(t, "", "run", "-dry-run", node, "-p", "id=7", "-s", "token="+secret)
			require.Equal(t, exitOK, got.code, got.stderr)
			assert.Equal(t, []string{"request", "curl"}, topKeys(t, got.stdout))
			var p dryRunPrinted
			require.NoError(t, json.Unmarshal([]byte(got.stdout), &p))
			assert.Contains(t, p.Request.URL, "/v1/orders?id=7")
			assert.Equal(t, []string{tc.authorization}, p.Request.Header["Authorization"])
			for _, want := range tc.curl {
				assert.Contains(t, p.Curl, want)
			}
			assert.NotContains(t, got.stdout+got.stderr, secret)
		})
	}
	assert.Zero(t, accepted.Load(), "connections accepted")
}

// TestDryRunRefusals: what the run would refuse before sending exits 1
// with the reason on stderr; -dry-run with -each is bad usage; an invalid
// node exits 2.
func TestDryRunRefusals(t *testing.T) {
	base, accepted := countingListener(t)
	node := nodeFile(t, `{"url": "%[1]s/x", "headers": [{"key": "X-Id", "value": "{{id}}"}]}`, base)
	got := runCLI(t, "", "run", "-dry-run", "-p", "id=1\r\nX-Admin: yes", node)
	assert.Equal(t, exitFailed, got.code)
	assert.Contains(t, got.stderr, "line break")
	assert.Empty(t, got.stdout)

	rows := writeFile(t, "rows.jsonl", `{"id": 1}`+"\n")
	got = runCLI(t, "", "run", "-dry-run", "-each", rows, node)
	assert.Equal(t, exitUsage, got.code)
	assert.Contains(t, got.stderr, "-dry-run shows one request")

	bad := nodeFile(t, `{"url": "%[1]s/x", "body": {"kind": "raw", "raw": "x"}}`, base)
	got = runCLI(t, "", "run", "-dry-run", bad)
	assert.Equal(t, exitUsage, got.code)
	assert.Contains(t, got.stderr, "is not a valid node")
	assert.Zero(t, accepted.Load(), "connections accepted")
}
