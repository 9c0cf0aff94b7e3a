package httpstep

import (
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestPackageDocLeads: the package documentation, which go doc prints
// first, leads a newcomer to the entry points and names every failure kind
// within its first screen (go doc indents Execute under Result and shows
// only the first kind of a constant group, so the doc text must carry
// them).
func TestPackageDocLeads(t *testing.T) {
	bp, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/httpstep/httpstep")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(p.Doc, "\n")
	screen := strings.Join(lines[:min(len(lines), 50)], "\n")
	want := []string{"[Execute]", "[Client]", "[NodeConfig.Compile]", "[Client.Run]", "[Client.Each]", "[*Failure]"}
	for _, c := range p.Types {
		if c.Name != "FailureKind" {
			continue
		}
		for _, v := range c.Consts {
			for _, spec := range v.Decl.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					want = append(want, "["+name.Name+"]")
				}
			}
		}
	}
	if len(want) < 15 {
		t.Fatalf("found only %v: the failure kinds were not read", want)
	}
	for _, w := range want {
		if !strings.Contains(screen, w) {
			t.Errorf("the first screen of the package doc does not name %s", w)
		}
	}
}
