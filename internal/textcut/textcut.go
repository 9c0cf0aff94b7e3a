// Package textcut shortens text for error messages and the execution
// history: one rule for where to cut, one mark for a cut.
package textcut

import (
	"strings"
	"unicode/utf8"
)

// Ellipsis marks where Clip cut a text.
const Ellipsis = "..."

// Clip returns s cut to at most limit bytes by [Prefix] (so always valid
// UTF-8), followed by Ellipsis when something was cut, for quoting a value
// in an error. Text within the limit comes back as it is.
func Clip(s string, limit int) string {
	if len(s) <= limit && utf8.ValidString(s) {
		return s // as it is, without a copy
	}
	cut, truncated := Prefix([]byte(s), limit)
	if truncated {
		return cut + Ellipsis
	}
	return cut
}

// PrefixString is [Prefix] of a string: one within the limit that is valid
// UTF-8 comes back as it is, without a copy; any other is cut as Prefix
// cuts it, into a new string.
func PrefixString(s string, limit int) (string, bool) {
	if len(s) <= max(limit, 0) && utf8.ValidString(s) {
		return s, false
	}
	return Prefix([]byte(s), limit)
}

// Prefix returns at most limit bytes of b as valid UTF-8: cut on a rune
// boundary, each invalid byte replaced by U+FFFD (which counts as its three
// bytes). truncated reports that some of b was left out. Control characters
// are kept; quote or JSON-encode the result before showing it. A negative
// limit counts as 0.
func Prefix(b []byte, limit int) (s string, truncated bool) {
	limit = max(limit, 0)
	if len(b) <= limit && utf8.Valid(b) {
		return string(b), false
	}
	var sb strings.Builder
	sb.Grow(min(limit, 3*len(b)))
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		invalid := r == utf8.RuneError && size == 1
		w := size
		if invalid {
			w = utf8.RuneLen(utf8.RuneError)
		}
		if sb.Len()+w > limit {
			break
		}
		if invalid {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[i : i+size])
		}
		i += size
	}
	return sb.String(), i < len(b)
}
