package sim

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 6238's TOTP, which AWS's virtual MFA devices use, is HMAC-SHA1
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RootConsoleCredentials stands in for the responder signing in to the
// console as the account's root user, which a trainee cannot do: it mints
// a temporary (ASIA) credential that authenticates as root, as a console
// session does on AWS. It is not a root access key, so it does not count in
// AccountAccessKeysPresent. Each call is a new sign-in.
func (s *Sim) RootConsoleCredentials() (accessKeyID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &principal{kind: typeRoot, account: s.acct.id, id: s.acct.id,
		arn: "arn:aws:iam::" + s.acct.id + ":root", since: s.now}
	k := &accessKey{id: s.ids.accessKeyID("ASIA"), secret: s.ids.secret(), status: statusActive,
		created: s.now, session: p}
	s.acct.keys[k.id] = k
	s.acct.keyAccounts[k.id] = s.acct.id
	return k.id, k.secret
}

// The root user's console sign-in, for the root-key drill (issue 18). A
// standalone account's root user signs in with its email address, its
// password and, when it has one, its MFA device's code; the session the
// console then holds is root's (RootConsoleCredentials). The password is
// the break-glass vault's and the drill does not make the trainee type it;
// the MFA code is what the trainee reads off the device.

// totpStep is the period of a TOTP code (RFC 6238's default, and the one
// virtual MFA apps use with AWS).
const totpStep = 30 * time.Second

// ErrSignInRefused is what the sign-in page answers a wrong email address
// or MFA code with; like AWS's, it does not say which was wrong.
var ErrSignInRefused = errors.New("your authentication information is incorrect; please try again")

// RootEmail is the root user's sign-in email address: the scenario's, or
// one made from the account's alias.
func (s *Sim) RootEmail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rootEmail()
}

func (s *Sim) rootEmail() string {
	if s.sc.Root.Email != "" {
		return s.sc.Root.Email
	}
	return "aws-root@" + orDefault(s.acct.alias, s.acct.id) + ".example"
}

// RootMFADevice is the serial number of the root user's virtual MFA
// device, and false when root has none.
func (s *Sim) RootMFADevice() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.acct.rootMFA {
		return "", false
	}
	return "arn:aws:iam::" + s.acct.id + ":mfa/root-account-mfa-device", true
}

// RootMFACode is the code the root user's virtual MFA device shows now, on
// the simulated clock: what a responder reads off the phone.
func (s *Sim) RootMFACode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return totp(s.mfaSeed(), s.now)
}

// RootSignIn signs in to the console as the root user and returns the
// session's credentials. A wrong email address, or a code that is neither
// the device's current one nor the one before (typing takes time), is
// refused. Either way CloudTrail gets a ConsoleLogin event in us-east-1.
func (s *Sim) RootSignIn(email, code string) (accessKeyID, secret string, err error) {
	s.mu.Lock()
	ok := strings.EqualFold(strings.TrimSpace(email), s.rootEmail())
	if s.acct.rootMFA {
		code = strings.TrimSpace(code)
		seed := s.mfaSeed()
		ok = ok && (code == totp(seed, s.now) || code == totp(seed, s.now.Add(-totpStep)))
	}
	s.recordConsoleLogin(ok)
	s.mu.Unlock()
	if !ok {
		return "", "", ErrSignInRefused
	}
	id, secret := s.RootConsoleCredentials()
	return id, secret, nil
}

// recordConsoleLogin appends the sign-in's event, as AWS records it:
// signin.amazonaws.com ConsoleLogin, its result in responseElements
// ("Success" or "Failure"; AWS sets no errorCode on a failed sign-in).
func (s *Sim) recordConsoleLogin(ok bool) {
	who := &principal{kind: typeRoot, account: s.acct.id, id: s.acct.id, arn: "arn:aws:iam::" + s.acct.id + ":root", since: s.now}
	result := "Success"
	if !ok {
		result = "Failure"
	}
	c := &call{service: "signin", action: "ConsoleLogin", region: "us-east-1", who: who, at: s.now,
		origin:    s.trail.origin(origin{ip: s.responderIP, userAgent: consoleUserAgent}),
		respElems: map[string]string{"ConsoleLogin": result}}
	s.record(c, false, nil)
}

// consoleUserAgent is a browser's, as a console sign-in records it.
const consoleUserAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

// mfaSeed is the root device's secret, derived from the account so that
// it does not draw on the scenario's seeded identifier stream.
func (s *Sim) mfaSeed() []byte {
	sum := sha256.Sum256([]byte("keyrunbook-sim root mfa " + s.acct.id))
	return sum[:20]
}

// totp is RFC 6238's time-based one-time password: HMAC-SHA1 of the
// 30-second step number, dynamically truncated to 6 digits.
func totp(seed []byte, at time.Time) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/int64(totpStep/time.Second)))
	mac := hmac.New(sha1.New, seed)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1_000_000)
}
