package httpstep

import "github.com/httpstep/httpstep/internal/textcut"

// The one way this package shortens text, shared with the webhook package:
// internal/textcut cuts on a rune boundary within a byte budget, replaces
// invalid UTF-8, and marks a cut in a message with "...".

// clip cuts s to at most n bytes for quoting a value in an error or a note,
// followed by "..." when something was cut.
func clip(s string, n int) string { return textcut.Clip(s, n) }

// previewText returns at most limit bytes of b as valid UTF-8 for the
// execution history; truncated reports that some of b was left out (the
// record's Truncated flag says so, so no mark is added).
func previewText(b []byte, limit int) (s string, truncated bool) { return textcut.Prefix(b, limit) }

// previewString is previewText of a string; one that fits is not copied.
func previewString(s string, limit int) (string, bool) { return textcut.PrefixString(s, limit) }
