package httpstep

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBlockedErrorMessage(t *testing.T) {
	err := &BlockedError{Addr: netip.MustParseAddr("169.254.169.254"), Host: "metadata.test", Reason: "a link-local address (cloud metadata)"}
	assert.Equal(t, "httpstep: blocked: metadata.test resolves to 169.254.169.254, a link-local address (cloud metadata); "+
		"requests to internal networks are blocked, ask an administrator to allow this network if the request is intended", err.Error())
	err.Host = ""
	assert.True(t, strings.HasPrefix(err.Error(), "httpstep: blocked: 169.254.169.254 is a link-local address (cloud metadata); requests"), err.Error())
}
