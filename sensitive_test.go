package httpstep

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSensitiveHeader: header names are judged case-insensitively, as
// strings.ToLower sees them (the Kelvin sign folds to k), whatever their
// length, and a canonical ASCII name is judged without an allocation.
func TestSensitiveHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"Authorization", true},
		{"authorization", true},
		{"PROXY-AUTHORIZATION", true},
		{"Set-Cookie", true},
		{"X-Api-Key", true},
		{"X-Session-Id", true},
		{"X-Amz-Security-Token", true},
		{"X-Very-Long-Header-Name-Beyond-32-Bytes-With-Token", true},
		{"X-Very-Long-Header-Name-Beyond-32-Bytes-Harmless", false},
		{"To\u212Aen", true}, // Kelvin sign: strings.ToLower makes it "token"
		{"Access-Control-Allow-Credentials", false},
		{"Content-Type", false},
		{"X-Request-Id", false},
		{"", false},
	} {
		assert.Equal(t, tc.want, sensitiveHeader(tc.name), tc.name)
		assert.Equal(t, sensitiveLowerHeader(strings.ToLower(tc.name)), sensitiveHeader(tc.name), tc.name)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { sensitiveHeader("X-Amz-Security-Token") }))
}
