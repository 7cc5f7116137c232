package judge

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite README.md's technique table from the table")

//go:generate go test -run TestREADMEIndicatorTable -update-readme .

const (
	readmeBegin = "<!-- technique table: generated from judge.Techniques, do not edit -->\n"
	readmeEnd   = "<!-- end of technique table -->\n"
)

// The README's indicator table is the technique table, rendered: one fact,
// one place.
func TestREADMEIndicatorTable(t *testing.T) {
	path := filepath.Join("..", "README.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, readmeBegin), strings.Index(doc, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the technique table's markers %q … %q", readmeBegin, readmeEnd)
	}
	want := TechniqueTableMarkdown()
	if got := doc[i+len(readmeBegin) : j]; got != want {
		if !*updateREADME {
			t.Fatal("README.md's technique table differs from judge.Techniques: run go generate ./judge (go test ./judge -run README -update-readme)")
		}
		doc = doc[:i+len(readmeBegin)] + want + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
