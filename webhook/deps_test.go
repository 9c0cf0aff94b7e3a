package webhook_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportsNoEngine: a receiver that imports this package gets the
// standard library and internal/textcut, nothing of the httpstep engine
// (the root package imports this one, so the compiler already forbids the
// root itself) and no third-party module.
func TestImportsNoEngine(t *testing.T) {
	const module = "github.com/httpstep/httpstep"
	allowed := map[string]bool{module + "/webhook": true, module + "/internal/textcut": true}
	seen := map[string]bool{}
	var walk func(path string)
	walk = func(path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		if !allowed[path] {
			t.Errorf("the webhook package imports %s", path)
			return
		}
		dir := filepath.Join("..", strings.TrimPrefix(strings.TrimPrefix(path, module), "/"))
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			first, _, _ := strings.Cut(imp, "/")
			if strings.Contains(first, ".") { // not the standard library
				walk(imp)
			}
		}
	}
	walk(module + "/webhook")
	if !seen[module+"/internal/textcut"] {
		t.Errorf("walked %v; the walk missed internal/textcut, so it cannot see imports", seen)
	}
}
