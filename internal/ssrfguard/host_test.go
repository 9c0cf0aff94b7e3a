package ssrfguard

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Normalize gives the one form that is checked and sent: what net/http
// would send for a Unicode name, lower case, no trailing dots.
func TestNormalize(t *testing.T) {
	for host, want := range map[string]string{
		"API.Example.COM":           "api.example.com",
		"api.example.com.":          "api.example.com",
		"api.example.com..":         "api.example.com",
		"ｌｏｃａｌｈｏｓｔ":                 "localhost",
		"ⓛⓞⓒⓐⓛⓗⓞⓢⓣ":                 "localhost",
		"①②⑦.⓪.⓪.①":                 "127.0.0.1",
		"127。0。0。1":                 "127.0.0.1",
		"１２７．０．０．１":                 "127.0.0.1",
		"127｡0｡0｡1":                 "127.0.0.1",
		"127.0.0.1.":                "127.0.0.1",
		"ＬＯＣＡＬＨＯＳＴ．":                "localhost",
		"bücher.example":            "xn--bcher-kva.example",
		"[::1]":                     "::1",
		"fe80::1%eth0":              "fe80::1%eth0",
		"0x7F.1":                    "0x7f.1",
		"metadata.google.internal.": "metadata.google.internal",
	} {
		got, err := Normalize(host)
		require.NoError(t, err, host)
		assert.Equal(t, want, got, host)
	}
	for _, host := range []string{"", "[]", ".", "a b", "a\tb", "a\x00b", "a\x7fb"} {
		_, err := Normalize(host)
		var he *HostError
		assert.ErrorAs(t, err, &he, "%q", host)
	}
	for _, host := range []string{"a\u3000b", "xn--a.example\u00e9", "\u200d.example", "a_\u00e9.example"} {
		_, err := Normalize(host)
		var b *Blocked
		assert.ErrorAs(t, err, &b, "%q", host)
	}
}

// The Unicode spellings of loopback are refused like loopback itself, and
// never reach a resolver as something else.
func TestCheckHostUnicode(t *testing.T) {
	dns := &fakeDNS{answers: map[string][]string{"localhost": {"127.0.0.1"}}}
	for _, host := range []string{"ｌｏｃａｌｈｏｓｔ", "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ", "①②⑦.⓪.⓪.①", "127。0。0。1", "localhost.", "LOCALHOST"} {
		_, err := Guard{}.CheckHost(context.Background(), dns.lookup, host)
		var b *Blocked
		require.ErrorAs(t, err, &b, host)
		assert.Equal(t, "127.0.0.1", b.Addr.String(), host)
	}
	for _, asked := range dns.asked {
		assert.Equal(t, "localhost", asked)
	}
}

// The cloud platform endpoints that clouds document as reachable from every
// VM are refused, each with its words; AllowNetworks lets one through.
func TestPlatformEndpoints(t *testing.T) {
	for addr, words := range map[string]string{
		"168.63.129.16":   "the Azure WireServer (a cloud platform endpoint)",
		"169.254.169.254": "a link-local address (cloud metadata)",
		"fd00:ec2::254":   "a private network address (cloud metadata)",
		"fd20:ce::254":    "a private network address (cloud metadata)",
		"100.100.100.200": "shared CGNAT space (cloud metadata)",
		"192.0.0.192":     "an IETF protocol address (cloud metadata)",
	} {
		ip := netip.MustParseAddr(addr)
		var b *Blocked
		require.ErrorAs(t, Guard{}.Check(ip), &b, addr)
		assert.Equal(t, words, b.Reason, addr)
		allowed := Guard{Allow: []netip.Prefix{netip.PrefixFrom(ip, ip.BitLen())}}
		assert.NoError(t, allowed.Check(ip), addr)
		if ip.Is4() {
			assert.Error(t, Guard{}.Check(netip.AddrFrom16(ip.As16())), "the mapped form of %s", addr)
		}
	}
	assert.NoError(t, Guard{}.Check(netip.MustParseAddr("168.63.129.15")), "the WireServer's neighbour is public")
	assert.NoError(t, Guard{}.Check(netip.MustParseAddr("168.63.129.17")))
	assert.Contains(t, describe(netip.MustParseAddr("2002:a83f:8110::1")), "embedding 168.63.129.16")
}

// The metadata host names are refused before DNS, so also when a proxy
// resolves names; allowing 169.254.169.254 lets them through to DNS.
func TestMetadataNames(t *testing.T) {
	dns := &fakeDNS{answers: map[string][]string{"metadata.google.internal": {"169.254.169.254"}}}
	for _, host := range []string{"metadata.google.internal", "METADATA.google.internal.", "metadata.goog", "metadata",
		"instance-data", "instance-data.ec2.internal", "ｍｅｔａｄａｔａ.google.internal"} {
		_, _, err := Guard{}.CheckName(host)
		var b *Blocked
		require.ErrorAs(t, err, &b, host)
		assert.False(t, b.Addr.IsValid())
		assert.Contains(t, b.Reason, "metadata", host)
	}
	assert.Empty(t, dns.asked)
	allow := Guard{Allow: []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32")}}
	got, err := allow.CheckHost(context.Background(), dns.lookup, "metadata.google.internal")
	require.NoError(t, err)
	assert.Equal(t, "169.254.169.254", joinAddrs(got))
	_, _, err = Guard{Off: true}.CheckName("metadata.google.internal")
	assert.Error(t, err, "lifting the guard keeps the metadata names refused")
}

// FuzzNormalize: Normalize never panics, its result is stable (normalising
// twice changes nothing), and CheckName agrees with it.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"ｌｏｃａｌｈｏｓｔ", "①②⑦.⓪.⓪.①", "127。0。0。1", "a.", "[::1]", "xn--bcher-kva.example", "0x7f.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		got, err := Normalize(host)
		if err != nil {
			return
		}
		again, err := Normalize(got)
		if err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", host, got, got, again, err)
		}
	})
}
