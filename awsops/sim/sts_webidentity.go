package sim

import "strings"

// A CI workload pointed at a role (SetWorkloadRole) gets its credentials
// as GitHub Actions does with aws-actions/configure-aws-credentials: the
// runner exchanges the job's OIDC token for a session with
// sts:AssumeRoleWithWebIdentity, called from the runner itself. CloudTrail
// records it with a WebIdentityUser identity (the token's subject), and
// the session is named by the workflow, not after the role or the job.

// ciSessionName is configure-aws-credentials' default role-session-name.
const ciSessionName = "GitHubActions"

// githubOIDCProvider is the host of GitHub Actions' OIDC provider.
const githubOIDCProvider = "token.actions.githubusercontent.com"

// typeWebIdentityUser is CloudTrail's userIdentity.type of a web identity
// federation call.
const typeWebIdentityUser = "WebIdentityUser"

// webIdentity turns the AssumeRole call c into the AssumeRoleWithWebIdentity
// the runner makes, and returns its actor.
func (s *Sim) webIdentity(spec *Workload, c *call) uint32 {
	subject := ciSubject(spec.RunsOn)
	provider := "arn:aws:iam::" + s.acct.id + ":oidc-provider/" + githubOIDCProvider
	c.action = "AssumeRoleWithWebIdentity"
	c.origin = s.trail.origin(origin{ip: spec.SourceIP, userAgent: spec.UserAgent})
	if req, ok := c.reqParams.(map[string]any); ok {
		req["durationSeconds"] = 3600
	}
	if resp, ok := c.respElems.(map[string]any); ok {
		resp["provider"], resp["audience"], resp["subjectFromWebIdentityToken"] = provider, "sts.amazonaws.com", subject
	}
	k := "webidentity|" + subject
	a, ok := s.actorIDs[k]
	if !ok {
		a = s.trail.addActor(actor{kind: typeWebIdentityUser, principalID: provider + ":sts.amazonaws.com:" + subject,
			userName: subject, lookupUser: subject})
		s.actorIDs[k] = a
	}
	return a
}

// ciSubject is the OIDC subject of a workflow's token for its default
// branch: "repo:ORG/REPO:ref:refs/heads/main" from
// "github.com/ORG/REPO/.github/workflows/FILE".
func ciSubject(runsOn string) string {
	parts := strings.Split(strings.TrimPrefix(runsOn, "github.com/"), "/")
	if len(parts) < 2 {
		return "repo:" + runsOn + ":ref:refs/heads/main"
	}
	return "repo:" + parts[0] + "/" + parts[1] + ":ref:refs/heads/main"
}
