package sim

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The scenario's trail delivers log files to its bucket in CloudTrail's
// layout (CloudTrail user guide, "Finding your CloudTrail log files"):
//
//	AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz
//
// One file per region and five minutes that saw events, named by its
// delivery time (the end of the five minutes), holding the management
// events the sim recorded there and the data events of its workloads. A
// file exists once its five minutes have passed on the sim's clock, as
// CloudTrail delivers about every five minutes. Files are rendered when
// listed or read, never stored.

// fileSpan is how much time one log file covers.
const fileSpan = 5 * time.Minute

// trailFile names one log file: its region and delivery time.
type trailFile struct {
	region string
	end    time.Time // delivery time, the end of its span
}

// trailRegions are the regions a trail logs: every enabled region for a
// multi-region trail, its home region otherwise.
func (s *Sim) trailRegions(t Trail) []string {
	if !t.MultiRegion {
		return []string{t.HomeRegion}
	}
	return slices.Sorted(slices.Values(s.acct.regions))
}

func (s *Sim) logPrefix() string { return "AWSLogs/" + s.acct.id + "/CloudTrail/" }

// objectKey is a log file's S3 key. Its unique part is drawn from the seed
// so that the same history gives the same keys.
func (s *Sim) objectKey(f trailFile) string {
	u := mix64(s.seed ^ uint64(f.end.Unix()) ^ uint64(len(f.region))<<56 ^ uint64(f.region[len(f.region)-1])<<48)
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var uniq [16]byte
	for i := range uniq {
		uniq[i] = alphabet[u%62]
		u = mix64(u)
	}
	return fmt.Sprintf("%s%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", s.logPrefix(), f.region, f.end.Format("2006/01/02"),
		s.acct.id, f.region, f.end.Format("20060102T1504Z"), uniq[:])
}

var reObjectKey = regexp.MustCompile(`^AWSLogs/([0-9]{12})/CloudTrail/([a-z0-9-]+)/([0-9]{4}/[0-9]{2}/[0-9]{2})/[0-9]{12}_CloudTrail_[a-z0-9-]+_([0-9]{8}T[0-9]{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`)

// parseObjectKey reads a log file's key back, checking it is one this
// trail would have delivered.
func (s *Sim) parseObjectKey(t Trail, key string) (trailFile, bool) {
	m := reObjectKey.FindStringSubmatch(key)
	if m == nil || m[1] != s.acct.id || !slices.Contains(s.trailRegions(t), m[2]) {
		return trailFile{}, false
	}
	end, err := time.Parse("20060102T1504Z", m[4])
	if err != nil {
		return trailFile{}, false
	}
	f := trailFile{region: m[2], end: end}
	return f, s.objectKey(f) == key && s.delivered(f) && len(s.fileEvents(f)) > 0
}

// delivered reports whether the file's span has passed on the sim's clock.
func (s *Sim) delivered(f trailFile) bool { return !f.end.After(s.now) }

// filesOfDay lists the files of a region delivered on a day, oldest first.
func (s *Sim) filesOfDay(region string, day time.Time) []trailFile {
	from, to := day, day.Add(24*time.Hour)
	var spans []time.Time
	seen := map[time.Time]bool{}
	note := func(at time.Time) {
		end := at.Truncate(fileSpan).Add(fileSpan)
		if !seen[end] && !end.Before(from) && end.Before(to) {
			seen[end] = true
			spans = append(spans, end)
		}
	}
	// A file is filed under the day it was delivered: its span may begin
	// the day before.
	a, b := from.Add(-fileSpan), to.Add(-fileSpan)
	if id, ok := s.trail.strs[region]; ok {
		list := s.trail.listFor(idxKey{idxRegion, id, 0})
		for i := s.trail.searchAfter(list, a.UnixMilli()-1); i < len(list); i++ {
			at := time.UnixMilli(s.trail.events[list[i]].at).UTC()
			if !at.Before(b) {
				break
			}
			note(at)
		}
	}
	for _, d := range s.dataEventsIn(a, b, region, "") {
		note(d.at)
	}
	slices.SortFunc(spans, time.Time.Compare)
	var out []trailFile
	for _, end := range spans {
		if f := (trailFile{region: region, end: end}); s.delivered(f) {
			out = append(out, f)
		}
	}
	return out
}

// fileEvent is one record of a file: a stored event or a data event.
type fileEvent struct {
	at   int64
	pos  int32 // stored event position, or -1
	data dataEvent
}

// fileEvents are the records of a file, oldest first.
func (s *Sim) fileEvents(f trailFile) []fileEvent {
	a, b := f.end.Add(-fileSpan), f.end
	var out []fileEvent
	if id, ok := s.trail.strs[f.region]; ok {
		list := s.trail.listFor(idxKey{idxRegion, id, 0})
		for i := s.trail.searchAfter(list, a.UnixMilli()-1); i < len(list); i++ {
			pos := list[i]
			if s.trail.events[pos].at >= b.UnixMilli() {
				break
			}
			out = append(out, fileEvent{at: s.trail.events[pos].at, pos: int32(pos)})
		}
	}
	for _, d := range s.dataEventsIn(a, b, f.region, "") {
		out = append(out, fileEvent{at: d.at.UnixMilli(), pos: -1, data: d})
	}
	slices.SortStableFunc(out, func(x, y fileEvent) int { return compareInt64(x.at, y.at) })
	return out
}

// renderFile writes a log file's JSON, gzip'd as CloudTrail delivers it.
func (s *Sim) renderFile(f trailFile) ([]byte, error) {
	var raw bytes.Buffer
	raw.WriteString(`{"Records":[`)
	for i, e := range s.fileEvents(f) {
		if i > 0 {
			raw.WriteByte(',')
		}
		rec, err := s.renderEvent(e)
		if err != nil {
			return nil, err
		}
		raw.Write(rec)
	}
	raw.WriteString("]}")
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

func (s *Sim) renderEvent(e fileEvent) ([]byte, error) {
	if e.pos < 0 {
		return s.renderData(e.data)
	}
	return s.trail.render(uint32(e.pos), s.acct.id)
}

// listTrail lists the trail's keys under prefix, in key order: the
// regions and days the prefix names, every one when it stops short.
func (s *Sim) listTrail(t Trail, prefix string) []string {
	base := s.logPrefix()
	if !strings.HasPrefix(prefix, base) && !strings.HasPrefix(base, prefix) {
		return nil
	}
	var keys []string
	for _, region := range s.trailRegions(t) {
		rp := base + region + "/"
		if !strings.HasPrefix(rp, prefix) && !strings.HasPrefix(prefix, rp) {
			continue
		}
		for d := s.firstDay(); !d.After(s.now); d = d.AddDate(0, 0, 1) {
			dp := rp + d.Format("2006/01/02") + "/"
			if !strings.HasPrefix(dp, prefix) && !strings.HasPrefix(prefix, dp) {
				continue
			}
			for _, f := range s.filesOfDay(region, d) {
				if k := s.objectKey(f); strings.HasPrefix(k, prefix) {
					keys = append(keys, k)
				}
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// firstDay is the day of the oldest event the trail can hold.
func (s *Sim) firstDay() time.Time {
	first := s.start.Add(-retention - day)
	if len(s.trail.events) > 0 {
		if t := time.UnixMilli(s.trail.events[0].at).UTC(); t.Before(first) {
			first = t
		}
	}
	return first.Truncate(24 * time.Hour)
}
