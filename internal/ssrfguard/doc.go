// Package ssrfguard decides which destinations an outbound request may reach:
// the SSRF deny-list, the reading of host names and IP literals, and the
// socket-level check that a dialer runs before it connects.
//
// The deny decision is the one of code.dny.dev/ssrf (the IANA IPv4 and IPv6
// special-purpose registries, everything outside 2000::/3), widened by the
// platform endpoints that clouds make reachable from every VM (see
// [Guard.Check]) and by the metadata host names (see [Guard.CheckName]).
//
// Errors are *[Blocked] for a refused destination and *[HostError] for a host
// that cannot be read or resolved; callers map them to their own types.
package ssrfguard
