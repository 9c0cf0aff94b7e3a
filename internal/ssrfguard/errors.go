package ssrfguard

import (
	"fmt"
	"net/netip"
)

// Blocked is a destination the guard refused. Nothing was sent to it.
type Blocked struct {
	Addr   netip.Addr // the refused address; invalid when the host never resolved
	Host   string     // the host as given; empty when unknown
	Reason string     // what the destination is, in plain words
}

// Error says what was refused and why, without a package prefix.
func (b *Blocked) Error() string {
	if !b.Addr.IsValid() {
		return fmt.Sprintf("blocked: %s is %s", b.Host, b.Reason)
	}
	if b.Host != "" && b.Host != b.Addr.String() {
		return fmt.Sprintf("blocked: %s resolves to %s, %s", b.Host, b.Addr, b.Reason)
	}
	return fmt.Sprintf("blocked: %s is %s", b.Addr, b.Reason)
}

// HostError is a host that cannot be read or resolved: not a refusal, a
// mistake in the URL or a resolver failure (Err, when there is one).
type HostError struct {
	Host    string
	Problem string // what is wrong, in plain words, for a person
	Err     error  // the resolver's error; nil when the host could not be read
}

// Error is the problem and the resolver's error, without a package prefix.
func (e *HostError) Error() string {
	if e.Err == nil {
		return e.Problem
	}
	return e.Problem + ": " + e.Err.Error()
}

// Unwrap returns the resolver's error.
func (e *HostError) Unwrap() error { return e.Err }
