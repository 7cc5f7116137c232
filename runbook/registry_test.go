package runbook

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// declared lists the types of this package's source that have a method
// named method (EventName, EffectName): every one of them is an event or
// an effect, whether or not someone remembered to register it.
func declared(t *testing.T, method string) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != method || len(fn.Recv.List) != 1 {
				continue
			}
			typ := fn.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if id, ok := typ.(*ast.Ident); ok {
				out = append(out, id.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestEveryEventIsRegistered(t *testing.T) {
	t.Parallel()
	var registered []string
	for _, s := range Events() {
		registered = append(registered, s.Name)
	}
	slices.Sort(registered)
	if got := declared(t, "EventName"); !slices.Equal(got, registered) {
		t.Errorf("events declared (a type with EventName) and registered (registry.go) differ:\ndeclared   %v\nregistered %v", got, registered)
	}
	for _, s := range Events() {
		if s.Kind == Note {
			continue
		}
		if s.apply == nil || s.decode == nil {
			t.Errorf("%s has no transition or no decoder", s.Name)
		}
		ev, err := DecodeEvent(s.Name, nil)
		if err != nil || ev.EventName() != s.Name {
			t.Errorf("DecodeEvent(%s) = %v, %v", s.Name, ev, err)
		}
	}
}

// Every event says how the report's timeline phrases it: a sentence, or a
// reason its name alone is enough. An event registered with neither would
// show in every report as a bare name, and nobody would have decided that.
func TestEveryEventHasASentenceOrASilence(t *testing.T) {
	t.Parallel()
	for _, s := range Events() {
		switch {
		case s.sentence == nil && s.silent == "":
			t.Errorf("%s has no timeline sentence and no reason to be silent (registry.go: on(…, %s.sentence) or silent(…, why))", s.Name, s.Name)
		case s.sentence != nil && s.silent != "":
			t.Errorf("%s has a sentence and is silent (%q)", s.Name, s.silent)
		case s.sentence != nil:
			// A record written before a field existed decodes to its zero
			// value: its sentence must still phrase it.
			ev, err := DecodeEvent(s.Name, nil)
			if err != nil {
				t.Errorf("DecodeEvent(%s): %v", s.Name, err)
				continue
			}
			_ = s.sentence(ev)
		}
	}
}

func TestEveryEffectIsRegistered(t *testing.T) {
	t.Parallel()
	var registered []string
	for _, s := range Effects() {
		registered = append(registered, s.Name)
	}
	slices.Sort(registered)
	if got := declared(t, "EffectName"); !slices.Equal(got, registered) {
		t.Errorf("effects declared (a type with EffectName) and registered (registry.go) differ:\ndeclared   %v\nregistered %v", got, registered)
	}
	answers := map[string]string{}
	for _, s := range Effects() {
		if other, dup := answers[s.Answer]; dup {
			t.Errorf("%s and %s are both answered by %s: a result must name one effect", other, s.Name, s.Answer)
		}
		answers[s.Answer] = s.Name
		e, err := DecodeEffect(s.Name, nil)
		if err != nil || e.EffectName() != s.Name || e.Mutates() != s.Mutates {
			t.Errorf("DecodeEffect(%s) = %v, %v", s.Name, e, err)
		}
		if a, ok := EventOf(s.Answer); !ok || a.Kind != Result {
			t.Errorf("%s is answered by %q, which is no registered result", s.Name, s.Answer)
		}
	}
}

// The machine refuses, by name, an event the registry does not know,
// rather than failing on it.
func TestUnregisteredEventIsRefused(t *testing.T) {
	t.Parallel()
	m := New(Config{})
	if _, err := m.Apply(unlisted{}); err == nil || !strings.Contains(err.Error(), "unknown event Unlisted") {
		t.Errorf("Apply(unlisted) = %v, want a refusal naming it", err)
	}
	if _, err := m.Apply(APICall{}); err == nil {
		t.Error("a note was applied to the machine")
	}
}

type unlisted struct{}

func (unlisted) EventName() string { return "Unlisted" }
