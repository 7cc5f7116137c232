package tui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Event history keeps 90 days of management events; a trail keeps more
// and has the data events (issue 10). After the sweep the responder adds a
// trail source in one line, sees what will run (the SQL for Athena and
// CloudTrail Lake, exactly as the machine will accept it), and confirms.

// trailSourceHelp is the prompt's description of what it accepts.
var trailSourceHelp = []string{
	"A directory of trail log files (.json.gz), or s3://BUCKET/PREFIX of the trail's bucket.",
	"athena:[WORKGROUP/]DB.TABLE, with output=s3://… when the workgroup sets no results location, partition=COLUMN for a yyyy/MM/dd partition, or create=s3://BUCKET/PREFIX to create the table over the trail first.",
	"lake:ID or the ARN of a CloudTrail Lake event data store.",
	"Add days=N to read N days back instead of the sweep's window.",
}

// trailPrompt asks for a trail source; a line that does not parse keeps
// the prompt open with the reason.
func trailPrompt(st runbook.State) *promptSpec {
	return &promptSpec{
		title:       "Add a trail source",
		detail:      trailSourceHelp,
		placeholder: "s3://org-trail-bucket/prefix",
		parse: func(a string) (runbook.Event, error) {
			ev, err := parseTrailSource(a, st)
			if err != nil {
				return nil, err
			}
			return ev, nil
		},
	}
}

// parseTrailSource turns the responder's line into the event that reads
// it, carrying the query State.TrailQuery builds (the machine runs that
// query and no other).
func parseTrailSource(line string, st runbook.State) (runbook.AddTrailSource, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return runbook.AddTrailSource{}, errors.New("name a directory, an s3:// prefix, an athena: table or a lake: store")
	}
	head, opts := fields[0], map[string]string{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return runbook.AddTrailSource{}, fmt.Errorf("%q is not an option: write name=value (days, output, partition, create)", f)
		}
		opts[strings.ToLower(k)] = v
	}
	var ev runbook.AddTrailSource
	if d, ok := opts["days"]; ok {
		delete(opts, "days")
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return ev, fmt.Errorf("days=%s: write a whole number of days, such as days=365", d)
		}
		if st.Investigate.Investigation == nil {
			return ev, errors.New("wait for the sweep: the days count back from its end")
		}
		ev.From = st.Investigate.Investigation.To.Add(-time.Duration(n) * 24 * time.Hour)
	}
	src, err := trailSource(head, opts)
	if err != nil {
		return ev, err
	}
	if err := runbook.ValidTrailSource(src); err != nil {
		return ev, err
	}
	q, err := st.TrailQuery(src, ev.From, time.Time{})
	if err != nil {
		return ev, err
	}
	src.Query = q
	ev.Source = src
	return ev, nil
}

// trailSource reads the source's kind from the line's first word; opts are
// the name=value words after it, which only Athena takes.
func trailSource(head string, opts map[string]string) (runbook.TrailSource, error) {
	athena := strings.HasPrefix(head, "athena:")
	for k := range opts {
		if !athena {
			return runbook.TrailSource{}, fmt.Errorf("%s= goes with an athena: source only", k)
		}
		if k != "output" && k != "partition" && k != "create" {
			return runbook.TrailSource{}, fmt.Errorf("%s= is not an Athena option: use output=, partition= or create=", k)
		}
	}
	switch {
	case athena:
		wt := strings.TrimPrefix(head, "athena:")
		wg, table, ok := strings.Cut(wt, "/")
		if !ok {
			// The CLI's default workgroup (respond --athena-workgroup).
			wg, table = "primary", wt
		}
		src := runbook.TrailSource{Kind: runbook.TrailAthena, Workgroup: wg, Table: table,
			Output: opts["output"], DatePartition: opts["partition"], Location: opts["create"]}
		src.CreateTable = src.Location != ""
		return src, nil
	case strings.HasPrefix(head, "lake:"):
		return runbook.TrailSource{Kind: runbook.TrailLake, EventDataStore: strings.TrimPrefix(head, "lake:")}, nil
	case strings.HasPrefix(head, "arn:"):
		return runbook.TrailSource{Kind: runbook.TrailLake, EventDataStore: head}, nil
	case strings.HasPrefix(head, "s3://"):
		return runbook.TrailSource{Kind: runbook.TrailS3, Location: head}, nil
	}
	if _, err := runbook.LakeStoreID(head); err == nil {
		if _, statErr := os.Stat(head); statErr != nil {
			return runbook.TrailSource{Kind: runbook.TrailLake, EventDataStore: head}, nil
		}
	}
	return localTrail(head)
}

// localTrail checks the directory now, so a typo is answered in the prompt
// rather than after the scan starts.
func localTrail(dir string) (runbook.TrailSource, error) {
	if rest, ok := strings.CutPrefix(dir, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, rest)
		}
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return runbook.TrailSource{}, fmt.Errorf("%s cannot be read (%v): name a directory of trail log files, or an s3://, athena: or lake: source", dir, err)
	case !fi.IsDir():
		return runbook.TrailSource{}, fmt.Errorf("%s is a file: name the directory that holds the trail's log files", dir)
	}
	return runbook.TrailSource{Kind: runbook.TrailLocal, Location: dir}, nil
}

// trailConfirm shows what reading a trail source runs before it runs.
type trailConfirm struct {
	open  bool
	event runbook.AddTrailSource

	lineScroll // over the query, when it does not fit
}

func openTrailConfirm(ev runbook.AddTrailSource) trailConfirm {
	c := trailConfirm{open: true, event: ev}
	if q := ev.Source.Query; q != nil {
		// Generous: the DDL's long lines wrap once or twice.
		c.lines = 2*strings.Count(q.DDL, "\n") + strings.Count(q.SQL, "\n") + 12
	}
	return c
}

func (c trailConfirm) update(k tea.KeyPressMsg, dk dialogKeys) (trailConfirm, bool) {
	switch {
	case key.Matches(k, dk.Cancel):
		return trailConfirm{}, false
	case key.Matches(k, dk.Confirm):
		return trailConfirm{}, true
	default:
		c.scroll(k, dk)
	}
	return c, false
}

func (c trailConfirm) view(f frame) string {
	sty, src := f.sty, c.event.Source
	inner := max(f.w-4, 16)
	from, to := c.event.From, c.event.To
	if inv := f.st.Investigate.Investigation; inv != nil {
		if from.IsZero() {
			from = inv.From
		}
		if to.IsZero() {
			to = inv.To
		}
	}
	head := []string{sty.Title.Render("Read " + src.String())}
	head = append(head, wrapParagraph(sty.Muted, fmt.Sprintf("%s → %s UTC, read only",
		from.UTC().Format("2006-01-02 15:04"), to.UTC().Format("2006-01-02 15:04")), inner, "")...)
	q := src.Query
	if q == nil {
		head = append(head, sty.Muted.Render("enter reads it · esc cancel"))
		body := wrapParagraph(plain, "keyrunbook lists the trail's log files (.json.gz) under "+src.Location+
			" for the days in the window, reads them in parallel and merges this key's records, data events included, into the investigation.", inner, "")
		return sty.Dialog.Width(f.w).Render(strings.Join(append(head, body...), "\n"))
	}
	head = append(head, sty.Muted.Render("enter runs this query · esc cancel"))
	var body []string
	switch src.Kind {
	case runbook.TrailAthena:
		where := "results to " + src.Output
		if src.Output == "" {
			where = "results where the workgroup puts them"
		}
		// Athena bills by the bytes a query scans: progress shows them.
		body = append(body, wrapParagraph(sty.Muted, "workgroup "+src.Workgroup+", "+where+"; billed by bytes scanned", inner, "")...)
		title := "This query (StartQueryExecution):"
		if q.DDL != "" {
			body = append(body, sty.Warning.Render("First, this creates the table (StartQueryExecution):"))
			body = append(body, codeLines(q.DDL, inner)...)
			title = "Then this query (StartQueryExecution):"
		}
		body = append(body, sty.Title.Render(title))
	case runbook.TrailLake:
		body = append(body, sty.Title.Render("This query (CloudTrail Lake StartQuery):"))
	}
	body = append(body, codeLines(q.SQL, inner)...)
	if len(q.Params) > 0 {
		body = append(body, wrapAfterPrefix(sty.Muted.Render("? in order: "), strings.Join(q.Params, ", "), plain, inner, "    ")...)
	}
	body = c.window(body, max(f.h-2-len(head), 3), sty)
	return sty.Dialog.Width(f.w).Render(strings.Join(append(head, body...), "\n"))
}

// codeLines keeps SQL's own lines and indentation, breaking a line wider
// than w after its last space within w (or at w, when a word is longer
// than half a line) onto indented continuation lines.
func codeLines(text string, w int) []string {
	const indent = "    "
	w = max(w, 2*len(indent))
	var out []string
	for _, l := range strings.Split(text, "\n") {
		for ansi.StringWidth(l) > w {
			cut := ansi.Truncate(l, w, "")
			if i := strings.LastIndexByte(cut, ' '); i > w/2 {
				cut = cut[:i+1]
			}
			out = append(out, strings.TrimRight(cut, " "))
			l = indent + l[len(cut):]
		}
		out = append(out, l)
	}
	return out
}

// trailScanning reports whether a trail source is being read.
func trailScanning(st runbook.State) bool {
	for _, n := range st.Effects.Pending {
		if n == "ScanTrailSource" {
			return true
		}
	}
	return false
}

// trailLines are the investigate view's lines about trail sources: the
// running scan's progress, else what the last source added.
func trailLines(f frame, scan runbook.TrailScanStats) []string {
	sty, inv := f.sty, f.st.Investigate.Investigation
	if trailScanning(f.st) {
		s := fmt.Sprintf("reading the trail · %s · %s · %d records · %d of the key's",
			filesRead(scan), humanBytes(scan.Bytes), scan.Records, scan.Matched)
		if scan.State != "" {
			s = "reading the trail · query " + scan.State + " · " + queryCost(scan)
		}
		return wrapAfterPrefix(f.spin+" ", s, plain, f.w, "  ")
	}
	if inv == nil || len(inv.Trails) == 0 {
		return nil
	}
	t := inv.Trails[len(inv.Trails)-1]
	st := t.Stats
	read := filesRead(st)
	if t.Source.Query != nil {
		read = queryCost(st)
	}
	// Covered counts the matched records the investigation had already.
	s := fmt.Sprintf("%s: %s · %d events found, %d new · %d data events", t.Source, read, st.Matched, st.Matched-st.Covered, st.DataEvents)
	if st.Failed > 0 {
		return wrapParagraph(sty.Warning, fmt.Sprintf("%s · %d file(s) could not be read", s, st.Failed), f.w, "  ")
	}
	return wrapParagraph(sty.Muted, s, f.w, "  ")
}

// queryCost is what an Athena or Lake query scanned, which it is billed by.
func queryCost(s runbook.TrailScanStats) string {
	out := humanBytes(s.ScannedBytes) + " scanned"
	if s.CostUSD > 0 {
		out += fmt.Sprintf(" (about $%.4f)", s.CostUSD)
	}
	return out
}

func filesRead(s runbook.TrailScanStats) string {
	if s.FilesTotal > 0 {
		return fmt.Sprintf("%d of %d files", s.Files, s.FilesTotal)
	}
	return fmt.Sprintf("%d files", s.Files)
}

// humanBytes writes a byte count in the binary units a responder reads
// off a bucket listing.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
