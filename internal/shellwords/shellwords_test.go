package shellwords

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSplit checks the two dialects word by word, and what ends a command.
func TestSplit(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		end  End
		rest string
	}{
		{in: `a 'b c' "d e" f\ g`, want: []string{"a", "b c", "d e", "f g"}},
		{in: `a '' "" x''y`, want: []string{"a", "", "", "xy"}},
		{in: "a \"x\\$y\\`z\\\\w\\q\"", want: []string{"a", "x$y`z\\w\\q"}},
		{in: `a $'\a\b\e\f\v\?\"\101\x4a\u00e9\U0001F600\cA\z'`, want: []string{"a", "\a\b\x1b\f\v?\"AJé😀\x01\\z"}},
		{in: `a $"locale"`, want: []string{"a", "locale"}},
		{in: "a \\\n b", want: []string{"a", "b"}},
		{in: "a 'b\nc'", want: []string{"a", "b\nc"}},
		{in: "\n\n# comment\n  a b", want: []string{"a", "b"}},
		{in: "a b#c # comment\nd", want: []string{"a", "b#c"}, end: Newline, rest: "d"},
		{in: "a b\nc d\n", want: []string{"a", "b"}, end: Newline, rest: "c d\n"},
		{in: "a b ; c", want: []string{"a", "b"}, end: Separator, rest: " c"},
		{in: "a b && c", want: []string{"a", "b"}, end: Separator, rest: " c"},
		{in: "a b|| c", want: []string{"a", "b"}, end: Separator, rest: " c"},
		{in: "a b > out.txt", want: []string{"a", "b"}, end: Redirect, rest: " out.txt"},
		{in: "a b 2>/dev/null", want: []string{"a", "b"}, end: Redirect, rest: "/dev/null"},
		{in: "a b|jq .", want: []string{"a", "b"}, end: Redirect, rest: "jq ."},
		{in: "a b &>log", want: []string{"a", "b"}, end: Redirect, rest: ">log"},
		{in: "a b?x=1&y=2", want: []string{"a", "b?x=1&y=2"}},
		{in: "a b\\", want: []string{"a", "b\\"}},
		{in: "a /users/<USER_ID>/x <ID> -d 1", want: []string{"a", "/users/<USER_ID>/x", "<ID>", "-d", "1"}},
		{in: "a b <in.json", want: []string{"a", "b"}, end: Redirect, rest: "in.json"},
		// cmd.exe
		{in: `a ^"b c^" d^^e`, want: []string{"a", "b c", "d^e"}},
		{in: "a ^  \n b", want: []string{"a", "b"}},
		{in: `a ^"x \\\^"y\^" z^"`, want: []string{"a", `x \"y" z`}},
		{in: `a ^"C:\dir\\^"`, want: []string{"a", `C:\dir\`}},
		{in: `curl "a""b" c`, want: []string{"curl", `a"b`, "c"}},
		{in: "a ^\"^\n\n^\"", want: []string{"a", "\n"}},
		{in: "a ^\"b^\" ^\n c\r\nd ^\"e^\"", want: []string{"a", "b", "c"}, end: Newline, rest: "d ^\"e^\""},
		{in: "a ^^\nb ^\"c^\"", want: []string{"a", "^"}, end: Newline, rest: "b ^\"c^\""},
	}
	for _, tc := range cases {
		got, err := Split(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got.Words, tc.in)
		assert.Equal(t, tc.end, got.End, tc.in)
		assert.Equal(t, tc.rest, got.Rest, tc.in)
	}
}

func TestSplitDialect(t *testing.T) {
	for in, want := range map[string]Dialect{
		"curl 'a'":              POSIX,
		"curl ^\"a^\"":          Cmd,
		"curl a ^\n -v":         Cmd,
		`curl "a""b"`:           Cmd,
		`curl 'x' "a""b"`:       POSIX,
		`curl \^"a\^" b`:        Cmd,
		"curl \"a\" \"\" \"b\"": POSIX,
	} {
		got, err := Split(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got.Dialect, in)
	}
}

func TestSplitQuoteErrors(t *testing.T) {
	cases := []struct {
		in        string
		quote     string
		line, col int
	}{
		{"curl 'https://example.com", "'", 1, 6},
		{"curl https://example.com \\\n  -d \"{", `"`, 2, 6},
		{"curl $'abc", "$'", 1, 6},
		{"curl $\"abc", `"`, 1, 6},
		{"curl ^\"https://example.com^\" ^\n -H ^\"a: b", `"`, 2, 6},
		{"é 'x", "'", 1, 3},
	}
	for _, tc := range cases {
		_, err := Split(tc.in)
		var qe *QuoteError
		require.True(t, errors.As(err, &qe), tc.in)
		assert.Equal(t, QuoteError{Quote: tc.quote, Line: tc.line, Column: tc.col}, *qe, tc.in)
		assert.Contains(t, err.Error(), "is never closed")
	}
}

// FuzzSplit checks that no text makes a splitter panic, that an error is a
// *QuoteError pointing inside the text, that Rest is a suffix of the text,
// and that UTF-8 text without escapes gives UTF-8 words.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"curl 'a' \"b\" $'\\x41' c\\ d", "curl ^\"a^\" ^\n -H ^\"b^\"", "a\nb", "a <ID> | b", "a 2>&1; b", "curl \"a\"\"b\"", "^", "$'\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, split := range []func(string) (Command, error){Split, SplitPOSIX, SplitCmd} {
			cmd, err := split(s)
			if err != nil {
				var qe *QuoteError
				require.True(t, errors.As(err, &qe), err.Error())
				require.True(t, qe.Line >= 1 && qe.Column >= 1 && qe.Line <= 1+strings.Count(s, "\n"))
				continue
			}
			if cmd.End == EndOfText {
				require.Empty(t, cmd.Rest)
			}
			require.True(t, strings.HasSuffix(strings.ReplaceAll(s, "\r\n", "\n"), cmd.Rest) || strings.HasSuffix(s, cmd.Rest))
			if utf8.ValidString(s) && !strings.Contains(s, `\`) {
				for _, w := range cmd.Words {
					require.True(t, utf8.ValidString(w), "%q", w)
				}
			}
		}
	})
}
