package sim

import (
	"time"
)

// stsAPI is STS (query protocol, Version 2011-06-15).
func stsAPI() *service {
	return &service{name: "sts", wires: []string{wireQuery}, xmlns: "https://sts.amazonaws.com/doc/2011-06-15/", ops: map[string]op{
		// GetCallerIdentity needs no permission: "No permissions are required
		// to perform this operation" (STS API reference).
		"GetCallerIdentity": {fn: opGetCallerIdentity, readOnly: true, noAuth: true},
		"GetAccessKeyInfo":  {fn: opGetAccessKeyInfo, readOnly: true},
		// Minting session keys (sts_mint.go). GetSessionToken needs no
		// permission: "you cannot use policies to control authentication
		// operations" (IAM user guide, "Permissions for GetSessionToken").
		"GetSessionToken":    {fn: opGetSessionToken, readOnly: true, noAuth: true},
		"GetFederationToken": {fn: opGetFederationToken, readOnly: true},
		"AssumeRole": {fn: opAssumeRole, readOnly: true,
			resource: func(_ *Sim, c *call) string { return c.params.Get("RoleArn") }},
		// A member account's root, for centralized root access (org_ops.go).
		"AssumeRoot": {fn: opAssumeRoot, readOnly: true,
			resource: func(_ *Sim, c *call) string { return "arn:aws:iam::" + c.params.Get("TargetPrincipal") + ":root" }},
	}}
}

func opGetCallerIdentity(_ *Sim, c *call) (any, *apiError) {
	id := c.who.id
	if c.who.kind == typeAssumedRole {
		id = c.who.roleID + ":" + c.who.session
	}
	return &struct {
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
		Arn     string `xml:"Arn"`
	}{id, c.who.account, c.who.arn}, nil
}

// opGetAccessKeyInfo answers the account that owns a key ID, whatever the
// key's status: AWS decodes it from the ID itself, so a deleted key or one
// of another account answers too.
func opGetAccessKeyInfo(s *Sim, c *call) (any, *apiError) {
	id := c.params.Get("AccessKeyId")
	account, ok := s.acct.keyAccounts[id]
	if !ok {
		if account, ok = accountOfKeyID(id); !ok {
			return nil, errInvalid("sts", "1 validation error detected: Value '"+id+"' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]*")
		}
	}
	c.resources = []eventResource{{Type: "AWS::IAM::AccessKey", Name: id}}
	return &struct {
		Account string `xml:"Account"`
	}{account}, nil
}

// assumeRoleFor gives a workload role credentials as an AWS service would
// (EC2 for an instance profile, Lambda for an execution role): a temporary
// ASIA key whose session is named after what the workload runs on, and the
// service's AssumeRole event in CloudTrail.
func (s *Sim) assumeRoleFor(w *workload, r *iamRole, region string) {
	spec := w.cw.w
	session := spec.RunsOn
	if session == "" || spec.Kind == KindECS || spec.Kind == KindOnPrem {
		session = spec.Name
	}
	if spec.Kind == KindCI {
		session = ciSessionName
	}
	service := map[string]string{KindEC2: "ec2.amazonaws.com", KindLambda: "lambda.amazonaws.com",
		KindECS: "ecs-tasks.amazonaws.com"}[spec.Kind]
	if service == "" {
		service = "sts.amazonaws.com"
	}
	if region == "" {
		region = "us-east-1"
		if in := s.acct.instances[spec.RunsOn]; in != nil {
			region = in.region
		}
	}
	p := &principal{kind: typeAssumedRole, account: s.acct.id, name: r.name, session: session,
		id: r.id + ":" + session, roleID: r.id, since: s.now,
		arn: "arn:aws:sts::" + s.acct.id + ":assumed-role/" + r.name + "/" + session}
	k := &accessKey{id: s.ids.accessKeyID("ASIA"), secret: s.ids.secret(), status: statusActive,
		created: s.now, session: p}
	s.acct.keys[k.id] = k
	s.acct.keyAccounts[k.id] = s.acct.id
	w.keyID, w.wrongSecret = k.id, false // the platform hands out the role's credentials

	roleARN := s.acct.roleARN(r)
	a, ok := s.actorIDs["service|"+service]
	if !ok {
		a = s.trail.addActor(actor{kind: typeAWSService, invokedBy: service})
		s.actorIDs["service|"+service] = a
	}
	c := &call{service: "sts", action: "AssumeRole", region: region, at: s.now,
		origin:    s.trail.origin(origin{ip: service, userAgent: service}),
		requestID: s.newRequestID(),
		reqParams: map[string]any{"roleArn": roleARN, "roleSessionName": session},
		resources: []eventResource{{Type: "AWS::IAM::Role", Name: roleARN}, {Type: "AWS::IAM::AccessKey", Name: k.id}},
		respElems: map[string]any{
			"credentials": map[string]string{"accessKeyId": k.id,
				"expiration": s.now.Add(6 * time.Hour).Format(trailDate)},
			"assumedRoleUser": map[string]string{"assumedRoleId": p.id, "arn": p.arn}},
	}
	if spec.Kind == KindCI {
		a = s.webIdentity(spec, c)
	}
	kind := s.trail.kind(kindKey{source: eventSource("sts"), name: c.action, region: region, readOnly: true, spec: -1}, nil, nil)
	s.trail.add(event{at: c.at.UnixMilli(), kind: kind, actor: a, origin: c.origin,
		detail: &eventDetail{params: mustJSON(c.reqParams), response: mustJSON(c.respElems), resources: c.resources, requestID: c.requestID}})
}
