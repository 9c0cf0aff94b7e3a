// Package bytesize writes and reads sizes in bytes as people do: "32 MiB",
// not 33554432.
package bytesize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The binary units, which the limits are set in.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
)

var units = []struct {
	name string
	size int64
}{{"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}}

// Format writes n in the largest binary unit it is a whole number of
// ("32 MiB", "512 KiB"), else with one decimal in the largest unit it
// reaches and the exact count ("97.7 KiB (100000 bytes)"), else in bytes
// ("1 byte", "900 bytes").
func Format(n int64) string {
	for _, u := range units {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	for _, u := range units {
		if n >= u.size {
			return fmt.Sprintf("%s %s (%d bytes)", strconv.FormatFloat(float64(n)/float64(u.size), 'f', 1, 64), u.name, n)
		}
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// Parse reads a size: a number of bytes ("1048576"), or a number with a
// binary unit ("64MiB", "1.5 GiB", "512k"; KB, MB and GB, and K, M and G,
// are read as the binary units too). The size must be positive and fit in
// an int64.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r >= 'A' && r <= 'z' || r == ' ' })
	unit := strings.ToLower(strings.TrimSpace(t[len(num):]))
	mult := int64(1)
	switch strings.TrimSuffix(strings.TrimSuffix(unit, "b"), "i") {
	case "":
		if unit != "" && unit != "b" {
			return 0, badSize(s)
		}
	case "k":
		mult = KiB
	case "m":
		mult = MiB
	case "g":
		mult = GiB
	default:
		return 0, badSize(s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || f*float64(mult) >= math.MaxInt64 {
		return 0, badSize(s)
	}
	n := int64(f * float64(mult))
	if n < 1 {
		return 0, badSize(s)
	}
	return n, nil
}

func badSize(s string) error {
	return fmt.Errorf("%q is not a size: write a number of bytes, or one with a unit, such as 64MiB or 1GiB", s)
}
