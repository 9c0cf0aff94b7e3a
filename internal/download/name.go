// Package download saves a response body to disk for httpstep's download
// nodes: it picks the file's label from Content-Disposition or the URL and
// cleans it, and streams the body into a new file under a name of its own,
// with a size cap and a SHA-256 computed on the way.
package download

import (
	"mime"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds a cleaned label, in bytes of UTF-8.
const MaxNameBytes = 200

// DefaultName is the label of a download whose headers and URL give none.
const DefaultName = "download"

// maxExtBytes is the longest extension Clean keeps when it shortens a label.
const maxExtBytes = 16

// Name returns the label of a downloaded file: the filename parameter of the
// Content-Disposition header value cd (RFC 6266; the RFC 5987 filename* form,
// UTF-8 or ASCII, wins over filename), else the last segment of u's path,
// cleaned by Clean. It is never empty: DefaultName stands in when nothing
// usable is left. The label is for people; it never chooses where the file
// lies.
func Name(cd string, u *url.URL) string {
	if n := Clean(dispositionName(cd)); n != "" {
		return n
	}
	if u != nil {
		if n := Clean(u.Path); n != "" {
			return n
		}
	}
	return DefaultName
}

// dispositionName is the filename parameter of a Content-Disposition value,
// or "" when there is none or the value does not parse. mime.ParseMediaType
// decodes filename* (RFC 2231/5987) and lets it replace filename.
func dispositionName(cd string) string {
	if cd == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(cd)
	if err != nil {
		return ""
	}
	return params["filename"]
}

// Clean makes name safe as a file name label on any common system, or
// returns "" when nothing usable is left:
//   - invalid UTF-8 becomes "_";
//   - only the last segment after / or \ is kept (the last one that is not
//     empty or dots only), so "../../etc/passwd" is "passwd";
//   - control and format characters (NUL, line breaks, bidirectional
//     overrides, zero-width marks) are dropped;
//   - characters Windows refuses (< > : " | ? *) become "_";
//   - leading and trailing spaces and dots are trimmed (no hidden files, no
//     "." or "..", nothing Windows would trim itself);
//   - a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, CONIN$,
//     CONOUT$, with or without extension) gets a "_" in front;
//   - the result is at most MaxNameBytes bytes, cut at a rune boundary and
//     keeping a short extension.
func Clean(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = lastSegment(name)
	name = strings.Map(keepRune, name)
	name = strings.Trim(name, " .")
	if name == "" {
		return ""
	}
	if isDevice(name) {
		name = "_" + name
	}
	return shorten(name)
}

// lastSegment returns the last part of s after / or \ that is neither empty
// nor dots only, or "" when there is none.
func lastSegment(s string) string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' })
	for i := len(parts) - 1; i >= 0; i-- {
		if strings.Trim(parts[i], ". ") != "" {
			return parts[i]
		}
	}
	return ""
}

// keepRune drops control and format characters and replaces characters
// that Windows refuses in file names.
func keepRune(r rune) rune {
	switch {
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
		return -1
	case strings.ContainsRune(`<>:"|?*/\`, r):
		return '_'
	}
	return r
}

// devices are the names Windows reserves in every directory.
var devices = map[string]bool{"con": true, "prn": true, "aux": true, "nul": true, "conin$": true, "conout$": true}

// isDevice reports whether name, before its first dot and trailing spaces,
// is a Windows device name. COM and LPT with a digit (superscripts ¹²³
// included) are devices too.
func isDevice(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToLower(strings.TrimRight(base, " "))
	if devices[base] {
		return true
	}
	for _, p := range []string{"com", "lpt"} {
		if rest, ok := strings.CutPrefix(base, p); ok {
			switch rest {
			case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
				return true
			}
		}
	}
	return false
}

// shorten cuts name to MaxNameBytes, keeping an extension of up to
// maxExtBytes, at rune boundaries.
func shorten(name string) string {
	if len(name) <= MaxNameBytes {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > maxExtBytes || len(ext) == len(name) {
		ext = ""
	}
	stem := cutRunes(strings.TrimSuffix(name, ext), MaxNameBytes-len(ext))
	return strings.TrimRight(stem, " .") + ext
}

// cutRunes returns the longest prefix of s of at most n bytes that ends at
// a rune boundary.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
