package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// orgTable is the audit's result, riskiest account first. It lists the
// accounts whose root user has a key, or may have one; the others are
// counted.
type orgTable struct {
	Result   awsops.OrgAuditResult
	Accounts []runbook.RootAudit
	// Now is what "used within --days" is measured from; NowFrom says
	// whose clock it is (orgNow).
	Now     time.Time
	NowFrom string
	Window  time.Duration
	// next words an account's next move as the command to run (nextStep).
	next func(runbook.RootAudit) string
}

// listed are the accounts the table shows: root key present or unknown.
func (t orgTable) listed() []runbook.RootAudit {
	var out []runbook.RootAudit
	for _, a := range t.Accounts {
		if a.HasKeys != runbook.No {
			out = append(out, a)
		}
	}
	return out
}

func (t orgTable) writeText(w io.Writer) error {
	listed := t.listed()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tNAME\tROOT KEYS\tLAST USED\tMFA\tPASSWORD\tNEXT")
	for _, a := range listed {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Account, a.Name, a.KeysText(), a.LastUseText(t.Now), a.MFA, a.LoginProfile, t.next(a))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write the table: %w", err)
	}
	_, err := fmt.Fprintf(w, "\n%d of %d accounts have a root key or may have one; %d have none.\nLast use is measured from %s, %s.\n",
		len(listed), len(t.Accounts), len(t.Accounts)-len(listed), t.Now.UTC().Format(orgTimeFormat), t.NowFrom)
	return err
}

// orgJSONAccount is an account as --json prints it.
type orgJSONAccount struct {
	runbook.RootAudit
	Risk      int    `json:"risk"`
	Retirable bool   `json:"retirable"`
	Next      string `json:"next"`
}

func (t orgTable) writeJSON(w io.Writer) error {
	doc := struct {
		Organization string           `json:"organization"`
		Management   string           `json:"management"`
		RootAccess   bool             `json:"rootAccess"`
		Advice       string           `json:"advice,omitempty"`
		At           time.Time        `json:"at"`
		AtFrom       string           `json:"atFrom"`
		WindowDays   int              `json:"windowDays"`
		Audited      int              `json:"audited"`
		Accounts     []orgJSONAccount `json:"accounts"`
	}{t.Result.Organization, t.Result.Management, t.Result.RootAccess, t.Result.Advice, t.Now.UTC(), t.NowFrom,
		int(t.Window / (24 * time.Hour)), len(t.Accounts), []orgJSONAccount{}}
	for _, a := range t.listed() {
		doc.Accounts = append(doc.Accounts, orgJSONAccount{a, a.Risk(t.Now, t.Window), a.Retirable(t.Now, t.Window), t.next(a)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

func (t orgTable) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"account", "name", "root_keys", "key_ids", "last_used", "last_used_at", "mfa", "login_profile", "source", "risk", "retirable", "next"})
	for _, a := range t.listed() {
		var ids []string
		for _, k := range a.Keys {
			ids = append(ids, k.ID)
		}
		at := ""
		if k, ok := a.LatestUse(); ok {
			at = k.LastUsed.UTC().Format(time.RFC3339)
		}
		_ = cw.Write([]string{a.Account, a.Name, a.KeysText(), strings.Join(ids, " "), a.LastUseText(t.Now), at,
			string(a.MFA), string(a.LoginProfile), a.Source, strconv.Itoa(a.Risk(t.Now, t.Window)),
			strconv.FormatBool(a.Retirable(t.Now, t.Window)), t.next(a)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// retireUnused is the headless bulk retirement: the review on stderr,
// one confirmation (the number of keys, typed), then each deletion
// journaled as an intent and a result. Where a feature deletion needs is
// off it refuses first, naming the call that enables it: no review, no
// question, no deletion bound to fail.
func retireUnused(ctx context.Context, audit *awsops.OrgAudit, j *runbook.Journal, t orgTable, o orgOptions) error {
	io := o.IO
	if refusal := t.Result.Features.DeleteRefusal(); refusal != "" {
		return fmt.Errorf("--retire-unused: %s; then run the same command again (the log keeps the audit)", refusal)
	}
	var keys []runbook.RootKeyRetirement
	fmt.Fprintf(io.err, "\nRoot keys no caller used in the last %d days, to delete through sts:AssumeRoot (IAMDeleteRootUserCredentials):\n", o.days)
	if note := t.Result.Features.RetireNote(); note != "" {
		fmt.Fprintln(io.err, note)
	}
	for _, a := range t.listed() {
		if !a.Retirable(t.Now, t.Window) {
			continue
		}
		for _, k := range a.Keys {
			keys = append(keys, runbook.RootKeyRetirement{Account: a.Account, KeyID: k.ID})
			fmt.Fprintf(io.err, "  %s  %-20s  %s  %s, last used %s\n", a.Account, a.Name, k.ID, k.Status, k.LastUse(t.Now))
		}
	}
	if len(keys) == 0 {
		fmt.Fprintln(io.err, "  none")
		return nil
	}
	verb := "delete"
	if o.dryRun {
		verb = "would delete (dry-run)"
	}
	if !o.yes {
		fmt.Fprintf(io.err, "Deletion cannot be undone. Type %d to %s these %d keys: ", len(keys), verb, len(keys))
		line, _ := bufio.NewReader(io.in).ReadString('\n')
		if strings.TrimSpace(line) != strconv.Itoa(len(keys)) {
			return fmt.Errorf("not confirmed: no key was deleted")
		}
	}
	out, err := audit.RetireRootKeys(ctx, keys, o.dryRun, func(typ runbook.RecordType, r runbook.RootKeyRetirement) error {
		_, err := j.Append(typ, runbook.StepOrgRetire, runbook.RecordRetireRootKey, r)
		return err
	})
	failed := 0
	for _, r := range out {
		fmt.Fprintf(io.err, "  %s %s: %s\n", r.Account, r.KeyID, r.Outcome)
		if strings.HasPrefix(r.Outcome, "failed") {
			failed++
		}
	}
	if err != nil {
		return fmt.Errorf("bulk retirement stopped: %w", err)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deletions failed; run again to retry them", failed, len(keys))
	}
	return nil
}
