package shellwords

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// SplitPOSIX splits the first command of s as a POSIX shell does: single
// quotes, double quotes with backslash escapes, $'...' ANSI-C quoting,
// $"..." and backslash-newline continuations (and PowerShell's backtick
// continuation). A # at the start of a word begins a comment. An unquoted
// newline, |, < or >, or a ; or & at the start of a word, ends the command;
// an & inside a word stays, so a URL pasted without quotes keeps its query.
// A redirect's file descriptor (the 2 of 2>/dev/null) is dropped. A <NAME>
// placeholder of API documentation (letters, digits, _ . - between < and >)
// is kept as text rather than read as a redirect. Blank lines and comment
// lines before the first word are skipped. The error is a *QuoteError.
func SplitPOSIX(s string) (Command, error) {
	lx := &posixLexer{s: s}
	for lx.i < len(s) {
		end, err := lx.step()
		if err != nil {
			return Command{}, err
		}
		if end != EndOfText {
			lx.flush()
			return Command{Words: lx.words, Dialect: POSIX, End: end, Rest: s[lx.i:]}, nil
		}
	}
	lx.flush()
	return Command{Words: lx.words, Dialect: POSIX}, nil
}

// posixLexer splits a command line as a POSIX shell does.
type posixLexer struct {
	wordBuilder
	s string
	i int
}

// step reads one character or quoted part; end says whether and how the
// command ended, with lx.i after the character that ended it.
func (lx *posixLexer) step() (End, error) {
	c, next := lx.s[lx.i], lx.peek(1)
	switch {
	case c == '\n' && (lx.inWord || len(lx.words) > 0):
		lx.i++
		return Newline, nil
	case isSpace(c):
		lx.flush()
		lx.i++
	case c == '\\':
		lx.backslash()
	case c == '\'':
		return EndOfText, lx.single()
	case c == '"':
		return EndOfText, lx.double(lx.i)
	case c == '$' && next == '\'':
		return EndOfText, lx.ansiC()
	case c == '$' && next == '"':
		lx.i++
		return EndOfText, lx.double(lx.i - 1)
	case c == '`' && next == '\n': // PowerShell's continuation
		lx.i += 2
	case !lx.inWord && c == '#':
		lx.skipLine()
	case c == '<' && lx.placeholder():
	case c == '|' && next == '|', c == '&' && next == '&' && !lx.inWord:
		lx.flush()
		lx.i += 2
		return Separator, nil
	case c == '|' || c == '<' || c == '>':
		lx.dropDescriptor()
		lx.i++
		return Redirect, nil
	case !lx.inWord && (c == ';' || c == '&'):
		lx.i++
		if c == '&' && next == '>' {
			return Redirect, nil
		}
		return Separator, nil
	default:
		lx.add(c)
		lx.i++
	}
	return EndOfText, nil
}

// placeholder keeps a <NAME> at lx.i as text and reports whether there was one.
func (lx *posixLexer) placeholder() bool {
	j := lx.i + 1
	for j < len(lx.s) && isPlaceholderByte(lx.s[j]) {
		j++
	}
	if j == lx.i+1 || j >= len(lx.s) || lx.s[j] != '>' {
		return false
	}
	lx.word = append(lx.word, lx.s[lx.i:j+1]...)
	lx.inWord = true
	lx.i = j + 1
	return true
}

func isPlaceholderByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// dropDescriptor forgets a word of digits that names a redirect's file
// descriptor, as the 2 of 2>/dev/null.
func (lx *posixLexer) dropDescriptor() {
	if len(lx.word) == 0 {
		return
	}
	for _, c := range lx.word {
		if c < '0' || c > '9' {
			return
		}
	}
	lx.word, lx.inWord = lx.word[:0], false
}

// peek returns the byte k places ahead, or 0 past the end.
func (lx *posixLexer) peek(k int) byte {
	if lx.i+k < len(lx.s) {
		return lx.s[lx.i+k]
	}
	return 0
}

// backslash quotes the next character; before a newline it joins lines.
func (lx *posixLexer) backslash() {
	switch next := lx.peek(1); {
	case lx.i+1 >= len(lx.s):
		lx.add('\\')
	case next != '\n':
		lx.add(next)
	}
	lx.i += 2
}

// skipLine skips a comment, up to (not past) the newline.
func (lx *posixLexer) skipLine() {
	for lx.i < len(lx.s) && lx.s[lx.i] != '\n' {
		lx.i++
	}
}

// single reads '...': everything up to the next ' is literal.
func (lx *posixLexer) single() error {
	end := strings.IndexByte(lx.s[lx.i+1:], '\'')
	if end < 0 {
		return quoteError(lx.s, lx.i, "'")
	}
	lx.word = append(lx.word, lx.s[lx.i+1:lx.i+1+end]...)
	lx.inWord = true
	lx.i += end + 2
	return nil
}

// double reads "..." whose opening quote is at lx.i: a backslash escapes
// $ ` " \ and newline only. start is where the quoting began, for errors.
func (lx *posixLexer) double(start int) error {
	for i := lx.i + 1; i < len(lx.s); {
		c := lx.s[i]
		switch {
		case c == '"':
			lx.inWord = true
			lx.i = i + 1
			return nil
		case c == '\\' && i+1 < len(lx.s) && strings.IndexByte("$`\"\\\n", lx.s[i+1]) >= 0:
			if lx.s[i+1] != '\n' {
				lx.add(lx.s[i+1])
			}
			i += 2
		default:
			lx.add(c)
			i++
		}
	}
	return quoteError(lx.s, start, `"`)
}

// ansiC reads $'...' (bash's ANSI-C quoting) starting at the $.
func (lx *posixLexer) ansiC() error {
	for i := lx.i + 2; i < len(lx.s); {
		switch c := lx.s[i]; {
		case c == '\'':
			lx.inWord = true
			lx.i = i + 1
			return nil
		case c == '\\' && i+1 < len(lx.s):
			i = lx.ansiEscape(i + 1)
		default:
			lx.add(c)
			i++
		}
	}
	return quoteError(lx.s, lx.i, "$'")
}

// ansiSimple maps the one-letter ANSI-C escapes to their bytes.
var ansiSimple = map[byte]byte{
	'a': 7, 'b': 8, 'e': 27, 'E': 27, 'f': 12, 'n': '\n', 'r': '\r', 't': '\t', 'v': 11,
	'\\': '\\', '\'': '\'', '"': '"', '?': '?',
}

// ansiWidth is how many hex digits each numeric ANSI-C escape reads.
var ansiWidth = map[byte]int{'x': 2, 'u': 4, 'U': 8}

// ansiEscape decodes the escape whose letter is at s[i] and returns the
// index after it. An unknown escape is kept with its backslash, as bash does.
func (lx *posixLexer) ansiEscape(i int) int {
	c := lx.s[i]
	if b, ok := ansiSimple[c]; ok {
		lx.add(b)
		return i + 1
	}
	switch {
	case c >= '0' && c <= '7':
		v, n := readDigits(lx.s[i:], 8, 3)
		lx.add(byte(v))
		return i + n
	case ansiWidth[c] > 0:
		v, n := readDigits(lx.s[i+1:], 16, ansiWidth[c])
		if n == 0 {
			break
		}
		if c == 'x' {
			lx.add(byte(v))
		} else {
			lx.word = utf8.AppendRune(lx.word, rune(v))
			lx.inWord = true
		}
		return i + 1 + n
	case c == 'c' && i+1 < len(lx.s) && lx.s[i+1] != '\'':
		lx.add(lx.s[i+1] & 0x1f)
		return i + 2
	}
	lx.add('\\')
	lx.add(c)
	return i + 1
}

// readDigits reads up to max digits of base at the start of s.
func readDigits(s string, base, max int) (v int32, n int) {
	for n < max && n < len(s) {
		d, err := strconv.ParseUint(s[n:n+1], base, 8)
		if err != nil {
			break
		}
		v = v*int32(base) + int32(d)
		n++
	}
	return v, n
}
