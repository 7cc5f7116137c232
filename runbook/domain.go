package runbook

import (
	"strings"
	"time"
)

// Caller identity as STS reports it for the credentials keyrunbook runs with.
type Caller struct {
	Account     string `json:"account"`
	ARN         string `json:"arn"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
}

// KeyStatus is an access key's IAM status.
type KeyStatus string

// Key statuses; KeyGone ("Deleted") is ours (IAM then reports NoSuchEntity).
const (
	KeyActive   KeyStatus = "Active"
	KeyInactive KeyStatus = "Inactive"
	KeyGone     KeyStatus = "Deleted"
	KeyUnknown  KeyStatus = ""
)

// KeyFacts is what identification learned about the leaked key.
type KeyFacts struct {
	KeyID   string    `json:"keyId"`
	Account string    `json:"account"`        // owning account, from sts:GetAccessKeyInfo
	Root    bool      `json:"root"`           // owned by the account's root user
	User    string    `json:"user,omitempty"` // IAM user name when not root
	UserARN string    `json:"userArn,omitempty"`
	Status  KeyStatus `json:"status"`
	Created time.Time `json:"created,omitzero"`
	// Last use as iam:GetAccessKeyLastUsed reports it.
	LastUsed        time.Time `json:"lastUsed,omitzero"`
	LastUsedService string    `json:"lastUsedService,omitempty"`
	LastUsedRegion  string    `json:"lastUsedRegion,omitempty"`
	// Policies of the owner: attached managed, inline, and group names.
	AttachedPolicies []string `json:"attachedPolicies,omitempty"`
	InlinePolicies   []string `json:"inlinePolicies,omitempty"`
	Groups           []string `json:"groups,omitempty"`
	// QuarantinePolicy names AWS's AWSCompromisedKeyQuarantine* policy when
	// AWS already found the key in public; it must stay until closing.
	QuarantinePolicy string `json:"quarantinePolicy,omitempty"`
	RootMFA          *bool  `json:"rootMfa,omitempty"`         // GetAccountSummary AccountMFAEnabled
	RootKeysPresent  *bool  `json:"rootKeysPresent,omitempty"` // AccountAccessKeysPresent
	OtherKeys        int    `json:"otherKeys,omitempty"`       // the owner's other access keys
	OrgMember        bool   `json:"orgMember,omitempty"`       // account is an Organizations member
}

// Owner names the key's owner for people: "root" or "user alice".
func (k KeyFacts) Owner() string {
	switch {
	case k.Root:
		return "root user of " + k.Account
	case k.User != "":
		return "IAM user " + k.User
	}
	return "unknown owner"
}

// Finding is something a step could not learn or must warn about, such as a
// permission the responder's credentials lack.
type Finding struct {
	Step Step `json:"step"`
	// Action is the IAM action that was denied, when the finding is one.
	Action   string   `json:"action,omitempty"`
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
}

// Severity orders findings and indicators.
type Severity string

// Severities, least to most.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// CallerKind says where a caller of the key runs.
type CallerKind string

// Caller kinds, from the usage classification of DESIGN.md.
const (
	CallerEC2        CallerKind = "ec2"
	CallerLambda     CallerKind = "lambda"
	CallerECS        CallerKind = "ecs"
	CallerCloudShell CallerKind = "cloudshell"
	CallerOffAWS     CallerKind = "off-aws"
	CallerAWSService CallerKind = "aws-service" // noted, not a caller to replace
	CallerUnknown    CallerKind = "unknown"
	// CallerEKS: a pod on an EKS node (the calls come from a node of a
	// cluster). CallerCI: a CI job (GitHub Actions).
	CallerEKS CallerKind = "eks"
	CallerCI  CallerKind = "ci"
)

// Label is the responder-facing verdict on a caller.
type Label string

// Labels. Legitimate callers need a replacement; attacker and unknown
// callers never feed a replacement's policy.
const (
	LabelLegitimate Label = "legitimate"
	LabelSuspicious Label = "suspicious"
	LabelAttacker   Label = "attacker"
	LabelUnknown    Label = "unknown"
)

// ActionUse is one API action a caller was seen to make.
type ActionUse struct {
	Source string `json:"source"` // eventSource, e.g. s3.amazonaws.com
	Name   string `json:"name"`   // eventName, e.g. GetFunction20150331v2
	// Action is the IAM action the call needs, as the investigation named
	// it: "lambda:GetFunction" (no API-version suffix), "cloudwatch:…" for
	// monitoring.amazonaws.com. Empty in logs written before it existed.
	Action    string    `json:"action,omitempty"`
	Region    string    `json:"region,omitempty"`
	Count     int       `json:"count"`
	Errors    int       `json:"errors,omitempty"`
	ErrorCode string    `json:"errorCode,omitempty"` // the last error seen
	ReadOnly  bool      `json:"readOnly"`
	Resources []string  `json:"resources,omitempty"` // ARNs or names the events named
	LastSeen  time.Time `json:"lastSeen"`
}

// UsageCaller is one source that used the key: a host, function or client,
// grouped by source IP and user agent.
type UsageCaller struct {
	ID        string     `json:"id"` // stable within an investigation
	SourceIP  string     `json:"sourceIp"`
	UserAgent string     `json:"userAgent"`
	Kind      CallerKind `json:"kind"`
	Label     Label      `json:"label"`
	// Where it runs, when known: instance ID, function name, cluster/service.
	Resource string `json:"resource,omitempty"`
	// ResourceRegion is the region of Resource (an instance's, a function's),
	// which the replacement acts in.
	ResourceRegion string      `json:"resourceRegion,omitempty"`
	Tool           string      `json:"tool,omitempty"` // aws-cli, boto3, terraform…
	Regions        []string    `json:"regions"`
	Actions        []ActionUse `json:"actions"`
	FirstSeen      time.Time   `json:"firstSeen"`
	LastSeen       time.Time   `json:"lastSeen"`
	Events         int         `json:"events"`
	Errors         int         `json:"errors"`
	// Why is the classification's reason, in a sentence.
	Why string `json:"why,omitempty"`
	// VPCEndpoint is the VPC endpoint the calls came through, if any.
	VPCEndpoint string `json:"vpcEndpoint,omitempty"`
	// Cluster groups callers that are one source: several tools on one
	// host ("host 198.51.100.7"), or the runs of one CI ("ci github-actions").
	Cluster string `json:"cluster,omitempty"`
	// Pattern says when the caller works ("every day 02:00-03:00 UTC").
	Pattern string `json:"pattern,omitempty"`
	// RunHours are the UTC hours a scheduled caller (one that works on
	// several days at the same few hours) was seen calling in; empty for a
	// caller with no schedule to tell.
	RunHours []int `json:"runHours,omitempty"`
	// Undecided says why the responder must decide this caller before the
	// key goes inactive (first seen after the exposure, from an address
	// and tool the key never used); relabelling it decides it.
	Undecided string `json:"undecided,omitempty"`
}

// NeedsReplacement reports whether the caller is legitimate work that must
// move off the key before it is turned off.
func (c UsageCaller) NeedsReplacement() bool {
	return c.Label == LabelLegitimate && c.Kind != CallerAWSService
}

// EventRef points at one CloudTrail event behind an indicator.
type EventRef struct {
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	Region string    `json:"region"`
	Name   string    `json:"name"`
}

// Indicator is evidence of attacker activity.
type Indicator struct {
	Kind     string     `json:"kind"` // persistence, recon, defense-evasion, resource-abuse, denied
	Summary  string     `json:"summary"`
	Severity Severity   `json:"severity"`
	CallerID string     `json:"callerId,omitempty"`
	Events   []EventRef `json:"events"`
	// Techniques are the MITRE ATT&CK IDs of the technique rows behind it.
	Techniques []string `json:"techniques,omitempty"`
	// FollowUps say what to do about it (Investigation.FollowUps).
	FollowUps []FollowUp `json:"followUps,omitempty"`
}

// Resource is something the key created or changed, to clean up.
type Resource struct {
	Type   string    `json:"type"` // iam-user, access-key, iam-role, ec2-instance, policy, login-profile, lambda-function
	ID     string    `json:"id"`
	Region string    `json:"region,omitempty"`
	Action string    `json:"action"` // the event that made it
	Time   time.Time `json:"time"`
	// Parent names the owner where it has one (the user of a created key).
	Parent string `json:"parent,omitempty"`
	// CallerID is the caller that made it (the earliest one not labelled
	// legitimate): what a legitimate caller made is its own, not the
	// attacker's, and is never offered for clean-up.
	CallerID string `json:"callerId,omitempty"`
}

// RegionState is how the sweep of one region ended or stands.
type RegionState string

// Region states shown during and after the sweep.
const (
	RegionPending   RegionState = "pending"
	RegionRunning   RegionState = "running"
	RegionThrottled RegionState = "throttled"
	RegionDone      RegionState = "done"
	RegionDenied    RegionState = "denied"
	RegionFailed    RegionState = "failed"
)

// RegionSweep is one region's part of the sweep.
type RegionSweep struct {
	Region string      `json:"region"`
	State  RegionState `json:"state"`
	Pages  int         `json:"pages"`
	Events int         `json:"events"`
	Error  string      `json:"error,omitempty"`
	// Oldest is the time of the oldest event read so far. LookupEvents
	// returns events newest first, so it says how far back the region got.
	Oldest time.Time `json:"oldest,omitzero"`
}

// Investigation is the folded result of the CloudTrail sweep.
type Investigation struct {
	From        time.Time     `json:"from"`
	To          time.Time     `json:"to"`
	Regions     []RegionSweep `json:"regions"`
	Events      int           `json:"events"`
	Callers     []UsageCaller `json:"callers"`
	Indicators  []Indicator   `json:"indicators"`
	BlastRadius []Resource    `json:"blastRadius"`
	// Coverage states the blind spots: what was not read.
	Coverage []string `json:"coverage,omitempty"`
	// Minted are the temporary credentials the key minted, followed by
	// the sweep: their calls are counted in Callers, Indicators and
	// BlastRadius as the key's own.
	Minted []MintedCredential `json:"minted,omitempty"`
	// Trails are the trail sources merged in after the sweep (sources.go),
	// with the windows they read, so that no event counts twice.
	Trails []TrailRead `json:"trails,omitempty"`
	// Failure is why the sweep failed as a whole, "" when it finished
	// (completeness.go): an empty investigation must never read as clean.
	Failure string `json:"failure,omitempty"`
}

// Caller returns the caller with the ID, if any.
func (inv *Investigation) Caller(id string) (UsageCaller, bool) {
	for _, c := range inv.Callers {
		if c.ID == id {
			return c, true
		}
	}
	return UsageCaller{}, false
}

// ReplacementKind is the identity a caller moves to.
type ReplacementKind string

// Replacement kinds of DESIGN.md.
const (
	ReplaceInstanceRole ReplacementKind = "instance-role" // EC2: role + instance profile
	ReplaceLambdaRole   ReplacementKind = "lambda-role"   // new execution role
	ReplaceECSTaskRole  ReplacementKind = "ecs-task-role" // task definition revision
	ReplaceIAMUser      ReplacementKind = "iam-user"      // off AWS: user + own key
	// Issue 11's kinds, where the evidence points past the ones above.
	ReplaceEKSPodIdentity ReplacementKind = "eks-pod-identity" // role for pods.eks.amazonaws.com + association
	ReplaceEKSIRSA        ReplacementKind = "eks-irsa"         // role trusting the cluster's OIDC issuer
	ReplaceOIDCRole       ReplacementKind = "oidc-role"        // CI: role trusting the CI's OIDC provider
	ReplaceRolesAnywhere  ReplacementKind = "roles-anywhere"   // on-premises: IAM Roles Anywhere
)

// Valid reports whether k is a replacement kind keyrunbook knows.
func (k ReplacementKind) Valid() bool {
	switch k {
	case ReplaceInstanceRole, ReplaceLambdaRole, ReplaceECSTaskRole, ReplaceIAMUser,
		ReplaceEKSPodIdentity, ReplaceEKSIRSA, ReplaceOIDCRole, ReplaceRolesAnywhere:
		return true
	}
	return false
}

// ExportOnly reports whether keyrunbook hands the kind to review instead of
// creating it: what completes it lies outside IAM (ExportOnlyReason).
func (k ReplacementKind) ExportOnly() bool { return k.ExportOnlyReason() != "" }

// ExportOnlyReason says why keyrunbook cannot create a kind, or "".
func (k ReplacementKind) ExportOnlyReason() string {
	switch k {
	case ReplaceRolesAnywhere:
		return "IAM Roles Anywhere needs your certificate authority for its trust anchor, which keyrunbook cannot create: export it (x), or switch to an IAM user (s) for now"
	case ReplaceEKSPodIdentity, ReplaceEKSIRSA:
		return "an EKS pod moves only when its service account and deployment change in the cluster, which keyrunbook does not touch: export it (x) for the cluster's owners"
	}
	return ""
}

// OIDCSubjectPlaceholder is an OIDC role's target until the responder
// names the repository: "<" never appears in a GitHub subject, so a role
// trusting it can be assumed by no one.
const OIDCSubjectPlaceholder = "repo:<org>/<repo>:*"

// kindRings are the kinds a proposal may switch between: the same caller
// served another way (an off-AWS host by a user key now or Roles Anywhere
// or OIDC later; a pod through Pod Identity or IRSA).
var kindRings = [][]ReplacementKind{
	{ReplaceIAMUser, ReplaceRolesAnywhere, ReplaceOIDCRole},
	{ReplaceEKSPodIdentity, ReplaceEKSIRSA},
}

// SwitchKind returns the proposal as the next kind of its ring, with the
// target that kind names (the host for a user or Roles Anywhere, the
// subject placeholder for an OIDC role), and false when its kind has no
// other. The caller is the proposal's own.
func SwitchKind(p Proposal, c UsageCaller) (Proposal, bool) {
	for _, ring := range kindRings {
		for i, k := range ring {
			if k != p.Kind {
				continue
			}
			next := ring[(i+1)%len(ring)]
			switch {
			case next == ReplaceOIDCRole:
				p.Target = OIDCSubjectPlaceholder
			case p.Kind == ReplaceOIDCRole:
				p.Target = c.SourceIP
			}
			p.Kind = next
			return p, true
		}
	}
	return p, false
}

// Decision is what the responder chose for a caller's proposal.
type Decision string

// Decisions on a proposal. Undecided blocks deactivation without override.
const (
	DecisionUndecided Decision = ""
	DecisionApply     Decision = "apply"    // keyrunbook creates it
	DecisionExported  Decision = "export"   // handed to review as CLI/Terraform
	DecisionNotOurs   Decision = "not-ours" // the caller counts as suspicious
)

// Proposal is the replacement identity proposed for one legitimate caller.
type Proposal struct {
	CallerID string          `json:"callerId"`
	Kind     ReplacementKind `json:"kind"`
	Name     string          `json:"name"`             // role or user name
	Target   string          `json:"target"`           // instance ID, function name, task family, host
	Region   string          `json:"region,omitempty"` // the target's region (EC2, Lambda, ECS)
	Policy   string          `json:"policy"`           // IAM policy JSON, least privilege
	// Attempted lists actions seen failing: attempted, not granted.
	Attempted []string `json:"attempted,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
	Decision  Decision `json:"decision"`
	Applied   bool     `json:"applied"`
	Moved     bool     `json:"moved"` // the caller was seen under the new identity
	// Created lists what applying made (ARNs, key ID), never a secret.
	Created []string `json:"created,omitempty"`
	// AppliedAt is when the first apply began: where the move check
	// starts looking for the caller under its replacement.
	AppliedAt time.Time `json:"appliedAt,omitzero"`
}

// CheckItem is one hardening check.
type CheckItem struct {
	ID    string `json:"id"` // e.g. root-keys (Security Hub IAM.4)
	Title string `json:"title"`
	OK    bool   `json:"ok"`
	State string `json:"state"` // what was read
	Fix   string `json:"fix,omitempty"`
}

// Call names the action for people: the IAM action where the investigation
// named it, else the event source's prefix and the event name.
func (a ActionUse) Call() string {
	if a.Action != "" {
		return a.Action
	}
	return strings.TrimSuffix(a.Source, ".amazonaws.com") + ":" + a.Name
}
