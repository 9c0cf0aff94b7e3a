package main

import (
	"errors"
	"fmt"

	"github.com/httpstep/httpstep"
)

// adviseBlocked gives a failure of kind blocked the fix on the command line
// (-allow-private, -allow-network) in place of the library's advice, which
// is for a host's administrator. A refused redirect keeps its message.
func adviseBlocked(f *httpstep.Failure, o *execOptions) {
	var b *httpstep.BlockedError
	if f == nil || f.Kind != httpstep.KindBlocked || !errors.As(f, &b) || b.Redirect != "" {
		return
	}
	f.Message = blockedMessage(b, o.allowPrivate)
}

// blockedMessage says what was refused and which flag lets it through.
func blockedMessage(b *httpstep.BlockedError, allowPrivate bool) string {
	subject := b.Host + " is"
	network := "its address"
	if b.Addr.IsValid() {
		network = fmt.Sprintf("%s/%d", b.Addr.WithZone(""), b.Addr.BitLen())
		subject = b.Addr.String() + " is"
		if b.Host != "" && b.Host != b.Addr.String() {
			subject = b.Host + " resolves to " + b.Addr.String() + ","
		}
	}
	const meant = " if the request is meant to reach it"
	if allowPrivate {
		return fmt.Sprintf("%s %s; a cloud platform endpoint stays blocked under -allow-private: "+
			"run with -allow-network %s%s", subject, b.Reason, network, meant)
	}
	fix := "-allow-private"
	if b.Addr.IsValid() {
		fix += " (or -allow-network " + network + ")"
	}
	return fmt.Sprintf("%s %s; requests to internal networks are blocked: run with %s%s", subject, b.Reason, fix, meant)
}
