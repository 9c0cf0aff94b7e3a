package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "TestX" }
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.golden")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, got string
		fail            string // part of the failure; "" = pass
	}{
		{"equal", path, "same\n", ""},
		{"different", path, "other\n", "x.golden differs"},
		{"a trailing newline counts", path, "same", "differs"},
		{"missing", filepath.Join(dir, "none.golden"), "x", "-run 'TestX' -update to create it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			Check(r, tt.path, []byte(tt.got))
			switch {
			case tt.fail == "" && len(r.failures) > 0:
				t.Errorf("failed: %q", r.failures)
			case tt.fail != "" && (len(r.failures) != 1 || !strings.Contains(r.failures[0], tt.fail)):
				t.Errorf("failures %q, want one containing %q", r.failures, tt.fail)
			}
		})
	}
}

func TestCheckUpdate(t *testing.T) {
	*update = true
	t.Cleanup(func() { *update = false })
	path := filepath.Join(t.TempDir(), "new", "dir", "x.golden")
	r := &recorder{TB: t}
	Check(r, path, []byte("written"))
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "written" || len(r.failures) > 0 {
		t.Errorf("after -update: %q, %v, failures %q", got, err, r.failures)
	}
}
