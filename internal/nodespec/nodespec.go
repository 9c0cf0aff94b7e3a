// Package nodespec holds the rules of a stored node that both the runtime
// (the root package, which validates and sends nodes) and the cURL importer
// (package curl, which writes them) apply, so each rule has one home.
package nodespec

import "strings"

// MaxAttempts bounds a retry policy's attempts in all, the first included,
// so a typo cannot retry a request for days.
const MaxAttempts = 100

// Method returns the method a node sends for m as typed: a standard method
// (those of RFC 9110, and PATCH) in upper case, whatever its case; any other
// token (PURGE, MKCOL, purge) as typed, spaces trimmed. It returns "" for "".
func Method(m string) string {
	m = strings.TrimSpace(m)
	switch up := strings.ToUpper(m); up { // a switch, not a map: nothing to build at start-up
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
		return up
	}
	return m
}

// AppendQuery adds the query piece q ("name=value", encoded) to the URL
// text u as typed, before any #fragment, with the "?" or "&" it needs. An
// empty q leaves u as it is. The cURL import and export both write a node's
// URL this way.
func AppendQuery(u, q string) string {
	if q == "" {
		return u
	}
	base, frag, hasFrag := strings.Cut(u, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	base += q
	if hasFrag {
		base += "#" + frag
	}
	return base
}
