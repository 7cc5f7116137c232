package sim

import (
	"encoding/base32"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

const (
	statusActive   = "Active"
	statusInactive = "Inactive"
)

// Principal types as CloudTrail's userIdentity.type names them.
const (
	typeRoot        = "Root"
	typeIAMUser     = "IAMUser"
	typeAssumedRole = "AssumedRole"
	typeAWSService  = "AWSService"
)

// principal is who a key authenticates as.
type principal struct {
	kind    string
	account string
	name    string // user name, or role name for an assumed role
	session string // assumed-role session name
	id      string // principalId / UserId
	arn     string
	roleID  string
	since   time.Time // session creation
}

// lookupUser is the LookupEvents Username CloudTrail shows for it.
func (p *principal) lookupUser() string {
	switch p.kind {
	case typeRoot:
		return "root"
	case typeAssumedRole:
		return p.session
	}
	return p.name
}

type accessKey struct {
	id, secret  string
	status      string
	created     time.Time
	user        string     // owning IAM user; "" for root or temporary keys
	session     *principal // set for temporary (ASIA) and foreign keys
	mint        *mintInfo  // set for keys STS minted (sts_mint.go)
	lastUsed    time.Time
	lastService string
	lastRegion  string
}

type namedDoc struct {
	name, doc string
	parsed    *policy
}

type iamUser struct {
	name, path, id string
	created        time.Time
	password, mfa  bool
	keys           []string // key IDs, oldest first
	attached       []string // policy ARNs
	inline         []*namedDoc
}

type iamRole struct {
	name, path, id, description string
	created                     time.Time
	trust                       string
	attached                    []string
	inline                      []*namedDoc
}

type instanceProfile struct {
	name, path, id string
	created        time.Time
	roles          []string
}

type managedPolicy struct {
	name, arn, doc string
	parsed         *policy
}

type instance struct {
	id, name, region, az, typ, image string
	privateIP, publicIP              string
	elastic                          bool
	allocationID, associationID      string
	eniID, reservation               string
	launched                         time.Time
	state                            string
	profile                          string // instance profile name
	profileAssoc                     string
}

// account is the simulated account's configuration state: what StateDigest
// hashes and what mutating calls change.
type account struct {
	id, alias   string
	rootCreated time.Time
	rootMFA     bool
	rootKeys    []string
	users       map[string]*iamUser
	roles       map[string]*iamRole
	profiles    map[string]*instanceProfile
	policies    map[string]*managedPolicy // by ARN, built-in ones included
	instances   map[string]*instance
	keys        map[string]*accessKey // live keys, temporary ones included
	keyAccounts map[string]string     // every key ID ever issued → its account
	trails      []Trail
	regions     []string
	report      *credentialReport
	functions   map[string]*lambdaFunction // by region + "/" + name (lambda.go)
	detectors   []*detector                // GuardDuty (guardduty.go)
	ecs         *ecsState                  // ECS clusters and task definitions (ecs.go)

	// oidc are the IAM OIDC identity providers, by ARN (iam_oidc.go).
	oidc map[string]*oidcProvider
}

// ids generates the account's identifiers from the seeded PCG stream, so the
// same seed always produces the same IDs in the same order.
type ids struct {
	rng     *rand.Rand
	account uint64
}

var keyBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// accessKeyID encodes the account in the key ID the way AWS does (bits 7-46
// of the first six decoded bytes), so GetAccessKeyInfo can answer for any
// key the sim generated, even a deleted one.
func (g *ids) accessKeyID(prefix string) string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[2:], g.rng.Uint64())
	z := g.rng.Uint64()&0x800000000000 | (g.account&(1<<40-1))<<7 | g.rng.Uint64()&0x7f
	var head [8]byte
	binary.BigEndian.PutUint64(head[:], z)
	copy(b[:6], head[2:])
	return prefix + keyBase32.EncodeToString(b[:])
}

const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"

func (g *ids) secret() string {
	var b [40]byte
	for i := range b {
		b[i] = secretAlphabet[g.rng.IntN(len(secretAlphabet))]
	}
	return string(b[:])
}

// uniqueID is an IAM unique ID: prefix (AIDA, AROA, AIPA) + 17 characters.
func (g *ids) uniqueID(prefix string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b [17]byte
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return prefix + string(b[:])
}

// hexID is an EC2 resource ID: prefix + 17 hex digits.
func (g *ids) hexID(prefix string) string {
	const hex = "0123456789abcdef"
	var b [17]byte
	for i := range b {
		b[i] = hex[g.rng.IntN(16)]
	}
	return prefix + string(b[:])
}

// accountOfKeyID decodes the account a key ID was issued in.
func accountOfKeyID(id string) (string, bool) {
	if !reKeyID.MatchString(id) {
		return "", false
	}
	b, err := keyBase32.DecodeString(id[4:])
	if err != nil {
		return "", false
	}
	var head [8]byte
	copy(head[2:], b[:6])
	z := binary.BigEndian.Uint64(head[:])
	return padAccount((z & 0x7fffffffff80) >> 7), true
}

func padAccount(n uint64) string {
	s := strings.Repeat("0", 12) + uintToString(n)
	return s[len(s)-12:]
}

func uintToString(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// buildAccount creates the account state a scenario describes, issuing
// missing IDs and secrets. keyRefs receives each key's ID by ref. IDs come
// from g in a fixed order (policies, root's keys, users and their keys,
// roles, profiles, instances), so a seed always gives the same account.
func buildAccount(sc *Scenario, cp *compiled, g *ids, start time.Time, keyRefs map[string]string) *account {
	at := func(s string, def time.Duration) time.Time {
		d, _ := offsetOr("", s, def) // validated by compile
		return start.Add(d)
	}
	a := &account{id: sc.Account.ID, alias: sc.Account.Alias, rootMFA: sc.Root.MFA,
		rootCreated: at(sc.Root.Created, -1500*24*time.Hour),
		users:       map[string]*iamUser{}, roles: map[string]*iamRole{},
		profiles: map[string]*instanceProfile{}, policies: map[string]*managedPolicy{},
		instances: map[string]*instance{}, keys: map[string]*accessKey{},
		keyAccounts: map[string]string{}, trails: sc.Trails, regions: cp.regions}
	a.addPolicies(sc.ManagedPolicies)
	addKeys := func(keys []Key, user string) []string { return a.addKeys(keys, user, g, at, keyRefs) }
	a.rootKeys = addKeys(sc.Root.Keys, "")
	for _, u := range sc.Users {
		iu := &iamUser{name: u.Name, path: orDefault(u.Path, "/"), id: g.uniqueID("AIDA"),
			created: at(u.Created, -400*24*time.Hour), password: u.Password, mfa: u.MFA,
			attached: slices.Clone(u.AttachedPolicies), inline: inlineDocs(u.InlinePolicies)}
		iu.keys = addKeys(u.Keys, u.Name)
		a.users[u.Name] = iu
	}
	for _, r := range sc.Roles {
		a.roles[r.Name] = &iamRole{name: r.Name, path: orDefault(r.Path, "/"), id: g.uniqueID("AROA"),
			description: r.Description, created: at(r.Created, -300*24*time.Hour),
			trust: string(r.AssumeRolePolicy), attached: slices.Clone(r.AttachedPolicies),
			inline: inlineDocs(r.InlinePolicies)}
	}
	for _, p := range sc.InstanceProfiles {
		ip := &instanceProfile{name: p.Name, path: orDefault(p.Path, "/"), id: g.uniqueID("AIPA"),
			created: at(p.Created, -300*24*time.Hour)}
		if p.Role != "" {
			ip.roles = []string{p.Role}
		}
		a.profiles[p.Name] = ip
	}
	a.addInstances(sc.Instances, g, at)
	a.functions, a.detectors = buildFunctions(sc, start), buildDetectors(sc, start)
	a.ecs = buildECS(sc, start)
	return a
}

// addPolicies adds AWS's built-in managed policies and the scenario's own.
func (a *account) addPolicies(managed []ManagedPolicy) {
	for arn, doc := range builtinPolicies {
		p, _ := parsePolicy([]byte(doc))
		a.policies[arn] = &managedPolicy{name: builtinPolicyName(arn), arn: arn, doc: doc, parsed: p}
	}
	for _, mp := range managed {
		p, _ := parsePolicy(mp.Document)
		arn := managedPolicyARN(a.id, mp)
		a.policies[arn] = &managedPolicy{name: mp.Name, arn: arn, doc: string(mp.Document), parsed: p}
	}
}

// addKeys adds a user's keys (root's when user is empty) and returns
// their IDs.
func (a *account) addKeys(keys []Key, user string, g *ids, at func(string, time.Duration) time.Time, keyRefs map[string]string) []string {
	var out []string
	for _, k := range keys {
		ak := &accessKey{id: k.ID, secret: k.Secret, status: k.Status, user: user,
			created: at(k.Created, -365*24*time.Hour)}
		if ak.id == "" {
			ak.id = g.accessKeyID("AKIA")
		}
		if ak.secret == "" {
			ak.secret = g.secret()
		}
		if ak.status == "" {
			ak.status = statusActive
		}
		if k.LastUsed != nil {
			ak.lastUsed = at(k.LastUsed.At, 0)
			ak.lastService, ak.lastRegion = k.LastUsed.Service, k.LastUsed.Region
		}
		a.keys[ak.id] = ak
		a.keyAccounts[ak.id] = a.id
		keyRefs[k.Ref] = ak.id
		out = append(out, ak.id)
	}
	return out
}

// addInstances adds the scenario's EC2 instances, issuing the IDs AWS
// would (instance, ENI, reservation, Elastic IP, profile association).
func (a *account) addInstances(instances []Instance, g *ids, at func(string, time.Duration) time.Time) {
	for _, in := range instances {
		inst := &instance{id: in.ID, name: in.Name, region: in.Region, az: orDefault(in.AZ, in.Region+"a"),
			typ: orDefault(in.Type, "t3.medium"), image: orDefault(in.ImageID, "ami-0c1bc246476a5572b"),
			privateIP: in.PrivateIP, publicIP: in.PublicIP, elastic: in.ElasticIP,
			launched: at(in.Launched, -200*24*time.Hour), state: "running", profile: in.InstanceProfile}
		if inst.id == "" {
			inst.id = g.hexID("i-")
		}
		inst.eniID, inst.reservation = g.hexID("eni-"), g.hexID("r-")
		if inst.elastic {
			inst.allocationID, inst.associationID = g.hexID("eipalloc-"), g.hexID("eipassoc-")
		}
		if inst.profile != "" {
			inst.profileAssoc = g.hexID("iip-assoc-")
		}
		a.instances[inst.id] = inst
	}
}

func inlineDocs(in []InlinePolicy) []*namedDoc {
	var out []*namedDoc
	for _, p := range in {
		parsed, _ := parsePolicy(p.Document)
		out = append(out, &namedDoc{name: p.Name, doc: string(p.Document), parsed: parsed})
	}
	slices.SortFunc(out, func(a, b *namedDoc) int { return strings.Compare(a.name, b.name) })
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// principalOf is who key authenticates as.
func (a *account) principalOf(k *accessKey) *principal {
	if k.session != nil {
		return k.session
	}
	if k.user == "" {
		return &principal{kind: typeRoot, account: a.id, id: a.id, arn: "arn:aws:iam::" + a.id + ":root"}
	}
	u := a.users[k.user]
	return &principal{kind: typeIAMUser, account: a.id, name: u.name, id: u.id, arn: a.userARN(u)}
}

func (a *account) userARN(u *iamUser) string {
	return "arn:aws:iam::" + a.id + ":user" + u.path + u.name
}

func (a *account) roleARN(r *iamRole) string {
	return "arn:aws:iam::" + a.id + ":role" + r.path + r.name
}

func (a *account) profileARN(p *instanceProfile) string {
	return "arn:aws:iam::" + a.id + ":instance-profile" + p.path + p.name
}

// policiesOf collects the identity policies that apply to p.
func (a *account) policiesOf(p *principal) []*policy {
	var attached []string
	var inline []*namedDoc
	switch p.kind {
	case typeIAMUser, typeFederatedUser: // a federated user has its IAM user's (sts_mint.go)
		if u := a.users[p.name]; u != nil && p.account == a.id {
			attached, inline = u.attached, u.inline
		}
	case typeAssumedRole:
		if r := a.roles[p.name]; r != nil {
			attached, inline = r.attached, r.inline
		}
	}
	var out []*policy
	for _, arn := range attached {
		if mp := a.policies[arn]; mp != nil && mp.parsed != nil {
			out = append(out, mp.parsed)
		}
	}
	for _, d := range inline {
		if d.parsed != nil {
			out = append(out, d.parsed)
		}
	}
	return out
}

// sortedKeys returns a map's keys in order, for stable listings.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
