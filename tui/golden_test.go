package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The main screens at 80×24, 120×40 and 200×50, without styling, as golden
// files (testdata/TestGolden/*.golden; `go test ./tui -update` rewrites
// them).
func TestGolden(t *testing.T) {
	t.Parallel()
	const logPath = "incident-AKIAZ7Q3EXAMPLEKEY42-20261123T0300Z.jsonl"
	tests := []struct {
		name string
		mode runbook.Mode
		to   func(h *harness)
	}{
		{"intake", runbook.ModeTraining, func(h *harness) { h.typeText(testKey) }},
		{"investigate", runbook.ModeLive, func(h *harness) { h.toInvestigated() }},
		{"investigate-scrolled", runbook.ModeLive, func(h *harness) {
			// A trail scan's lines leave the caller's pane too short at
			// 80×24: pgdn shows the rest of it.
			h.toInvestigated()
			h.press("T")
			h.typeText("s3://org-trail-bucket/logs")
			h.press("enter", "enter", "pgdown")
		}},
		{"propose", runbook.ModeLive, func(h *harness) {
			h.toProposed()
			h.press("a")
		}},
		{"trail-query", runbook.ModeLive, func(h *harness) {
			h.toInvestigated()
			h.press("T")
			h.typeText("athena:security.cloudtrail_logs partition=timestamp")
			h.press("enter")
		}},
		{"trail-merged", runbook.ModeLive, func(h *harness) {
			h.toInvestigated()
			h.press("T")
			h.typeText("s3://org-trail-bucket/logs")
			h.press("enter", "enter")
		}},
		{"deactivate-confirm", runbook.ModeDryRun, func(h *harness) {
			h.toDeactivate()
			h.press("enter")
		}},
		{"root-sign-in", runbook.ModeTraining, func(h *harness) {
			// The root-key drill's sign-in, the device looked at (issue 18).
			asRootDrill(h)
			h.toDeactivate()
			h.press("m")
		}},
		{"watch", runbook.ModeTraining, func(h *harness) {
			h.hold["PollWatch"] = true
			h.toDeactivate()
			h.press("enter")
			h.typeText("yes")
			h.press("enter")
			h.release("PollWatch")
		}},
		{"delete", runbook.ModeTraining, func(h *harness) {
			h.toDelete()
			h.typeText("EY")
		}},
		{"closed", runbook.ModeTraining, func(h *harness) {
			h.toHarden()
			h.press("c", "enter", "down", "c", "enter", "enter")
			h.wantStep(runbook.StepClosed)
		}},
		// Dry-run's screens after each change it rehearsed (issue 17): none
		// may say a change happened (TestDryRunGoldensSpeakConditionally).
		{"dry-replace", runbook.ModeDryRun, func(h *harness) { h.toReplaced() }},
		{"dry-delete", runbook.ModeDryRun, func(h *harness) {
			h.toDelete()
			h.press("esc", "c", "enter")
		}},
		{"dry-closed", runbook.ModeDryRun, func(h *harness) {
			h.toHarden()
			h.press("c", "enter", "down", "c", "enter", "enter")
			h.wantStep(runbook.StepClosed)
		}},
	}
	sizes := []struct{ w, h int }{{80, 24}, {120, 40}, {200, 50}}
	for _, tt := range tests {
		for _, size := range sizes {
			name := tt.name
			if size.w != 80 {
				name = fmt.Sprintf("%s-%dx%d", tt.name, size.w, size.h)
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, tt.mode, func(o *Options) { o.LogPath = logPath })
				h.send(tea.WindowSizeMsg{Width: size.w, Height: size.h})
				tt.to(h)
				screen := h.screen()
				if strings.Contains(screen, "\x1b") {
					t.Fatal("the stripped screen still holds escape sequences")
				}
				if s := secretShape.FindString(screen); s != "" {
					t.Fatalf("a secret-shaped string is on screen: %q", s)
				}
				checkSize(t, screen, size.w, size.h)
				golden.RequireEqual(t, screen)
			})
		}
	}
}

// No dry-run screen says a change happened: "✓ created", "removed" or
// "Deleted" appear only with the conditional ("would …") on their line.
func TestDryRunGoldensSpeakConditionally(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "TestGolden", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	dry := 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		screen := string(raw)
		if !strings.Contains(screen, "DRY-RUN") {
			continue
		}
		dry++
		for n, line := range strings.Split(screen, "\n") {
			for _, claim := range []string{"✓ created", "removed", "Deleted"} {
				if strings.Contains(line, claim) && !strings.Contains(line, "would") {
					t.Errorf("%s:%d says %q without the conditional: %s", filepath.Base(path), n+1, claim, line)
				}
			}
		}
	}
	if dry < 3 {
		t.Errorf("found %d dry-run goldens, want the 4 dry-run screens", dry)
	}
}
