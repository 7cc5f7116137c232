package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// Markers written in place of secrets. They are fixed strings so that a reader
// of the action log (or a test) can tell a redacted value from an empty one.
const (
	// RedactedValue replaces the whole value of a field whose name says it
	// holds a secret (SecretAccessKey, password, …).
	RedactedValue = "[REDACTED]"
	// RedactedSecret replaces a run of text that looks like an AWS secret
	// access key.
	RedactedSecret = "[REDACTED-SECRET]"
	// RedactedToken replaces a run of text that looks like an STS session
	// token.
	RedactedToken = "[REDACTED-TOKEN]"
)

// secretAccessKeyLen is the length of an AWS secret access key: 40 characters
// of the base64 alphabet (IAM API reference, AccessKey.SecretAccessKey).
const secretAccessKeyLen = 40

// minSessionTokenLen is shorter than any STS session token seen in practice
// (they run to hundreds of characters) and longer than anything else that
// starts with one of sessionTokenPrefixes by chance.
const minSessionTokenLen = 100

// sessionTokenPrefixes are the base64 openings of STS session tokens: current
// tokens decode to "!\n\torigin…", older ones to "\x17\n\x06er/aws…" or
// "\x01\n\x03aws…", and the AWS documentation's examples start AQoEXAMPLE.
var sessionTokenPrefixes = []string{"IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AQoDYXdz", "AQoEXAMPLE"}

// secretKeySuffixes name the JSON fields whose value is a secret, compared
// against the field name in lower case with '_' and '-' removed, so that
// SecretAccessKey, secret_access_key, AWS_SECRET_ACCESS_KEY, clientSecret,
// x-amz-security-token and newPassword all match. A suffix rather than a
// substring keeps fields about secrets readable: secretId (which secret an
// attacker read, from CloudTrail's GetSecretValue) and passwordLastUsed (a
// timestamp) are evidence the responder needs.
var secretKeySuffixes = []string{
	"secretaccesskey", "secret", "sessiontoken", "securitytoken",
	"password", "privatekey", "secretstring", "secretbinary",
}

// IsSecretField reports whether a JSON field of this name holds a secret whose
// value must never be written or shown.
func IsSecretField(name string) bool {
	for _, suffix := range secretKeySuffixes {
		if hasFoldedSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// hasFoldedSuffix reports whether name, read in lower case and without '_'
// and '-', ends with suffix (lower-case ASCII). It does not allocate: every
// field name of every record passes through it.
func hasFoldedSuffix(name, suffix string) bool {
	i := len(name)
	for j := len(suffix) - 1; j >= 0; j-- {
		for i > 0 && (name[i-1] == '_' || name[i-1] == '-') {
			i--
		}
		if i == 0 {
			return false
		}
		c := name[i-1]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suffix[j] {
			return false
		}
		i--
	}
	return true
}

// RedactString returns s with every run that looks like an AWS secret access
// key replaced by RedactedSecret and every run that looks like an STS session
// token replaced by RedactedToken. A run is a maximal sequence of the base64
// characters [A-Za-z0-9/+]. A secret access key is a run of exactly 40 that
// holds both an upper-case and a lower-case letter: a random key lacks one of
// them with probability 2·(38/64)^40 ≈ 2e-9, while 40-character hex digests
// (SHA-1, git commits) lack one always and stay readable. Runs inside an ARN
// ("arn:" up to the first character that cannot appear in one) are left
// alone, since IAM names can make a resource path exactly 40 characters long.
// Key IDs (20 characters), our 64-character hashes and ordinary words do not
// match. Other packages use it for error messages shown on screen and in
// reports, so that one rule governs everything keyrunbook prints or writes.
func RedactString(s string) string {
	var b *strings.Builder // allocated at the first redaction only
	done := 0              // s[:done] is already in b
	for i := 0; i < len(s); {
		if hasARNPrefix(s, i) {
			i = arnEnd(s, i)
			continue
		}
		if !isBase64Char(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isBase64Char(s[j]) {
			j++
		}
		if marker := classifyRun(s[i:j]); marker != "" {
			if b == nil {
				b = new(strings.Builder)
				b.Grow(len(s))
			}
			b.WriteString(s[done:i])
			b.WriteString(marker)
			if marker == RedactedToken {
				// Session tokens are padded base64: the '=' belong to them.
				for j < len(s) && s[j] == '=' {
					j++
				}
			}
			done = j
		}
		i = j
	}
	if b == nil {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// classifyRun returns the marker that replaces run, or "" to keep it.
func classifyRun(run string) string {
	if len(run) == secretAccessKeyLen && hasUpperAndLower(run) {
		return RedactedSecret
	}
	if len(run) >= minSessionTokenLen {
		for _, p := range sessionTokenPrefixes {
			if strings.HasPrefix(run, p) {
				return RedactedToken
			}
		}
	}
	return ""
}

func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '/' || c == '+'
}

func hasUpperAndLower(s string) bool {
	var upper, lower bool
	for i := 0; i < len(s); i++ {
		upper = upper || 'A' <= s[i] && s[i] <= 'Z'
		lower = lower || 'a' <= s[i] && s[i] <= 'z'
	}
	return upper && lower
}

// hasARNPrefix reports whether an ARN starts at s[i]. The caller only asks at
// the start of a run, so "arn" is never the tail of a longer word.
func hasARNPrefix(s string, i int) bool {
	return strings.HasPrefix(s[i:], "arn:")
}

// arnEnd returns the index just past the ARN starting at s[i]. It stops at
// ',' and '=' although IAM names allow them, so that "user/x,secret=…" or
// "arn=…" glued to a secret cannot shield the secret from redaction.
func arnEnd(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if !isBase64Char(c) && c != ':' && c != '_' && c != '.' && c != '@' && c != '-' {
			break
		}
		i++
	}
	return i
}

// RedactJSON returns the JSON value raw with secrets removed: the value of
// every field named as a secret (see IsSecretField) becomes RedactedValue,
// unless it is null or "" (nothing to hide, and the absence is worth
// seeing), and every string, field names included, goes through
// RedactString. Field order, numbers (kept exact) and structure are
// preserved; insignificant whitespace is dropped.
func RedactJSON(raw []byte) ([]byte, error) {
	// Validating first lets the scanner below assume well-formed input; it
	// runs about ten times faster than json.Decoder.Token, which matters
	// for records carrying a whole CloudTrail sweep.
	if !json.Valid(raw) {
		return nil, errors.New("redact JSON: not valid JSON")
	}
	s := redactScanner{in: raw}
	s.out.Grow(len(raw))
	s.value()
	return s.out.Bytes(), nil
}

// redactScanner copies valid JSON from in to out, redacting as it goes.
type redactScanner struct {
	in  []byte
	i   int
	out bytes.Buffer
}

func (s *redactScanner) skipSpace() {
	for s.i < len(s.in) && (s.in[s.i] == ' ' || s.in[s.i] == '\t' || s.in[s.i] == '\n' || s.in[s.i] == '\r') {
		s.i++
	}
}

func (s *redactScanner) value() {
	s.skipSpace()
	switch s.in[s.i] {
	case '{':
		s.container('}', true)
	case '[':
		s.container(']', false)
	case '"':
		s.string()
	default: // number, true, false, null: copied as they are
		start := s.i
		s.skipScalar()
		s.out.Write(s.in[start:s.i])
	}
}

// container copies an object or an array; the scanner is at its opening.
func (s *redactScanner) container(closing byte, object bool) {
	s.out.WriteByte(s.in[s.i])
	s.i++
	for {
		s.skipSpace()
		if s.in[s.i] == closing {
			s.out.WriteByte(closing)
			s.i++
			return
		}
		if s.in[s.i] == ',' {
			s.out.WriteByte(',')
			s.i++
			s.skipSpace()
		}
		if !object {
			s.value()
			continue
		}
		name := s.string()
		s.skipSpace()
		s.out.WriteByte(':')
		s.i++ // the ':'
		if !IsSecretField(name) {
			s.value()
			continue
		}
		s.skipSpace()
		start := s.i
		s.skipValue()
		switch v := s.in[start:s.i]; string(v) {
		case "null", `""`:
			s.out.Write(v)
		default:
			writeJSONString(&s.out, RedactedValue)
		}
	}
}

// string copies the string the scanner is at through RedactString and
// returns it unredacted, for field names.
func (s *redactScanner) string() string {
	start := s.i
	s.skipString()
	raw := s.in[start:s.i]
	var str string
	if bytes.IndexByte(raw, '\\') >= 0 {
		_ = json.Unmarshal(raw, &str) // cannot fail: the input is valid JSON
	} else {
		str = string(raw[1 : len(raw)-1])
	}
	if red := RedactString(str); red != str {
		writeJSONString(&s.out, red)
	} else {
		s.out.Write(raw) // as written, so unchanged strings keep their escapes
	}
	return str
}

// skipValue moves past the value the scanner is at without copying it.
func (s *redactScanner) skipValue() {
	switch s.in[s.i] {
	case '"':
		s.skipString()
	case '{', '[':
		for depth := 0; ; {
			switch s.in[s.i] {
			case '"':
				s.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return
			}
		}
	default:
		s.skipScalar()
	}
}

// skipString moves from a string's opening quote to just past its closing one.
func (s *redactScanner) skipString() {
	for s.i++; s.in[s.i] != '"'; s.i++ {
		if s.in[s.i] == '\\' {
			s.i++ // the escaped character, which may be '"'
		}
	}
	s.i++
}

// skipScalar moves past a number, true, false or null.
func (s *redactScanner) skipScalar() {
	for s.i < len(s.in) {
		switch s.in[s.i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return
		}
		s.i++
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals (bad UTF-8 becomes U+FFFD)
	buf.Write(b)
}

// redactedError shows its cause through RedactString, so an error that
// quotes a secret (a MarshalJSON method echoing its input, say) cannot carry
// it to the screen, while errors.Is/As still see the cause.
type redactedError struct{ err error }

func (e redactedError) Error() string { return RedactString(e.err.Error()) }
func (e redactedError) Unwrap() error { return e.err }
