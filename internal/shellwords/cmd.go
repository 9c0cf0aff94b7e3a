package shellwords

import "strings"

// SplitCmd splits the first command of s as cmd.exe and the Microsoft C
// runtime read it. Carets first: every ^ makes the next character literal,
// also inside double quotes, as the browsers' "Copy as cURL (cmd)" intends,
// and a ^ at the end of a line (trailing blanks allowed) joins it to the
// next one, whose first character is then literal. Then whitespace
// separates words outside double quotes, "" inside quotes is a literal
// quote, and backslashes are literal unless they precede a quote. A line
// break left outside quotes ends the command (End Newline). The error is a
// *QuoteError.
func SplitCmd(s string) (Command, error) {
	b, pos, escaped := uncaret(s)
	var w wordBuilder
	inQuote, quoteAt := false, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\':
			i = w.crtBackslashes(b, i) - 1
		case c == '"' && inQuote && i+1 < len(b) && b[i+1] == '"':
			w.add('"')
			i++
		case c == '"':
			inQuote, quoteAt, w.inWord = !inQuote, i, true
		case !inQuote && c == '\n' && (w.inWord || len(w.words) > 0) && !escaped[i]:
			w.flush()
			return Command{Words: w.words, Dialect: Cmd, End: Newline, Rest: s[pos[i]+1:]}, nil
		case !inQuote && isSpace(c):
			w.flush()
		default:
			w.add(c)
		}
	}
	if inQuote {
		return Command{}, quoteError(s, pos[quoteAt], `"`)
	}
	w.flush()
	return Command{Words: w.words, Dialect: Cmd}, nil
}

// crtBackslashes reads the run of backslashes at b[i]: before a quote, each
// pair is one backslash and an odd one escapes the quote. It returns the
// index after what it used.
func (w *wordBuilder) crtBackslashes(b []byte, i int) int {
	j := i
	for j < len(b) && b[j] == '\\' {
		j++
	}
	n := j - i
	if j < len(b) && b[j] == '"' {
		n /= 2
	}
	for range n {
		w.add('\\')
	}
	if j < len(b) && b[j] == '"' && (j-i)%2 == 1 {
		w.add('"')
		return j + 1
	}
	return j
}

// uncaret applies cmd.exe's escape: ^ makes the next character literal, and
// ^ at the end of a line (trailing blanks allowed) joins it to the next one,
// whose first character is then literal. It returns the text and, for each
// of its bytes, the offset in s it came from and whether a caret escaped it.
func uncaret(s string) (out []byte, pos []int, escaped []bool) {
	out, pos, escaped = make([]byte, 0, len(s)), make([]int, 0, len(s)), make([]bool, 0, len(s))
	for i := 0; i < len(s); i++ {
		caret := s[i] == '^'
		if caret {
			i++
			if rest := strings.TrimLeft(s[i:], " \t"); strings.HasPrefix(rest, "\n") {
				i = len(s) - len(rest) + 1
			}
			if i >= len(s) {
				break
			}
		}
		out, pos, escaped = append(out, s[i]), append(pos, i), append(escaped, caret)
	}
	return out, pos, escaped
}
