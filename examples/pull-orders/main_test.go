package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	s := out.String()
	assert.Contains(t, s, "7 orders in 4 requests")
	for _, o := range orders {
		assert.Contains(t, s, o.ID)
		assert.Contains(t, s, o.Customer.Name)
	}
	assert.Contains(t, s, "ID       CUSTOMER         TOTAL  STATUS    UPDATED\n")
	assert.Contains(t, s, "SO-1004  Edsger Dijkstra  23.75  refunded  2026-11-05T09:30:00Z\n")
	assert.Equal(t, 7, strings.Count(s, "\nSO-"), "one row per order:\n"+s)
	assert.Contains(t, s, "page=4")
	assert.Contains(t, s, "[REDACTED]")
	assert.NotContains(t, s, demoToken)
}
