package runbook

import "time"

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
