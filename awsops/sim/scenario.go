package sim

import (
	"encoding/json"
	"net/url"
)

// Scenario is one simulated AWS account with its history and its actors, as
// read from a scenario file (JSON, documented field by field below). Times are
// offsets from the simulation's start ("-90d", "-5d3h20m", "+15m"); durations
// use Go syntax plus a "d" unit for days ("5m", "1d12h").
//
// The exported fields double as the ground truth the trainer, the debrief and
// the tests read: which workloads are legitimate, what they run on, and which
// actions the attacker planted.
type Scenario struct {
	// Name is the scenario's identifier, as passed to LoadScenario.
	Name string `json:"name"`
	// Title is a short human title.
	Title string `json:"title"`
	// Brief is the one-line alert the responder starts from.
	Brief string `json:"brief"`
	// ExposedAt is when the brief says the key was exposed, an offset from
	// the start ("-2d7h"); the intake is prefilled with it. Empty: the
	// brief does not say.
	ExposedAt string `json:"exposedAt,omitempty"`
	// TrailFieldLimit is the size in bytes past which CloudTrail writes a
	// record's requestParameters or responseElements as {"omitted": true}:
	// CloudTrail's own 100 KB (sim.TrailFieldLimit, from "CloudTrail record
	// contents", docs.aws.amazon.com/awscloudtrail/latest/userguide/
	// cloudtrail-event-reference-record-contents.html), declared by a
	// scenario that has a record past it. 0 means that same limit.
	TrailFieldLimit int `json:"trailFieldLimit,omitempty"`
	// Account is the simulated account.
	Account Account `json:"account"`
	// Regions are the enabled regions; empty means AWS's default set, which
	// a list must include (no account can disable a default region). A
	// regional service refuses calls in any other region (handler.go).
	Regions []string `json:"regions,omitempty"`
	// Root is the account's root user.
	Root Root `json:"root"`
	// Users are the IAM users.
	Users []User `json:"users,omitempty"`
	// Roles are the IAM roles.
	Roles []Role `json:"roles,omitempty"`
	// InstanceProfiles are the IAM instance profiles.
	InstanceProfiles []InstanceProfile `json:"instanceProfiles,omitempty"`
	// ManagedPolicies are customer managed policies; AWS managed ones
	// (AdministratorAccess, ReadOnlyAccess, ...) are built in.
	ManagedPolicies []ManagedPolicy `json:"managedPolicies,omitempty"`
	// Instances are EC2 instances.
	Instances []Instance `json:"instances,omitempty"`
	// Trails are CloudTrail trails answered by DescribeTrails. Event history
	// (LookupEvents) exists whether or not a trail does, as on AWS.
	Trails []Trail `json:"trails,omitempty"`
	// Functions are Lambda functions (lambda.go): what GetFunction
	// answers and UpdateFunctionConfiguration changes. A lambda workload
	// runs on the function its runsOn names.
	Functions []Function `json:"functions,omitempty"`
	// ECS holds ECS clusters and their services (ecs.go): what
	// DescribeServices answers and UpdateService changes. An ecs workload
	// runs on the service its runsOn names (CLUSTER/SERVICE).
	ECS *ECS `json:"ecs,omitempty"`
	// GuardDuty lists the regions' GuardDuty detectors (guardduty.go);
	// none means GuardDuty is off everywhere.
	GuardDuty []Detector `json:"guardDuty,omitempty"`
	// BillingAlarm is the account's alarm on AWS/Billing EstimatedCharges
	// in us-east-1 (cloudwatch.go); none means no billing alarm.
	BillingAlarm *BillingAlarm `json:"billingAlarm,omitempty"`
	// Organization makes the account an Organizations management account
	// with member accounts (org.go); none means a standalone account.
	Organization *Organization `json:"organization,omitempty"`
	// Responder is the principal a trainee acts as.
	Responder Responder `json:"responder"`
	// LeakedKey is the ref of the key the incident is about.
	LeakedKey string `json:"leakedKey"`
	// Workloads are the actors calling AWS, legitimate or not.
	Workloads []Workload `json:"workloads,omitempty"`
	// DataEvents are the S3 object and Lambda invoke calls a trail records
	// in its log files and event history never shows (s3_data.go).
	DataEvents []DataEvent `json:"dataEvents,omitempty"`
}

// Account identifies the simulated account.
type Account struct {
	// ID is the 12-digit account ID.
	ID string `json:"id"`
	// Alias is the account alias, informational.
	Alias string `json:"alias,omitempty"`
}

// Root is the account's root user.
type Root struct {
	// MFA says whether root has an MFA device (GetAccountSummary); the
	// root-key drill's sign-in then asks for its code (signin.go).
	MFA bool `json:"mfa,omitempty"`
	// Email is the root user's sign-in address (default
	// aws-root@ALIAS.example).
	Email string `json:"email,omitempty"`
	// Created is when the account was created (default "-1500d").
	Created string `json:"created,omitempty"`
	// Keys are root access keys.
	Keys []Key `json:"keys,omitempty"`
}

// Key is an access key. Refs name keys inside the scenario, so a scenario can
// leave the ID and secret out and get ones generated from the seed (the ID
// then encodes the account, as real key IDs do).
type Key struct {
	// Ref names the key in the scenario; unique.
	Ref string `json:"ref"`
	// ID is AKIA + 16 base32 characters; generated when empty.
	ID string `json:"id,omitempty"`
	// Secret is 40 characters; generated when empty.
	Secret string `json:"secret,omitempty"`
	// Status is "Active" (default) or "Inactive".
	Status string `json:"status,omitempty"`
	// Created is when the key was created (default "-365d").
	Created string `json:"created,omitempty"`
	// LastUsed records a use older than the seeded history, if any.
	LastUsed *LastUse `json:"lastUsed,omitempty"`
}

// LastUse is a key's last recorded use.
type LastUse struct {
	At      string `json:"at"`
	Service string `json:"service"`
	Region  string `json:"region"`
}

// User is an IAM user.
type User struct {
	Name string `json:"name"`
	// Path defaults to "/".
	Path    string `json:"path,omitempty"`
	Created string `json:"created,omitempty"`
	// Password says whether the user has a console password.
	Password bool  `json:"password,omitempty"`
	MFA      bool  `json:"mfa,omitempty"`
	Keys     []Key `json:"keys,omitempty"`
	// AttachedPolicies are managed policy ARNs.
	AttachedPolicies []string       `json:"attachedPolicies,omitempty"`
	InlinePolicies   []InlinePolicy `json:"inlinePolicies,omitempty"`
}

// InlinePolicy is a named inline policy document.
type InlinePolicy struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
}

// Role is an IAM role.
type Role struct {
	Name        string `json:"name"`
	Path        string `json:"path,omitempty"`
	Description string `json:"description,omitempty"`
	Created     string `json:"created,omitempty"`
	// AssumeRolePolicy is the trust policy document.
	AssumeRolePolicy json.RawMessage `json:"assumeRolePolicy"`
	AttachedPolicies []string        `json:"attachedPolicies,omitempty"`
	InlinePolicies   []InlinePolicy  `json:"inlinePolicies,omitempty"`
}

// InstanceProfile is an IAM instance profile holding at most one role.
type InstanceProfile struct {
	Name    string `json:"name"`
	Path    string `json:"path,omitempty"`
	Created string `json:"created,omitempty"`
	Role    string `json:"role,omitempty"`
}

// ManagedPolicy is a customer managed policy.
type ManagedPolicy struct {
	Name string `json:"name"`
	// ARN defaults to arn:aws:iam::ACCOUNT:policy/NAME.
	ARN      string          `json:"arn,omitempty"`
	Document json.RawMessage `json:"document"`
}

// Instance is an EC2 instance.
type Instance struct {
	// ID is i- + 17 hex digits; generated when empty.
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	Region string `json:"region"`
	// AZ defaults to REGION + "a".
	AZ        string `json:"az,omitempty"`
	Type      string `json:"type,omitempty"`
	ImageID   string `json:"imageId,omitempty"`
	PrivateIP string `json:"privateIp"`
	PublicIP  string `json:"publicIp,omitempty"`
	// ElasticIP says the public IP is an Elastic IP (DescribeAddresses).
	ElasticIP bool   `json:"elasticIp,omitempty"`
	Launched  string `json:"launched,omitempty"`
	// InstanceProfile names an instance profile already associated.
	InstanceProfile string `json:"instanceProfile,omitempty"`
}

// Trail is a CloudTrail trail.
type Trail struct {
	Name        string `json:"name"`
	HomeRegion  string `json:"homeRegion"`
	MultiRegion bool   `json:"multiRegion,omitempty"`
	Bucket      string `json:"bucket"`
}

// Responder names the trainee's principal: an IAM user of the account (User),
// or a user of another account (ExternalAccount and ExternalUser), whose
// calls the sim answers only for STS, since it models one account.
type Responder struct {
	User            string `json:"user,omitempty"`
	ExternalAccount string `json:"externalAccount,omitempty"`
	ExternalUser    string `json:"externalUser,omitempty"`
	// SourceIP stands in for loopback in CloudTrail (default 203.0.113.50).
	SourceIP string `json:"sourceIp,omitempty"`
}

// Workload kinds: what a workload runs on.
const (
	KindEC2      = "ec2"
	KindLambda   = "lambda"
	KindECS      = "ecs"
	KindOnPrem   = "onprem"
	KindCI       = "ci"
	KindAttacker = "attacker"
)

// Workload is an actor that calls AWS with one key from one place: periodic
// Calls, plus one-off Steps (an attacker's planted actions, a deploy).
type Workload struct {
	Name string `json:"name"`
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Legitimate is the ground truth: true for the business's own callers.
	Legitimate bool `json:"legitimate"`
	// RunsOn is the EC2 instance ID (ec2), function name (lambda), cluster/
	// service (ecs), host name (onprem) or pipeline (ci).
	RunsOn string `json:"runsOn,omitempty"`
	// Key is the ref of the key it calls with.
	Key string `json:"key"`
	// WrongSecret plants a wrong secret for that key in the workload (a typo,
	// a secret from before a rotation): every call it makes is refused with
	// SignatureDoesNotMatch and never reaches CloudTrail.
	WrongSecret bool `json:"wrongSecret,omitempty"`
	// SourceIP defaults to the instance's public IP for ec2 workloads.
	SourceIP  string `json:"sourceIp,omitempty"`
	UserAgent string `json:"userAgent"`
	// Country is where SourceIP geolocates, informational (ISO code).
	Country string `json:"country,omitempty"`
	// Alarm names the CloudWatch-style alarm that reports its health.
	Alarm string `json:"alarm,omitempty"`
	// From and Until bound when it runs (default: all the time).
	From  string `json:"from,omitempty"`
	Until string `json:"until,omitempty"`
	Calls []Call `json:"calls,omitempty"`
	Steps []Step `json:"steps,omitempty"`
}

// Call is a periodic API call of a workload. Periodic calls are recorded and
// authorized but change nothing; use Steps for mutations the sim applies.
type Call struct {
	Service string `json:"service"`
	Action  string `json:"action"`
	// Region defaults to us-east-1; IAM is recorded in us-east-1 always.
	Region string `json:"region,omitempty"`
	Every  string `json:"every"`
	// Offset shifts the schedule; Jitter (< Every) spreads it.
	Offset string `json:"offset,omitempty"`
	Jitter string `json:"jitter,omitempty"`
	// Params become the event's requestParameters.
	Params map[string]string `json:"params,omitempty"`
	// Resource is the ARN checked against policies (default "*").
	Resource string `json:"resource,omitempty"`
	// ReadOnly overrides the guess from the action's name.
	ReadOnly *bool `json:"readOnly,omitempty"`
}

// Step is a one-off API call at a given time. Operations the sim implements
// (IAM, STS, EC2) are applied to the account with Params in the query form
// the API takes ("UserName", "PolicyArn", "MinCount"); others are recorded.
type Step struct {
	At      string            `json:"at"`
	Service string            `json:"service"`
	Action  string            `json:"action"`
	Region  string            `json:"region,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	// SaveKeyAs names the key a CreateAccessKey step creates, so another
	// workload can call with it.
	SaveKeyAs string `json:"saveKeyAs,omitempty"`
	Resource  string `json:"resource,omitempty"`
	ReadOnly  *bool  `json:"readOnly,omitempty"`
	// RequestParameters, for an operation the sim does not serve, is the
	// event's requestParameters as CloudTrail writes them, nested objects
	// and booleans included (a snapshot's createVolumePermission, GuardDuty's
	// enable=false); Params stay flat strings.
	RequestParameters json.RawMessage `json:"requestParameters,omitempty"`
}

// LegitimateCallers are the legitimate workloads calling with the leaked
// key: the callers a responder must find and give replacements.
func (sc *Scenario) LegitimateCallers() []Workload {
	var out []Workload
	for _, w := range sc.Workloads {
		if w.Legitimate && w.Key == sc.LeakedKey {
			out = append(out, w)
		}
	}
	return out
}

// Event is what CloudTrail records of a step's call: its event source and
// requestParameters, as the simulated account writes them.
func (st Step) Event() (source string, requestParameters json.RawMessage) {
	if len(st.RequestParameters) > 0 {
		return eventSource(st.Service), st.RequestParameters
	}
	v := url.Values{}
	for k, val := range st.Params {
		v.Set(k, val)
	}
	return eventSource(st.Service), paramsJSON(v)
}
