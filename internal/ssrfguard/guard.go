package ssrfguard

import (
	"fmt"
	"net/netip"
	"syscall"

	"code.dny.dev/ssrf"
)

// Guard is the SSRF deny-list. Its zero value denies every internal
// destination: every range of the IANA special-purpose registries (through
// code.dny.dev/ssrf, whose lists are generated from them: every
// special-purpose IPv4 range, every IPv6 address outside 2000::/3 and the
// special-purpose ranges inside it, Teredo and all of 6to4 included), and the
// cloud platform endpoints that are public addresses (Azure's WireServer,
// 168.63.129.16). An IPv4-mapped (::ffff:a.b.c.d) or well-known NAT64
// (64:ff9b::a.b.c.d) address is judged by the IPv4 address it stands for.
// A Guard is a value; it is safe for concurrent use.
type Guard struct {
	// Off lifts the guard for every destination but the cloud platform
	// endpoints that hand out credentials (169.254.169.254, fd00:ec2::254,
	// the metadata names, ...): those stay refused unless Allow holds them.
	Off   bool
	Allow []netip.Prefix // let these through; IPv4 prefixes also match mapped and NAT64 forms
}

// denyList decides; ports and networks are left to Guard.Control.
var denyList = ssrf.New(ssrf.WithAnyPort(), ssrf.WithAnyNetwork())

// nat64 is the well-known NAT64 prefix (RFC 6052), whose last 32 bits are an
// IPv4 address. The local-use prefix 64:ff9b:1::/48 has no fixed layout, so
// its addresses stay denied as they are.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Check returns a *Blocked when ip is a destination the guard refuses, nil
// when it may be dialled. An IPv6 zone is ignored; an invalid ip is refused.
func (g Guard) Check(ip netip.Addr) error {
	ip = ip.WithZone("")
	judged, form := embeddedIPv4(ip)
	if g.allows(ip) || g.allows(judged) {
		return nil
	}
	switch {
	case isEndpoint(judged):
	case g.Off:
		return nil
	case !ip.IsValid():
		return &Blocked{Reason: "not a valid IP address"}
	case !isPlatform(judged) && denyList.SafeAddr(judged) == nil:
		return nil
	}
	reason := describe(judged)
	if form != "" {
		reason = fmt.Sprintf("%s form of %s, %s", form, judged, reason)
	}
	return &Blocked{Addr: ip, Reason: reason}
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

// allows reports whether an Allow prefix holds ip. A prefix written in
// IPv4-mapped form (::ffff:10.0.0.0/104) also holds the plain IPv4 address.
func (g Guard) allows(ip netip.Addr) bool {
	for _, p := range g.Allow {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Control is a net.Dialer Control function: it refuses to connect a socket
// to an address the guard denies, on any port, with a *Blocked. Only tcp4
// and tcp6 sockets are made; any other network is refused too. With g.Off
// only the cloud platform endpoints are refused.
func (g Guard) Control(network, address string, _ syscall.RawConn) error {
	if g.Off {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return nil
		}
		return g.Check(ap.Addr())
	}
	if network != "tcp4" && network != "tcp6" {
		return &Blocked{Host: address, Reason: "on network " + network + "; only TCP is allowed"}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Blocked{Host: address, Reason: "not a dial address that can be read (" + err.Error() + ")"}
	}
	return g.Check(ap.Addr())
}
