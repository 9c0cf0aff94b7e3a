package curl

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCurlDigestImportRuns: a --digest -u command imported runs against
// go-httpbin's digest endpoint.
func TestCurlDigestImportRuns(t *testing.T) {
	base := httpbinURL(t)
	for _, cmd := range []string{
		"curl --digest -u 'bob:s3c:ret' " + base + "/digest-auth/auth/bob/s3c:ret/SHA-256",
		"curl -u 'bob:s3c:ret' " + base + "/basic-auth/bob/s3c:ret",
	} {
		node, err := Parse(cmd)
		require.NoError(t, err)
		res, err := testClient(t).Execute(context.Background(), node, nil)
		require.NoError(t, err, cmd)
		assert.True(t, res.Get("authenticated").Bool())
	}
}

// TestCurlCleartextNote: credentials imported for a plain http URL come
// with a note, since the node refuses them until told otherwise.
func TestCurlCleartextNote(t *testing.T) {
	node, notes, err := Import("curl -u admin:pw http://intranet.example.com/x")
	require.NoError(t, err)
	require.NotEmpty(t, notes)
	assert.Contains(t, notes[len(notes)-1], "allowCleartext")
	assert.Error(t, node.Validate())
	_, notes, err = Import("curl -u admin:pw https://intranet.example.com/x")
	require.NoError(t, err)
	assert.Empty(t, notes)
	_, notes, err = Import("curl -u admin:pw http://127.0.0.1:8080/x")
	require.NoError(t, err)
	assert.Empty(t, notes, "loopback over plain http is allowed")
	_, notes, err = Import("curl -u admin:pw -d 'a=1' http://intranet.example.com/x --retry 500")
	require.Error(t, err)
	assert.Empty(t, notes)
}
