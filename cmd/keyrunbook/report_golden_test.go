package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// TestTrainingReportGolden is issue 9's golden file: the Markdown report of
// a training run played to the end, its times fixed by the simulated
// clock. The timeline is left out of the golden: the sweep's regions run
// in parallel, so the order of their calls in the log varies from run to
// run; its content is checked below instead.
func TestTrainingReportGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario end to end")
	}
	d := startDrill(t, "root-key-ec2-onprem")
	d.model()
	// The debrief is journaled as playTraining journals it, and the
	// Markdown report carries it.
	if _, err := debrief(d.j, d.log, drillFor(d.sc), unhealthy(d.tr.sim), 0); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(d.log)
	if err != nil {
		t.Fatal(err)
	}
	records, vr := runbook.ReadJournal(bytes.NewReader(raw))
	if !vr.OK {
		t.Fatalf("the drill's log does not verify: %s", vr.Reason)
	}
	r, err := runbook.BuildReport(records, vr)
	if err != nil {
		t.Fatal(err)
	}
	md := string(r.Markdown())
	body, timeline, found := strings.Cut(md, "## Timeline (UTC)")
	if !found {
		t.Fatal("the report has no timeline")
	}
	golden.RequireEqual(t, body)
	if !strings.Contains(body, "## Training debrief") || !strings.Contains(body, "**100/100**") {
		t.Error("the Markdown report does not carry the debrief")
	}
	for _, want := range []string{"| SubmitKey: incident opened for key ", "| api-call | iam:UpdateAccessKey", "| KeyDeleted: key deleted at ", "cloudtrail:LookupEvents ×"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline lacks %q", want)
		}
	}
	id, secret := d.tr.sim.ResponderCredentials()
	for _, leaked := range []string{secret, d.tr.sim.LeakedKeyID() + "\",\"SecretAccessKey"} {
		if strings.Contains(md, leaked) || bytes.Contains(raw, []byte(leaked)) {
			t.Errorf("a secret (of %s) is in the log or the report", id)
		}
	}
}
