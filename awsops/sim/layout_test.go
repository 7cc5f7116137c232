package sim

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The simulator's layout, which issue 16 settled: each service declares its
// operations in its own file and newCatalog assembles them, so nothing
// registers itself in an init function (whose order follows file names)
// and no file is named for when it arrived (ext_*). This fails when either
// comes back, in test files too.
func TestNoInitAndNoExtFiles(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("listing the package's files: %v (%d files)", err, len(files))
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasPrefix(name, "ext_") {
			t.Errorf("%s: name the file after its service (iam_*.go, ec2_*.go, ...), not ext_", name)
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s: func init() registers by file order; add the operation to its service's table (newCatalog)", fset.Position(fn.Pos()))
			}
		}
	}
}

// Every service is declared once (a second declaration would replace the
// first in the catalog, silently), speaks a protocol and serves something.
func TestCatalogDeclaresEachServiceOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, svc := range apis() {
		if seen[svc.name] {
			t.Errorf("service %q declared twice in apis()", svc.name)
		}
		seen[svc.name] = true
		if len(svc.wires) == 0 {
			t.Errorf("service %q speaks no protocol", svc.name)
		}
		if len(svc.ops)+len(svc.routes)+len(svc.named) == 0 {
			t.Errorf("service %q serves no operation", svc.name)
		}
	}
}

// The package documentation names every service the sim serves, with the
// file that declares it.
func TestDocListsEveryService(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(strings.ReplaceAll(string(doc), "//", "")), " ")
	for _, svc := range apis() {
		if !strings.Contains(text, " "+svc.name+" (") {
			t.Errorf("doc.go does not list the service %q as \"%s (FILE.go)\"", svc.name, svc.name)
		}
	}
}

// What a scenario needs is declared in its file, so a team's own scenario
// can declare it too: no Go outside tests names an embedded scenario (as
// the data-event schedules once did, keyed by scenario name).
func TestNoScenarioDataInGo(t *testing.T) {
	names := map[string]bool{}
	for _, info := range append(Scenarios(), OrgScenarios()...) {
		names[info.Name] = true
	}
	if len(names) == 0 {
		t.Fatal("no embedded scenarios")
	}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil && names[v] {
					t.Errorf("%s: Go names the scenario %q; declare what it needs in its JSON file", fset.Position(lit.Pos()), v)
				}
			}
			return true
		})
	}
}
