package runbook

import (
	"fmt"
	"time"
)

// A root user's key is changed with root's own credentials, which the
// responder obtains the way the account type allows (issue 18):
//   - a standalone account: the root user signs in to the console with its
//     email address, password and MFA device; the session is root's;
//   - an Organizations member account: sts:AssumeRoot from the management
//     account, with a root task policy. No task policy allows
//     iam:UpdateAccessKey, so the reversible step there is the SCP
//     (awsops.RootDenySCP), and the session serves the deletion.
// The training drill makes the responder do it (SignInAsRoot); live and
// dry-run keep --root-profile and --org-admin-profile, and every call made
// as root is journaled with root as its actor (APICall.Actor).

// RootMethod is how root's credentials were obtained.
type RootMethod string

// The ways to act as a root user.
const (
	// RootSignIn is the root user's console sign-in with MFA.
	RootSignIn RootMethod = "root-sign-in"
	// RootAssume is sts:AssumeRoot from the organization's management account.
	RootAssume RootMethod = "assume-root"
)

// Title names the method for people.
func (r RootMethod) Title() string {
	switch r {
	case RootSignIn:
		return "root sign-in with MFA"
	case RootAssume:
		return "sts:AssumeRoot from the management account"
	}
	return string(r)
}

// RootMethodFor is the way the key's account allows: AssumeRoot for an
// Organizations member, the root user's own sign-in otherwise.
func RootMethodFor(k KeyFacts) RootMethod {
	if k.OrgMember {
		return RootAssume
	}
	return RootSignIn
}

// RootARN is the ARN of an account's root user, the actor of every call
// made as root (a root console session and an AssumeRoot session both
// report it from sts:GetCallerIdentity).
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// ViaAfterSignIn is the Via of a call planned before root's session
// exists (awsops' Plan before the drill's root sign-in): root sends it
// once the responder has signed in, never before (the machine refuses a
// root change until then), so a confirmation can show it early and say so.
const ViaAfterSignIn = "after sign-in"

// RootAccess is the root session keyrunbook acts with, as obtained.
type RootAccess struct {
	Method RootMethod `json:"method"`
	// Actor is the session's caller ARN (arn:aws:iam::ACCOUNT:root).
	Actor string `json:"actor"`
	// Via says who opened the session: the management account's caller
	// for AssumeRoot, with the task policy that bounds it.
	Via        string `json:"via,omitempty"`
	TaskPolicy string `json:"taskPolicy,omitempty"`
	// MFA is true when the sign-in was MFA-authenticated.
	MFA     bool      `json:"mfa,omitempty"`
	At      time.Time `json:"at"`
	Expires time.Time `json:"expires,omitzero"`
}

// Text says in one line how root's credentials were obtained.
func (a RootAccess) Text() string {
	s := fmt.Sprintf("%s as %s at %s", a.Method.Title(), a.Actor, stamp(a.At))
	if a.Via != "" {
		s += ", opened by " + a.Via
	}
	if a.TaskPolicy != "" {
		s += ", task policy " + a.TaskPolicy
	}
	if !a.Expires.IsZero() {
		s += ", expires " + stamp(a.Expires)
	}
	return s
}

// SignInAsRoot is the responder obtaining root's credentials in a drill.
// MFACode is the code the root user's MFA device shows; it is used once
// and never journaled (a log is no place for a credential, even a
// one-time one), so a replayed sign-in carries none.
type SignInAsRoot struct {
	MFACode string `json:"-"`
}

// ObtainRootCredentials opens a root session in the key's account by
// Method. MFACode, as in SignInAsRoot, is never journaled.
type ObtainRootCredentials struct {
	KeyID   string     `json:"keyId"`
	Account string     `json:"account"`
	Method  RootMethod `json:"method"`
	MFACode string     `json:"-"`
}

// RootCredentialsObtained answers ObtainRootCredentials.
type RootCredentialsObtained struct {
	Access RootAccess `json:"access"`
}

// EventName implements Event.
func (SignInAsRoot) EventName() string { return "SignInAsRoot" }

// EventName implements Event.
func (RootCredentialsObtained) EventName() string { return "RootCredentialsObtained" }

// EffectName implements Effect.
func (ObtainRootCredentials) EffectName() string { return "ObtainRootCredentials" }

// Mutates implements Effect: a sign-in opens a session and changes
// nothing in the account (the sign-in is recorded in CloudTrail, as any).
func (ObtainRootCredentials) Mutates() bool { return false }

// NeedsRootSignIn reports whether the drill waits for the responder to
// obtain root's credentials before the next change: a training drill on a
// root key, at the steps whose changes need root, with no session yet. A
// member account's deactivation is the SCP, made from the management
// account, so there only the deletion needs the root session.
func (s State) NeedsRootSignIn() bool {
	if s.Mode != ModeTraining || !s.Intake.Identified || !s.Intake.Key.Root || s.Contain.RootAccess != nil {
		return false
	}
	switch s.Step {
	case StepDeactivate:
		return !s.Intake.Key.OrgMember
	case StepWatch, StepDelete, StepReactivate:
		return true
	}
	return false
}

// rootGap is why a change that needs root must wait, or "".
func (m *Machine) rootGap() string {
	if !m.s.NeedsRootSignIn() {
		return ""
	}
	if m.s.Intake.Key.OrgMember {
		return "the key is the root user's of member account " + m.s.Intake.Key.Account + ": open a root session with sts:AssumeRoot from the management account first"
	}
	return "the key is the root user's: sign in as root (email, password and MFA code) first, as you would in the console"
}

func (m *Machine) signInAsRoot(e SignInAsRoot) ([]Effect, error) {
	s := &m.s
	switch {
	case !s.Intake.Identified:
		return nil, refuse(s.Step, e, "identify the key first: root's credentials are for the key's account")
	case !s.Intake.Key.Root:
		return nil, refuse(s.Step, e, "the key is %s's: your own credentials change it, and root's should stay unused", s.Intake.Key.Owner())
	case s.Mode != ModeTraining:
		return nil, refuse(s.Step, e, "in a %s incident keyrunbook cannot sign in for you: give root's credentials with --root-profile (or the management account's with --org-admin-profile)", s.Mode)
	case s.Step != StepDeactivate && s.Step != StepWatch && s.Step != StepDelete && s.Step != StepReactivate:
		return nil, refuse(s.Step, e, "root's credentials are obtained when the first change that needs them comes (deactivation), not at %s", s.Step.Title())
	case m.isPending("ObtainRootCredentials"):
		return nil, refuse(s.Step, e, "the sign-in is already running")
	}
	return []Effect{ObtainRootCredentials{KeyID: s.KeyID, Account: s.Intake.Key.Account, Method: RootMethodFor(s.Intake.Key), MFACode: e.MFACode}}, nil
}

func (m *Machine) rootObtained(e RootCredentialsObtained) ([]Effect, error) {
	s := &m.s
	if !m.isPending("ObtainRootCredentials") {
		return nil, refuse(s.Step, e, "root credentials arrived but no sign-in was asked for")
	}
	if e.Access.Actor != RootARN(s.Intake.Key.Account) {
		return nil, refuse(s.Step, e, "the session obtained is %s, not the root user of account %s", orUnknown(e.Access.Actor), s.Intake.Key.Account)
	}
	m.settle("ObtainRootCredentials")
	a := e.Access
	s.Contain.RootAccess = &a
	if s.Effects.LastError != nil && s.Effects.LastError.Effect == "ObtainRootCredentials" {
		s.Effects.LastError = nil // the refused code before this one is history now
	}
	return nil, nil
}
