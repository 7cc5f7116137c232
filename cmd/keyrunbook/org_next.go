package main

import (
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// nextStep words each account's next move as the org campaign makes it
// (org_campaign.go), naming the command that makes it with this run's own
// flags: a key no caller used is deleted in bulk through AssumeRoot; a key
// in use gets its runbook, where Deactivate attaches an SCP (no root task
// policy allows UpdateAccessKey) and deletion goes through AssumeRoot; the
// management account's root is out of AssumeRoot's reach. log is this
// run's org action log; feats are the organization's features of
// centralized root access: deleting needs root credentials management, so
// where it is off the move names the call that enables it first.
func (o orgOptions) nextStep(log string, now time.Time, window time.Duration, feats awsops.RootFeatures) func(runbook.RootAudit) string {
	return func(a runbook.RootAudit) string {
		switch a.NextMove(now, window) {
		case runbook.MoveRetire:
			if calls := feats.DeleteNeeds(); len(calls) > 0 {
				return "unused: enable root credentials management (" + strings.Join(calls, "; ") + "), then delete through AssumeRoot: " +
					o.orgCommand("--retire-unused", "--log", log)
			}
			if o.retire {
				return "unused: delete through AssumeRoot (the review below)"
			}
			return "unused: delete through AssumeRoot: " + o.orgCommand("--retire-unused", "--log", log)
		case runbook.MoveRespond:
			key, _ := keyToRespond(a)
			return a.UseText(now, window) + ": contain with an SCP, replace the caller, delete through AssumeRoot: " + o.respondCommand(key)
		case runbook.MoveManagementRoot:
			return runbook.ManagementRootAdvice
		case runbook.MoveEnableCentral:
			return "enable centralized root access (the calls above), then " + o.orgCommand("--log", "NEW.jsonl")
		case runbook.MoveReread:
			// An account the log holds is not read again: a new log reads it.
			return a.Why + "; then " + o.orgCommand("--log", "NEW.jsonl")
		}
		return "check by hand"
	}
}

// orgCommand is this run's org command line with extra flags.
func (o orgOptions) orgCommand(extra ...string) string {
	args := []string{"keyrunbook", "org"}
	for _, f := range [][2]string{{"--scenario", o.scenario}, {"--profile", o.profile}, {"--region", o.region}, {"--endpoint-url", o.endpoint}} {
		if f[1] != "" {
			args = append(args, f[0], f[1])
		}
	}
	return strings.Join(append(args, extra...), " ")
}

// respondCommand opens the runbook of a member's root key outside the org
// TUI (where enter opens it, as --member-role): respond in the member
// account, with the management account's credentials for the SCP and the
// deletion. A simulated organization lives in this process only: its TUI.
func (o orgOptions) respondCommand(key string) string {
	if o.scenario != "" {
		return "enter on it in " + o.orgCommand() + " (in a terminal)"
	}
	admin := o.profile
	if admin == "" {
		admin = "MANAGEMENT-PROFILE"
	}
	cmd := "keyrunbook respond --key " + key + " --profile MEMBER-PROFILE --org-admin-profile " + admin
	if o.endpoint != "" {
		cmd += " --endpoint-url " + o.endpoint
	}
	return cmd
}
