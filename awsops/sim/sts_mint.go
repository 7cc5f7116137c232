package sim

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The STS operations that mint temporary credentials with a long-term key
// (STS API reference): GetSessionToken, GetFederationToken and AssumeRole.
// Each minted key is an ASIA key whose calls CloudTrail records with
// userIdentity.accessKeyId set to it and a sessionContext, and whose ID the
// minting call's event carries in responseElements.credentials.accessKeyId:
// the trail an investigation follows from the leaked key to its sessions.
//
// Modelled simply, and said so:
//   - A role's trust policy allows the caller when an Allow statement for
//     sts:AssumeRole names "*", the caller's account (ID or :root ARN) or
//     the caller's ARN; a trust statement with a Condition never allows.
//     The caller also needs sts:AssumeRole on the role in its own policies.
//   - Every simulated role has MaxSessionDuration 3600 (AWS's default, and
//     what GetRole answers), so AssumeRole allows up to one hour.
//   - AssumeRole of another account's role ARN succeeds and mints a key of
//     that account: the other account is not modelled, so its trust policy
//     is taken to allow the caller. The call is recorded here, with the
//     other account's role ARN in requestParameters; the key's own calls
//     belong to the other account's trail, and this account denies them.
//   - A federated user of root gets no permissions (AWS: root's, within the
//     session policy), since the evaluator holds no policies for root.

// Session lifetimes (STS API reference).
const (
	minSession        = 15 * time.Minute
	maxUserSession    = 36 * time.Hour // GetSessionToken, GetFederationToken
	defaultSession    = 12 * time.Hour // their default
	maxRootSession    = time.Hour      // either, called by root
	roleMaxSession    = time.Hour      // every simulated role's MaxSessionDuration
	defaultRoleSesson = time.Hour
	chainedMaxSession = time.Hour // a role session assuming a role
)

// How a key was minted.
const (
	viaSessionToken = "GetSessionToken"
	viaFederation   = "GetFederationToken"
	viaAssumeRole   = "AssumeRole"
)

// typeFederatedUser is a GetFederationToken session's userIdentity.type.
const typeFederatedUser = "FederatedUser"

// mintInfo is what STS knows of a key it minted.
type mintInfo struct {
	via     string
	expires time.Time
	parent  string // the key ID that minted it
	// sessionPolicies, when set, bound the session's permissions (the
	// Policy and PolicyArns parameters); federated says a session with
	// none has no permissions at all (GetFederationToken).
	sessionPolicies []*policy
	federated       bool
	mfa             bool
	// task is the root task policy of an sts:AssumeRoot session of a
	// member simulated whole (org_full.go).
	task string
}

// mintKeysWithSaveKeyAs are the steps whose new key a scenario may save
// with saveKeyAs, besides iam CreateAccessKey.
var mintKeysWithSaveKeyAs = map[string]bool{
	"sts:" + viaSessionToken: true, "sts:" + viaFederation: true, "sts:" + viaAssumeRole: true,
}

// savesKey reports whether a step of service:action creates a key that
// saveKeyAs can name.
func savesKey(service, action string) bool {
	return service == "iam" && action == "CreateAccessKey" || mintKeysWithSaveKeyAs[service+":"+action]
}

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

var reFederatedName = regexp.MustCompile(`^[\w+=,.@-]{2,32}$`)
var reSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func opGetSessionToken(s *Sim, c *call) (any, *apiError) {
	if e := longTermOnly(c); e != nil {
		return nil, e
	}
	d, e := sessionDuration(c, defaultSession, maxUserSession, c.who.kind == typeRoot)
	if e != nil {
		return nil, e
	}
	// An MFA code makes the session MFA-authenticated, which lets it call
	// IAM; the sim accepts any code for a user that has a device.
	mfa := c.params.Get("SerialNumber") != "" && c.params.Get("TokenCode") != "" && s.hasMFA(c.who)
	p := *c.who
	p.since = c.at
	k := s.mint(c, &p, s.acct.id, &mintInfo{via: viaSessionToken, expires: c.at.Add(d), mfa: mfa})
	c.reqParams = durationParams(c, nil)
	c.respElems = map[string]any{"credentials": trailCredentials(k)}
	return &struct {
		Credentials xmlCredentials `xml:"Credentials"`
	}{s.xmlCredentialsOf(k)}, nil
}

func opGetFederationToken(s *Sim, c *call) (any, *apiError) {
	if e := longTermOnly(c); e != nil {
		return nil, e
	}
	name := c.params.Get("Name")
	if !reFederatedName.MatchString(name) {
		return nil, errInvalid("sts", "1 validation error detected: Value '"+name+"' at 'name' failed to satisfy constraint: Member must have length between 2 and 32 and match [\\w+=,.@-]*")
	}
	d, e := sessionDuration(c, defaultSession, maxUserSession, c.who.kind == typeRoot)
	if e != nil {
		return nil, e
	}
	policies, e := s.sessionPolicies(c)
	if e != nil {
		return nil, e
	}
	p := &principal{kind: typeFederatedUser, account: s.acct.id, name: c.who.name, session: name,
		id: s.acct.id + ":" + name, arn: "arn:aws:sts::" + s.acct.id + ":federated-user/" + name, since: c.at}
	k := s.mint(c, p, s.acct.id, &mintInfo{via: viaFederation, expires: c.at.Add(d), sessionPolicies: policies, federated: true})
	c.reqParams = durationParams(c, map[string]any{"name": name})
	c.respElems = map[string]any{"credentials": trailCredentials(k),
		"federatedUser": map[string]string{"federatedUserId": p.id, "arn": p.arn}}
	type federatedUser struct {
		ID  string `xml:"FederatedUserId"`
		Arn string `xml:"Arn"`
	}
	return &struct {
		Credentials   xmlCredentials `xml:"Credentials"`
		FederatedUser federatedUser  `xml:"FederatedUser"`
	}{s.xmlCredentialsOf(k), federatedUser{p.id, p.arn}}, nil
}

func opAssumeRole(s *Sim, c *call) (any, *apiError) {
	if c.who.kind == typeRoot {
		return nil, &apiError{code: "AccessDenied", message: "Roles may not be assumed by root accounts.", status: http.StatusForbidden}
	}
	if c.who.kind == typeFederatedUser {
		return nil, &apiError{code: "AccessDenied", message: "Cannot call AssumeRole with federated user credentials.", status: http.StatusForbidden}
	}
	arn, session := c.params.Get("RoleArn"), c.params.Get("RoleSessionName")
	account, name, ok := parseRoleARN(arn)
	if !ok {
		return nil, errInvalid("sts", "1 validation error detected: Value '"+arn+"' at 'roleArn' failed to satisfy constraint: Member must be a role ARN")
	}
	if !reSessionName.MatchString(session) {
		return nil, errInvalid("sts", "1 validation error detected: Value '"+session+"' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and match [\\w+=,.@-]*")
	}
	limit := roleMaxSession
	if c.who.kind == typeAssumedRole {
		limit = chainedMaxSession
	}
	d, e := roleDuration(c, limit)
	if e != nil {
		return nil, e
	}
	policies, e := s.sessionPolicies(c)
	if e != nil {
		return nil, e
	}
	p := &principal{kind: typeAssumedRole, account: account, name: name, session: session, since: c.at}
	if account == s.acct.id {
		r := s.acct.roles[name]
		if r == nil || s.acct.roleARN(r) != arn {
			return nil, errDenied("sts", c.who, "sts:AssumeRole", arn, false)
		}
		if !trusts(r.trust, c.who) {
			e := errDenied("sts", c.who, "sts:AssumeRole", arn, false)
			e.message = "User: " + c.who.arn + " is not authorized to perform: sts:AssumeRole on resource: " + arn
			return nil, e
		}
		p.roleID = r.id
	} else if fm := s.Member(account); fm != nil {
		// A member simulated whole holds its roles and its keys (org_full.go).
		k, e := fm.assumeMemberRole(c.who, arn, name, session, d, c.key.id)
		if e != nil {
			return nil, e
		}
		return s.assumedRole(c, arn, session, k)
	} else {
		p.roleID = (&ids{rng: s.ids.rng}).uniqueID("AROA")
	}
	p.id = p.roleID + ":" + session
	p.arn = "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + session
	k := s.mint(c, p, account, &mintInfo{via: viaAssumeRole, expires: c.at.Add(d), sessionPolicies: policies})
	return s.assumedRole(c, arn, session, k)
}

// assumedRole answers AssumeRole with the session k, and says what
// CloudTrail records of it.
func (s *Sim) assumedRole(c *call, arn, session string, k *accessKey) (any, *apiError) {
	p := k.session
	c.reqParams = durationParams(c, map[string]any{"roleArn": arn, "roleSessionName": session})
	c.resources = []eventResource{{Type: "AWS::IAM::Role", Name: arn}, {Type: "AWS::IAM::AccessKey", Name: k.id}}
	c.respElems = map[string]any{"credentials": trailCredentials(k),
		"assumedRoleUser": map[string]string{"assumedRoleId": p.id, "arn": p.arn}}
	type assumedRoleUser struct {
		ID  string `xml:"AssumedRoleId"`
		Arn string `xml:"Arn"`
	}
	return &struct {
		Credentials     xmlCredentials  `xml:"Credentials"`
		AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
	}{s.xmlCredentialsOf(k), assumedRoleUser{p.id, p.arn}}, nil
}

// mint issues a temporary key of account for p, as the call's new key.
func (s *Sim) mint(c *call, p *principal, account string, info *mintInfo) *accessKey {
	n, _ := strconv.ParseUint(account, 10, 64)
	g := &ids{rng: s.ids.rng, account: n}
	info.parent = c.key.id
	k := &accessKey{id: g.accessKeyID("ASIA"), secret: s.ids.secret(), status: statusActive,
		created: c.at, session: p, mint: info}
	s.acct.keys[k.id] = k
	s.acct.keyAccounts[k.id] = account
	c.createdKey = k.id
	return k
}

// longTermOnly refuses a temporary credential: GetSessionToken and
// GetFederationToken take an IAM user's or root's long-term key.
func longTermOnly(c *call) *apiError {
	if c.key != nil && c.key.session != nil {
		return &apiError{code: "AccessDenied", message: "Cannot call " + c.action + " with session credentials", status: http.StatusForbidden}
	}
	return nil
}

// sessionDuration reads DurationSeconds for GetSessionToken and
// GetFederationToken: 900 to 129,600 seconds; root's sessions are cut to
// one hour ("defaults to one hour" when longer, STS API reference).
func sessionDuration(c *call, def, most time.Duration, root bool) (time.Duration, *apiError) {
	d := def
	if root {
		d = maxRootSession
	}
	if v := c.params.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < int(minSession/time.Second):
			return 0, errInvalid("sts", "1 validation error detected: Value '"+v+"' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")
		case n > int(most/time.Second):
			return 0, errInvalid("sts", "1 validation error detected: Value '"+v+"' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to "+strconv.Itoa(int(most/time.Second)))
		}
		d = time.Duration(n) * time.Second
	}
	if root && d > maxRootSession {
		d = maxRootSession
	}
	return d, nil
}

// roleDuration reads AssumeRole's DurationSeconds against the limit: the
// role's maximum, or one hour when a role session assumes a role.
func roleDuration(c *call, limit time.Duration) (time.Duration, *apiError) {
	v := c.params.Get("DurationSeconds")
	if v == "" {
		return defaultRoleSesson, nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n < int(minSession/time.Second):
		return 0, errInvalid("sts", "1 validation error detected: Value '"+v+"' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")
	case time.Duration(n)*time.Second > limit && limit == chainedMaxSession && c.who.kind == typeAssumedRole:
		return 0, errInvalid("sts", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	case time.Duration(n)*time.Second > limit:
		return 0, errInvalid("sts", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return time.Duration(n) * time.Second, nil
}

// sessionPolicies parses the Policy and PolicyArns.member.N.arn parameters.
func (s *Sim) sessionPolicies(c *call) ([]*policy, *apiError) {
	var out []*policy
	if doc := c.params.Get("Policy"); doc != "" {
		p, err := parsePolicy([]byte(doc))
		if err != nil {
			return nil, &apiError{code: "MalformedPolicyDocument", message: "The policy is not in the valid JSON format. " + err.Error(), status: http.StatusBadRequest}
		}
		out = append(out, p)
	}
	for i := 1; ; i++ {
		arn := c.params.Get("PolicyArns.member." + strconv.Itoa(i) + ".arn")
		if arn == "" {
			break
		}
		mp := s.acct.policies[arn]
		if mp == nil || mp.parsed == nil {
			return nil, errInvalid("sts", "Policy "+arn+" does not exist or is not attachable.")
		}
		out = append(out, mp.parsed)
	}
	return out, nil
}

// durationParams is the event's requestParameters: the named fields and
// durationSeconds as the number it was sent as.
func durationParams(c *call, fields map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range fields {
		out[k] = v
	}
	if n, err := strconv.Atoi(c.params.Get("DurationSeconds")); err == nil {
		out["durationSeconds"] = n
	}
	if c.params.Get("Policy") != "" {
		out["policy"] = c.params.Get("Policy")
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// trailCredentials are the credentials as CloudTrail records them: the key
// ID and expiration, never the secret or the token.
func trailCredentials(k *accessKey) map[string]string {
	return map[string]string{"accessKeyId": k.id, "expiration": k.mint.expires.Format(trailDate)}
}

func (s *Sim) xmlCredentialsOf(k *accessKey) xmlCredentials {
	return xmlCredentials{AccessKeyID: k.id, SecretAccessKey: k.secret,
		// The sim checks no signature, so the token only has to look like one.
		SessionToken: "IQoJb3JpZ2luX2VjE" + strings.ReplaceAll(s.ids.secret()+s.ids.secret(), "/", "+"),
		Expiration:   k.mint.expires.UTC().Format(iamTime)}
}

func (s *Sim) hasMFA(p *principal) bool {
	if p.kind == typeRoot {
		return s.acct.rootMFA
	}
	u := s.acct.users[p.name]
	return u != nil && u.mfa
}
