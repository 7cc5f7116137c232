package runbook

import (
	"fmt"
	"strings"
)

// KeyKind tells a long-term access key from a temporary credential.
type KeyKind int

// Key kinds by prefix (IAM identifiers reference: AKIA long-term, ASIA temporary).
const (
	KeyLongTerm KeyKind = iota + 1
	KeyTemporary
)

// KeyIDError says why a string is not a usable leaked-key ID, in words that
// tell the responder what to do instead.
type KeyIDError struct {
	Input  string
	Reason string
}

func (e *KeyIDError) Error() string { return e.Reason }

// ParseKeyID checks an access key ID as typed at intake. It accepts only
// AKIA + 16 base32 characters (A-Z, 2-7). An ASIA ID is refused with the
// explanation, since a temporary credential has no key to deactivate or delete.
func ParseKeyID(s string) (string, error) {
	id := strings.TrimSpace(s)
	if id == "" {
		return "", &KeyIDError{Input: s, Reason: "enter the leaked access key ID (AKIA followed by 16 characters)"}
	}
	if len(id) >= 4 && strings.ToUpper(id[:4]) == "ASIA" && strings.HasPrefix(id, "ASIA") && validBody(id) {
		return "", &KeyIDError{Input: s, Reason: "ASIA… is a temporary credential (from STS): it has no key to deactivate or delete. " +
			"Find the role or user that issued it in CloudTrail and revoke its sessions (deny by aws:TokenIssueTime), " +
			"then investigate the long-term key (AKIA…) that minted it, if any"}
	}
	if !strings.HasPrefix(id, "AKIA") {
		if strings.HasPrefix(strings.ToUpper(id), "AKIA") {
			return "", &KeyIDError{Input: s, Reason: "access key IDs are upper case: " + strings.ToUpper(id) + "?"}
		}
		return "", &KeyIDError{Input: s, Reason: fmt.Sprintf("%q is not an access key ID: it must start with AKIA", redactForMessage(id))}
	}
	if len(id) != 20 {
		return "", &KeyIDError{Input: s, Reason: fmt.Sprintf("an access key ID has 20 characters, this one has %d", len(id))}
	}
	if !validBody(id) {
		return "", &KeyIDError{Input: s, Reason: "after AKIA an access key ID has only the characters A-Z and 2-7"}
	}
	return id, nil
}

// KindOfKey returns the kind a syntactically valid key ID has.
func KindOfKey(id string) KeyKind {
	if strings.HasPrefix(id, "ASIA") {
		return KeyTemporary
	}
	return KeyLongTerm
}

func validBody(id string) bool {
	if len(id) != 20 {
		return false
	}
	for _, r := range id[4:] {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}

// redactForMessage keeps a mistyped value from echoing a pasted secret
// access key back onto the screen or into a log.
func redactForMessage(s string) string {
	if len(s) > 24 {
		return s[:4] + "…(" + fmt.Sprint(len(s)) + " characters)"
	}
	return s
}

// LastFour returns the confirmation suffix the responder must type to delete.
func LastFour(id string) string {
	if len(id) < 4 {
		return id
	}
	return id[len(id)-4:]
}
