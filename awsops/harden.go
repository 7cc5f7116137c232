package awsops

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// checkHardening reads issue 6's checklist from the account. A check the
// account will not answer (a missing permission, a service the endpoint
// does not serve) reads "could not read: …" and is not OK; the step itself
// never fails for it.
func (x *Executor) checkHardening(ctx context.Context, e runbook.CheckHardening) runbook.Event {
	items := x.rootChecks(ctx)
	items = append(items, x.trailCheck(ctx), x.guardDutyCheck(ctx), x.billingAlarmCheck(ctx),
		x.centralRootCheck(ctx), x.attackerKeysCheck(ctx, e))
	if it, ok := x.containmentSCPCheck(ctx); ok {
		items = append(items, it)
	}
	return runbook.HardeningChecked{Items: items}
}

// couldNotRead says why a check has no answer.
func couldNotRead(action string, err error) string {
	missing, text := describe(action, err)
	switch {
	case missing != "":
		return "could not read: your credentials lack " + missing
	case isUnsupported(err) || apiCode(err) == "":
		return "could not read: this account or endpoint does not answer " + action + " (" + oneLine(err) + ")"
	}
	return "could not read: " + strings.TrimSuffix(text, ".")
}

func (x *Executor) rootChecks(ctx context.Context) []runbook.CheckItem {
	keys := runbook.CheckItem{ID: "root-keys", Title: "No root access keys (Security Hub IAM.4)",
		Fix: "Sign in as root, Security credentials, Access keys: delete every key; use IAM roles for automation."}
	mfa := runbook.CheckItem{ID: "root-mfa", Title: "Root user has MFA (Security Hub IAM.9)",
		Fix: "Sign in as root, Security credentials, Multi-factor authentication: assign a device (a hardware security key for root)."}
	out, err := x.read.iam(x.cfg).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		keys.State = couldNotRead("iam:GetAccountSummary", err)
		mfa.State = keys.State
		return []runbook.CheckItem{keys, mfa}
	}
	n, ok := out.SummaryMap["AccountAccessKeysPresent"]
	keys.OK = ok && n == 0
	keys.State = map[bool]string{true: "no root access keys", false: "the root user has access keys"}[keys.OK]
	if !ok {
		keys.State = "could not read: the account summary has no AccountAccessKeysPresent"
	}
	m, ok := out.SummaryMap["AccountMFAEnabled"]
	mfa.OK = ok && m == 1
	mfa.State = map[bool]string{true: "root MFA is on", false: "root has no MFA device"}[mfa.OK]
	if !ok {
		mfa.State = "could not read: the account summary has no AccountMFAEnabled"
	}
	if keys.OK {
		keys.Fix = ""
	}
	if mfa.OK {
		mfa.Fix = ""
	}
	return []runbook.CheckItem{keys, mfa}
}

func (x *Executor) trailCheck(ctx context.Context) runbook.CheckItem {
	it := runbook.CheckItem{ID: "cloudtrail", Title: "A multi-region trail is logging (Security Hub CloudTrail.1)",
		Fix: "aws cloudtrail create-trail --name management-events --s3-bucket-name BUCKET --is-multi-region-trail, then aws cloudtrail start-logging --name management-events."}
	ct := x.read.cloudTrail(x.homeRegion())
	out, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		it.State = couldNotRead("cloudtrail:DescribeTrails", err)
		return it
	}
	var states []string
	for _, t := range out.TrailList {
		if !aws.ToBool(t.IsMultiRegionTrail) {
			continue
		}
		name := aws.ToString(t.Name)
		st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: orPtr(t.TrailARN, t.Name)})
		switch {
		case err != nil:
			states = append(states, fmt.Sprintf("multi-region trail %s exists; whether it logs %s", name, couldNotRead("cloudtrail:GetTrailStatus", err)))
		case aws.ToBool(st.IsLogging):
			it.OK, it.Fix = true, ""
			it.State = fmt.Sprintf("multi-region trail %s is logging", name)
			return it
		default:
			states = append(states, fmt.Sprintf("multi-region trail %s exists but is not logging", name))
			it.Fix = fmt.Sprintf("aws cloudtrail start-logging --name %s (and find out who stopped it: StopLogging is an attacker's move).", name)
		}
	}
	if len(states) == 0 {
		it.State = "no multi-region trail"
		return it
	}
	it.State = strings.Join(states, "; ")
	return it
}

func (x *Executor) guardDutyCheck(ctx context.Context) runbook.CheckItem {
	region := x.homeRegion()
	it := runbook.CheckItem{ID: "guardduty", Title: "GuardDuty is on (Security Hub GuardDuty.1)",
		Fix: "aws guardduty create-detector --enable, in every region you use (or for the organization from its delegated administrator)."}
	gd := x.read.guardDuty(region)
	out, err := gd.ListDetectors(ctx, &guardduty.ListDetectorsInput{})
	if err != nil {
		it.State = couldNotRead("guardduty:ListDetectors", err)
		return it
	}
	if len(out.DetectorIds) == 0 {
		it.State = "no GuardDuty detector in " + region
		return it
	}
	det, err := gd.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(out.DetectorIds[0])})
	switch {
	case err != nil:
		it.State = "a detector exists in " + region + "; its status " + couldNotRead("guardduty:GetDetector", err)
	case det.Status == gdtypes.DetectorStatusEnabled:
		it.OK, it.Fix, it.State = true, "", "GuardDuty is enabled in "+region
	default:
		it.State = fmt.Sprintf("the detector in %s is %s", region, det.Status)
		it.Fix = "aws guardduty update-detector --detector-id " + out.DetectorIds[0] + " --enable"
	}
	return it
}

// billingAlarmCheck looks for an alarm on AWS/Billing EstimatedCharges,
// which exists only in us-east-1.
func (x *Executor) billingAlarmCheck(ctx context.Context) runbook.CheckItem {
	it := runbook.CheckItem{ID: "billing-alarm", Title: "A billing alarm exists",
		Fix: "Turn on billing alerts (Billing preferences), then create a CloudWatch alarm on AWS/Billing EstimatedCharges in us-east-1: an attacker's instances show there first."}
	p := cloudwatch.NewDescribeAlarmsPaginator(x.read.cloudWatch(DefaultRegion), &cloudwatch.DescribeAlarmsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			it.State = couldNotRead("cloudwatch:DescribeAlarms", err)
			return it
		}
		for _, a := range page.MetricAlarms {
			if aws.ToString(a.Namespace) == "AWS/Billing" {
				it.OK, it.Fix = true, ""
				it.State = "billing alarm " + aws.ToString(a.AlarmName)
				return it
			}
		}
	}
	it.State = "no alarm on AWS/Billing in us-east-1"
	return it
}

// centralRootCheck applies to Organizations members: centralized root
// access lets the management account remove members' root credentials.
func (x *Executor) centralRootCheck(ctx context.Context) runbook.CheckItem {
	it := runbook.CheckItem{ID: "centralized-root", Title: "Organizations centralized root access (where it applies)"}
	out, err := x.read.orgs().DescribeOrganization(ctx, nil)
	switch {
	case apiCode(err) == "AWSOrganizationsNotInUseException":
		it.OK, it.State = true, "the account is in no organization: does not apply"
		return it
	case err != nil:
		it.State = couldNotRead("organizations:DescribeOrganization", err)
		return it
	}
	acct, mgmt := x.account(ctx), aws.ToString(out.Organization.MasterAccountId)
	enable := "From the management account: " + EnableRootCredentialsManagementCall + " (and " + EnableRootSessionsCall + "), then remove members' root credentials."
	if acct != mgmt {
		it.State = fmt.Sprintf("member of organization %s: whether centralized root access is on can be read only from the management account %s (iam:ListOrganizationsFeatures)", aws.ToString(out.Organization.Id), mgmt)
		it.Fix = enable
		return it
	}
	feats, err := x.read.iam(x.cfg).ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	if err != nil {
		it.State, it.Fix = couldNotRead("iam:ListOrganizationsFeatures", err), enable
		return it
	}
	if slices.Contains(feats.EnabledFeatures, iamtypes.FeatureTypeRootCredentialsManagement) {
		it.OK, it.State = true, "centralized root credentials management is enabled"
		return it
	}
	it.State, it.Fix = "centralized root credentials management is not enabled", enable
	return it
}

// attackerKeysCheck reads whether the keys and users the attacker created
// (the investigation's blast radius) are gone.
func (x *Executor) attackerKeysCheck(ctx context.Context, e runbook.CheckHardening) runbook.CheckItem {
	it := runbook.CheckItem{ID: "attacker-keys", Title: "Keys and users the attacker created are removed"}
	if !e.Swept {
		it.State = "could not read: this session did not run the investigation, so the blast radius is unknown here; check the report's blast radius by hand"
		return it
	}
	r := x.read.iam(x.cfg)
	var left, unknown []string
	for _, res := range e.BlastRadius {
		var err error
		present := false
		switch res.Type {
		case "access-key":
			var st runbook.KeyStatus
			if res.Parent == "" {
				continue
			}
			st, err = x.userKeyStatus(ctx, x.cfg, res.Parent, res.ID)
			if apiCode(err) == "NoSuchEntity" {
				err, st = nil, runbook.KeyGone
			}
			present = st != runbook.KeyGone
		case "iam-user":
			_, err = r.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(res.ID)})
			present = err == nil
			if apiCode(err) == "NoSuchEntity" {
				err = nil
			}
		default:
			continue
		}
		switch {
		case err != nil:
			unknown = append(unknown, fmt.Sprintf("%s %s (%s)", res.Type, res.ID, couldNotRead("iam", err)))
		case present:
			left = append(left, res.Type+" "+res.ID)
		}
	}
	switch {
	case len(left) > 0:
		it.State = "still there: " + strings.Join(left, ", ")
		it.Fix = "Clean them up from the containment steps (deactivate, then delete keys; remove the users)."
	case len(unknown) > 0:
		it.State = strings.Join(unknown, "; ")
	default:
		it.OK, it.State = true, "none of the attacker's keys or users is left"
	}
	return it
}

func orPtr(a, b *string) *string {
	if aws.ToString(a) != "" {
		return a
	}
	return b
}
