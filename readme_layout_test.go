package httpstep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeLayout keeps the README's layout section and the tree one:
// every root .go file (tests aside), every .go file of the packages beside
// the root for secondary audiences (named with their directory, as
// curl/options.go), and every internal package is named there, and every
// file named there exists.
func TestReadmeLayout(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, layout, ok := strings.Cut(string(data), "## Layout")
	require.True(t, ok, "README.md has no layout section")
	layout, _, _ = strings.Cut(layout, "\n## ")
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, dir := range audiencePackages {
		more, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		files = append(files, more...)
	}
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			assert.Contains(t, layout, "`"+f+"`", "README's layout does not name %s", f)
		}
	}
	dirs, err := filepath.Glob("internal/*")
	require.NoError(t, err)
	for _, d := range dirs {
		name := filepath.Base(d)
		assert.True(t, strings.Contains(layout, "`"+name+"`") || strings.Contains(layout, "`"+d+"`"),
			"README's layout does not name %s", d)
	}
	for _, word := range strings.Fields(layout) {
		word = strings.Trim(word, "`(),.;:")
		if strings.HasSuffix(word, ".go") {
			_, err := os.Stat(word)
			assert.NoError(t, err, "README's layout names %s, which is gone", word)
		}
	}
}

// audiencePackages are the packages beside the root for secondary
// audiences, whose files the layout names one by one.
var audiencePackages = []string{"curl", "webhook", "httpsteptest", "otel"}

// TestReadmeCommandFiles: every file a README command line names
// (a word ending in .json or .jsonl in a line that runs cmd/httpstep, in a
// code block or an inline span) exists, so a new user can paste it.
func TestReadmeCommandFiles(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "go run ./cmd/httpstep") || strings.HasPrefix(line, "httpstep ") {
			lines = append(lines, line)
		}
		for i, span := range strings.Split(line, "`") {
			if i%2 == 1 && strings.HasPrefix(span, "httpstep ") {
				lines = append(lines, span)
			}
		}
	}
	require.NotEmpty(t, lines)
	for _, line := range lines {
		for _, word := range strings.Fields(line) {
			stem, _, _ := strings.Cut(word, ".")
			placeholder := strings.ToUpper(stem) == stem // NODE.json, ROWS.jsonl
			if !placeholder && (strings.HasSuffix(word, ".json") || strings.HasSuffix(word, ".jsonl")) {
				_, err := os.Stat(word)
				assert.NoError(t, err, "README's command %q names %s", line, word)
			}
		}
	}
}
