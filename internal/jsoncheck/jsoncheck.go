// Package jsoncheck checks that a body is one JSON value, nested no deeper
// than a limit, in one pass and without recursion, so no input can exhaust
// the stack.
//
// It exists because gjson's validator recurses once per level (ten
// megabytes of "[" overflow the stack and kill the process) and
// encoding/json's is about three times slower on large bodies. It accepts
// exactly what encoding/json's Valid accepts (FuzzCheck compares them).
package jsoncheck

import "strings"

// Verdict is what Check found.
type Verdict int

// The verdicts.
const (
	Valid   Verdict = iota // one JSON value, nested within the limit
	Invalid                // not one JSON value with optional white space around it
	TooDeep                // valid or not, nested deeper than the limit
)

// Check reports whether b is one JSON value with optional white space
// around it, nested at most maxDepth deep (a scalar is depth 0, "[]" depth
// 1). It allocates nothing for up to 64 levels and one byte per level
// beyond. It is safe for concurrent use.
func Check(b []byte, maxDepth int) Verdict {
	v, _ := CheckCount(b, maxDepth)
	return v
}

// CheckCount is Check that also returns, from the same pass, how many
// elements b has when it is an array (0 when it is anything else); the
// count is only meaningful when the verdict is Valid.
func CheckCount(b []byte, maxDepth int) (Verdict, int) {
	n := 0
	var buf [64]byte
	open := buf[:0] // the '[' or '{' of each container not yet closed
	i := skipSpace(b, 0)
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return Invalid, n
		}
		switch c := b[i]; c {
		case '[', '{':
			if len(open) == maxDepth {
				return TooDeep, n
			}
			if i = skipSpace(b, i+1); i < len(b) && b[i] == c+2 { // "[]" or "{}"
				i++
				break
			}
			open = append(open, c)
			if len(open) == 1 && c == '[' {
				n = 1 // the root array's first element starts here
			}
			if c == '{' {
				i = scanKey(b, i)
			}
			if i < 0 {
				return Invalid, n
			}
			continue
		case '"':
			if i = plainEnd(b, i+1); i < len(b) && b[i] == '"' {
				i++
			} else {
				i = stringEndEscaped(b, i)
			}
		case 't':
			i = scanWord(b, i, "true")
		case 'f':
			i = scanWord(b, i, "false")
		case 'n':
			i = scanWord(b, i, "null")
		default:
			i = scanNumber(b, i)
		}
		if i < 0 {
			return Invalid, n
		}
		// A value ended at b[i]: close containers until a comma or the end.
		for {
			i = skipSpace(b, i)
			if len(open) == 0 {
				if i == len(b) {
					return Valid, n
				}
				return Invalid, n
			}
			if i >= len(b) {
				return Invalid, n
			}
			top := open[len(open)-1]
			if b[i] != top+2 { // not "]" or "}"
				break
			}
			open = open[:len(open)-1]
			i++
		}
		if b[i] != ',' {
			return Invalid, n
		}
		if len(open) == 1 && open[0] == '[' {
			n++
		}
		if i = skipSpace(b, i+1); open[len(open)-1] == '{' {
			if i = scanKey(b, i); i < 0 {
				return Invalid, n
			}
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// scanKey checks an object key and its colon at b[i] and returns the index
// of the value after them, or -1.
func scanKey(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if i = plainEnd(b, i+1); i < len(b) && b[i] == '"' {
		i++
	} else if i = stringEndEscaped(b, i); i < 0 {
		return -1
	}
	if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
		return -1
	}
	return skipSpace(b, i+1)
}

// plainByte marks the bytes that may appear unescaped in a JSON string.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainEnd returns the index of the first byte at or after i that cannot
// stand unescaped in a string. It is small enough to inline, so that a
// string without escapes costs no call.
func plainEnd(b []byte, i int) int {
	for i < len(b) && plainByte[b[i]] {
		i++
	}
	return i
}

// stringEndEscaped returns the index just past the quote that ends a string
// whose contents continue at b[i], with escapes, or -1.
func stringEndEscaped(b []byte, i int) int {
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c != '\\':
			i++
		case i+1 < len(b) && strings.IndexByte(`"\\/bfnrt`, b[i+1]) >= 0:
			i += 2
		case i+5 < len(b) && b[i+1] == 'u' && isHex(b[i+2]) && isHex(b[i+3]) && isHex(b[i+4]) && isHex(b[i+5]):
			i += 6
		default:
			return -1
		}
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanWord checks the literal word (true, false or null) at b[i] and returns
// the index just past it, or -1.
func scanWord(b []byte, i int, word string) int {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return -1
	}
	return i + len(word)
}

// scanNumber checks a number, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
// at b[i] and returns the index just past it, or -1.
func scanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i = skipDigits(b, i+1); b[i-1] == '.' {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		if i = skipDigits(b, i); i == start {
			return -1
		}
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}
