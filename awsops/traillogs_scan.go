package awsops

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// TrailFile is one trail log file to read: a local file or an S3 object.
type TrailFile struct {
	Name string // path or key, for messages
	Size int64  // compressed bytes, when known
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// TrailScanOptions says what a trail scan looks for.
type TrailScanOptions struct {
	KeyID string
	// From and To bound the records kept (inclusive); zero is unbounded.
	From, To time.Time
	// Covered is what the sweep read already; those records count once.
	Covered runbook.TrailCoverage
	// Inventory tells which addresses are the account's instances.
	Inventory Inventory
	// Workers bounds the files read at once; zero means GOMAXPROCS, since
	// decompression is CPU-bound.
	Workers int
	// Progress, when set, receives the counts now and then, one call at a
	// time.
	Progress func(runbook.TrailScanStats)
	// Label names the source in the coverage statements.
	Label string
	// ExposedAt is when the key was exposed, if known (judge.SetExposedAt).
	ExposedAt time.Time
}

// TrailScanResult is what a trail source showed, ready for the machine.
type TrailScanResult struct {
	Found       runbook.Investigation
	Added       []runbook.UsageCaller
	AddedEvents int
	Stats       runbook.TrailScanStats
	Findings    []runbook.Finding
}

// Event is the result event of a ScanTrailSource for src.
func (r TrailScanResult) Event(src runbook.TrailSource) runbook.TrailSourceScanned {
	return runbook.TrailSourceScanned{Source: src, Stats: r.Stats, Found: r.Found, Added: r.Added,
		AddedEvents: r.AddedEvents, Findings: r.Findings}
}

// ScanTrailFiles reads the files in parallel, each as a stream, and folds
// the key's records: into Found (every one) and Added (those the sweep had
// not read). A file that cannot be read is counted and named in a finding;
// the scan goes on. Only the context's end stops it, with an error.
func ScanTrailFiles(ctx context.Context, files []TrailFile, opt TrailScanOptions) (TrailScanResult, error) {
	f := newTrailFold(opt)
	f.stats.FilesTotal = len(files)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	queue := make(chan TrailFile)
	var wg sync.WaitGroup
	for range min(workers, max(len(files), 1)) {
		wg.Go(func() {
			w := &logWorker{}
			for tf := range queue {
				err := w.scanFile(ctx, tf, f)
				f.fileDone(tf, err)
			}
		})
	}
feed:
	for _, tf := range files {
		select {
		case queue <- tf:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return TrailScanResult{}, fmt.Errorf("read trail logs: stopped after %d of %d files: %w", f.stats.Files, len(files), err)
	}
	return f.result(), nil
}

// logWorker reads one file at a time, reusing its readers and buffer.
type logWorker struct {
	br  *bufio.Reader
	gz  *gzip.Reader
	buf []byte
}

func (w *logWorker) scanFile(ctx context.Context, tf TrailFile, f *trailFold) error {
	folded, err := w.scanOnce(ctx, tf, f, false, 0)
	if errors.Is(err, errRescan) {
		// The records of the key folded before the doubt came are the
		// first ones the structural scan meets again: skip them.
		_, err = w.scanOnce(ctx, tf, f, true, folded)
	}
	return err
}

// scanOnce reads one file, folding the key's records after the first
// skip of them, and returns how many it folded.
func (w *logWorker) scanOnce(ctx context.Context, tf TrailFile, f *trailFold, structural bool, skip int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	rc, err := tf.Open(ctx)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	in := &countingReader{r: rc}
	if w.br == nil {
		w.br = bufio.NewReaderSize(in, 64<<10)
	} else {
		w.br.Reset(in)
	}
	var r io.Reader = w.br
	if magic, _ := w.br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if w.gz == nil {
			w.gz, err = gzip.NewReader(w.br)
		} else {
			err = w.gz.Reset(w.br)
		}
		if err != nil {
			return 0, fmt.Errorf("gunzip: %w", err)
		}
		r = w.gz
	}
	out := &countingReader{r: r}
	sp := newLogSplitter(out, w.buf, structural)
	var records int64
	folded := 0
	err = sp.each(func(raw []byte) error {
		records++
		if records%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// The fast path: most records never mention the key.
		if !f.key.in(raw) {
			return nil
		}
		if err := sp.checkRecord(raw); err != nil {
			return err
		}
		if folded++; folded <= skip {
			return nil
		}
		rec, err := judge.ParseTrailRecord(raw)
		if err != nil {
			f.unreadable()
			return nil
		}
		f.add(rec, rawIsData(raw, rec))
		return nil
	})
	w.buf = sp.buf
	if !errors.Is(err, errRescan) {
		f.read(in.n, out.n, records)
	}
	return folded, err
}

// countingReader counts the bytes read through it, for the stats.
type countingReader struct {
	r io.Reader
	n int64
}

// Read implements io.Reader.
func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// maxSeenIDs bounds the event IDs remembered to drop records delivered
// twice (CloudTrail may deliver an event more than once). Only the key's
// records are remembered; past the bound the rest are counted as they come.
const maxSeenIDs = 2_000_000

// trailFold folds matching records from any trail source.
type trailFold struct {
	opt          TrailScanOptions
	key          keyFinder
	found, added *Aggregator
	regions      map[string]bool

	mu       sync.Mutex
	seen     map[string]struct{}
	seenFull bool
	data     map[dataKey]runbook.Resource
	stats    runbook.TrailScanStats
	bad      int
	failures []string
	lastEmit time.Time
}

func newTrailFold(opt TrailScanOptions) *trailFold {
	f := &trailFold{opt: opt, key: newKeyFinder(opt.KeyID),
		found: judge.NewAggregator(opt.KeyID, opt.Inventory), added: judge.NewAggregator(opt.KeyID, opt.Inventory),
		regions: map[string]bool{}, seen: map[string]struct{}{}, data: map[dataKey]runbook.Resource{}}
	for _, r := range opt.Covered.Regions {
		f.regions[r] = true
	}
	f.found.SetExposedAt(opt.ExposedAt)
	f.added.SetExposedAt(opt.ExposedAt)
	return f
}

// add folds one record that mentions the key. It must be signed with the
// key (the fast path also lets through records that merely name it, such
// as the responder's own UpdateAccessKey) and fall inside the window.
func (f *trailFold) add(r TrailRecord, data bool) {
	if r.UserIdentity.AccessKeyID != f.opt.KeyID {
		return
	}
	if (!f.opt.From.IsZero() && r.EventTime.Before(f.opt.From)) || (!f.opt.To.IsZero() && r.EventTime.After(f.opt.To)) {
		return
	}
	f.mu.Lock()
	if r.EventID != "" {
		if _, dup := f.seen[r.EventID]; dup {
			f.stats.Duplicates++
			f.mu.Unlock()
			return
		}
		if len(f.seen) < maxSeenIDs {
			f.seen[r.EventID] = struct{}{}
		} else {
			f.seenFull = true
		}
	}
	f.stats.Matched++
	covered := f.covered(r, data)
	if covered {
		f.stats.Covered++
	}
	if data {
		f.stats.DataEvents++
		if res, ok := dataBlast(&r); ok {
			k := dataKey{res.Type, res.ID, res.Region}
			if old, seen := f.data[k]; !seen || res.Time.Before(old.Time) {
				f.data[k] = res
			}
		}
	}
	f.mu.Unlock()
	f.found.Add(r)
	if !covered {
		f.added.Add(r)
	}
}

// covered reports whether the investigation folded the record already:
// event history holds it (a management event the sweep read), or a trail
// source merged before read its window.
func (f *trailFold) covered(r TrailRecord, data bool) bool {
	c := f.opt.Covered
	if !data && f.regions[r.AWSRegion] && !r.EventTime.Before(c.From) && !r.EventTime.After(c.To) {
		return true
	}
	for _, w := range c.Trails {
		if !r.EventTime.Before(w.From) && !r.EventTime.After(w.To) {
			return true
		}
	}
	return false
}

func (f *trailFold) unreadable() {
	f.mu.Lock()
	f.bad++
	f.mu.Unlock()
}

func (f *trailFold) read(compressed, uncompressed, records int64) {
	f.mu.Lock()
	f.stats.Bytes += compressed
	f.stats.Uncompressed += uncompressed
	f.stats.Records += records
	f.mu.Unlock()
}

// maxFailuresNamed bounds the unreadable files a finding names.
const maxFailuresNamed = 3

func (f *trailFold) fileDone(tf TrailFile, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Files++
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		f.stats.Failed++
		if len(f.failures) < maxFailuresNamed {
			f.failures = append(f.failures, fmt.Sprintf("%s (%v)", tf.Name, runbook.RedactString(err.Error())))
		}
	}
	f.progressLocked(false)
}

// progressLocked emits the counts at most every 200 ms, or now when final.
func (f *trailFold) progressLocked(final bool) {
	if f.opt.Progress == nil || (!final && time.Since(f.lastEmit) < 200*time.Millisecond) {
		return
	}
	f.lastEmit = time.Now()
	f.opt.Progress(f.stats)
}

// result assembles the fold. Found sees every record, so its judgement of
// a caller the sweep never saw has the full picture; Added holds only the
// counts the merge adds.
func (f *trailFold) result() TrailScanResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.progressLocked(true)
	callers, indicators, blast := f.found.Result()
	for _, r := range f.data {
		blast = append(blast, r)
	}
	sortResources(blast)
	res := TrailScanResult{Stats: f.stats, AddedEvents: f.added.Events()}
	res.Found = runbook.Investigation{From: f.opt.From, To: f.opt.To, Events: f.found.Events(),
		Callers: callers, Indicators: indicators, BlastRadius: blast, Coverage: f.coverage(), Minted: f.found.Minted()}
	if n := len(res.Found.Minted); n > 0 {
		// A trail source reads the key's own records; the minted keys'
		// calls are followed through event history, not through it.
		res.Found.Coverage = append(res.Found.Coverage, fmt.Sprintf("%s: the key minted %d temporary credential(s) seen here; "+
			"this source reads the key's own records, so their calls in it were not followed: look them up by key ID (minted).", f.label(), n))
	}
	res.Added, _, _ = f.added.Result()
	if f.stats.Failed > 0 {
		res.Findings = append(res.Findings, runbook.Finding{Step: runbook.StepInvestigate, Severity: runbook.SeverityWarning,
			Message: fmt.Sprintf("%s: %d of %d log files could not be read and were left out: %s.", f.label(),
				f.stats.Failed, f.stats.Files, joinSome(f.failures, f.stats.Failed))})
	}
	if f.bad > 0 {
		res.Findings = append(res.Findings, runbook.Finding{Step: runbook.StepInvestigate, Severity: runbook.SeverityWarning,
			Message: fmt.Sprintf("%s: %d records that name the key could not be parsed and were left out.", f.label(), f.bad)})
	}
	return res
}

func (f *trailFold) label() string {
	if f.opt.Label != "" {
		return f.opt.Label
	}
	return "Trail logs"
}

// coverage states what the source covered, in sentences for the report.
func (f *trailFold) coverage() []string {
	s := f.stats
	var what string
	switch {
	case s.FilesTotal > 0 || s.Files > 0:
		what = fmt.Sprintf("read %d log files (%s compressed, %s of records, %d records)", s.Files,
			sizeOf(s.Bytes), sizeOf(s.Uncompressed), s.Records)
	case s.ScannedBytes > 0:
		what = fmt.Sprintf("the query scanned %s (about $%.4f)", sizeOf(s.ScannedBytes), s.CostUSD)
	default:
		what = "read nothing"
	}
	out := []string{fmt.Sprintf("%s, %s to %s: %s; %d of the key's events, %d of them data events, %d read before (event history or another trail source).",
		f.label(), stamp(f.opt.From), stamp(f.opt.To), what, s.Matched, s.DataEvents, s.Covered)}
	if s.Duplicates > 0 {
		out = append(out, fmt.Sprintf("%s: %d events delivered twice were counted once.", f.label(), s.Duplicates))
	}
	if f.seenFull {
		out = append(out, fmt.Sprintf("%s: past %d of the key's events, events delivered twice may count twice.", f.label(), maxSeenIDs))
	}
	return append(out, f.found.Notes()...)
}

func joinSome(names []string, total int) string {
	s := fmt.Sprint(names)
	if total > len(names) {
		s += fmt.Sprintf(" and %d more", total-len(names))
	}
	return s
}

func sizeOf(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// dataKey names one resource a data event touched.
type dataKey struct{ typ, id, region string }
