package awsops

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

const trailURI = "s3://northwind-cloudtrail-418295730164"

// trailEnv is the root-key scenario, swept over its last six hours, with a
// machine at the investigation and an executor on the responder's keys.
type trailEnv struct {
	sim *sim.Sim
	c   *Clients
	x   *Executor
	m   *runbook.Machine
	key string
}

func newTrailEnv(t *testing.T) *trailEnv {
	t.Helper()
	s, url := startSim(t, "root-key-ec2-onprem")
	id, secret := s.ResponderCredentials()
	c := clientsFor(t, url, id, secret)
	x := NewExecutor(c.Config, ExecutorOptions{DryRun: true})
	x.clients.SweepRate = 1000
	e := &trailEnv{sim: s, c: c, x: x, m: runbook.New(runbook.Config{Mode: runbook.ModeDryRun}), key: s.LeakedKeyID()}
	e.apply(t, runbook.SubmitKey{KeyID: e.key})
	to := s.Now()
	e.apply(t, runbook.BeginInvestigation{From: to.Add(-6 * time.Hour), To: to})
	if inv := e.m.State().Investigate.Investigation; inv == nil || e.m.State().Investigate.Sweeping {
		t.Fatalf("the sweep did not finish: %+v", e.m.State().Effects.LastError)
	}
	return e
}

// apply submits ev and carries out what follows, as the headless engine.
func (e *trailEnv) apply(t *testing.T, ev runbook.Event) []runbook.Event {
	t.Helper()
	var seen []runbook.Event
	queue := []runbook.Event{ev}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		effects, err := e.m.Apply(next)
		if err != nil {
			t.Fatalf("%s refused: %v", next.EventName(), err)
		}
		for _, eff := range effects {
			res := e.x.Run(context.Background(), eff, func(p runbook.Event) { seen = append(seen, p) })
			if f, ok := res.(runbook.EffectFailed); ok {
				t.Fatalf("%s failed: %s", eff.EffectName(), f.Message)
			}
			seen = append(seen, res)
			queue = append(queue, res)
		}
	}
	return seen
}

func (e *trailEnv) scan(t *testing.T, src runbook.TrailSource, covered runbook.TrailCoverage) runbook.Event {
	t.Helper()
	inv := e.m.State().Investigate.Investigation
	tc := e.x.trailClients()
	tc.Poll = time.Millisecond
	var regions []string
	for _, r := range inv.Regions {
		regions = append(regions, r.Region)
	}
	stock, _ := ReadInventory(context.Background(), e.c, e.sim.AccountID(), regions)
	return ScanTrailSource(context.Background(), tc, runbook.ScanTrailSource{KeyID: e.key, Account: e.sim.AccountID(),
		From: inv.From, To: inv.To, Source: src, Covered: covered}, stock, nil)
}

// scanned fails the test unless ev is a TrailSourceScanned.
func mustScan(t *testing.T, ev runbook.Event) runbook.TrailSourceScanned {
	t.Helper()
	r, ok := ev.(runbook.TrailSourceScanned)
	if !ok {
		t.Fatalf("scan answered %#v", ev)
	}
	return r
}

// download copies the trail files of the window from the simulated S3 to
// dir, keeping only the records keep accepts.
func (e *trailEnv) download(t *testing.T, dir string, keep func(category string) bool) {
	t.Helper()
	inv := e.m.State().Investigate.Investigation
	api := e.x.trailClients().S3(context.Background(), "northwind-cloudtrail-418295730164")
	files, _, err := S3TrailFiles(context.Background(), api, "northwind-cloudtrail-418295730164", "", e.sim.AccountID(), inv.From, inv.To)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		rc, err := f.Open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(rc)
		if err != nil {
			t.Fatal(err)
		}
		var log struct{ Records []json.RawMessage }
		if err := json.NewDecoder(zr).Decode(&log); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		var kept []json.RawMessage
		for _, r := range log.Records {
			var c struct{ EventCategory string }
			_ = json.Unmarshal(r, &c)
			if keep(c.EventCategory) {
				kept = append(kept, r)
			}
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_ = json.NewEncoder(zw).Encode(map[string]any{"Records": kept})
		_ = zw.Close()
		path := filepath.Join(dir, strings.TrimPrefix(f.Name, trailURI+"/"))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func callerIDsOf(cs []runbook.UsageCaller) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID+"/"+string(c.Kind)+"/"+string(c.Label))
	}
	return ids
}

func TestTrailSourcesShowTheSweepsCallers(t *testing.T) {
	e := newTrailEnv(t)
	swept := e.m.State().Investigate.Investigation

	// The same management events from local files: the same callers, to
	// the last count and action.
	dir := t.TempDir()
	e.download(t, dir, func(cat string) bool { return cat == "Management" })
	local := mustScan(t, e.scan(t, runbook.TrailSource{Kind: runbook.TrailLocal, Location: dir}, runbook.TrailCoverage{}))
	if !reflect.DeepEqual(local.Found.Callers, swept.Callers) {
		t.Fatalf("callers from local files differ from the sweep's:\n%v\n%v", callerIDsOf(local.Found.Callers), callerIDsOf(swept.Callers))
	}
	if local.Found.Events != swept.Events || local.Stats.DataEvents != 0 {
		t.Fatalf("local files: %d events, %d data; the sweep %d", local.Found.Events, local.Stats.DataEvents, swept.Events)
	}

	// From S3, the same callers plus what only data events show.
	remote := mustScan(t, e.scan(t, runbook.TrailSource{Kind: runbook.TrailS3, Location: trailURI}, runbook.TrailCoverage{}))
	if remote.Stats.DataEvents == 0 || remote.Found.Events != swept.Events+remote.Stats.DataEvents {
		t.Fatalf("S3: %d events, %d of them data; the sweep %d", remote.Found.Events, remote.Stats.DataEvents, swept.Events)
	}
	for _, c := range swept.Callers {
		r, ok := remote.Found.Caller(c.ID)
		if !ok || r.Kind != c.Kind || r.Label != c.Label {
			t.Fatalf("caller %s (%s, %s) from S3: %+v", c.ID, c.Kind, c.Label, r)
		}
		for _, a := range c.Actions {
			if !containsAction(r.Actions, a) {
				t.Errorf("caller %s from S3 lacks %s ×%d", c.ID, a.Name, a.Count)
			}
		}
	}
	exfil := findCaller(remote.Found.Callers, "192.0.2.77")
	if exfil == nil || len(exfil.Actions) != 1 || exfil.Actions[0].Name != "GetObject" || exfil.Actions[0].Count != 40 {
		t.Fatalf("the data-only caller: %+v", exfil)
	}
}

func containsAction(acts []runbook.ActionUse, want runbook.ActionUse) bool {
	for _, a := range acts {
		if a.Source == want.Source && a.Name == want.Name && a.Count == want.Count {
			return true
		}
	}
	return false
}

func findCaller(cs []runbook.UsageCaller, ip string) *runbook.UsageCaller {
	for i := range cs {
		if cs[i].SourceIP == ip {
			return &cs[i]
		}
	}
	return nil
}

func TestS3SourceMergesIntoTheInvestigation(t *testing.T) {
	e := newTrailEnv(t)
	before := *e.m.State().Investigate.Investigation
	seen := e.apply(t, runbook.AddTrailSource{Source: runbook.TrailSource{Kind: runbook.TrailS3, Location: trailURI}})
	res := mustScan(t, seen[len(seen)-1])
	after := e.m.State().Investigate.Investigation
	if res.Stats.Covered == 0 || res.Stats.Covered+res.Stats.DataEvents != res.Stats.Matched {
		t.Fatalf("stats %+v: every management event should be covered by the sweep", res.Stats)
	}
	if after.Events != before.Events+res.Stats.DataEvents {
		t.Fatalf("merged events = %d, want %d + %d data events: an event counted twice", after.Events, before.Events, res.Stats.DataEvents)
	}
	worker := findCaller(after.Callers, "3.249.118.40")
	if worker == nil || !hasAction(worker.Actions, "GetObject") || !hasAction(worker.Actions, "PutObject") || worker.Kind != runbook.CallerEC2 {
		t.Fatalf("billing-worker after the merge: %+v", worker)
	}
	if findCaller(after.Callers, "192.0.2.77") == nil {
		t.Fatal("the caller only the trail shows is missing")
	}
	var read bool
	for _, r := range after.BlastRadius {
		read = read || (r.Type == BlastS3Read && r.ID == "northwind-invoices")
	}
	if !read {
		t.Fatalf("blast radius %+v lacks the invoices read", after.BlastRadius)
	}
	// A second view of the same trail adds nothing already counted.
	lake := e.shown(t, runbook.TrailSource{Kind: runbook.TrailLake, EventDataStore: e.sim.EventDataStoreID()})
	more := e.apply(t, runbook.AddTrailSource{Source: lake})
	again, merged := mustScan(t, more[len(more)-1]), e.m.State().Investigate.Investigation
	if again.AddedEvents != 0 || merged.Events != after.Events || len(merged.Trails) != 2 || again.Stats.Covered != again.Stats.Matched {
		t.Fatalf("Lake after S3 added %d events (%d → %d), stats %+v, %d trails", again.AddedEvents, after.Events, merged.Events, again.Stats, len(merged.Trails))
	}
	var notes []string
	for _, ev := range seen {
		if c, ok := ev.(runbook.APICall); ok && c.Service == "s3" {
			notes = append(notes, c.Operation)
		}
	}
	if strings.Join(notes, ",") != "ListObjectsV2,GetObject" {
		t.Fatalf("S3 calls noted for the action log: %v", notes)
	}
}

func hasAction(acts []runbook.ActionUse, name string) bool {
	for _, a := range acts {
		if a.Name == name {
			return true
		}
	}
	return false
}
