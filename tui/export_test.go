package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// fakeExport stands in for awsops.ExportCLI and ExportTerraform, which
// tui does not import.
func fakeExport(p runbook.Proposal, account string) (string, string) {
	return "#!/bin/sh\naws iam create-role --role-name '" + p.Name + "' # account " + account + "\n",
		"resource \"aws_iam_role\" \"replacement\" {\n  name = \"" + p.Name + "\"\n}\n"
}

func withExport(o *Options) { o.Export = fakeExport }

// Deciding "export" writes the commands and the snippet next to the action
// log, mode 0600, says where, and x again shows the commands.
func TestExportDecision(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive, withExport)
	// Wide enough for a temporary directory's path on one line.
	h.send(tea.WindowSizeMsg{Width: 240, Height: 40})
	h.toProposed()
	h.press("x")

	p := h.m.State().Propose.Proposals[0]
	if p.Decision != runbook.DecisionExported {
		t.Fatalf("decision = %q, want export", p.Decision)
	}
	dir := filepath.Dir(h.path)
	sh := filepath.Join(dir, "keyrunbook-export-"+p.Name+".sh")
	tf := filepath.Join(dir, "keyrunbook-export-"+p.Name+".tf")
	wantCLI, wantTF := fakeExport(p, testAccount)
	for path, want := range map[string]string{sh: wantCLI, tf: wantTF} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("the export was not written: %v", err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", path, mode)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s holds %q, want %q", path, got, want)
		}
		if s := secretShape.FindString(string(got)); s != "" {
			t.Errorf("%s holds a secret-shaped string %q", path, s)
		}
	}
	h.wantScreen("exported: "+filepath.Base(sh)+" · "+filepath.Base(tf), "Written for review: "+sh+" and "+tf)

	h.press("x")
	h.wantScreen("aws iam create-role --role-name '"+p.Name+"'", "CLI commands · x policy")
	h.press("x")
	h.wantScreen(`"Version": "2012-10-17"`)
	if strings.Contains(h.screen(), "aws iam create-role") {
		t.Error("x did not bring the policy back")
	}
}

// An edit after the export makes the files stale: x writes new ones
// beside them, never over them.
func TestExportAfterEditWritesNewFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive, withExport)
	h.toProposed()
	h.press("x")
	h.press("e", "ctrl+u")
	h.typeText("report-builder-reviewed")
	h.press("enter")
	h.press("x")
	dir := filepath.Dir(h.path)
	for _, name := range []string{"report-builder-keyrunbook.sh", "report-builder-keyrunbook.tf", "report-builder-reviewed.sh", "report-builder-reviewed.tf"} {
		if _, err := os.Stat(filepath.Join(dir, "keyrunbook-export-"+name)); err != nil {
			t.Errorf("keyrunbook-export-%s: %v", name, err)
		}
	}
}

// Without an exporter the decision stands and the screen says no file
// was written.
func TestExportWithoutExporter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toProposed()
	h.press("x")
	h.wantScreen("was not written")
	entries, err := os.ReadDir(filepath.Dir(h.path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "keyrunbook-export-") {
			t.Errorf("%s written without an exporter", e.Name())
		}
	}
}

func TestWriteExport(t *testing.T) {
	t.Parallel()
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tests := []struct {
		name     string
		existing []string // files already in the directory
		name2    string   // the proposal's name
		cli      string
		wantStem string // "" when nothing may be written
	}{
		{name: "fresh", name2: "web-role", cli: "aws iam create-role", wantStem: "keyrunbook-export-web-role"},
		{name: "sh taken", existing: []string{"keyrunbook-export-web-role.sh"}, name2: "web-role", cli: "aws", wantStem: "keyrunbook-export-web-role-2"},
		{name: "tf taken", existing: []string{"keyrunbook-export-web-role.tf", "keyrunbook-export-web-role-2.sh"}, name2: "web-role", cli: "aws", wantStem: "keyrunbook-export-web-role-3"},
		{name: "path in the name", name2: "../../etc/x", cli: "aws", wantStem: "keyrunbook-export-.._.._etc_x"},
		{name: "secret-shaped text", name2: "web-role", cli: "export AWS_SECRET_ACCESS_KEY=" + secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, f := range tt.existing {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("theirs"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			files, err := writeExport(dir, tt.name2, tt.cli, "terraform {}")
			entries, _ := os.ReadDir(dir)
			if tt.wantStem == "" {
				if err == nil || len(entries) != len(tt.existing) {
					t.Fatalf("wrote %v (err %v), want nothing written", entries, err)
				}
				if strings.Contains(err.Error(), secret) {
					t.Error("the error repeats the secret")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tt.wantStem+".sh"); files.cli != want {
				t.Errorf("cli = %s, want %s", files.cli, want)
			}
			if want := filepath.Join(dir, tt.wantStem+".tf"); files.terraform != want {
				t.Errorf("terraform = %s, want %s", files.terraform, want)
			}
			for _, f := range tt.existing {
				if got, _ := os.ReadFile(filepath.Join(dir, f)); string(got) != "theirs" {
					t.Errorf("%s was overwritten", f)
				}
			}
		})
	}
}
