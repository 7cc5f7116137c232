package runbook

import (
	"strings"
	"time"
)

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

// Call names the action for people: the IAM action where the investigation
// named it, else the event source's prefix and the event name.
func (a ActionUse) Call() string {
	if a.Action != "" {
		return a.Action
	}
	return strings.TrimSuffix(a.Source, ".amazonaws.com") + ":" + a.Name
}
