package awsops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A trail log file is one JSON object, {"Records":[{…},{…},…]}, gzip'd; a
// busy account writes thousands of them a day, and almost none of their
// records concern the leaked key. Decoding every record as JSON would cost
// more than decompressing it, so the scan splits the records apart with a
// structural scan that only follows strings and brackets, and decodes a
// record only when its raw bytes contain the key ID (the fast path). A key
// ID is ASCII (A-Z, 2-7) and JSON never needs to escape it, so a record
// signed with the key always contains it verbatim.
//
// CloudTrail writes every record with eventVersion first, and the bytes
// {"eventVersion": cannot occur inside a JSON string (the quote would be
// escaped), so in a file CloudTrail wrote a record starts exactly where
// that marker does. The splitter cuts records at the marker with one
// vectorised search (marker mode) and checks the structure of a record
// only when it holds the key; a record that fails the check (an object
// nested in a record that also starts with eventVersion) sends the file
// back to be read with the structural scan alone.

// logBufSize is the splitter's read size: large enough that the gzip
// reader's copies are few, small enough per worker to stay in cache.
const logBufSize = 256 << 10

// maxRecordSize bounds one record. CloudTrail records are a few KB; a
// file that claims a record larger than this is not a trail log.
const maxRecordSize = 64 << 20

// structural marks the bytes the splitter must look at outside strings.
var structural = func() (t [256]bool) {
	for _, c := range []byte(`"{}[]`) {
		t[c] = true
	}
	return t
}()

// recordMarker opens every record CloudTrail writes.
var recordMarker = []byte(`{"eventVersion":`)

// errRescan says marker mode met a record it cannot vouch for.
var errRescan = errors.New("record boundaries unclear: read the file again with the structural scan")

// errNotTrailLog says a file is not in the {"Records":[…]} format.
var errNotTrailLog = errors.New(`not a CloudTrail log file: expected {"Records":[…]}`)

// logSplitter hands out the raw bytes of each record of a trail log's
// Records array, reading the log as a stream: it holds one buffer, never
// the whole file. It checks structure, not JSON syntax: a record it hands
// out is decoded (and so validated) only if it matters.
type logSplitter struct {
	r   io.Reader
	buf []byte
	n   int // buf[:n] holds data
	pos int // next byte to scan
	eof bool

	level     int  // nesting of {} and [] outside strings
	inString  bool // pos is inside a string
	strStart  int  // where the current string's content starts
	records   bool // inside the Records array (level 2)
	recStart  int  // start of the record being read, -1 between records
	lastKey   bool // the last string at level 1 was "Records"
	sawObject bool // the top-level object began
	done      bool // the top-level object ended

	structuralOnly bool // never switch to marker mode
	marker         bool // marker mode: recStart is the current record's start
	searchFrom     int  // where the next marker search starts
}

func newLogSplitter(r io.Reader, buf []byte, structuralOnly bool) *logSplitter {
	if cap(buf) < logBufSize {
		buf = make([]byte, logBufSize)
	}
	return &logSplitter{r: r, buf: buf[:cap(buf)], recStart: -1, structuralOnly: structuralOnly}
}

// checkRecord vouches for a record marker mode cut, before it is decoded:
// it must be one whole JSON object. It is called for the few records that
// hold the key; the structural scan's records need no check.
func (s *logSplitter) checkRecord(rec []byte) error {
	if !s.marker || balancedObject(rec) {
		return nil
	}
	return errRescan
}

// balancedObject reports whether b is exactly one JSON object, by brackets
// and strings.
func balancedObject(b []byte) bool {
	if len(b) < 2 || b[0] != '{' {
		return false
	}
	level := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			level++
		case '}', ']':
			level--
			if level == 0 {
				return i == len(b)-1
			}
		}
	}
	return false
}

// each calls fn with every record's raw bytes, valid only during the call.
func (s *logSplitter) each(fn func(raw []byte) error) error {
	for {
		rec, err := s.next()
		if err != nil {
			return err
		}
		if rec == nil {
			return nil
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// next returns the next record, or nil at the end of the log.
func (s *logSplitter) next() ([]byte, error) {
	for {
		if rec, ok := s.scan(); ok {
			return rec, nil
		}
		if s.done {
			return nil, s.trailing()
		}
		if s.eof {
			if !s.sawObject {
				return nil, errNotTrailLog
			}
			return nil, errors.New("trail log ends in the middle of its Records array (truncated file?)")
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// fill keeps the bytes still needed (the record or string being read) at
// the buffer's front and reads more after them.
func (s *logSplitter) fill() error {
	keep := s.pos
	if s.marker {
		keep = s.recStart
	} else if s.recStart >= 0 {
		keep = s.recStart
	} else if s.inString {
		keep = s.strStart
	}
	if keep > 0 {
		copy(s.buf, s.buf[keep:s.n])
		s.n -= keep
		s.pos -= keep
		s.strStart -= keep
		s.searchFrom -= keep
		if s.recStart >= 0 {
			s.recStart -= keep
		}
	}
	if s.n == len(s.buf) {
		if len(s.buf) >= maxRecordSize {
			return fmt.Errorf("a record is larger than %d MiB: not a CloudTrail log file", maxRecordSize>>20)
		}
		grown := make([]byte, 2*len(s.buf))
		copy(grown, s.buf[:s.n])
		s.buf = grown
	}
	m, err := s.r.Read(s.buf[s.n:])
	s.n += m
	switch {
	case errors.Is(err, io.EOF):
		s.eof = true
	case err != nil:
		return err
	}
	return nil
}

// scan advances over buf[pos:n] and returns a record when one ends there.
func (s *logSplitter) scan() ([]byte, bool) {
	if s.marker {
		return s.scanMarker()
	}
	buf := s.buf[:s.n]
	for s.pos < len(buf) && !s.done {
		if s.inString {
			end, ok := s.stringEnd(buf)
			if !ok {
				return nil, false
			}
			if s.level == 1 {
				s.lastKey = string(buf[s.strStart:end]) == "Records"
			}
			s.inString, s.pos = false, end+1
			continue
		}
		// Outside strings only a few bytes separate tokens: step through them.
		c := buf[s.pos]
		s.pos++
		if !structural[c] {
			continue
		}
		switch c {
		case '"':
			s.inString, s.strStart = true, s.pos
		case '{', '[':
			s.level++
			switch {
			case s.level == 1 && c == '{':
				s.sawObject = true
			case s.level == 2 && c == '[' && s.lastKey:
				s.records = true
			case s.level == 3 && s.records && c == '{':
				s.recStart = s.pos - 1
				if !s.structuralOnly && bytes.HasPrefix(buf[s.recStart:], recordMarker) {
					s.marker, s.searchFrom = true, s.recStart+1
					return s.scanMarker()
				}
			}
		case '}', ']':
			s.level--
			switch {
			case s.level == 2 && s.records && c == '}' && s.recStart >= 0:
				rec := buf[s.recStart:s.pos]
				s.recStart = -1
				return rec, true
			case s.level == 1:
				s.records = false
			case s.level == 0:
				s.done = true
			case s.level < 0:
				s.done = true
			}
		}
	}
	return nil, false
}

// stringEnd finds the closing quote of the string that began at strStart,
// from pos on; false means it lies past the data read so far.
func (s *logSplitter) stringEnd(buf []byte) (int, bool) {
	from := s.pos
	for {
		i := bytes.IndexByte(buf[from:], '"')
		if i < 0 {
			// Backslashes are counted back from the quote, which fill keeps
			// in the buffer with the whole string.
			s.pos = len(buf)
			return 0, false
		}
		q := from + i
		bs := 0
		for j := q - 1; j >= s.strStart && buf[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			return q, true
		}
		from = q + 1
	}
}

// trailing checks that only whitespace follows the top-level object.
func (s *logSplitter) trailing() error {
	if s.level < 0 || !s.sawObject {
		return errNotTrailLog
	}
	for {
		for _, c := range s.buf[s.pos:s.n] {
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return errors.New("data after the end of the trail log's JSON object")
			}
		}
		s.pos = s.n
		if s.eof {
			return nil
		}
		if err := s.fill(); err != nil {
			return err
		}
	}
}

// scanMarker hands out the record that ends where the next marker starts.
// The last record has no marker after it: the structural scan reads it,
// and whatever follows the Records array, from its start.
func (s *logSplitter) scanMarker() ([]byte, bool) {
	buf := s.buf[:s.n]
	from := max(s.searchFrom, s.recStart+1)
	if j := bytes.Index(buf[from:], recordMarker); j >= 0 {
		next := from + j
		rec := bytes.TrimRight(buf[s.recStart:next], " \t\r\n")
		rec = bytes.TrimRight(bytes.TrimSuffix(rec, []byte(",")), " \t\r\n")
		s.recStart, s.searchFrom = next, next+1
		return rec, true
	}
	// The marker may straddle the end of what was read: search its tail again.
	s.searchFrom = max(s.recStart+1, len(buf)-len(recordMarker)+1)
	if !s.eof {
		return nil, false
	}
	s.marker, s.structuralOnly = false, true
	s.level, s.pos, s.recStart = 2, s.recStart, -1
	return s.scan()
}

// keyFinder tells whether a record holds the key. bytes.Contains looks
// for the key's first byte, "A", which CloudTrail JSON is full of (AWS,
// ARN, AKIA, AIDA…); jumping between occurrences of the key's rarest
// byte instead costs a tenth as much per record.
type keyFinder struct {
	key []byte
	at  int  // position in key of the byte searched for
	c   byte // key[at]
}

// keyRarity ranks the bytes a key ID holds, rarest in trail JSON first:
// upper-case letters occur mostly in IDs, digits in every time stamp.
const keyRarity = "QZXJKYWVUGFHBPMDNCLROTISEA765432"

func newKeyFinder(key string) keyFinder {
	k := keyFinder{key: []byte(key)}
	best := len(keyRarity)
	for i := range len(key) {
		if r := strings.IndexByte(keyRarity, key[i]); r >= 0 && r < best {
			best, k.at = r, i
		}
	}
	if len(key) > 0 {
		k.c = key[k.at]
	}
	return k
}

// in reports whether b holds the key.
func (k keyFinder) in(b []byte) bool {
	if len(k.key) == 0 {
		return false
	}
	for i := k.at; i < len(b); {
		j := bytes.IndexByte(b[i:], k.c)
		if j < 0 {
			return false
		}
		if bytes.HasPrefix(b[i+j-k.at:], k.key) {
			return true
		}
		i += j + 1
	}
	return false
}
