package ssrfguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"code.dny.dev/ssrf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every entry of the IANA IPv4 and IPv6 special-purpose registries, the
// cloud metadata addresses and the IPv4-in-IPv6 forms, with the reason the
// guard must give; an empty reason means the address is let through.
var guardCases = []struct {
	addr, reason string
}{
	// IANA IPv4 special-purpose registry.
	{"0.0.0.0", `an unspecified ("this network") address`},
	{"0.255.255.255", `an unspecified ("this network") address`},
	{"10.0.0.1", "a private network address"},
	{"10.255.255.255", "a private network address"},
	{"100.64.0.1", "shared CGNAT space"},
	{"100.127.255.255", "shared CGNAT space"},
	{"127.0.0.1", "a loopback address"},
	{"127.255.255.254", "a loopback address"},
	{"169.254.0.1", "a link-local address"},
	{"172.16.0.1", "a private network address"},
	{"172.31.255.255", "a private network address"},
	{"192.0.0.1", "an IETF protocol address"},   // 192.0.0.0/29 IPv4 service continuity
	{"192.0.0.8", "an IETF protocol address"},   // IPv4 dummy address
	{"192.0.0.9", "an IETF protocol address"},   // Port Control Protocol anycast
	{"192.0.0.10", "an IETF protocol address"},  // TURN anycast
	{"192.0.0.170", "an IETF protocol address"}, // NAT64/DNS64 discovery
	{"192.0.0.171", "an IETF protocol address"},
	{"192.0.2.1", "a documentation address"},
	{"192.31.196.1", "an AS112 DNS sink address"},
	{"192.52.193.1", "an AMT relay address"},
	{"192.88.99.1", "a deprecated 6to4 relay address"},
	{"192.168.1.1", "a private network address"},
	{"192.175.48.1", "an AS112 DNS sink address"},
	{"198.18.0.1", "a benchmarking address"},
	{"198.19.255.255", "a benchmarking address"},
	{"198.51.100.7", "a documentation address"},
	{"203.0.113.7", "a documentation address"},
	{"224.0.0.1", "a multicast address"},
	{"239.255.255.250", "a multicast address"},
	{"240.0.0.1", "a reserved address"},
	{"255.255.255.254", "a reserved address"},
	{"255.255.255.255", "the broadcast address"},
	// Cloud metadata.
	{"169.254.169.254", "a link-local address (cloud metadata)"},
	{"fd00:ec2::254", "a private network address (cloud metadata)"},
	{"100.100.100.200", "shared CGNAT space (cloud metadata)"},
	{"192.0.0.192", "an IETF protocol address (cloud metadata)"},
	// IANA IPv6 special-purpose registry, and the rest outside 2000::/3.
	{"::", "an unspecified address"},
	{"::1", "a loopback address"},
	{"::7f00:1", "a deprecated IPv4-compatible address"},
	{"::808:808", "a deprecated IPv4-compatible address"},
	{"64:ff9b:1::a00:1", "a local-use NAT64 address"},
	{"64:ff9b:1:ffff::808:808", "a local-use NAT64 address"},
	{"100::1", "a discard-only address"},
	{"100:0:0:1::1", "an IPv6 address outside the global unicast range 2000::/3"}, // dummy prefix
	{"2001::1", "a Teredo tunnel address"},
	{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "a Teredo tunnel address"},
	{"2001:1::1", "an IETF protocol address"}, // port control anycast
	{"2001:1::2", "an IETF protocol address"}, // TURN anycast
	{"2001:1::3", "an IETF protocol address"}, // DNS-SD service registration
	{"2001:2::1", "a benchmarking address"},
	{"2001:3::1", "an IETF protocol address"},     // AMT
	{"2001:4:112::1", "an IETF protocol address"}, // AS112-v6
	{"2001:10::1", "an IETF protocol address"},    // deprecated ORCHID
	{"2001:20::1", "an IETF protocol address"},    // ORCHIDv2
	{"2001:30::1", "an IETF protocol address"},    // drone remote ID
	{"2001:1ff:ffff::1", "an IETF protocol address"},
	{"2001:db8::1", "a documentation address"},
	{"3fff::1", "a documentation address"},
	{"3fff:fff::1", "a documentation address"},
	{"2620:4f:8000::1", "an AS112 DNS sink address"},
	{"5f00::1", "an IPv6 address outside the global unicast range 2000::/3"}, // SRv6 SIDs
	{"fc00::1", "a private network address"},
	{"fd12:3456::1", "a private network address"},
	{"fe80::1", "a link-local address"},
	{"fe80::1%eth0", "a link-local address"},
	{"fec0::1", "a deprecated site-local address"},
	{"ff02::1", "a multicast address"},
	{"ff0e::1", "a multicast address"},
	{"4000::1", "an IPv6 address outside the global unicast range 2000::/3"},
	{"1fff:ffff::1", "an IPv6 address outside the global unicast range 2000::/3"},
	// IPv4 inside IPv6: the embedded address is judged.
	{"::ffff:127.0.0.1", "an IPv4-mapped form of 127.0.0.1, a loopback address"},
	{"::ffff:169.254.169.254", "an IPv4-mapped form of 169.254.169.254, a link-local address (cloud metadata)"},
	{"::ffff:10.1.2.3", "an IPv4-mapped form of 10.1.2.3, a private network address"},
	{"::ffff:0.0.0.0", `an IPv4-mapped form of 0.0.0.0, an unspecified ("this network") address`},
	{"64:ff9b::7f00:1", "a NAT64 form of 127.0.0.1, a loopback address"},
	{"64:ff9b::a9fe:a9fe", "a NAT64 form of 169.254.169.254, a link-local address (cloud metadata)"},
	{"64:ff9b::192.168.0.1", "a NAT64 form of 192.168.0.1, a private network address"},
	{"2002:a00:1::1", "a 6to4 tunnel address embedding 10.0.0.1, a private network address"},
	{"2002:7f00:1::", "a 6to4 tunnel address embedding 127.0.0.1, a loopback address"},
	{"2002:a9fe:a9fe::1", "a 6to4 tunnel address embedding 169.254.169.254, a link-local address (cloud metadata)"},
	{"2002:808:808::1", "a 6to4 tunnel address"}, // 6to4 is deprecated: denied whatever it embeds
	// Public addresses, and the first addresses just outside denied ranges.
	{"8.8.8.8", ""},
	{"1.1.1.1", ""},
	{"93.184.216.34", ""},
	{"2606:4700:4700::1111", ""},
	{"2606:4700:4700::1111%eth0", ""},
	{"2001:4860:4860::8888", ""},
	{"2001:200::1", ""},
	{"1.0.0.0", ""},
	{"9.255.255.255", ""},
	{"11.0.0.0", ""},
	{"100.63.255.255", ""},
	{"100.128.0.0", ""},
	{"126.255.255.255", ""},
	{"128.0.0.0", ""},
	{"172.15.255.255", ""},
	{"172.32.0.0", ""},
	{"192.0.1.0", ""},
	{"192.167.255.255", ""},
	{"198.17.255.255", ""},
	{"198.20.0.0", ""},
	{"223.255.255.255", ""},
	{"::ffff:8.8.8.8", ""},
	{"64:ff9b::808:808", ""},
	{"64:ff9b::1.1.1.1", ""},
}

func TestGuardCheck(t *testing.T) {
	for _, tc := range guardCases {
		t.Run(tc.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tc.addr)
			err := Guard{}.Check(ip)
			if tc.reason == "" {
				assert.NoError(t, err)
				return
			}
			var blocked *Blocked
			require.ErrorAs(t, err, &blocked)
			assert.Equal(t, tc.reason, blocked.Reason)
			assert.Equal(t, ip.WithZone(""), blocked.Addr)
			if judged, _ := embeddedIPv4(ip.WithZone("")); !isEndpoint(judged) {
				assert.NoError(t, Guard{Off: true}.Check(ip), "allowPrivate lifts the guard")
			}
		})
	}
}

func TestGuardCheckInvalidAddr(t *testing.T) {
	var blocked *Blocked
	require.ErrorAs(t, Guard{}.Check(netip.Addr{}), &blocked)
	assert.Equal(t, "not a valid IP address", blocked.Reason)
}

// Every range of the library's generated lists is denied at both ends and
// has plain words, so a new registry entry cannot go unnamed.
func TestGuardNamesEveryLibraryRange(t *testing.T) {
	prefixes := append(append([]netip.Prefix{}, ssrf.IPv4DeniedPrefixes...), ssrf.IPv6DeniedPrefixes...)
	for _, p := range prefixes {
		for _, ip := range []netip.Addr{p.Masked().Addr(), lastAddr(p)} {
			var blocked *Blocked
			require.ErrorAs(t, Guard{}.Check(ip), &blocked, "%s in %s", ip, p)
			assert.NotEqual(t, "a special-purpose address", blocked.Reason, "%s in %s", ip, p)
			assert.NotContains(t, blocked.Reason, "outside the global unicast", "%s in %s", ip, p)
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	ip, _ := netip.AddrFromSlice(b)
	return ip
}

func TestGuardAllowNetworks(t *testing.T) {
	g := Guard{Allow: []netip.Prefix{
		netip.MustParsePrefix("10.1.0.0/16"),
		netip.MustParsePrefix("::ffff:192.168.7.0/120"),
		netip.MustParsePrefix("fd00:1::/32"),
	}}
	for addr, allowed := range map[string]bool{
		"10.1.2.3":             true,
		"::ffff:10.1.2.3":      true, // the unmapped form matches
		"64:ff9b::a01:203":     true, // so does the NAT64 form's IPv4 address
		"10.2.0.1":             false,
		"192.168.7.9":          true, // a mapped prefix holds the plain address
		"::ffff:192.168.7.9":   true,
		"192.168.8.1":          false,
		"fd00:1::5":            true,
		"fd00:1::5%eth0":       true,
		"fd00:2::5":            false,
		"127.0.0.1":            false,
		"169.254.169.254":      false,
		"2606:4700:4700::1111": true,
	} {
		err := g.Check(netip.MustParseAddr(addr))
		assert.Equal(t, allowed, err == nil, "%s: %v", addr, err)
	}
}

func TestGuardControl(t *testing.T) {
	for _, tc := range []struct {
		network, address string
		blocked          bool // a *Blocked: every refusal is one
	}{
		{"tcp4", "8.8.8.8:53", false},
		{"tcp4", "8.8.8.8:22", false},
		{"tcp6", "[2606:4700:4700::1111]:443", false},
		{"tcp4", "127.0.0.1:80", true},
		{"tcp6", "[::ffff:127.0.0.1]:80", true},
		{"tcp6", "[fe80::1%lo]:8080", true},
		{"tcp4", "169.254.169.254:80", true},
		{"tcp4", "168.63.129.16:80", true},
		{"udp4", "8.8.8.8:53", true}, // only TCP
		{"tcp", "8.8.8.8:53", true},  // only sockets of one family
		{"tcp4", "8.8.8.8", true},    // no port: not a dial address
	} {
		err := Guard{}.Control(tc.network, tc.address, nil)
		var blocked *Blocked
		assert.Equal(t, tc.blocked, errors.As(err, &blocked), "%s %s: %v", tc.network, tc.address, err)
		assert.Equal(t, tc.blocked, err != nil, "%s %s: %v", tc.network, tc.address, err)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), "blocked: "), err.Error())
		}
		if platform := strings.HasPrefix(tc.address, "169.254.169.254") || strings.HasPrefix(tc.address, "168.63"); !platform {
			assert.NoError(t, Guard{Off: true}.Control(tc.network, tc.address, nil))
		}
	}
}

// The guard stops a real dial to loopback before the socket connects; the
// listener never sees a connection. Lifted, the same dial succeeds.
func TestGuardControlDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan struct{}, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	dial := func(g Guard) error {
		c, err := (&net.Dialer{Control: g.Control, Timeout: time.Second}).Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err
	}

	var blocked *Blocked
	require.ErrorAs(t, dial(Guard{}), &blocked)
	assert.Equal(t, "a loopback address", blocked.Reason)
	select {
	case <-accepted:
		t.Fatal("the blocked dial reached the listener")
	case <-time.After(50 * time.Millisecond):
	}

	require.NoError(t, dial(Guard{Off: true}))
	<-accepted
	require.NoError(t, dial(Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}))
	<-accepted
}

// fakeDNS answers from a map and records every name it is asked about.
type fakeDNS struct {
	answers map[string][]string
	asked   []string
}

func (f *fakeDNS) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	f.asked = append(f.asked, host)
	list, ok := f.answers[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	out := make([]netip.Addr, len(list))
	for i, s := range list {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

func TestCheckHost(t *testing.T) {
	dns := map[string][]string{
		"api.test":       {"93.184.216.34", "::ffff:1.1.1.1", "2606:4700:4700::1111"},
		"localhost":      {"127.0.0.1", "::1"},
		"rebind.test":    {"93.184.216.34", "10.0.0.1"},
		"metadata.test":  {"169.254.169.254"},
		"intranet.test":  {"10.1.2.3"},
		"empty.test":     {},
		"0x7f.1.example": {"8.8.8.8"},
	}
	intranet := Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}
	for _, tc := range []struct {
		host  string
		g     Guard
		want  string // addresses joined by spaces, or the error
		asked bool   // whether DNS was asked
	}{
		{"api.test", Guard{}, "93.184.216.34 1.1.1.1 2606:4700:4700::1111", true},
		{"8.8.8.8", Guard{}, "8.8.8.8", false},
		{"[2606:4700:4700::1111]", Guard{}, "2606:4700:4700::1111", false},
		{"localhost", Guard{}, "blocked: localhost resolves to 127.0.0.1, a loopback address", true},
		{"localhost", Guard{Off: true}, "127.0.0.1 ::1", true},
		{"rebind.test", Guard{}, "blocked: rebind.test resolves to 10.0.0.1, a private network address", true},
		{"metadata.test", Guard{}, "blocked: metadata.test resolves to 169.254.169.254, a link-local address (cloud metadata)", true},
		{"intranet.test", intranet, "10.1.2.3", true},
		{"intranet.test", Guard{}, "blocked: intranet.test resolves to 10.1.2.3", true},
		{"127.0.0.1", Guard{}, "blocked: 127.0.0.1 is a loopback address", false},
		{"[::1]", Guard{}, "blocked: ::1 is a loopback address", false},
		{"::ffff:7f00:1", Guard{}, "blocked: ::ffff:7f00:1 resolves to ::ffff:127.0.0.1, an IPv4-mapped form of 127.0.0.1, a loopback address", false},
		{"fe80::1%eth0", Guard{}, "blocked: fe80::1%eth0 resolves to fe80::1, a link-local address", false},
		{"0x7f.1.example", Guard{}, "8.8.8.8", true},
		{"nowhere.test", Guard{}, "cannot resolve nowhere.test: no such host", true},
		{"empty.test", Guard{}, "empty.test has no IP addresses; check the host name", true},
		{"", Guard{}, `invalid host "" in the URL`, false},
		{"api.test evil", Guard{}, `invalid host "api.test evil" in the URL`, false},
	} {
		f := &fakeDNS{answers: dns}
		got, err := tc.g.CheckHost(context.Background(), f.lookup, tc.host)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), tc.want), "%s: got %v, want %s", tc.host, err, tc.want)
		} else {
			assert.Equal(t, tc.want, joinAddrs(got), tc.host)
		}
		assert.Equal(t, tc.asked, len(f.asked) > 0, "%s: asked %v", tc.host, f.asked)
	}
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, " ")
}

// Numeric spellings that net/netip rejects but a C resolver or a proxy may
// read as an IPv4 address are blocked before any resolver is asked, even one
// that, like the C library, would answer 127.0.0.1.
func TestCheckHostOddSpellings(t *testing.T) {
	hostile := func(_ context.Context, host string) ([]netip.Addr, error) {
		t.Errorf("resolver asked about %q", host)
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	for _, host := range []string{
		"0x7f.1", "0x7F.0.0.1", "2130706433", "0177.0.0.1", "0127.0.0.1", "127.1",
		"127.0.1", "0x7f000001", "017700000001", "127.000.000.001",
		"1.2.3.0x4", "0x", "0X", "example.123", "0x7f.1.", "2130706433..", "169.254.43518",
	} {
		_, err := Guard{}.CheckHost(context.Background(), hostile, host)
		var blocked *Blocked
		require.ErrorAs(t, err, &blocked, host)
		assert.Equal(t, host, blocked.Host)
		assert.False(t, blocked.Addr.IsValid())
		assert.Equal(t, "blocked: "+host+" is a non-standard spelling of an IP address; "+
			"write an IPv4 address as four decimal numbers, such as 192.0.2.1", err.Error())
	}
}

func TestResolverLookupLiteral(t *testing.T) {
	got, err := ResolverLookup(nil)(context.Background(), "127.0.0.1")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", joinAddrs(got))
}

// FuzzCheckHost feeds any host to CheckHost with a resolver that, like the C
// library, reads every name as 127.0.0.1: it never panics, no name gets
// through, no spelling that inet_aton accepts reaches the resolver, and
// every address it lets through is public.
func FuzzCheckHost(f *testing.F) {
	for _, s := range []string{"api.test", "0x7f.1", "2130706433", "[::1]", "8.8.8.8", "0177.1", "a.0x", "fe80::1%eth0", "1.2.3.4."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		var asked []string
		lookup := func(_ context.Context, h string) ([]netip.Addr, error) {
			asked = append(asked, h)
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		got, err := Guard{}.CheckHost(context.Background(), lookup, host)
		if err == nil && len(asked) > 0 {
			t.Fatalf("%q resolved through to %v", host, got)
		}
		for _, a := range got {
			if (Guard{}).Check(a) != nil || !public(a) {
				t.Fatalf("%q returned %s, which is not a public address", host, a)
			}
		}
		for _, h := range asked {
			if inetAtonLike(h) {
				t.Fatalf("numeric spelling %q reached the resolver", h)
			}
		}
	})
}

// inetAtonLike reports whether s has the shape inet_aton accepts: one to
// four dot-separated parts, each decimal, octal or 0x hexadecimal.
func inetAtonLike(s string) bool {
	s = strings.TrimSuffix(s, ".") // resolvers drop a trailing dot
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		hex, isHex := strings.CutPrefix(strings.ToLower(p), "0x")
		switch {
		case isHex && strings.Trim(hex, "0123456789abcdef") == "":
		case p != "" && strings.Trim(p, "0123456789") == "":
		default:
			return false
		}
	}
	return true
}

// FuzzGuardCheck checks the guard against the standard library's own
// classification: nothing it lets through is loopback, private, link-local,
// multicast or unspecified, in plain or embedded IPv4 form.
func FuzzGuardCheck(f *testing.F) {
	for _, c := range guardCases {
		f.Add(netip.MustParseAddr(c.addr).WithZone("").AsSlice())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, ok := netip.AddrFromSlice(b)
		if (Guard{}).Check(ip) != nil {
			return
		}
		if !ok {
			t.Fatalf("invalid address %x let through", b)
		}
		if !public(ip) {
			t.Fatalf("%s let through", ip)
		}
		if ip.Is6() && !ip.Is4In6() && !nat64.Contains(ip) && !ssrf.IPv6GlobalUnicast.Contains(ip) {
			t.Fatalf("%s outside 2000::/3 let through", ip)
		}
	})
}

// public reports whether the standard library sees nothing internal in ip,
// in plain or IPv4-mapped form.
func public(ip netip.Addr) bool {
	for _, a := range []netip.Addr{ip, ip.Unmap()} {
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
			a.IsUnspecified() || a.IsInterfaceLocalMulticast() || !a.IsValid() {
			return false
		}
	}
	return true
}

// platformCases are the cloud platform endpoints that hand out an instance's
// identity and credentials, in plain and embedded forms: lifting the guard
// (AllowPrivate) does not open them; only an Allow prefix that holds them does.
var platformCases = []string{
	"169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", // most clouds' metadata
	"fd00:ec2::254", "fd20:ce::254", "100.100.100.200", "192.0.0.192", "168.63.129.16",
	"169.254.170.2", "169.254.170.23", "fd00:ec2::23", "169.254.0.23", // ECS and EKS credentials, Tencent metadata
}

func TestGuardOffKeepsPlatformEndpoints(t *testing.T) {
	for _, s := range platformCases {
		ip := netip.MustParseAddr(s)
		var blocked *Blocked
		require.ErrorAs(t, Guard{Off: true}.Check(ip), &blocked, s)
		assert.Contains(t, blocked.Reason, "cloud", s)
		assert.ErrorAs(t, Guard{Off: true}.Control("tcp6", netip.AddrPortFrom(ip, 80).String(), nil), &blocked, s)
		assert.ErrorAs(t, Guard{}.Check(ip), &blocked, s)
		judged, _ := embeddedIPv4(ip)
		for _, allow := range []netip.Prefix{netip.PrefixFrom(judged, judged.BitLen()), netip.PrefixFrom(ip, ip.BitLen())} {
			assert.NoError(t, Guard{Off: true, Allow: []netip.Prefix{allow}}.Check(ip), "%s allowed by %s", s, allow)
			assert.NoError(t, Guard{Allow: []netip.Prefix{allow}}.Check(ip), "%s allowed by %s", s, allow)
		}
	}
	for _, s := range []string{"169.254.169.253", "169.254.1.1", "10.0.0.1", "fd00:ec2::1", "127.0.0.1", "100.100.100.201"} {
		assert.NoError(t, Guard{Off: true}.Check(netip.MustParseAddr(s)), "%s: AllowPrivate lifts the rest", s)
	}
	for _, name := range []string{"metadata.google.internal", "metadata", "instance-data"} {
		_, _, err := Guard{Off: true}.CheckName(name)
		var blocked *Blocked
		assert.ErrorAs(t, err, &blocked, name)
	}
}
