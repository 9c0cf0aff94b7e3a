package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	s := out.String()
	assert.Contains(t, s, "city:     Hangzhou")
	assert.Contains(t, s, "(skipped: the lookup failed)")
	assert.Contains(t, s, "error_code: the IP address is not valid")
	assert.Contains(t, s, "key=[REDACTED]")
	assert.NotContains(t, s, "demo-key-123")
}
