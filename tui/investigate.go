package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	"charm.land/bubbles/v2/table"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// sortKey orders the caller table.
type sortKey int

const (
	sortSuspicious sortKey = iota // attackers and suspicious first, then by events
	sortEvents
	sortLastSeen
	sortSource
	sortKeys
)

func (s sortKey) String() string {
	return [...]string{"suspicious first", "events", "last seen", "source"}[s]
}

// investigateView shows the sweep's progress, then the callers it found in
// a sortable table with the selected caller's actions and indicators.
type investigateView struct {
	table table.Model
	bar   progress.Model
	// inv is the investigation the rows were built from: the machine
	// replaces the pointer on every change, so equality means unchanged.
	inv     *runbook.Investigation
	sortBy  sortKey
	callers []runbook.UsageCaller // in table order
	sty     styles
	w, h    int
	km      investigateKeys
	// coverage shows the sweep's blind spots in place of the caller pane.
	coverage bool
	// detailTop is how far the selected caller's pane is scrolled; it goes
	// back to the top when another caller is selected.
	detailTop int
}

type investigateKeys struct {
	Up, Down, Sort, Label, Next, Coverage key.Binding
	Trail                                 key.Binding // trailsource.go
	DetailUp, DetailDown                  key.Binding
	// Resweep and Override answer an incomplete investigation (gaps.go).
	Resweep, Override key.Binding
}

// tableRows is the caller table's height including its header, at 80×24.
const tableRows = 7

func newInvestigateView(sty styles) investigateView {
	t := table.New(table.WithFocused(true), table.WithHeight(tableRows))
	v := investigateView{table: t, bar: newRegionBar(), km: investigateKeys{
		Up:    binding("↑/k", "up", "up", "k"),
		Down:  binding("↓/j", "down", "down", "j"),
		Sort:  binding("s", "sort", "s"),
		Label: binding("l", "relabel", "l"),
		Next:  binding("enter", "propose replacements", "enter"),
		// Coverage toggles the blind spots (minted.go).
		Coverage: binding("b", "blind spots", "b"),
		Trail:    binding("T", "add trail source", "T"),
		// The table's own page keys would page a table sized to its rows;
		// the caller's pane is what runs long.
		DetailUp:   binding("pgup", "scroll caller up", "pgup"),
		DetailDown: binding("pgdn", "scroll caller down", "pgdown"),
		Resweep:    binding("r", "sweep again", "r"),
		Override:   binding("o", "go on incomplete, with a reason", "o"),
	}}
	v.restyle(sty)
	return v
}

// restyle applies the styles of the terminal's background to the table
// and its label cells.
func (v *investigateView) restyle(sty styles) {
	v.sty = sty
	v.table.SetStyles(table.Styles{
		Header:   lipgloss.NewStyle().Bold(true).Padding(0, 1),
		Cell:     lipgloss.NewStyle().Padding(0, 1),
		Selected: sty.Selected,
	})
	v.setRows()
}

func (v *investigateView) setSize(w, h int) {
	v.w, v.h = w, h
	v.table.SetWidth(w)
	v.table.SetColumns(v.columns(w))
	v.setRows()
}

func (v investigateView) columns(w int) []table.Column {
	// Each cell has one column of padding either side.
	const label, kind, source, events = 12, 10, 15, 6
	tool := max(w-(label+kind+source+events)-10, 6)
	return []table.Column{
		{Title: "Label", Width: label},
		{Title: "Kind", Width: kind},
		{Title: "Source", Width: source},
		{Title: "Events", Width: events},
		{Title: "Tool", Width: tool},
	}
}

// sync rebuilds the rows when the investigation changed.
func (v *investigateView) sync(st runbook.State) {
	if st.Investigate.Investigation == v.inv || st.Investigate.Sweeping {
		return
	}
	v.inv = st.Investigate.Investigation
	v.setRows()
}

func (v *investigateView) setRows() {
	if v.inv == nil {
		v.callers = nil
		v.table.SetRows(nil)
		return
	}
	selected := ""
	if c, ok := v.selected(); ok {
		selected = c.ID
	}
	ind := indicatorCounts(v.inv)
	v.callers = sortCallers(v.inv, v.sortBy, ind)
	rows := make([]table.Row, len(v.callers))
	// A thousand callers share a handful of label cells: style each once.
	cells := map[string]string{}
	cursor := 0
	for i, c := range v.callers {
		k := string(c.Label) + fmt.Sprint(ind[c.ID] > 0)
		cell, ok := cells[k]
		if !ok {
			cell = labelCell(v.sty, c, ind[c.ID])
			cells[k] = cell
		}
		rows[i] = table.Row{cell, string(c.Kind), c.SourceIP, fmt.Sprint(c.Events), agent(c)}
		if c.ID == selected {
			cursor = i
		}
	}
	v.table.SetRows(rows)
	v.fitTable()
	v.table.SetCursor(cursor)
}

// fitTable sizes the caller table to its rows, up to half the body, so the
// selected caller's pane gets the rest of the screen instead of the empty
// rows of a table taller than its callers.
func (v *investigateView) fitTable() {
	limit := max(tableRows, v.h/2)
	v.table.SetHeight(min(max(len(v.callers), 1)+1, limit))
}

// indicatorCounts counts the indicators against each caller.
func indicatorCounts(inv *runbook.Investigation) map[string]int {
	n := map[string]int{}
	for _, in := range inv.Indicators {
		n[in.CallerID]++
	}
	return n
}

// sortCallers returns the callers in the chosen order; ties keep the
// sweep's order so the table does not jump between frames.
func sortCallers(inv *runbook.Investigation, by sortKey, ind map[string]int) []runbook.UsageCaller {
	out := slices.Clone(inv.Callers)
	slices.SortStableFunc(out, func(a, b runbook.UsageCaller) int {
		switch by {
		case sortEvents:
			return cmp.Compare(b.Events, a.Events)
		case sortLastSeen:
			return b.LastSeen.Compare(a.LastSeen)
		case sortSource:
			return cmp.Compare(a.SourceIP, b.SourceIP)
		}
		if d := cmp.Compare(threat(b, ind), threat(a, ind)); d != 0 {
			return d
		}
		return cmp.Compare(b.Events, a.Events)
	})
	return out
}

// threat ranks a caller for the "suspicious first" order.
func threat(c runbook.UsageCaller, ind map[string]int) int {
	n := 0
	switch c.Label {
	case runbook.LabelAttacker:
		n = 3
	case runbook.LabelSuspicious:
		n = 2
	case runbook.LabelUnknown:
		n = 1
	}
	if ind[c.ID] > 0 {
		n++
	}
	return n
}

// labelCell marks suspicious callers with "!" as well as colour, so they
// stand out under NO_COLOR too.
func labelCell(sty styles, c runbook.UsageCaller, indicators int) string {
	switch {
	case c.Label == runbook.LabelAttacker || c.Label == runbook.LabelSuspicious:
		return sty.Danger.Render("! " + string(c.Label))
	case indicators > 0:
		return sty.Warning.Render("! " + string(c.Label))
	case c.Label == runbook.LabelUnknown:
		return sty.Warning.Render("? " + string(c.Label))
	}
	return "  " + string(c.Label)
}

func agent(c runbook.UsageCaller) string {
	if c.Tool != "" {
		return c.Tool
	}
	return c.UserAgent
}

func (v investigateView) selected() (runbook.UsageCaller, bool) {
	i := v.table.Cursor()
	if i < 0 || i >= len(v.callers) {
		return runbook.UsageCaller{}, false
	}
	return v.callers[i], true
}

// nextLabel is the label "l" cycles to.
func nextLabel(l runbook.Label) runbook.Label {
	order := []runbook.Label{runbook.LabelLegitimate, runbook.LabelSuspicious, runbook.LabelAttacker, runbook.LabelUnknown}
	i := slices.Index(order, l)
	return order[(i+1)%len(order)]
}

func (v *investigateView) update(k tea.KeyPressMsg, f frame) intent {
	if f.st.Investigate.Sweeping || v.inv == nil {
		return intent{}
	}
	switch {
	case key.Matches(k, v.km.Sort):
		v.sortBy = (v.sortBy + 1) % sortKeys
		v.setRows()
	case key.Matches(k, v.km.Label):
		if c, ok := v.selected(); ok {
			return intent{event: runbook.RelabelCaller{CallerID: c.ID, Label: nextLabel(c.Label)}}
		}
	case key.Matches(k, v.km.Next):
		return intent{event: runbook.BeginProposals{}}
	case key.Matches(k, v.km.Resweep, v.km.Override) && len(v.inv.Gaps()) > 0:
		return gapIntent(k, v.km, v.inv)
	case key.Matches(k, v.km.Coverage):
		v.coverage = !v.coverage
	case key.Matches(k, v.km.DetailDown):
		v.detailTop += max(v.detailRoom(f)-1, 1)
	case key.Matches(k, v.km.DetailUp):
		v.detailTop = max(v.detailTop-max(v.detailRoom(f)-1, 1), 0)
	case key.Matches(k, v.km.Trail):
		if trailScanning(f.st) {
			return intent{note: "a trail source is being read: wait for it before adding another"}
		}
		return intent{prompt: trailPrompt(f.st)}
	default:
		before := v.table.Cursor()
		v.table, _ = v.table.Update(k)
		if v.table.Cursor() != before {
			v.detailTop = 0
		}
	}
	return intent{}
}

func (v investigateView) keys(f frame) []key.Binding {
	if f.st.Investigate.Sweeping || v.inv == nil {
		return nil
	}
	if len(v.inv.Gaps()) > 0 {
		return []key.Binding{v.km.Resweep, v.km.Override, v.km.Coverage, v.km.Up, v.km.Down, v.km.Sort, v.km.Label, v.km.Next, v.km.DetailDown, v.km.DetailUp, v.km.Trail}
	}
	return []key.Binding{v.km.Up, v.km.Down, v.km.Sort, v.km.Label, v.km.Next, v.km.DetailDown, v.km.DetailUp, v.km.Coverage, v.km.Trail}
}

func (v investigateView) view(f frame) string {
	st, sty := f.st, f.sty
	if st.Investigate.Sweeping || st.Investigate.Investigation == nil {
		if st.Effects.LastError != nil && !st.Investigate.Sweeping {
			return strings.Join(append([]string{sty.Heading.Render("Investigate")}, errorLines(f, st.Effects.LastError)...), "\n")
		}
		return sweepView(f, v.bar)
	}
	inv := st.Investigate.Investigation
	ind := indicatorCounts(inv)
	suspicious := 0
	for _, c := range inv.Callers {
		if threat(c, ind) >= 2 {
			suspicious++
		}
	}
	head := sty.Heading.Render("Investigate") + sty.Muted.Render(fmt.Sprintf(" · %d events · %s", inv.Events, runbook.Plural(len(inv.Callers), "caller")))
	if suspicious > 0 {
		head += sty.Danger.Render(fmt.Sprintf(" · %d suspicious", suspicious))
	}
	summary := fmt.Sprintf("%d indicator(s) · blast radius %d · sorted by %s", len(inv.Indicators), len(inv.BlastRadius), v.sortBy)
	lines := append([]string{head, sty.Muted.Render(summary)}, gapLines(f, inv)...)
	lines = append(lines, mintedSummary(f)...)
	lines = append(lines, trailLines(f, f.scan)...)
	if v.coverage {
		return strings.Join(append(lines, coverageLines(f, f.h-len(lines))...), "\n")
	}
	if len(inv.Callers) == 0 && len(inv.Gaps()) > 0 {
		lines = append(lines, "", "Use of this key: unknown, because the sweep did not read everything (above).")
		return strings.Join(lines, "\n")
	}
	if len(inv.Callers) == 0 {
		lines = append(lines, "", "No use of this key in the window: no caller to move.",
			sty.Muted.Render("Press enter to go on."))
		return strings.Join(lines, "\n")
	}
	lines = append(lines, v.table.View())
	return strings.Join(append(lines, v.detailPane(f, v.detailRoom(f))...), "\n")
}

// headLines are the lines above the caller table.
func (v investigateView) headLines(f frame) int {
	return 2 + len(mintedSummary(f)) + len(trailLines(f, f.scan))
}

// detailRoom is the height left under the table for the caller's pane.
func (v investigateView) detailRoom(f frame) int {
	return f.h - v.headLines(f) - lipgloss.Height(v.table.View())
}

// detailPane shows the selected caller's pane in a viewport of room lines,
// scrolled to detailTop, with a last line saying what is above and below.
func (v investigateView) detailPane(f frame, room int) []string {
	lines := v.detail(f)
	if room <= 0 || len(lines) == 0 {
		return nil
	}
	if len(lines) <= room {
		return lines
	}
	vp := viewport.New(viewport.WithWidth(f.w), viewport.WithHeight(room-1))
	vp.SetContentLines(lines)
	vp.SetYOffset(v.detailTop)
	more := fmt.Sprintf("lines %d–%d of %d", vp.YOffset()+1, min(vp.YOffset()+room-1, len(lines)), len(lines))
	switch {
	case !vp.AtBottom() && vp.YOffset() > 0:
		more += " · pgdn/pgup scroll"
	case !vp.AtBottom():
		more += " · pgdn for more"
	default:
		more += " · pgup back"
	}
	return append(strings.Split(vp.View(), "\n"), f.sty.Muted.Render(more))
}

// detail is the selected caller's pane: why it got its label, where it
// runs, what it did, and the indicators against it.
func (v investigateView) detail(f frame) []string {
	c, ok := v.selected()
	if !ok {
		return nil
	}
	sty, inv, w := f.sty, f.st.Investigate.Investigation, f.w
	title := sty.Title.Render(c.ID) + " · " + string(c.Kind)
	if c.Resource != "" {
		title += " · " + c.Resource
	}
	lines := []string{title + sty.Muted.Render(fmt.Sprintf(" · %d events, %d errors · %s → %s",
		c.Events, c.Errors, c.FirstSeen.UTC().Format("01-02 15:04"), c.LastSeen.UTC().Format("01-02 15:04")))}
	if c.Undecided != "" {
		// Deactivation waits for this verdict (issue 14): say so, and how.
		lines = append(lines, wrapParagraph(sty.Warning, "? your verdict is needed before deactivation: "+c.Undecided+
			". Press l to label it (legitimate, suspicious, attacker).", w, "  ")...)
	}
	if c.Why != "" {
		lines = append(lines, wrapParagraph(sty.Muted, "why: "+c.Why, w, "  ")...)
	}
	for _, in := range inv.Indicators {
		if in.CallerID != c.ID {
			continue
		}
		style := sty.Warning
		if in.Severity == runbook.SeverityCritical {
			style = sty.Danger
		}
		lines = append(lines, wrapParagraph(style, "! "+in.Kind+": "+in.Summary, w, "  ")...)
	}
	lines = append(lines, wrapParagraph(plain, "actions: "+actionSummary(c.Actions), w, "  ")...)
	if len(c.Regions) > 0 {
		lines = append(lines, sty.Muted.Render("regions: "+strings.Join(c.Regions, ", ")))
	}
	if where := callerWhere(c); where != "" {
		lines = append(lines, wrapParagraph(sty.Muted, where, w, "  ")...)
	}
	return lines
}

// actionSummary lists a caller's actions, most used first, as
// "s3:GetObject ×12", marking writes and errors.
func actionSummary(actions []runbook.ActionUse) string {
	sorted := slices.Clone(actions)
	slices.SortStableFunc(sorted, func(a, b runbook.ActionUse) int { return cmp.Compare(b.Count, a.Count) })
	parts := make([]string, 0, len(sorted))
	for _, a := range sorted {
		s := fmt.Sprintf("%s ×%d", a.Call(), a.Count)
		if !a.ReadOnly {
			s += " (write)"
		}
		if a.ErrorCode != "" {
			s += " " + a.ErrorCode
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "none recorded"
	}
	return strings.Join(parts, ", ")
}
