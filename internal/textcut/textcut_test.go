package textcut_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/httpstep/httpstep/internal/textcut"
	"github.com/stretchr/testify/assert"
)

func TestPrefix(t *testing.T) {
	tests := []struct {
		name, in  string
		max       int
		want      string
		truncated bool
	}{
		{"short", "hello", 10, "hello", false},
		{"exact", "hello", 5, "hello", false},
		{"cut", "hello", 3, "hel", true},
		{"cut before a split rune", "hé", 2, "h", true},
		{"whole rune fits", "hé", 3, "hé", false},
		{"invalid byte replaced", "a\xffb", 10, "a\uFFFDb", false},
		{"replacement does not fit", "ab\xff", 4, "ab", true},
		{"each invalid byte replaced", "\xc3\x28", 10, "\uFFFD(", false},
		{"surrogate is invalid", "\xed\xa0\x80", 10, "\uFFFD\uFFFD\uFFFD", false},
		{"controls kept", "a\x00\x1b\n\r\tb", 10, "a\x00\x1b\n\r\tb", false},
		{"zero", "abc", 0, "", true},
		{"negative", "abc", -1, "", true},
		{"empty", "", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, truncated := textcut.Prefix([]byte(tt.in), tt.max)
			assert.Equal(t, tt.want, s)
			assert.Equal(t, tt.truncated, truncated)
			s, truncated = textcut.PrefixString(tt.in, tt.max)
			assert.Equal(t, tt.want, s, "PrefixString")
			assert.Equal(t, tt.truncated, truncated, "PrefixString")
		})
	}
}

func FuzzPrefix(f *testing.F) {
	f.Add([]byte("hello"), 3)
	f.Add([]byte("h\xc3\xa9llo \xff\xfe wörld 😀"), 9)
	f.Add([]byte("\xed\xa0\x80\xf4\x90\x80\x80"), 5)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		s, truncated := textcut.Prefix(b, limit)
		if s2, t2 := textcut.PrefixString(string(b), limit); s2 != s || t2 != truncated {
			t.Fatalf("PrefixString = %q, %v; Prefix = %q, %v", s2, t2, s, truncated)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
		if len(s) > max(limit, 0) {
			t.Fatalf("%d bytes, limit %d", len(s), limit)
		}
		// The reference replaces every invalid byte with U+FFFD, as ranging
		// over a string does.
		ref := string([]rune(string(b)))
		if !strings.HasPrefix(ref, s) {
			t.Fatalf("%q is not a prefix of %q", s, ref)
		}
		if truncated != (s != ref) {
			t.Fatalf("truncated=%v for %q of %q", truncated, s, ref)
		}
		if truncated {
			next, _ := utf8.DecodeRuneInString(ref[len(s):])
			if len(s)+utf8.RuneLen(next) <= limit {
				t.Fatalf("cut early: %q of %q, limit %d", s, ref, limit)
			}
		}
	})
}

func TestClip(t *testing.T) {
	tests := []struct {
		name, in string
		limit    int
		want     string
	}{
		{"short", "hello", 10, "hello"},
		{"exact", "hello", 5, "hello"},
		{"cut is marked", "hello", 3, "hel..."},
		{"cut on a rune boundary", "héllo", 2, "h..."},
		{"invalid byte replaced", "a\xffb", 10, "a\uFFFDb"},
		{"zero", "abc", 0, "..."},
		{"empty", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, textcut.Clip(tt.in, tt.limit))
		})
	}
}

func ExampleClip() {
	fmt.Printf("%q\n", textcut.Clip("Retry-After: tomorrow morning, probably", 20))
	// Output: "Retry-After: tomorro..."
}

// TestClipKeepsShortText: text within the limit comes back as it is,
// without a copy (the history clips every header value of every attempt).
func TestClipKeepsShortText(t *testing.T) {
	s := strings.Repeat("é", 10)
	if n := testing.AllocsPerRun(100, func() { _ = textcut.Clip(s, 64) }); n != 0 {
		t.Errorf("Clip of text within the limit allocated %v times, want 0", n)
	}
	if got := textcut.Clip(s, 64); got != s {
		t.Errorf("Clip = %q, want %q", got, s)
	}
}

// TestPrefixStringKeepsShortText: a rendered body within the preview
// limit is its own preview, without a copy.
func TestPrefixStringKeepsShortText(t *testing.T) {
	s := strings.Repeat("é", 10)
	if n := testing.AllocsPerRun(100, func() { _, _ = textcut.PrefixString(s, 64) }); n != 0 {
		t.Errorf("PrefixString of text within the limit allocated %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = textcut.PrefixString(s, 7) }); n == 0 {
		t.Errorf("PrefixString of longer text shares it, want a copy of the prefix")
	}
}
