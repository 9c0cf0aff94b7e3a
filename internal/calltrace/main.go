// Command calltrace counts the calls one warm Execute makes in this
// module's own code: how many function entries, in how many files, and how
// often consecutive calls change file.
//
// It copies the module's packages (no tests, no nested modules)
// into a temporary directory, inserts a recording call at the start of
// every function and function literal, adds a driver test that runs the
// README's node once to warm the Client and once more recorded, and runs
// that test. Calls from every goroutine count, in the order they enter.
//
//	go run ./internal/calltrace        # the totals and the file map
//	go run ./internal/calltrace -v     # and every call in order
//
// Nothing is contacted but a loopback server the driver starts.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

const module = "github.com/httpstep/httpstep"

func main() {
	verbose := flag.Bool("v", false, "print every call in order")
	flag.Parse()
	root, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "calltrace-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := copyModule(root, tmp); err != nil {
		log.Fatal(err)
	}
	if err := writeRecorder(tmp); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "zz_calltrace_test.go"), []byte(driver), 0o644); err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command("go", "test", "-count=1", "-run", "^TestCallTrace$")
	cmd.Dir, cmd.Stdout, cmd.Stderr = tmp, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), fmt.Sprintf("CALLTRACE_VERBOSE=%t", *verbose))
	if err := cmd.Run(); err != nil {
		log.Fatal(err)
	}
}

// copyModule copies go.mod, go.sum and the non-test Go files of the
// module's packages into dst, instrumenting each.
func copyModule(src, dst string) error {
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			return err
		}
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if rel != "." && skipDir(path, d.Name()) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		out, err := instrument(path, filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), out, 0o644)
	})
}

// skipDir reports directories not copied: hidden ones, test data, this
// command, and nested modules (their own go.mod).
func skipDir(path, name string) bool {
	if strings.HasPrefix(name, ".") || name == "testdata" || name == "calltrace" {
		return true
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil
}

// instrument returns the source of path with a call to the recorder at the
// start of every function body, naming rel and the function.
func instrument(path, rel string) ([]byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	type insert struct {
		at   int
		text string
	}
	var ins []insert
	enter := func(body *ast.BlockStmt, name string) {
		if body != nil {
			ins = append(ins, insert{fset.Position(body.Lbrace).Offset + 1, fmt.Sprintf("ζct.Enter(%q);", rel+" "+name)})
		}
	}
	var outer string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			outer = funcName(n)
			enter(n.Body, outer)
		case *ast.FuncLit:
			enter(n.Body, outer+".func")
		}
		return true
	})
	if len(ins) == 0 {
		return src, nil
	}
	ins = append(ins, insert{fset.Position(f.Name.End()).Offset, "\nimport ζct \"" + module + "/internal/zcalltrace\"\n"})
	slices.SortFunc(ins, func(a, b insert) int { return b.at - a.at })
	for _, in := range ins {
		src = slices.Insert(src, in.at, []byte(in.text)...)
	}
	return src, nil
}

// funcName is Recv.Name for a method, Name for a function.
func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	var b bytes.Buffer
	if id, ok := t.(*ast.Ident); ok {
		b.WriteString(id.Name)
	}
	return b.String() + "." + d.Name.Name
}

// writeRecorder writes the package every instrumented function calls.
func writeRecorder(dst string) error {
	dir := filepath.Join(dst, "internal", "zcalltrace")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "zcalltrace.go"), []byte(recorder), 0o644)
}

const recorder = `// Package zcalltrace records function entries while On.
package zcalltrace

import (
	"sync"
	"sync/atomic"
)

var (
	On    atomic.Bool
	mu    sync.Mutex
	calls []string
)

// Enter records one call of loc ("file.go Func") while On.
func Enter(loc string) {
	if !On.Load() {
		return
	}
	mu.Lock()
	calls = append(calls, loc)
	mu.Unlock()
}

// Take returns the calls recorded and forgets them.
func Take() []string {
	mu.Lock()
	defer mu.Unlock()
	c := calls
	calls = nil
	return c
}
`

const driver = `package httpstep

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"

	ζct "` + module + `/internal/zcalltrace"
)

// readmeNode is the node of the README's "The node as stored".
const readmeNode = ` + "`" + `{
  "method": "GET",
  "url": "https://apis.example.com/ip/ipNewV3",
  "query": [{"key": "ip", "value": "{{feedback.ip}}"}, {"key": "key", "value": "{{org.apiKey}}"}],
  "headers": [{"key": "Accept", "value": "application/json"}],
  "success": {"codes": "200,201", "errorCodePath": "error_code", "successValues": ["0"], "errorMessagePath": "reason"},
  "onFailure": "continue",
  "timeout": "10s"
}` + "`" + `

// TestCallTrace runs the README's node twice on one Client and records
// the second, warm, Execute.
func TestCallTrace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, ` + "`" + `{"error_code":0,"reason":"ok","result":{"City":"Hangzhou"}}` + "`" + `)
	}))
	defer srv.Close()
	c := &Client{AllowPrivate: true}
	defer c.CloseIdleConnections()
	var node NodeConfig
	stored := strings.ReplaceAll(readmeNode, "https://apis.example.com", srv.URL)
	if err := json.Unmarshal([]byte(stored), &node); err != nil {
		t.Fatal(err)
	}
	values := Values{"feedback": map[string]any{"ip": "115.236.1.10"}, "org": map[string]any{"apiKey": Secret("k3y")}}
	run := func() *Result {
		res, err := c.Execute(context.Background(), &node, values)
		if err != nil {
			t.Fatalf("Execute: %v", err)
		}
		return res
	}
	run()
	ζct.On.Store(true)
	res := run()
	ζct.On.Store(false)
	if res.Get("result.City").String() != "Hangzhou" {
		t.Fatalf("the warm Execute did not read the answer: %+v", res)
	}
	calls := ζct.Take()
	perFile := map[string]int{}
	changes, last, named := 0, "", 0
	for i, c := range calls {
		if !strings.HasSuffix(c, ".func") {
			named++
		}
		file, _, _ := strings.Cut(c, " ")
		perFile[file]++
		if i > 0 && file != last {
			changes++
		}
		last = file
		if os.Getenv("CALLTRACE_VERBOSE") == "true" {
			fmt.Println(c)
		}
	}
	files := make([]string, 0, len(perFile))
	for f := range perFile {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return perFile[files[i]] > perFile[files[j]] || perFile[files[i]] == perFile[files[j]] && files[i] < files[j] })
	for _, f := range files {
		fmt.Printf("%5d  %s\n", perFile[f], f)
	}
	fmt.Printf("calls %d (%d of named functions, %d of function literals), files %d, changes of file %d\n",
		len(calls), named, len(calls)-named, len(files), changes)
}
`
