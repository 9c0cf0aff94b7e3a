package ssrfguard

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// LookupFunc resolves a host name to its addresses.
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// ResolverLookup adapts r (nil means net.DefaultResolver) to a LookupFunc.
// It unmaps the IPv4-mapped form in which LookupNetIP returns IPv4 answers.
func ResolverLookup(r *net.Resolver) LookupFunc {
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

// Normalize returns the one form of host (a URL's host, with or without
// brackets around an IPv6 literal) that is checked and then sent: an IP
// literal as it is; a name lower-cased, without trailing dots and, when it
// is not ASCII, mapped to ASCII by IDNA/UTS #46 as net/http would before
// sending it (so full-width letters and dots, circled digits and the
// ideographic full stop become what they stand for). A host with spaces or
// control characters is a *HostError; a name that IDNA refuses is a
// *Blocked, since what a resolver or proxy would make of it is unknown.
func Normalize(host string) (string, error) {
	h := host
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1] // an IPv6 literal as a URL writes it
	}
	if h == "" || strings.ContainsAny(h, "[]") || strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", invalidHost(host)
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return h, nil
	}
	if !isASCII(h) {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil {
			return "", &Blocked{Host: host, Reason: "a host name that is not valid in its international (IDNA) form, " +
				"so where it leads is not certain; write the host in ASCII"}
		}
		h = a
	}
	h = strings.TrimRight(strings.ToLower(h), ".")
	if h == "" {
		return "", invalidHost(host)
	}
	return h, nil
}

func invalidHost(host string) error {
	return &HostError{Host: host, Problem: fmt.Sprintf("invalid host %q in the URL; give a host name or IP address", host)}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// metadataNames are host names of cloud metadata services, refused before
// DNS (so also when a proxy resolves names) unless Allow holds the address
// they stand for.
var metadataNames = map[string]struct {
	addr  netip.Addr
	words string
}{
	"metadata.google.internal":   {metadataAddr, "the name of the GCP metadata server"},
	"metadata.goog":              {metadataAddr, "the name of the GCP metadata server"},
	"metadata":                   {metadataAddr, "the short name of the GCP metadata server"},
	"instance-data":              {metadataAddr, "the name of the AWS instance metadata service"},
	"instance-data.ec2.internal": {metadataAddr, "the name of the AWS instance metadata service"},
}

var metadataAddr = netip.MustParseAddr("169.254.169.254")

// CheckName checks what can be checked of host before DNS and returns its
// normalised form (see [Normalize]) and, when host is an IP literal, that
// address. It refuses a denied IP literal; a name whose last label is a
// number (WHATWG URL rules) but which is not a standard IP literal, such as
// 0x7f.1, 2130706433 or 0177.0.0.1, since resolvers and proxies read such
// spellings differently (the C library takes 0x7f.1 for 127.0.0.1); and the
// cloud metadata names. With g.Off only the platform endpoints (by address
// or by metadata name) are refused.
func (g Guard) CheckName(host string) (string, netip.Addr, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	name, err := Normalize(host)
	if g.Off && err != nil {
		return host, netip.Addr{}, nil
	}
	if err != nil {
		return "", netip.Addr{}, err
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		return name, ip, withHost(g.Check(ip), host)
	}
	if m, ok := metadataNames[name]; ok && !g.allows(m.addr) {
		return "", netip.Addr{}, &Blocked{Host: host, Reason: m.words}
	}
	if !g.Off && endsInNumber(name) {
		return "", netip.Addr{}, &Blocked{Host: host, Reason: "a non-standard spelling of an IP " +
			"address; write an IPv4 address as four decimal numbers, such as 192.0.2.1"}
	}
	return name, netip.Addr{}, nil
}

// CheckHost reads host (see [Guard.CheckName]), resolves it with lookup and
// returns the addresses to dial, IPv4 ones unmapped. Dial exactly these and
// do not resolve the name again, or a second answer could differ (DNS
// rebinding).
//
// If any address is blocked the whole host is: an attacker's name may answer
// with a public and a private address at once, hoping one dial lands
// inside. The *Blocked names the first blocked address and the host.
func (g Guard) CheckHost(ctx context.Context, lookup LookupFunc, host string) ([]netip.Addr, error) {
	name, ip, err := g.CheckName(host)
	if err != nil {
		return nil, err
	}
	if ip.IsValid() {
		return []netip.Addr{ip.Unmap()}, nil
	}
	addrs, err := lookup(ctx, name)
	if err != nil {
		return nil, &HostError{Host: host, Problem: "cannot resolve " + name, Err: err}
	}
	if len(addrs) == 0 {
		return nil, &HostError{Host: host, Problem: name + " has no IP addresses; check the host name"}
	}
	return g.checkAddrs(host, addrs)
}

// checkAddrs checks every address of host and blocks them all if one is.
func (g Guard) checkAddrs(host string, addrs []netip.Addr) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if err := g.Check(a); err != nil {
			return nil, withHost(err, host)
		}
		out = append(out, a.Unmap())
	}
	return out, nil
}

// withHost sets the host of a *Blocked.
func withHost(err error, host string) error {
	if b, ok := err.(*Blocked); ok {
		b.Host = host
	}
	return err
}

// endsInNumber is the WHATWG URL Standard's "ends in a number" test: the last
// label is all digits or 0x and hex digits. Trailing dots are gone already.
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	last := labels[len(labels)-1]
	if hex, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}
