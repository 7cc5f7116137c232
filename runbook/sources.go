package runbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Event history keeps 90 days of management events only. The responder
// adds trail sources after the sweep to see further: a trail's log files
// (local or in S3), an Athena table over them, or a CloudTrail Lake event
// data store. Their findings merge into the investigation.

// TrailSourceKind says where a trail's records are read from.
type TrailSourceKind string

// Trail source kinds.
const (
	TrailLocal  TrailSourceKind = "local"  // log files in a local directory
	TrailS3     TrailSourceKind = "s3"     // log files under an S3 prefix
	TrailAthena TrailSourceKind = "athena" // an Athena table over the trail
	TrailLake   TrailSourceKind = "lake"   // a CloudTrail Lake event data store
)

// TrailSource names one place to read trail records from.
type TrailSource struct {
	Kind TrailSourceKind `json:"kind"`
	// Location is the directory (local) or s3://bucket/prefix (s3; for
	// athena, the trail's prefix the created table reads). The prefix is
	// the trail's own; AWSLogs/ACCOUNT/CloudTrail/ is added when missing.
	Location string `json:"location,omitempty"`
	// Athena: workgroup, table (db.table), results location (s3://…, empty
	// when the workgroup sets one) and the table's yyyy/MM/dd partition
	// column, if it has one (keyrunbook's own table has "timestamp").
	Workgroup     string `json:"workgroup,omitempty"`
	Table         string `json:"table,omitempty"`
	Output        string `json:"output,omitempty"`
	DatePartition string `json:"datePartition,omitempty"`
	// CreateTable asks to create Table with partition projection over
	// Location before the query; the DDL is shown like the query.
	CreateTable bool `json:"createTable,omitempty"`
	// EventDataStore is the CloudTrail Lake event data store's ID or ARN.
	EventDataStore string `json:"eventDataStore,omitempty"`
	// Query is what will run (Athena, Lake), as shown to the responder.
	Query *TrailQuery `json:"query,omitempty"`
}

// TrailQuery is SQL keyrunbook runs, shown to the responder first.
type TrailQuery struct {
	SQL string `json:"sql"`
	// Params are Athena's ExecutionParameters, SQL literals that fill the
	// ? placeholders in order. CloudTrail Lake takes none.
	Params []string `json:"params,omitempty"`
	// DDL creates the Athena table first, when asked.
	DDL string `json:"ddl,omitempty"`
}

// String names the source for people: "s3://bucket/prefix", "athena db.t".
func (s TrailSource) String() string {
	switch s.Kind {
	case TrailAthena:
		return "Athena table " + s.Table
	case TrailLake:
		return "CloudTrail Lake " + s.EventDataStore
	}
	return s.Location
}

// TrailCoverage is what the investigation read already, so that a trail
// scan counts those events only once without remembering event IDs: the
// sweep's management events in Regions between From and To (event
// history holds every management event of its 90 days, so that is
// exact), and every event in the windows trail sources merged before.
// Sources are taken to be views of one trail (its files, an Athena table
// over them, a Lake store fed by it).
type TrailCoverage struct {
	From    time.Time     `json:"from"`
	To      time.Time     `json:"to"`
	Regions []string      `json:"regions,omitempty"`
	Trails  []TrailWindow `json:"trails,omitempty"`
}

// TrailWindow is a span of time a trail source was read over.
type TrailWindow struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// TrailRead is a trail source merged into the investigation.
type TrailRead struct {
	Source TrailSource    `json:"source"`
	Window TrailWindow    `json:"window"`
	Stats  TrailScanStats `json:"stats"`
}

// TrailScanStats is how much a trail scan read, for progress and coverage.
type TrailScanStats struct {
	Files        int     `json:"files,omitempty"`
	FilesTotal   int     `json:"filesTotal,omitempty"`
	Bytes        int64   `json:"bytes,omitempty"`        // read, compressed
	Uncompressed int64   `json:"uncompressed,omitempty"` // decoded JSON
	Records      int64   `json:"records,omitempty"`      // every record seen
	Matched      int     `json:"matched"`                // the key's, in the window
	DataEvents   int     `json:"dataEvents,omitempty"`
	Covered      int     `json:"covered,omitempty"`    // the sweep had them already
	Duplicates   int     `json:"duplicates,omitempty"` // same event ID twice
	Failed       int     `json:"failed,omitempty"`     // files that could not be read
	ScannedBytes int64   `json:"scannedBytes,omitempty"`
	CostUSD      float64 `json:"costUsd,omitempty"` // Athena or Lake estimate
	State        string  `json:"state,omitempty"`   // query state (QUEUED, RUNNING…)
}

// AddTrailSource asks to read a trail source over [From, To] (zero: the
// investigation's window) and merge what it finds.
type AddTrailSource struct {
	Source TrailSource `json:"source"`
	From   time.Time   `json:"from,omitzero"`
	To     time.Time   `json:"to,omitzero"`
}

// TrailScanProgress reports a trail scan's progress; it changes no state.
type TrailScanProgress struct {
	Kind  TrailSourceKind `json:"kind"`
	Stats TrailScanStats  `json:"stats"`
}

// TrailSourceScanned carries what a trail source showed. Found is the fold
// of every matching record, judged with all of them in view; Added counts
// only the records the sweep had not read, which the merge adds.
type TrailSourceScanned struct {
	Source      TrailSource    `json:"source"`
	Stats       TrailScanStats `json:"stats"`
	Found       Investigation  `json:"found"`
	Added       []UsageCaller  `json:"added,omitempty"`
	AddedEvents int            `json:"addedEvents"`
	Findings    []Finding      `json:"findings,omitempty"`
}

// ScanTrailSource reads the key's records from a trail source.
type ScanTrailSource struct {
	KeyID   string        `json:"keyId"`
	Account string        `json:"account"`
	From    time.Time     `json:"from"`
	To      time.Time     `json:"to"`
	Source  TrailSource   `json:"source"`
	Covered TrailCoverage `json:"covered"`
	// ExposedAt is when the key was exposed, if known (SubmitKey).
	ExposedAt time.Time `json:"exposedAt,omitzero"`
}

func (AddTrailSource) EventName() string     { return "AddTrailSource" }
func (TrailScanProgress) EventName() string  { return "TrailScanProgress" }
func (TrailSourceScanned) EventName() string { return "TrailSourceScanned" }
func (ScanTrailSource) EffectName() string   { return "ScanTrailSource" }
func (ScanTrailSource) Mutates() bool        { return false }

func (m *Machine) addTrailSource(e AddTrailSource) ([]Effect, error) {
	s := &m.s
	switch {
	case s.Step != StepInvestigate:
		return nil, refuse(s.Step, e, "trail sources are added during the investigation, not at %s", s.Step.Title())
	case s.Investigate.Sweeping || s.Investigate.Investigation == nil:
		return nil, refuse(s.Step, e, "wait for the event-history sweep to finish: trail sources add to what it found")
	case m.isPending("ScanTrailSource"):
		return nil, refuse(s.Step, e, "a trail source is being read: wait for it before adding another")
	}
	from, to := s.trailWindow(e.From, e.To)
	if from.IsZero() || !from.Before(to) {
		return nil, refuse(s.Step, e, "choose a time window whose start is before its end")
	}
	want, err := s.TrailQuery(e.Source, from, to)
	if err != nil {
		return nil, refuse(s.Step, e, "%s", err.Error())
	}
	got := e.Source.Query
	if want != nil && (got == nil || got.SQL != want.SQL || !slices.Equal(got.Params, want.Params) || got.DDL != want.DDL) {
		return nil, refuse(s.Step, e, "show the responder the query before it runs: the source must carry exactly the SQL State.TrailQuery builds for this key and window")
	}
	if want == nil && got != nil {
		return nil, refuse(s.Step, e, "%s sources run no query", e.Source.Kind)
	}
	inv := s.Investigate.Investigation
	cov := TrailCoverage{From: inv.From, To: inv.To}
	// Event history keeps 90 days: older management events were not read.
	if kept := inv.To.Add(-DefaultSweepWindow); cov.From.Before(kept) {
		cov.From = kept
	}
	for _, r := range inv.Regions {
		if r.State == RegionDone {
			cov.Regions = append(cov.Regions, r.Region)
		}
	}
	for _, t := range inv.Trails {
		cov.Trails = append(cov.Trails, t.Window)
	}
	return []Effect{ScanTrailSource{KeyID: s.KeyID, Account: s.Intake.Key.Account, From: from, To: to, ExposedAt: s.Intake.ExposedAt,
		Source: e.Source, Covered: cov}}, nil
}

func (m *Machine) trailScanProgress(e TrailScanProgress) ([]Effect, error) {
	if !m.isPending("ScanTrailSource") {
		return nil, refuse(m.s.Step, e, "no trail source is being read")
	}
	return nil, nil
}

// trailSourceScanned merges a source's findings. The result may arrive
// after the responder moved on; proposals then follow what changed.
func (m *Machine) trailSourceScanned(e TrailSourceScanned) ([]Effect, error) {
	s := &m.s
	if !m.isPending("ScanTrailSource") {
		return nil, refuse(s.Step, e, "TrailSourceScanned arrived but no ScanTrailSource was asked for")
	}
	if s.Investigate.Investigation == nil {
		return nil, refuse(s.Step, e, "there is no investigation to add to")
	}
	m.settle("ScanTrailSource")
	merged, changed := mergeTrail(*s.Investigate.Investigation, e)
	s.Investigate.Investigation = &merged
	s.Findings = append(append([]Finding(nil), s.Findings...), e.Findings...)
	var redo []UsageCaller
	for _, c := range merged.Callers {
		if !changed[c.ID] || !c.NeedsReplacement() || s.Step == StepInvestigate {
			continue
		}
		i := m.proposalIndex(c.ID)
		if s.Step == StepPropose && (i < 0 || !s.Propose.Proposals[i].Applied) {
			redo = append(redo, c)
			continue
		}
		s.Findings = append(s.Findings, Finding{Step: StepInvestigate, Severity: SeverityWarning, Message: fmt.Sprintf(
			"%s showed caller %s doing more than its replacement was built for: check that the replacement allows %s",
			e.Source, c.ID, strings.Join(actionNames(c.Actions), ", "))})
	}
	if len(redo) > 0 && !m.isPending("ProposeReplacements") {
		return []Effect{m.proposeEffect(redo)}, nil
	}
	return nil, nil
}

func actionNames(acts []ActionUse) []string {
	var out []string
	for _, a := range acts {
		out = append(out, a.Call())
	}
	return out
}

// mergeTrail adds a source's findings to the investigation. Callers are
// one by ID (a hash of source IP and user agent, the same from every
// source). Counts add only what the sweep had not read (Added), so no event
// counts twice; a caller the sweep knew keeps its label (the responder may
// have changed it); a new one comes as the source judged it, with every
// record in view. changed holds the callers whose actions grew.
func mergeTrail(base Investigation, e TrailSourceScanned) (Investigation, map[string]bool) {
	out := base
	out.Callers = slices.Clone(base.Callers)
	judged := map[string]UsageCaller{}
	for _, c := range e.Found.Callers {
		judged[c.ID] = c
	}
	changed := map[string]bool{}
	for _, add := range e.Added {
		i := slices.IndexFunc(out.Callers, func(c UsageCaller) bool { return c.ID == add.ID })
		if i < 0 {
			c, ok := judged[add.ID]
			if !ok {
				c = add
			}
			c = addCallerStats(withoutStats(c), add)
			out.Callers = append(out.Callers, c)
			changed[c.ID] = true
			continue
		}
		before := len(out.Callers[i].Actions)
		out.Callers[i] = addCallerStats(out.Callers[i], add)
		changed[add.ID] = len(out.Callers[i].Actions) > before
	}
	slices.SortFunc(out.Callers, func(x, y UsageCaller) int {
		if c := x.FirstSeen.Compare(y.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	// A source whose window holds the sweep's saw all it saw of a caller:
	// its verdicts on that caller replace the sweep's.
	from := base.From
	if kept := base.To.Add(-DefaultSweepWindow); from.Before(kept) {
		from = kept
	}
	superset := !e.Found.From.After(from) && !e.Found.To.Before(base.To)
	out.Indicators = mergeIndicators(base.Indicators, e.Found.Indicators, func(callerID string) bool {
		_, seen := judged[callerID]
		return superset && seen
	})
	out.BlastRadius = mergeResources(base.BlastRadius, e.Found.BlastRadius)
	out.Minted = mergeMinted(base.Minted, e.Found.Minted)
	out.Events = base.Events + e.AddedEvents
	out.Coverage = append(slices.Clone(base.Coverage), e.Found.Coverage...)
	out.Trails = append(slices.Clone(base.Trails), TrailRead{Source: e.Source,
		Window: TrailWindow{From: e.Found.From, To: e.Found.To}, Stats: e.Stats})
	return out, changed
}

func withoutStats(c UsageCaller) UsageCaller {
	c.Events, c.Errors, c.Regions, c.Actions = 0, 0, nil, nil
	c.FirstSeen, c.LastSeen = time.Time{}, time.Time{}
	return c
}

func addCallerStats(c, add UsageCaller) UsageCaller {
	if c.FirstSeen.IsZero() || (!add.FirstSeen.IsZero() && add.FirstSeen.Before(c.FirstSeen)) {
		c.FirstSeen = add.FirstSeen
	}
	if add.LastSeen.After(c.LastSeen) {
		c.LastSeen = add.LastSeen
	}
	c.Events += add.Events
	c.Errors += add.Errors
	c.Regions = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(c.Regions), add.Regions...))))
	acts := slices.Clone(c.Actions)
	for _, a := range add.Actions {
		j := slices.IndexFunc(acts, func(x ActionUse) bool { return x.Source == a.Source && x.Name == a.Name })
		if j < 0 {
			acts = append(acts, a)
			continue
		}
		x := acts[j]
		if a.Errors > 0 && (x.Errors == 0 || !a.LastSeen.Before(x.LastSeen)) {
			x.ErrorCode = a.ErrorCode
		}
		if x.Region != a.Region {
			x.Region = ""
		}
		x.Count += a.Count
		x.Errors += a.Errors
		x.ReadOnly = x.ReadOnly && a.ReadOnly
		x.Resources = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(x.Resources), a.Resources...))))
		if a.LastSeen.After(x.LastSeen) {
			x.LastSeen = a.LastSeen
		}
		acts[j] = x
	}
	slices.SortFunc(acts, func(x, y ActionUse) int {
		return strings.Compare(x.Source+"\x00"+x.Name, y.Source+"\x00"+y.Name)
	})
	c.Actions = acts
	return c
}

// mergeIndicators keeps one indicator per kind, caller and heading (the
// summary up to its first colon, which names the region for launches):
// the one listing more events, with the other's events added. The base's
// indicators of a caller the source judged on a superset are dropped.
func mergeIndicators(base, found []Indicator, replaced func(callerID string) bool) []Indicator {
	key := func(in Indicator) string {
		head, _, _ := strings.Cut(in.Summary, ":")
		return in.Kind + "\x00" + in.CallerID + "\x00" + head
	}
	var out []Indicator
	for _, b := range base {
		if !replaced(b.CallerID) {
			out = append(out, b)
		}
	}
	for _, f := range found {
		i := slices.IndexFunc(out, func(b Indicator) bool { return key(b) == key(f) })
		if i < 0 {
			out = append(out, f)
			continue
		}
		win, other := out[i], f
		if len(f.Events) > len(win.Events) {
			win, other = f, out[i]
		}
		events := slices.Clone(win.Events)
		for _, ev := range other.Events {
			if !slices.ContainsFunc(events, func(x EventRef) bool { return x.ID == ev.ID }) {
				events = append(events, ev)
			}
		}
		slices.SortFunc(events, func(x, y EventRef) int { return x.Time.Compare(y.Time) })
		win.Events = events
		out[i] = win
	}
	return out
}

func mergeResources(base, found []Resource) []Resource {
	out := slices.Clone(base)
	for _, r := range found {
		i := slices.IndexFunc(out, func(b Resource) bool { return sameResource(b, r) })
		switch {
		case i < 0:
			out = append(out, r)
		case r.Time.Before(out[i].Time):
			out[i] = r
		}
	}
	slices.SortStableFunc(out, func(x, y Resource) int { return x.Time.Compare(y.Time) })
	return out
}

// mergeMinted adds the temporary credentials a source saw minted that the
// sweep did not (issue 14: minted credentials from every source are
// followed alike, and the revocation covers them), by key ID.
func mergeMinted(base, found []MintedCredential) []MintedCredential {
	out := slices.Clone(base)
	for _, m := range found {
		if !slices.ContainsFunc(out, func(b MintedCredential) bool { return b.KeyID == m.KeyID }) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b MintedCredential) int {
		if c := a.IssuedAt.Compare(b.IssuedAt); c != 0 {
			return c
		}
		return strings.Compare(a.KeyID, b.KeyID)
	})
	return out
}
