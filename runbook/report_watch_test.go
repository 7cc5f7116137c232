package runbook

import (
	"strings"
	"testing"
	"time"
)

// A log written before readings were journaled on change holds one per
// poll: the report folds a run of the same reading into one line, and its
// containment section names the broken workloads, the alarms, who used
// the key, what could not be read and what still blocks the deletion.
func TestReportFoldsRepeatedReadingsAndNamesWhatIsBroken(t *testing.T) {
	en, logPath := newTestEngine(t)
	for _, st := range path {
		for _, ev := range st.events {
			if _, err := en.Submit(ev); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		if st.name == "watching" {
			break
		}
	}
	start := t0.Add(time.Hour)
	u := use("198.51.100.7", "InvalidClientTokenId")
	unread := UnreadSignal{Signal: "alarms", Region: "eu-west-1", Action: "cloudwatch:DescribeAlarms", Reason: "AWS denied cloudwatch:DescribeAlarms to your credentials"}
	const readings = 59
	for i := 1; i <= readings; i++ {
		at := start.Add(time.Duration(i) * 30 * time.Second)
		obs := WatchObserved{At: at, KeyUses: 2, Uses: []KeyUse{u}, Alarms: []string{"cron-missed"}, Unhealthy: []string{"cron"}, Unread: []UnreadSignal{unread}}
		// As the engine journaled every tick before issue 17.
		if _, err := en.Journal().Append(RecordIntent, string(StepWatch), "PollWatch", PollWatch{KeyID: testKey, Since: start}); err != nil {
			t.Fatal(err)
		}
		if _, err := en.Journal().Append(RecordResult, string(StepWatch), "APICall", APICall{Service: "cloudtrail", Operation: "LookupEvents"}); err != nil {
			t.Fatal(err)
		}
		if _, err := en.Journal().Append(RecordResult, string(StepWatch), "WatchObserved", obs); err != nil {
			t.Fatal(err)
		}
	}
	recs, vr := recordsOf(t, logPath)
	r, err := BuildReport(recs, vr)
	if err != nil {
		t.Fatal(err)
	}
	md := string(r.Markdown())
	var readingLines []string
	for line := range strings.SplitSeq(md, "\n") {
		if strings.Contains(line, "WatchObserved") {
			readingLines = append(readingLines, line)
		}
	}
	if len(readingLines) != 1 || !strings.Contains(readingLines[0], "WatchObserved ×59") || !strings.Contains(readingLines[0], "unchanged until") {
		t.Errorf("want the %d readings folded into one line, got %d:\n%s", readings, len(readingLines), strings.Join(readingLines, "\n"))
	}
	for _, want := range []string{
		"Workloads failing at the last reading: cron",
		"Alarms in ALARM at the last reading: cron-missed",
		"Key used by workload c-cron at 198.51.100.7 (aws-cli)",
		"Alarms unknown in eu-west-1, because AWS denied cloudwatch:DescribeAlarms",
		"Still blocking the deletion:",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report does not say %q", want)
		}
	}
	if n := strings.Count(md, "Watch caveat"); n > 1 {
		t.Errorf("the watch caveat is printed %d times", n)
	}
}
