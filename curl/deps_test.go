package curl

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestRuntimeCarriesNoImporter: the root package, which every program that
// runs nodes imports, reaches neither this package nor the word-splitters
// behind it, so such a program does not build the option tables at start-up
// (the compiler already forbids the root importing this package; the
// splitters could creep back).
func TestRuntimeCarriesNoImporter(t *testing.T) {
	const module = "github.com/httpstep/httpstep"
	importerOnly := map[string]bool{module + "/curl": true, module + "/internal/shellwords": true}
	seen := map[string]bool{}
	var walk func(path string)
	walk = func(path string) {
		if seen[path] || !strings.HasPrefix(path, module) {
			return
		}
		seen[path] = true
		if importerOnly[path] {
			t.Errorf("the root package reaches %s", path)
			return
		}
		dir := filepath.Join("..", strings.TrimPrefix(strings.TrimPrefix(path, module), "/"))
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			walk(imp)
		}
	}
	walk(module)
	if len(seen) < 3 {
		t.Fatalf("walked only %v: the walk is broken", seen)
	}
}
