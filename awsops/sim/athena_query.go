package sim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"weak"
)

// The simulated Athena and CloudTrail Lake run the one query shape a
// responder needs: the records of one access key between two times, with
// the columns asked for. They understand a SELECT list of record fields
// (aliased or not), equality on the access key, comparisons on the event
// time and, for Athena, a date-partition range; anything else is refused
// with the error a real engine would give a query it cannot run. Records
// come from the trail the scenario defines: its stored management events
// and its workloads' data events.

// queryPlan is a parsed query.
type queryPlan struct {
	table    string
	columns  []queryColumn
	key      string
	from, to time.Time // event time bounds, inclusive; zero: open
	dayFrom  time.Time // partition range (Athena), zero when absent
	dayTo    time.Time
}

type queryColumn struct{ path, name string }

var (
	reSelect = regexp.MustCompile(`(?is)^\s*SELECT\s+(.+?)\s+FROM\s+("?[A-Za-z0-9_-]+"?(?:\."?[A-Za-z0-9_-]+"?)?)\s+WHERE\s+(.+?)(?:\s+ORDER\s+BY\s+[A-Za-z.]+(?:\s+(?:ASC|DESC))?)?\s*;?\s*$`)
	reAlias  = regexp.MustCompile(`(?is)^(.+?)\s+AS\s+([A-Za-z_][A-Za-z0-9_]*)$`)
	reAnd    = regexp.MustCompile(`(?i)\s+AND\s+`)
	reCond   = regexp.MustCompile(`(?is)^("?[A-Za-z_][A-Za-z0-9_.]*"?)\s*(=|>=|<=|>|<|BETWEEN)\s*(.+)$`)
)

// parseQuery reads a query, filling ? placeholders from params in order:
// each a SQL literal, as Athena's ExecutionParameters are.
func parseQuery(sql string, params []string) (queryPlan, error) {
	if n := strings.Count(sql, "?"); n != len(params) {
		return queryPlan{}, fmt.Errorf("the query has %d parameter placeholders but %d execution parameters were given", n, len(params))
	}
	m := reSelect.FindStringSubmatch(sql)
	if m == nil {
		return queryPlan{}, fmt.Errorf("the simulated engine runs SELECT … FROM table WHERE … [ORDER BY …] only")
	}
	p := queryPlan{table: strings.ReplaceAll(m[2], `"`, "")}
	for _, item := range strings.Split(m[1], ",") {
		item = strings.TrimSpace(item)
		col := queryColumn{path: item, name: item}
		if a := reAlias.FindStringSubmatch(item); a != nil {
			col = queryColumn{path: strings.TrimSpace(a[1]), name: a[2]}
		}
		col.path = strings.ToLower(strings.ReplaceAll(col.path, `"`, ""))
		if !trailColumns[col.path] {
			return queryPlan{}, fmt.Errorf("COLUMN_NOT_FOUND: Column '%s' cannot be resolved", col.path)
		}
		p.columns = append(p.columns, col)
	}
	next := func(v string) (string, error) {
		v = strings.TrimSpace(v)
		if v == "?" {
			v, params = strings.TrimSpace(params[0]), params[1:]
		}
		if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
			return "", fmt.Errorf("%s is not a string literal", v)
		}
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'"), nil
	}
	conds := reAnd.Split(m[3], -1)
	for i := 0; i < len(conds); i++ {
		c := reCond.FindStringSubmatch(strings.TrimSpace(conds[i]))
		if c == nil {
			return queryPlan{}, fmt.Errorf("cannot evaluate the condition %q", conds[i])
		}
		lhs, op := strings.ToLower(strings.Trim(c[1], `"`)), strings.ToUpper(c[2])
		v, err := next(c[3])
		if err != nil {
			return queryPlan{}, err
		}
		switch {
		case lhs == "useridentity.accesskeyid" && op == "=":
			p.key = v
		case lhs == "eventtime" && op != "=" && op != "BETWEEN":
			t, err := queryTime(v)
			if err != nil {
				return queryPlan{}, err
			}
			if op[0] == '>' {
				p.from = t
			} else {
				p.to = t
			}
		case op == "BETWEEN" && i+1 < len(conds):
			i++
			hi, err := next(conds[i])
			if err != nil {
				return queryPlan{}, err
			}
			if p.dayFrom, err = time.Parse("2006/01/02", v); err == nil {
				p.dayTo, err = time.Parse("2006/01/02", hi)
			}
			if err != nil {
				return queryPlan{}, fmt.Errorf("the partition %s ranges over yyyy/MM/dd dates: %w", lhs, err)
			}
		default:
			return queryPlan{}, fmt.Errorf("the simulated engine cannot evaluate %s %s", lhs, op)
		}
	}
	if p.key == "" {
		return queryPlan{}, fmt.Errorf("the simulated engine needs useridentity.accesskeyid = … in the WHERE clause")
	}
	return p, nil
}

// trailColumns are the record fields a CloudTrail table (Athena's, after
// AWS's documented DDL) or event data store has, in lower case.
var trailColumns = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`eventversion eventtime eventsource eventname awsregion sourceipaddress
		useragent errorcode errormessage requestparameters responseelements additionaleventdata requestid eventid
		readonly resources eventtype apiversion recipientaccountid sharedeventid vpcendpointid eventcategory
		managementevent tlsdetails useridentity useridentity.type useridentity.principalid useridentity.arn
		useridentity.accountid useridentity.invokedby useridentity.accesskeyid useridentity.username
		useridentity.sessioncontext`) {
		m[c] = true
	}
	return m
}()

// queryTime reads Athena's ISO 8601 event times and Lake's "YYYY-MM-DD
// HH:MM:SS[.fff]".
func queryTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04:05.000"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", v)
}

// runQuery returns the plan's rows (nil for NULL), the records scanned and
// their bytes. Callers hold s.mu.
func (s *Sim) runQuery(p queryPlan, t Trail) (rows [][]*string, scanned int, bytes int64, err error) {
	from, to := p.from, p.to
	if from.IsZero() {
		from = s.firstDay()
	}
	if to.IsZero() || to.After(s.now) {
		to = s.now
	}
	// The scan reads whole partitions: days for Athena, the window for Lake.
	scanFrom, scanTo := from, to
	if !p.dayFrom.IsZero() {
		scanFrom, scanTo = p.dayFrom, p.dayTo.Add(24*time.Hour)
	}
	scanned, bytes = s.trailBytes(t, scanFrom, scanTo)
	var recs [][]byte
	for _, region := range s.trailRegions(t) {
		rid, ok1 := s.trail.strs[region]
		kid, ok2 := s.trail.strs[p.key]
		if !ok1 || !ok2 {
			continue
		}
		list := s.trail.listFor(idxKey{idxAccessKey, rid, kid})
		for i := s.trail.searchAfter(list, from.UnixMilli()-1); i < len(list) && s.trail.events[list[i]].at <= to.UnixMilli(); i++ {
			rec, err := s.trail.render(list[i], s.acct.id)
			if err != nil {
				return nil, 0, 0, err
			}
			recs = append(recs, rec)
		}
	}
	for _, d := range s.dataEventsIn(from, to.Add(time.Millisecond), "", p.key) {
		if t.MultiRegion || s.dataCalls()[d.call].Region == t.HomeRegion {
			rec, err := s.renderData(d)
			if err != nil {
				return nil, 0, 0, err
			}
			recs = append(recs, rec)
		}
	}
	type row struct {
		at  string
		val []*string
	}
	var out []row
	for _, rec := range recs {
		flat := flatten(rec)
		r := row{at: deref(flat["eventtime"])}
		for _, c := range p.columns {
			r.val = append(r.val, flat[c.path])
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(x, y row) int { return strings.Compare(x.at, y.at) })
	for _, r := range out {
		rows = append(rows, r.val)
	}
	return rows, scanned, bytes, nil
}

// trailBytes counts the trail's records between a and b and estimates
// their bytes from a sample: what an engine scans to answer.
func (s *Sim) trailBytes(t Trail, a, b time.Time) (int, int64) {
	var n int
	var sample []int
	for _, region := range s.trailRegions(t) {
		id, ok := s.trail.strs[region]
		if !ok {
			continue
		}
		list := s.trail.listFor(idxKey{idxRegion, id, 0})
		lo, hi := s.trail.searchAfter(list, a.UnixMilli()-1), s.trail.searchAfter(list, b.UnixMilli()-1)
		n += hi - lo
		for i := lo; i < hi && len(sample) < 64; i += max(1, (hi-lo)/16) {
			if rec, err := s.trail.render(list[i], s.acct.id); err == nil {
				sample = append(sample, len(rec))
			}
		}
	}
	n += len(s.dataEventsIn(a, b, "", ""))
	avg := int64(1200)
	if len(sample) > 0 {
		total := 0
		for _, l := range sample {
			total += l
		}
		avg = int64(total / len(sample))
	}
	return n, int64(n) * avg
}

// flatten maps a record's fields by lower-case dotted path to their text:
// strings as they are, other scalars and objects as JSON, null as nil.
func flatten(rec []byte) map[string]*string {
	var v map[string]any
	out := map[string]*string{}
	if json.Unmarshal(rec, &v) != nil {
		return out
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, x := range m {
			path := strings.ToLower(prefix + k)
			switch t := x.(type) {
			case nil:
			case string:
				out[path] = &t
			case map[string]any:
				b, _ := json.Marshal(t)
				text := string(b)
				out[path] = &text
				walk(path+".", t)
			default:
				b, _ := json.Marshal(t)
				text := string(b)
				out[path] = &text
			}
		}
	}
	walk("", v)
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// extStates holds per-Sim state of the query engines (query executions,
// tables), beside the Sim so that sim.go stays as it is. Weak keys let a
// Sim be collected; its entry goes with it.
var extStates = struct {
	sync.Mutex
	m map[weak.Pointer[Sim]]*queryState
}{m: map[weak.Pointer[Sim]]*queryState{}}

// queryState is one Sim's Athena and Lake state.
type queryState struct {
	athena map[string]*queryRun
	lake   map[string]*queryRun
	tables map[string]bool // Athena tables created
	seq    int
}

// queryRun is one query execution: it advances a state per poll.
type queryRun struct {
	id, sql, workgroup, output string
	params                     []string
	ddl                        bool
	plan                       queryPlan
	polls                      int
	failure                    string
	submitted                  time.Time
	rows                       [][]*string
	scanned                    int
	bytes                      int64
	cancelled                  bool
	seq                        int // order of submission
}

// slicesSortRuns orders runs by submission.
func slicesSortRuns(runs []*queryRun) {
	slices.SortFunc(runs, func(a, b *queryRun) int { return a.seq - b.seq })
}

func queriesOf(s *Sim) *queryState {
	extStates.Lock()
	defer extStates.Unlock()
	key := weak.Make(s)
	if q, ok := extStates.m[key]; ok {
		return q
	}
	q := &queryState{athena: map[string]*queryRun{}, lake: map[string]*queryRun{}, tables: map[string]bool{}}
	extStates.m[key] = q
	runtime.AddCleanup(s, func(k weak.Pointer[Sim]) {
		extStates.Lock()
		delete(extStates.m, k)
		extStates.Unlock()
	}, key)
	return q
}

// queryID draws an execution ID from the sim's request IDs.
func (s *Sim) queryID() string { return s.newRequestID() }
