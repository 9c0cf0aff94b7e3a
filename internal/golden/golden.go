// Package golden compares a test's output with a file under testdata/, and
// rewrites the file instead when the test binary runs with -update:
//
//	go test -run TestInferSchemaGolden -update
//
// Only tests import it; it registers the -update flag of every test binary
// that does.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ instead of comparing with them")

// Check compares got with the file at path, byte for byte, and reports a
// difference as a failure of t with a diff. Under -update it writes got to
// path instead, creating its directory. A missing file fails t and says how
// to create it.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v; run go test -run '%s' -update to create it", err, t.Name())
		return
	}
	if !bytes.Equal(want, got) {
		assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test -run '%s' -update", path, t.Name())
	}
}
