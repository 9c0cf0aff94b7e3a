// Package shellwords splits a pasted command line into words the way the
// shell it was written for would: a POSIX shell ([SplitPOSIX]) or Windows
// cmd.exe with the Microsoft C runtime's argument rules ([SplitCmd]).
// [Split] picks the dialect from the text.
//
// Only the first command is split. What ends it — an unquoted newline, or a
// ; & && || | < > — is reported in [Command], with the text that follows, so
// that a caller can tell a pipe into jq from a second command. Nothing is
// expanded: $VAR and globs stay as typed. The functions are pure and safe
// for concurrent use.
package shellwords

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Dialect names the shell whose rules split a command.
type Dialect int

const (
	POSIX Dialect = iota // sh, bash, zsh
	Cmd                  // Windows cmd.exe and the C runtime
)

// End says what ended the first command.
type End int

const (
	EndOfText End = iota // the text ran out
	Newline              // an unquoted, unescaped line break
	Separator            // ; & && or ||: another command follows
	Redirect             // | < or >: output or input goes elsewhere
)

// Command is the first command of a text, split into words.
type Command struct {
	Words   []string
	Dialect Dialect
	End     End
	Rest    string // the text after what ended the command; "" at EndOfText
}

// QuoteError is a quote opened and never closed.
type QuoteError struct {
	Quote        string // ', ", $' ...
	Line, Column int    // 1-based; the column counts runes
}

func (e *QuoteError) Error() string {
	return fmt.Sprintf("shellwords: the %s quote at line %d, column %d is never closed", e.Quote, e.Line, e.Column)
}

// Split splits the first command of s in the cmd.exe dialect when the text
// shows it (see [IsCmdStyle]) and as a POSIX shell otherwise. CRLF line
// ends are read as LF. The error is a *QuoteError.
func Split(s string) (Command, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if IsCmdStyle(s) {
		return SplitCmd(s)
	}
	return SplitPOSIX(s)
}

// quoteError reports a quote opened at byte offset i of s.
func quoteError(s string, i int, quote string) error {
	line := 1 + strings.Count(s[:i], "\n")
	col := 1 + utf8.RuneCountInString(s[strings.LastIndexByte(s[:i], '\n')+1:i])
	return &QuoteError{Quote: quote, Line: line, Column: col}
}

// wordBuilder collects the words of a command line.
type wordBuilder struct {
	word   []byte
	inWord bool // a word has started, even an empty quoted one
	words  []string
}

func (w *wordBuilder) add(c byte) {
	w.word = append(w.word, c)
	w.inWord = true
}

func (w *wordBuilder) flush() {
	if w.inWord {
		w.words = append(w.words, string(w.word))
	}
	w.word, w.inWord = w.word[:0], false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// IsCmdStyle reports whether s looks written for Windows cmd.exe: a line
// ending in the ^ continuation, a word opening with ^" or a \^" escape
// (Chrome's "Copy as cURL (cmd)"), or, in a command without single quotes,
// a "" doubled inside a word (older Firefox and Chrome copies).
func IsCmdStyle(s string) bool {
	for line := range strings.SplitSeq(s, "\n") {
		if strings.HasSuffix(strings.TrimRight(line, " \t\r"), "^") {
			return true
		}
	}
	if strings.Contains(s, `\^"`) {
		return true
	}
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '^' && s[i+1] == '"' && (i == 0 || isSpace(s[i-1])) {
			return true
		}
	}
	return !strings.Contains(s, "'") && hasDoubledQuote(s)
}

// hasDoubledQuote reports a "" with a word character on either side.
func hasDoubledQuote(s string) bool {
	for i := 1; i+2 < len(s); i++ {
		before := s[i-1]
		if s[i] == '"' && s[i+1] == '"' && !isSpace(before) && before != '\\' && before != '"' && !isSpace(s[i+2]) {
			return true
		}
	}
	return false
}
