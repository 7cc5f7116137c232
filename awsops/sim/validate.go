package sim

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// compiled is a validated scenario with its times parsed: what New builds
// the account and the workload schedule from.
type compiled struct {
	regions   []string
	workloads []compiledWorkload
	steps     []compiledStep // every workload's steps, by time
	dataCalls []dataCall     // the data events' schedules (s3_data.go)
}

type compiledWorkload struct {
	w           *Workload
	from, until time.Duration
	calls       []compiledCall
}

type compiledCall struct {
	c                     *Call
	every, offset, jitter time.Duration
	readOnly              bool
}

type compiledStep struct {
	s        *Step
	workload int
	at       time.Duration
	readOnly bool
}

// awsRegions are the commercial regions and whether each needs opting in
// (AWS General Reference, "Enable or disable Regions").
var awsRegions = map[string]bool{
	"us-east-1": false, "us-east-2": false, "us-west-1": false, "us-west-2": false,
	"ca-central-1": false, "sa-east-1": false, "eu-west-1": false, "eu-west-2": false,
	"eu-west-3": false, "eu-central-1": false, "eu-north-1": false, "ap-south-1": false,
	"ap-northeast-1": false, "ap-northeast-2": false, "ap-northeast-3": false,
	"ap-southeast-1": false, "ap-southeast-2": false,
	"af-south-1": true, "ap-east-1": true, "ap-south-2": true, "ap-southeast-3": true,
	"ap-southeast-4": true, "ap-southeast-5": true, "ca-west-1": true, "eu-south-1": true,
	"eu-south-2": true, "eu-central-2": true, "il-central-1": true, "me-south-1": true,
	"me-central-1": true, "mx-central-1": true,
}

// defaultRegions are the regions enabled in a new account.
func defaultRegions() []string {
	var out []string
	for r, optIn := range awsRegions {
		if !optIn {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

var (
	reScenarioName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	reAccountID    = regexp.MustCompile(`^[0-9]{12}$`)
	reIAMName      = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	reKeyID        = regexp.MustCompile(`^(AKIA|ASIA)[A-Z2-7]{16}$`)
	reSecret       = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
	reService      = regexp.MustCompile(`^[a-z0-9-]{2,40}$`)
	reAction       = regexp.MustCompile(`^[A-Za-z0-9]{2,80}$`)
	reInstanceID   = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)
)

// fieldErr is a validation error naming the field at fault.
func fieldErr(field, format string, args ...any) error {
	return fmt.Errorf("scenario: %s: %s", field, fmt.Sprintf(format, args...))
}

// parseSpan reads a duration in Go syntax with an extra "d" (24h) unit, so
// "90d", "-5d3h" and "15m" all work.
func parseSpan(s string) (time.Duration, error) {
	sign := time.Duration(1)
	rest := s
	switch {
	case strings.HasPrefix(rest, "-"):
		sign, rest = -1, rest[1:]
	case strings.HasPrefix(rest, "+"):
		rest = rest[1:]
	}
	var days time.Duration
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("%q is not a duration like 90d, 5d3h or 15m", s)
		}
		days, rest = time.Duration(n)*24*time.Hour, rest[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a duration like 90d, 5d3h or 15m", s)
		}
	} else if days == 0 && s != "0" && !strings.HasSuffix(s, "d") {
		return 0, fmt.Errorf("%q is not a duration like 90d, 5d3h or 15m", s)
	}
	return sign * (days + d), nil
}

// offsetOr parses an offset from the start, or returns def when s is empty.
func offsetOr(field, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := parseSpan(s)
	if err != nil {
		return 0, fieldErr(field, "%v", err)
	}
	return d, nil
}

// pastOffset is offsetOr for things that must already exist at the start.
func pastOffset(field, s string, def time.Duration) (time.Duration, error) {
	d, err := offsetOr(field, s, def)
	if err == nil && d > 0 {
		err = fieldErr(field, "%q is in the future; things that exist at the start need a negative offset", s)
	}
	return d, err
}

// compile validates sc and parses its times.
func compile(sc *Scenario, services catalog) (*compiled, error) {
	v := validator{sc: sc, services: services, keyRefs: map[string]string{}, keyIDs: map[string]bool{},
		users: map[string]bool{}, roles: map[string]bool{}, policies: map[string]bool{},
		instances: map[string]*Instance{}}
	for arn := range builtinPolicies {
		v.policies[arn] = true
	}
	for _, check := range []func() error{v.header, v.identities, v.resources, v.functions, v.ecs, v.detectors, v.billingAlarm, v.organization, v.responder, v.workloads, v.dataEvents} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	return &v.out, nil
}

type validator struct {
	sc        *Scenario
	services  catalog
	out       compiled
	enabled   map[string]bool
	keyRefs   map[string]string // ref → field that defines it
	keyIDs    map[string]bool
	users     map[string]bool
	roles     map[string]bool
	policies  map[string]bool
	instances map[string]*Instance
}

func (v *validator) header() error {
	sc := v.sc
	if !reScenarioName.MatchString(sc.Name) {
		return fieldErr("name", "%q must be lower-case letters, digits and dashes", sc.Name)
	}
	if !reAccountID.MatchString(sc.Account.ID) {
		return fieldErr("account.id", "%q is not a 12-digit account ID", sc.Account.ID)
	}
	if sc.TrailFieldLimit < 0 || sc.TrailFieldLimit > TrailFieldLimit {
		return fieldErr("trailFieldLimit", "%d must be between 1 and CloudTrail's own limit, %d bytes", sc.TrailFieldLimit, TrailFieldLimit)
	}
	v.out.regions = sc.Regions
	if len(v.out.regions) == 0 {
		v.out.regions = defaultRegions()
	}
	v.enabled = map[string]bool{}
	for i, r := range v.out.regions {
		if _, ok := awsRegions[r]; !ok {
			return fieldErr(fmt.Sprintf("regions[%d]", i), "%q is not an AWS region", r)
		}
		if v.enabled[r] {
			return fieldErr(fmt.Sprintf("regions[%d]", i), "%q is listed twice", r)
		}
		v.enabled[r] = true
	}
	if !v.enabled["us-east-1"] {
		return fieldErr("regions", "us-east-1 must be enabled: IAM and STS-global events are recorded there")
	}
	// "Default Regions cannot be enabled or disabled" (Account Management
	// reference guide, "Enable or disable AWS Regions in your account"):
	// DescribeRegions reports them opt-in-not-required, and every
	// service answers there.
	for _, r := range defaultRegions() {
		if !v.enabled[r] {
			return fieldErr("regions", "%q must be enabled: AWS enables its default regions in every account, and they cannot be disabled", r)
		}
	}
	return nil
}

func (v *validator) region(field, r string) error {
	if r != "" && !v.enabled[r] {
		return fieldErr(field, "%q is not an enabled region of the scenario", r)
	}
	return nil
}

func (v *validator) keys(field string, keys []Key) error {
	if len(keys) > 2 {
		return fieldErr(field, "%d keys: IAM allows 2 access keys per user", len(keys))
	}
	for i, k := range keys {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !reIAMName.MatchString(k.Ref) {
			return fieldErr(f+".ref", "%q must be a non-empty name", k.Ref)
		}
		if prev, dup := v.keyRefs[k.Ref]; dup {
			return fieldErr(f+".ref", "%q is already used by %s", k.Ref, prev)
		}
		v.keyRefs[k.Ref] = f
		if k.ID != "" {
			if !reKeyID.MatchString(k.ID) || !strings.HasPrefix(k.ID, "AKIA") {
				return fieldErr(f+".id", "%q is not AKIA followed by 16 base32 characters", k.ID)
			}
			if v.keyIDs[k.ID] {
				return fieldErr(f+".id", "%q is used twice", k.ID)
			}
			v.keyIDs[k.ID] = true
		}
		if k.Secret != "" && !reSecret.MatchString(k.Secret) {
			return fieldErr(f+".secret", "must be 40 characters of A-Z, a-z, 0-9, / and +")
		}
		if k.Status != "" && k.Status != statusActive && k.Status != statusInactive {
			return fieldErr(f+".status", "%q is neither Active nor Inactive", k.Status)
		}
		if _, err := pastOffset(f+".created", k.Created, 0); err != nil {
			return err
		}
		if k.LastUsed != nil {
			if _, err := pastOffset(f+".lastUsed.at", k.LastUsed.At, 0); err != nil {
				return err
			}
			if k.LastUsed.Service == "" || v.region(f+".lastUsed.region", k.LastUsed.Region) != nil || k.LastUsed.Region == "" {
				return fieldErr(f+".lastUsed", "needs at, service and an enabled region")
			}
		}
	}
	return nil
}

func (v *validator) policyDocs(field string, attached []string, inline []InlinePolicy) error {
	for i, arn := range attached {
		if !v.policies[arn] {
			return fieldErr(fmt.Sprintf("%s.attachedPolicies[%d]", field, i), "%q is neither built in nor in managedPolicies", arn)
		}
	}
	seen := map[string]bool{}
	for i, p := range inline {
		f := fmt.Sprintf("%s.inlinePolicies[%d]", field, i)
		if !reIAMName.MatchString(p.Name) || seen[p.Name] {
			return fieldErr(f+".name", "%q must be a unique policy name", p.Name)
		}
		seen[p.Name] = true
		if _, err := parsePolicy(p.Document); err != nil {
			return fieldErr(f+".document", "%v", err)
		}
	}
	return nil
}

func (v *validator) identities() error {
	sc := v.sc
	if err := v.managedPolicies(); err != nil {
		return err
	}
	if _, err := pastOffset("root.created", sc.Root.Created, 0); err != nil {
		return err
	}
	if err := v.keys("root.keys", sc.Root.Keys); err != nil {
		return err
	}
	for i, u := range sc.Users {
		f := fmt.Sprintf("users[%d]", i)
		if !reIAMName.MatchString(u.Name) || v.users[u.Name] {
			return fieldErr(f+".name", "%q must be a unique IAM user name", u.Name)
		}
		v.users[u.Name] = true
		if _, err := pastOffset(f+".created", u.Created, 0); err != nil {
			return err
		}
		if err := v.keys(f+".keys", u.Keys); err != nil {
			return err
		}
		if err := v.policyDocs(f, u.AttachedPolicies, u.InlinePolicies); err != nil {
			return err
		}
	}
	if err := v.rolesAndProfiles(); err != nil {
		return err
	}
	return nil
}

func (v *validator) managedPolicies() error {
	for i, p := range v.sc.ManagedPolicies {
		f := fmt.Sprintf("managedPolicies[%d]", i)
		if !reIAMName.MatchString(p.Name) {
			return fieldErr(f+".name", "%q is not a policy name", p.Name)
		}
		arn := managedPolicyARN(v.sc.Account.ID, p)
		if v.policies[arn] {
			return fieldErr(f+".arn", "%q is defined twice", arn)
		}
		v.policies[arn] = true
		if _, err := parsePolicy(p.Document); err != nil {
			return fieldErr(f+".document", "%v", err)
		}
	}
	return nil
}

func (v *validator) resources() error {
	for i := range v.sc.Instances {
		in := &v.sc.Instances[i]
		f := fmt.Sprintf("instances[%d]", i)
		if in.ID != "" && !reInstanceID.MatchString(in.ID) {
			return fieldErr(f+".id", "%q is not an instance ID like i-0123456789abcdef0", in.ID)
		}
		if in.ID != "" && v.instances[in.ID] != nil {
			return fieldErr(f+".id", "%q is used twice", in.ID)
		}
		if in.Region == "" {
			return fieldErr(f+".region", "is required")
		}
		if err := v.region(f+".region", in.Region); err != nil {
			return err
		}
		if a, err := netip.ParseAddr(in.PrivateIP); err != nil || !a.Is4() {
			return fieldErr(f+".privateIp", "%q is not an IPv4 address", in.PrivateIP)
		}
		if in.PublicIP != "" {
			if _, err := netip.ParseAddr(in.PublicIP); err != nil {
				return fieldErr(f+".publicIp", "%q is not an IP address", in.PublicIP)
			}
		} else if in.ElasticIP {
			return fieldErr(f+".elasticIp", "needs publicIp")
		}
		if _, err := pastOffset(f+".launched", in.Launched, 0); err != nil {
			return err
		}
		if in.ID != "" {
			v.instances[in.ID] = in
		}
	}
	for i, t := range v.sc.Trails {
		f := fmt.Sprintf("trails[%d]", i)
		if !reIAMName.MatchString(t.Name) || t.Bucket == "" {
			return fieldErr(f, "needs a name and a bucket")
		}
		if err := v.region(f+".homeRegion", t.HomeRegion); err != nil || t.HomeRegion == "" {
			return fieldErr(f+".homeRegion", "%q is not an enabled region", t.HomeRegion)
		}
	}
	return nil
}

func (v *validator) responder() error {
	r := v.sc.Responder
	switch {
	case r.User != "" && r.ExternalAccount == "" && r.ExternalUser == "":
		if !v.users[r.User] {
			return fieldErr("responder.user", "%q is not a user of the scenario", r.User)
		}
		for _, u := range v.sc.Users {
			if u.Name == r.User && !slices.ContainsFunc(u.Keys, func(k Key) bool { return k.Status != statusInactive }) {
				return fieldErr("responder.user", "%q has no active access key to act with", r.User)
			}
		}
	case r.User == "" && r.ExternalAccount != "" && r.ExternalUser != "":
		if !reAccountID.MatchString(r.ExternalAccount) || r.ExternalAccount == v.sc.Account.ID {
			return fieldErr("responder.externalAccount", "%q must be another 12-digit account ID", r.ExternalAccount)
		}
		if !reIAMName.MatchString(r.ExternalUser) {
			return fieldErr("responder.externalUser", "%q is not a user name", r.ExternalUser)
		}
	default:
		return fieldErr("responder", "set either user, or externalAccount and externalUser")
	}
	if r.SourceIP != "" {
		if _, err := netip.ParseAddr(r.SourceIP); err != nil {
			return fieldErr("responder.sourceIp", "%q is not an IP address", r.SourceIP)
		}
	}
	if _, ok := v.keyRefs[v.sc.LeakedKey]; !ok {
		return fieldErr("leakedKey", "%q is not the ref of a key in root.keys or users[].keys", v.sc.LeakedKey)
	}
	if d, err := offsetOr("exposedAt", v.sc.ExposedAt, 0); err != nil {
		return err
	} else if d > 0 {
		return fieldErr("exposedAt", "%q is in the future: the key was exposed before the incident starts", v.sc.ExposedAt)
	}
	return nil
}
