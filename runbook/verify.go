package runbook

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// VerifyResult is the outcome of checking an action log's hash chain.
type VerifyResult struct {
	// Records is the number of verified records before the first bad line.
	Records int
	// OK is true when every line verified and the log ends with a newline.
	OK bool
	// BadLine is the 1-based number of the first bad line; 0 when OK.
	BadLine int
	// Reason says what is wrong with BadLine, as a sentence for the
	// responder: "line 7: hash does not match its content (edited?)".
	Reason string
	// Torn reports that the bad line is a last line cut short by a crash
	// (no final newline, or not JSON), as opposed to an edit.
	Torn bool
	// Head is the Hash of the last verified record, "" when there is none.
	// The chain cannot show that records were cut from the end; comparing
	// Head with a copy kept elsewhere (the report prints it) can.
	Head string
	// GoodBytes is the length of the verified prefix: truncating the file
	// to it removes a torn last line.
	GoodBytes int64
}

// hashTailLen is the length of `"hash":"` + 64 hex digits + `"}`.
const hashTailLen = len(`"hash":"`) + sha256.Size*2 + len(`"}`)

// VerifyJournal checks an action log read from r: every line is a record
// whose hash matches its bytes, whose prev is the previous line's hash ("" on
// the first line) and whose seq is its line number, and the log ends with a
// newline. It stops at the first bad line and says why.
func VerifyJournal(r io.Reader) VerifyResult {
	_, res := readJournal(r, false)
	return res
}

// ReadJournal reads and verifies an action log like VerifyJournal and
// returns the records of its verified prefix, which is all of it when the
// result is OK. A torn last line is reported, never returned as a record.
func ReadJournal(r io.Reader) ([]Record, VerifyResult) {
	return readJournal(r, true)
}

// ReadJournalFile is ReadJournal of the action log at path; err is only
// a failure to open it.
func ReadJournalFile(path string) ([]Record, VerifyResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, VerifyResult{}, err
	}
	defer f.Close()
	recs, res := ReadJournal(f)
	return recs, res, nil
}

func readJournal(r io.Reader, keep bool) ([]Record, VerifyResult) {
	// ReadBytes grows its buffer to fit a line: records carrying a whole
	// CloudTrail sweep run to megabytes, far past bufio.Scanner's default.
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		recs []Record
		res  VerifyResult
	)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			res.OK = true
			return recs, res
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return recs, res.fail(lineNo, false, fmt.Sprintf("line %d: cannot be read: %v", lineNo, err))
		}
		complete := err == nil // the line ends with '\n'
		body := bytes.TrimSuffix(line, []byte("\n"))
		rec, reason, notJSON := checkLine(body, lineNo, res.Head)
		if !complete || (notJSON && atEOF(br)) {
			return recs, res.fail(lineNo, true, tornReason(lineNo, res.GoodBytes, complete))
		}
		if reason != "" {
			return recs, res.fail(lineNo, false, reason)
		}
		if keep {
			recs = append(recs, rec)
		}
		res.Records++
		res.Head = rec.Hash
		res.GoodBytes += int64(len(line))
	}
}

func (res VerifyResult) fail(lineNo int, torn bool, reason string) VerifyResult {
	res.OK, res.BadLine, res.Torn, res.Reason = false, lineNo, torn, reason
	return res
}

// atEOF reports whether br has nothing left to read.
func atEOF(br *bufio.Reader) bool {
	_, err := br.Peek(1)
	return err != nil
}

// tornReason explains a torn last line and what to do. Cutting it is safe:
// Append returns only after the whole line is on disk, so if it was an
// intent its effect never started, and if it was a result, resume finds the
// intent without a result and reads the real state again. An APICall note
// (Journal.Note, fsynced in a batch) is a torn tail only after a power cut;
// its effect's intent was on disk before the call, and is reconciled so.
func tornReason(lineNo int, goodBytes int64, hasNewline bool) string {
	what := "it has no newline at the end"
	if hasNewline {
		what = "it is not complete JSON"
	}
	return fmt.Sprintf("line %d: torn last line (the program stopped mid-write; %s): keep a copy of the log, cut it to its first %d bytes (on Unix: truncate -s %d LOG), then resume: an unfinished effect is reconciled by reading the real state again",
		lineNo, what, goodBytes, goodBytes)
}

// checkLine verifies one line (without its newline) as record lineNo, after
// a record whose hash is prev. It returns the record, or why the line is bad
// and whether it is bad because it is not JSON at all.
func checkLine(body []byte, lineNo int, prev string) (rec Record, reason string, notJSON bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return rec, fmt.Sprintf("line %d: empty line (edited?)", lineNo), true
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		return rec, fmt.Sprintf("line %d: not valid JSON (edited?)", lineNo), true
	}
	claimed, ok := splitHash(body)
	if !ok || rec.Hash != claimed {
		return rec, fmt.Sprintf("line %d: hash field missing or malformed, it must end the line as \"hash\":\"<64 lower-case hex digits>\"} (edited?)", lineNo), false
	}
	if hashWithoutValue(body) != claimed {
		return rec, fmt.Sprintf("line %d: hash does not match its content (edited?)", lineNo), false
	}
	if rec.Prev != prev {
		if lineNo == 1 {
			return rec, "line 1: prev is not empty, so this is not the first record (the start of the log was removed?)", false
		}
		return rec, fmt.Sprintf("line %d: prev does not match line %d's hash (a line was removed or reordered)", lineNo, lineNo-1), false
	}
	if rec.Seq != int64(lineNo) {
		return rec, fmt.Sprintf("line %d: seq %d expected %d", lineNo, rec.Seq, lineNo), false
	}
	if !rec.Type.Valid() {
		return rec, fmt.Sprintf("line %d: unknown record type %q", lineNo, rec.Type), false
	}
	return rec, "", false
}

// splitHash returns the hash value that ends a line, if the line ends the way
// encodeRecord writes it: ,"hash":"<64 lower-case hex>"}.
func splitHash(body []byte) (string, bool) {
	if len(body) < hashTailLen+1 || !bytes.HasSuffix(body, []byte(`"}`)) {
		return "", false
	}
	tail := body[len(body)-hashTailLen-1:]
	if !bytes.HasPrefix(tail, []byte(`,"hash":"`)) {
		return "", false
	}
	h := body[len(body)-2-sha256.Size*2 : len(body)-2]
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return string(h), true
}

// hashWithoutValue hashes body with its 64-digit hash value removed, which is
// the line encodeRecord hashed before filling the value in.
func hashWithoutValue(body []byte) string {
	h := sha256.New()
	h.Write(body[:len(body)-2-sha256.Size*2])
	h.Write([]byte(`"}`))
	return hex.EncodeToString(h.Sum(nil))
}

// IsJournal reports whether the file at path starts like an action log: a
// first line that verifies as the first record of a chain. Commands that
// write files refuse to write over one, even when told to overwrite: an
// action log is an incident's evidence. A missing file is not a journal.
func IsJournal(path string) (bool, error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return false, nil // a device or a pipe (/dev/stdout) holds no log
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check %s: %w", path, err)
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 64<<10).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("check %s: %w", path, err)
	}
	_, reason, _ := checkLine(bytes.TrimSuffix(line, []byte("\n")), 1, "")
	return reason == "", nil
}
