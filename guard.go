package httpstep

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"

	"code.dny.dev/ssrf"
)

// BlockedError is the error of a request the SSRF guard refused. Nothing was
// sent. A Failure of kind blocked wraps it; find it with errors.As.
type BlockedError struct {
	Addr   netip.Addr // the refused address; invalid when the host never resolved
	Host   string     // the host as written in the URL; empty when unknown
	Reason string     // what the address is, in plain words
}

// Error says what was refused and why, and what an administrator can do.
func (e *BlockedError) Error() string { return errorPrefix + "blocked: " + e.message() }

// message is the refusal in plain words, without prefix.
func (e *BlockedError) message() string {
	if !e.Addr.IsValid() {
		return fmt.Sprintf("%s is %s", e.Host, e.Reason)
	}
	subject := e.Addr.String() + " is"
	if e.Host != "" && e.Host != e.Addr.String() {
		subject = e.Host + " resolves to " + e.Addr.String() + ","
	}
	return fmt.Sprintf("%s %s; requests to internal networks are "+
		"blocked, ask an administrator to allow this network if the request is intended", subject, e.Reason)
}

// guard is the SSRF deny-list. Its zero value denies every internal
// destination. The deny decision is the one of code.dny.dev/ssrf, whose lists
// are generated from the IANA IPv4 and IPv6 special-purpose registries: every
// special-purpose IPv4 range, every IPv6 address outside 2000::/3 and the
// special-purpose ranges inside it (Teredo and all of 6to4 included).
// Before that, guard unwraps the IPv4 address that an IPv4-mapped
// (::ffff:a.b.c.d) or well-known NAT64 (64:ff9b::a.b.c.d) address stands for
// and judges that instead.
type guard struct {
	allowPrivate bool           // lift the guard entirely
	allow        []netip.Prefix // let these through; IPv4 prefixes also match mapped and NAT64 forms
}

// denyList decides; ports and networks are left to guard.control.
var denyList = ssrf.New(ssrf.WithAnyPort(), ssrf.WithAnyNetwork())

// nat64 is the well-known NAT64 prefix (RFC 6052), whose last 32 bits are an
// IPv4 address. The local-use prefix 64:ff9b:1::/48 has no fixed layout, so
// its addresses stay denied as they are.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// check returns a *BlockedError when ip is a destination the guard refuses,
// nil when it may be dialled. An IPv6 zone is ignored; an invalid ip is refused.
func (g guard) check(ip netip.Addr) error {
	if g.allowPrivate {
		return nil
	}
	ip = ip.WithZone("")
	judged, form := embeddedIPv4(ip)
	if g.allows(ip) || g.allows(judged) {
		return nil
	}
	if !ip.IsValid() {
		return &BlockedError{Reason: "not a valid IP address"}
	}
	if denyList.SafeAddr(judged) == nil {
		return nil
	}
	reason := describe(judged)
	if form != "" {
		reason = fmt.Sprintf("%s form of %s, %s", form, judged, reason)
	}
	return &BlockedError{Addr: ip, Reason: reason}
}

// embeddedIPv4 returns the IPv4 address that an IPv4-mapped or well-known
// NAT64 address stands for, with the name of that form; otherwise ip itself.
func embeddedIPv4(ip netip.Addr) (netip.Addr, string) {
	switch {
	case ip.Is4In6():
		return ip.Unmap(), "an IPv4-mapped"
	case nat64.Contains(ip):
		b := ip.As16()
		return netip.AddrFrom4([4]byte(b[12:])), "a NAT64"
	}
	return ip, ""
}

// allows reports whether an AllowNetworks prefix holds ip. A prefix written
// in IPv4-mapped form (::ffff:10.0.0.0/104) also holds the plain IPv4 address.
func (g guard) allows(ip netip.Addr) bool {
	for _, p := range g.allow {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// control is a net.Dialer Control function: it refuses to connect a socket
// to an address the guard denies, on any port. Only tcp4 and tcp6 sockets
// are made; any other network is refused too.
func (g guard) control(network, address string, _ syscall.RawConn) error {
	if g.allowPrivate {
		return nil
	}
	if network != "tcp4" && network != "tcp6" {
		return errorf("blocked: network %s is not allowed, only TCP", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return errorf("blocked: cannot read dial address %q: %w", address, err)
	}
	return g.check(ap.Addr())
}

// lookupFunc resolves a host name to its addresses. Tests inject their own so
// that no test asks real DNS.
type lookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// resolverLookup adapts r (nil means net.DefaultResolver) to a lookupFunc.
// It unmaps the IPv4-mapped form in which LookupNetIP returns IPv4 answers.
func resolverLookup(r *net.Resolver) lookupFunc {
	if r == nil {
		r = net.DefaultResolver
	}
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		addrs, err := r.LookupNetIP(ctx, "ip", host)
		for i, a := range addrs {
			addrs[i] = a.Unmap()
		}
		return addrs, err
	}
}

// checkHost resolves the host of a URL (a name, or an IP literal with or
// without brackets and zone) and returns the addresses to dial, IPv4 ones
// unmapped. Dial exactly these and do not resolve the name again, or a
// second answer could differ (DNS rebinding).
//
// If any address is blocked the whole host is: an attacker's name may answer
// with a public and a private address at once, hoping one dial lands
// inside. The *BlockedError names the first blocked address and the host.
//
// A host whose last label is a number (WHATWG URL rules) but which is not a
// standard IP literal, such as 0x7f.1, 2130706433 or 0177.0.0.1, is blocked
// unresolved: resolvers and proxies read such spellings differently (the C
// library takes 0x7f.1 for 127.0.0.1), so its meaning is not knowable here.
// With allowPrivate nothing is checked and names go to lookup as they are.
func checkHost(ctx context.Context, lookup lookupFunc, g guard, host string) ([]netip.Addr, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" || strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, errorf("invalid host %q in the URL; give a host name or IP address", host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return checkAddrs(g, host, []netip.Addr{ip})
	}
	if !g.allowPrivate && endsInNumber(host) {
		return nil, &BlockedError{Host: host, Reason: "a non-standard spelling of an IP " +
			"address; write an IPv4 address as four decimal numbers, such as 192.0.2.1"}
	}
	addrs, err := lookup(ctx, host)
	if err != nil {
		return nil, errorf("cannot resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, errorf("%s has no IP addresses; check the host name", host)
	}
	return checkAddrs(g, host, addrs)
}

// checkAddrs checks every address of host and blocks them all if one is.
func checkAddrs(g guard, host string, addrs []netip.Addr) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if err := g.check(a); err != nil {
			var b *BlockedError
			if errors.As(err, &b) {
				b.Host = host
			}
			return nil, err
		}
		out = append(out, a.Unmap())
	}
	return out, nil
}

// endsInNumber is the WHATWG URL Standard's "ends in a number" test: the last
// label (after dropping one trailing dot) is all digits or 0x and hex digits.
func endsInNumber(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if hex, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// rangeWords names special-purpose ranges in plain words, the most specific
// first. A test checks that every range of the deny-list library is named.
var rangeWords = mustRanges([]struct{ cidr, words string }{
	{"169.254.169.254/32", "a link-local address (cloud metadata)"},
	{"fd00:ec2::254/128", "a private network address (cloud metadata)"},
	{"100.100.100.200/32", "shared CGNAT space (cloud metadata)"},
	{"192.0.0.192/32", "an IETF protocol address (cloud metadata)"},
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

// describe names the special-purpose range that holds ip, in plain words.
// For 6to4 it also names the embedded IPv4 address when that one is denied.
func describe(ip netip.Addr) string {
	for _, r := range rangeWords {
		if !r.prefix.Contains(ip) {
			continue
		}
		if r.prefix == sixToFour {
			b := ip.As16()
			if v4 := netip.AddrFrom4([4]byte(b[2:6])); denyList.SafeAddr(v4) != nil {
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
