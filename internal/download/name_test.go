package download

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestName(t *testing.T) {
	long := strings.Repeat("a", 10<<10)
	tests := []struct {
		name, cd, url, want string
	}{
		{"plain", `attachment; filename="report.pdf"`, "http://x/y", "report.pdf"},
		{"token", `attachment; filename=report.pdf`, "http://x/y", "report.pdf"},
		{"star wins", `attachment; filename="fallback.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`, "http://x/y", "€ rates.txt"},
		{"star first", `attachment; filename*=UTF-8''na%C3%AFve.txt; filename="naive.txt"`, "http://x/y", "naïve.txt"},
		{"star latin1 undecodable falls back", `attachment; filename*=ISO-8859-1''caf%E9.txt`, "http://x/exports/cafe.csv", "cafe.csv"},
		{"inline", `inline; filename="a.png"`, "http://x/y", "a.png"},
		{"url segment", "", "http://x/files/2024/invoice%20A.pdf?sig=1", "invoice A.pdf"},
		{"url trailing slash", "", "http://x/files/report/", "report"},
		{"url root", "", "http://x/", DefaultName},
		{"url dotdot", "", "http://x/a/..", "a"},
		{"malformed header uses url", `attachment; filename="unterminated`, "http://x/data.json", "data.json"},
		{"traversal", `attachment; filename="../../etc/passwd"`, "http://x/y", "passwd"},
		{"windows path", `attachment; filename="C:\\x"`, "http://x/y", "x"},
		{"windows drive only", `attachment; filename="C:"`, "http://x/y", "C_"},
		{"device", `attachment; filename="con"`, "http://x/y", "_con"},
		{"device ext", `attachment; filename="LPT1.txt"`, "http://x/y", "_LPT1.txt"},
		{"device superscript", `attachment; filename="COM¹"`, "http://x/y", "_COM¹"},
		{"not a device", `attachment; filename="console.log"`, "http://x/y", "console.log"},
		{"encoded traversal", `attachment; filename*=UTF-8''%2e%2e%2f`, "http://x/report.csv", "report.csv"},
		{"encoded traversal name", `attachment; filename*=UTF-8''%2e%2e%2fsecret`, "http://x/y", "secret"},
		{"nul", "attachment; filename*=UTF-8''a%00b.txt", "http://x/y", "ab.txt"},
		{"newline", "attachment; filename*=UTF-8''a%0D%0Ab.txt", "http://x/y", "ab.txt"},
		{"bidi override", "attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe", "http://x/y", "invoicefdp.exe"},
		{"hidden", `attachment; filename=".bashrc"`, "http://x/y", "bashrc"},
		{"dots only", `attachment; filename="..."`, "http://x/y", "y"},
		{"windows chars", `attachment; filename="a<b>c:d|e?f*g.txt"`, "http://x/y", "a_b_c_d_e_f_g.txt"},
		{"invalid utf8", "attachment; filename*=UTF-8''%FF%FEx.txt", "http://x/y", "_x.txt"},
		{"long", `attachment; filename="` + long + `.pdf"`, "http://x/y", strings.Repeat("a", MaxNameBytes-4) + ".pdf"},
		{"long url", "", "http://x/" + long, strings.Repeat("a", MaxNameBytes)},
		{"nothing", "", "", DefaultName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u *url.URL
			if tt.url != "" {
				var err error
				u, err = url.Parse(tt.url)
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.want, Name(tt.cd, u))
		})
	}
}

func TestCleanLongMultibyte(t *testing.T) {
	name := strings.Repeat("€", 1000) + ".verylongextension-over-sixteen"
	got := Clean(name)
	assert.LessOrEqual(t, len(got), MaxNameBytes)
	assert.True(t, utf8.ValidString(got))
	assert.Equal(t, strings.Repeat("€", MaxNameBytes/3), got)
}

// FuzzClean checks the label invariants on any input: no separators, never
// "." or "..", valid UTF-8, no control characters, bounded, no device name.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"../../etc/passwd", `C:\x`, "con", "a\x00b", "..", ".", " . ", "com1.txt", "x\u202eexe.pdf", strings.Repeat("é", 300), "\xff\xfe", "a/b\\c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		checkLabel(t, got, true)
		if got != "" {
			assert.Equal(t, got, Clean(got), "cleaning twice changes nothing")
		}
	})
}

// FuzzName checks the same for whole Content-Disposition values: the label
// is never empty.
func FuzzName(f *testing.F) {
	for _, s := range []string{`attachment; filename="../x"`, `attachment; filename*=UTF-8''%2e%2e%2f`, "attachment; filename*=UTF-8''%00", `inline`, `attachment; filename="con"`} {
		f.Add(s, "/files/a.txt")
	}
	f.Fuzz(func(t *testing.T, cd, p string) {
		got := Name(cd, &url.URL{Path: p})
		checkLabel(t, got, false)
	})
}

func checkLabel(t *testing.T, got string, emptyOK bool) {
	t.Helper()
	if got == "" {
		if !emptyOK {
			t.Fatal("empty label")
		}
		return
	}
	if strings.ContainsAny(got, `/\`) || strings.ContainsRune(got, os.PathSeparator) {
		t.Fatalf("%q holds a path separator", got)
	}
	if got == "." || got == ".." || strings.HasPrefix(got, ".") {
		t.Fatalf("%q is a dot name", got)
	}
	if !utf8.ValidString(got) || len(got) > MaxNameBytes {
		t.Fatalf("%q is invalid UTF-8 or too long (%d bytes)", got, len(got))
	}
	if strings.IndexFunc(got, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
		t.Fatalf("%q holds a control character", got)
	}
	if isDevice(got) {
		t.Fatalf("%q is a device name", got)
	}
}
