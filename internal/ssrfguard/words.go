package ssrfguard

import (
	"fmt"
	"net/netip"
)

// platform holds the cloud platform endpoints that are public addresses, so
// that the IANA-based deny-list lets them through: each is reachable from
// every VM of its cloud and is not meant for tenants' outbound HTTP. The
// others lie in special-purpose ranges and are denied with them.
var platform = []netip.Prefix{
	netip.MustParsePrefix("168.63.129.16/32"), // Azure WireServer (also DNS and health probes)
}

func isPlatform(ip netip.Addr) bool { return contains(platform, ip) }

// endpoints are the cloud platform endpoints that hand out an instance's
// identity and credentials. They stay refused when the guard is Off (a host
// that lifts the guard for its own network has not asked for its cloud
// credentials to be reachable); only an Allow prefix opens them.
var endpoints = []netip.Prefix{
	netip.MustParsePrefix("169.254.169.254/32"), // AWS, GCP, Azure, Oracle, DigitalOcean, ... instance metadata
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS instance metadata over IPv6
	netip.MustParsePrefix("fd20:ce::254/128"),   // GCP metadata over IPv6
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud metadata
	netip.MustParsePrefix("192.0.0.192/32"),     // Oracle Cloud metadata (v1)
	netip.MustParsePrefix("168.63.129.16/32"),   // Azure WireServer
	netip.MustParsePrefix("169.254.170.2/32"),   // AWS ECS task metadata and credentials
	netip.MustParsePrefix("169.254.170.23/32"),  // AWS EKS Pod Identity credentials
	netip.MustParsePrefix("fd00:ec2::23/128"),   // AWS EKS Pod Identity credentials over IPv6
	netip.MustParsePrefix("169.254.0.23/32"),    // Tencent Cloud metadata
}

func isEndpoint(ip netip.Addr) bool { return contains(endpoints, ip) }

func contains(list []netip.Prefix, ip netip.Addr) bool {
	for _, p := range list {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// rangeWords names the denied ranges in plain words, the most specific
// first. A test checks that every range of the deny-list library is named.
var rangeWords = mustRanges([]struct{ cidr, words string }{
	{"168.63.129.16/32", "the Azure WireServer (a cloud platform endpoint)"},
	{"169.254.169.254/32", "a link-local address (cloud metadata)"},
	{"fd00:ec2::254/128", "a private network address (cloud metadata)"},
	{"fd20:ce::254/128", "a private network address (cloud metadata)"},
	{"100.100.100.200/32", "shared CGNAT space (cloud metadata)"},
	{"192.0.0.192/32", "an IETF protocol address (cloud metadata)"},
	{"169.254.170.2/32", "a link-local address (cloud container credentials)"},
	{"169.254.170.23/32", "a link-local address (cloud container credentials)"},
	{"fd00:ec2::23/128", "a private network address (cloud container credentials)"},
	{"169.254.0.23/32", "a link-local address (cloud metadata)"},
	{"255.255.255.255/32", "the broadcast address"},
	{"0.0.0.0/8", `an unspecified ("this network") address`},
	{"10.0.0.0/8", "a private network address"},
	{"172.16.0.0/12", "a private network address"},
	{"192.168.0.0/16", "a private network address"},
	{"100.64.0.0/10", "shared CGNAT space"},
	{"127.0.0.0/8", "a loopback address"},
	{"169.254.0.0/16", "a link-local address"},
	{"192.0.0.0/24", "an IETF protocol address"},
	{"192.0.2.0/24", "a documentation address"},
	{"198.51.100.0/24", "a documentation address"},
	{"203.0.113.0/24", "a documentation address"},
	{"192.31.196.0/24", "an AS112 DNS sink address"},
	{"192.175.48.0/24", "an AS112 DNS sink address"},
	{"192.52.193.0/24", "an AMT relay address"},
	{"192.88.99.0/24", "a deprecated 6to4 relay address"},
	{"198.18.0.0/15", "a benchmarking address"},
	{"224.0.0.0/4", "a multicast address"},
	{"240.0.0.0/4", "a reserved address"},
	{"::/128", "an unspecified address"},
	{"::1/128", "a loopback address"},
	{"::/96", "a deprecated IPv4-compatible address"},
	{"64:ff9b:1::/48", "a local-use NAT64 address"},
	{"100::/64", "a discard-only address"},
	{"2001::/32", "a Teredo tunnel address"},
	{"2001:2::/48", "a benchmarking address"},
	{"2001:db8::/32", "a documentation address"},
	{"3fff::/20", "a documentation address"},
	{"2001::/23", "an IETF protocol address"},
	{"2002::/16", "a 6to4 tunnel address"},
	{"2620:4f:8000::/48", "an AS112 DNS sink address"},
	{"fc00::/7", "a private network address"},
	{"fe80::/10", "a link-local address"},
	{"fec0::/10", "a deprecated site-local address"},
	{"ff00::/8", "a multicast address"},
})

type namedRange struct {
	prefix netip.Prefix
	words  string
}

func mustRanges(list []struct{ cidr, words string }) []namedRange {
	out := make([]namedRange, len(list))
	for i, r := range list {
		out[i] = namedRange{netip.MustParsePrefix(r.cidr), r.words}
	}
	return out
}

// sixToFour is 2002::/16, whose bits 16 to 47 are an IPv4 address.
var sixToFour = netip.MustParsePrefix("2002::/16")

// describe names the denied range that holds ip, in plain words. For 6to4
// it also names the embedded IPv4 address when that one is denied.
func describe(ip netip.Addr) string {
	for _, r := range rangeWords {
		if !r.prefix.Contains(ip) {
			continue
		}
		if r.prefix == sixToFour {
			b := ip.As16()
			if v4 := netip.AddrFrom4([4]byte(b[2:6])); denyList.SafeAddr(v4) != nil || isPlatform(v4) {
				return fmt.Sprintf("%s embedding %s, %s", r.words, v4, describe(v4))
			}
		}
		return r.words
	}
	if ip.Is6() {
		return "an IPv6 address outside the global unicast range 2000::/3"
	}
	return "a special-purpose address"
}
