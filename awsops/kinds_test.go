package awsops

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/judge/judgetest"
	"github.com/keyrunbook/keyrunbook/runbook"
)

const (
	kindsKey     = "AKIAJ7LEAKEDKEY2EXAM"
	runnerUA     = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1025-azure exe/x86_64.ubuntu.22 prompt/off command/s3.cp"
	actionUA     = "configure-aws-credentials-for-github-actions"
	boto3UA      = "Boto3/1.34.98 md/Botocore#1.34.98 ua/2.0 os/linux#5.10.220-209.869.amzn2.x86_64 lang/python#3.11.9 Botocore/1.34.98"
	nodeIP       = "10.0.7.21"
	onPremIP     = "10.40.2.9"
	runnerIP     = "20.57.112.9"
	otherRunner  = "4.227.90.14"
	publicHostIP = "198.51.100.7"
)

func kindsInventory() Inventory {
	return Inventory{Account: judgetest.Account, Instances: []Instance{
		{ID: "i-0node1", Region: "eu-west-1", PrivateIPs: []string{nodeIP}, EKSCluster: "prod"},
	}}
}

// kindsRecord is one successful call at a time of day.
func kindsRecord(ip, ua, source, name string, at time.Time, readOnly bool, params string) TrailRecord {
	r := TrailRecord{EventID: fmt.Sprintf("%s-%s-%d", ip, name, at.Unix()), EventTime: at, EventSource: source, EventName: name,
		AWSRegion: "eu-west-1", SourceIPAddress: ip, UserAgent: ua, ReadOnly: readOnly, RecipientAccountID: judgetest.Account,
		UserIdentity: UserIdentity{Type: "IAMUser", AccessKeyID: kindsKey, AccountID: judgetest.Account, UserName: "svc"}}
	if params != "" {
		r.RequestParameters = json.RawMessage(params)
	}
	return r
}

func kindsFold(t *testing.T) []runbook.UsageCaller {
	t.Helper()
	base := time.Date(2026, 11, 10, 2, 15, 0, 0, time.UTC)
	var recs []TrailRecord
	for day := range 5 { // a nightly job on the EKS node, 02:15 UTC
		at := base.Add(time.Duration(day) * 24 * time.Hour)
		recs = append(recs, kindsRecord(nodeIP, boto3UA, "s3.amazonaws.com", "PutObject", at, false, `{"bucketName":"exports","key":"night.csv"}`))
	}
	// A GitHub-hosted runner: the action's own call, then the CLI.
	recs = append(recs,
		kindsRecord(runnerIP, actionUA, "sts.amazonaws.com", "GetCallerIdentity", base, true, ""),
		kindsRecord(runnerIP, runnerUA, "s3.amazonaws.com", "PutObject", base.Add(time.Minute), false, `{"bucketName":"site","key":"index.html"}`),
		kindsRecord(otherRunner, actionUA, "sts.amazonaws.com", "GetCallerIdentity", base.Add(48*time.Hour), true, ""),
		kindsRecord(otherRunner, runnerUA, "cloudfront.amazonaws.com", "CreateInvalidation", base.Add(48*time.Hour+time.Minute), false, ""),
	)
	// An on-premises server through an interface endpoint.
	vpce := kindsRecord(onPremIP, boto3UA, "dynamodb.amazonaws.com", "Query", base.Add(3*time.Hour), true, `{"tableName":"orders"}`)
	vpce.VPCEndpointID = "vpce-0onprem"
	// A host off AWS running two tools.
	recs = append(recs, vpce,
		kindsRecord(publicHostIP, boto3UA, "ec2.amazonaws.com", "DescribeInstances", base.Add(4*time.Hour), true, ""),
		kindsRecord(publicHostIP, runnerUA, "ec2.amazonaws.com", "DescribeRegions", base.Add(5*time.Hour), true, ""))
	a := judge.NewAggregator(kindsKey, kindsInventory())
	for _, r := range recs {
		a.Add(r)
	}
	callers, _, _ := a.Result()
	return callers
}

func callerFrom(t *testing.T, callers []runbook.UsageCaller, ip, ua string) runbook.UsageCaller {
	t.Helper()
	for _, c := range callers {
		if c.SourceIP == ip && strings.Contains(c.UserAgent, ua) {
			return c
		}
	}
	t.Fatalf("no caller %s %q", ip, ua)
	return runbook.UsageCaller{}
}

// TestEvidenceOfWhereCallersRun: the node, the CI marker, the private
// address and the shared host each say where a caller runs.
func TestEvidenceOfWhereCallersRun(t *testing.T) {
	callers := kindsFold(t)
	tests := []struct {
		name, ip, ua     string
		kind             runbook.CallerKind
		resource         string
		cluster, vpce    string
		pattern, whyPart string
	}{
		{"a pod on an EKS node", nodeIP, "Boto3", runbook.CallerEKS, "prod", "", "", "scheduled: on 5 days, always at 02:00-02:59 UTC", "node i-0node1 of EKS cluster prod"},
		{"the action's own call", runnerIP, actionUA, runbook.CallerCI, "github-actions", "ci github-actions", "", "one burst", "github-actions marker"},
		{"the CLI on the same runner", runnerIP, "aws-cli", runbook.CallerCI, "github-actions", "ci github-actions", "", "one burst", "this is a CI runner"},
		{"another run of the same CI", otherRunner, "aws-cli", runbook.CallerCI, "github-actions", "ci github-actions", "", "", "CI runner"},
		{"an on-premises server", onPremIP, "Boto3", runbook.CallerOffAWS, "", "", "vpce-0onprem", "", "on-premises host"},
		{"two tools on one host", publicHostIP, "Boto3", runbook.CallerOffAWS, "", "host " + publicHostIP, "", "", "not this account's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := callerFrom(t, callers, tt.ip, tt.ua)
			if c.Kind != tt.kind || c.Resource != tt.resource || c.Cluster != tt.cluster || c.VPCEndpoint != tt.vpce {
				t.Errorf("kind %s resource %q cluster %q vpce %q, want %s %q %q %q", c.Kind, c.Resource, c.Cluster, c.VPCEndpoint, tt.kind, tt.resource, tt.cluster, tt.vpce)
			}
			if !strings.HasPrefix(c.Pattern, tt.pattern) {
				t.Errorf("pattern %q, want %q…", c.Pattern, tt.pattern)
			}
			// Only a caller seen on several days has hours to expect it in.
			if scheduled := strings.HasPrefix(tt.pattern, "scheduled"); scheduled != (len(c.RunHours) > 0) {
				t.Errorf("run hours %v for pattern %q", c.RunHours, c.Pattern)
			} else if scheduled && !slices.Equal(c.RunHours, []int{2}) {
				t.Errorf("run hours %v, want [2]", c.RunHours)
			}
			if !strings.Contains(c.Why, tt.whyPart) {
				t.Errorf("why %q lacks %q", c.Why, tt.whyPart)
			}
			// The action's own call is sts:GetCallerIdentity alone: one
			// call of one kind is no enumeration (issue 14), and what tells a
			// forged user agent apart is the time of exposure.
			if c.Label != runbook.LabelLegitimate {
				t.Errorf("label %s", c.Label)
			}
		})
	}
}

func TestEKSClusterTags(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"eks:cluster-name", "prod", "prod"},
		{"kubernetes.io/cluster/staging", "owned", "staging"},
		{"kubernetes.io/cluster/staging", "shared", "staging"},
		{"kubernetes.io/cluster/staging", "", ""},
		{"Name", "prod-node", ""},
	}
	for _, tt := range tests {
		if got := judge.EKSClusterTag(tt.key, tt.value); got != tt.want {
			t.Errorf("%s=%s: %q, want %q", tt.key, tt.value, got, tt.want)
		}
	}
}

// TestProposeChoosesTheKindTheEvidenceSupports: Propose's choice per
// caller, and the IAM-user fallback for a host off AWS with no evidence.
func TestProposeChoosesTheKindTheEvidenceSupports(t *testing.T) {
	callers := kindsFold(t)
	ps := Propose(runbook.Investigation{Callers: callers}, judgetest.Account)
	byCaller := map[string]runbook.Proposal{}
	for _, p := range ps {
		byCaller[p.CallerID] = p
	}
	tests := []struct {
		name, ip, ua string
		kind         runbook.ReplacementKind
		target, id   string
		warning      string
	}{
		{"EKS pod", nodeIP, "Boto3", runbook.ReplaceEKSPodIdentity, "prod/<namespace>/<service-account>", "keyrunbook-eks-prod-", "Export only"},
		{"CI job", runnerIP, "aws-cli", runbook.ReplaceOIDCRole, runbook.OIDCSubjectPlaceholder, "keyrunbook-github-actions-role", "Set the target (t)"},
		{"on-premises server", onPremIP, "Boto3", runbook.ReplaceRolesAnywhere, onPremIP, "keyrunbook-onprem-10.40.2.9-role", "IAM-user fallback"},
		{"host without evidence", publicHostIP, "Boto3", runbook.ReplaceIAMUser, publicHostIP, "keyrunbook-198.51.100.7", "Roles Anywhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := callerFrom(t, callers, tt.ip, tt.ua)
			p, ok := byCaller[c.ID]
			if !ok {
				t.Fatalf("no proposal for %s", c.ID)
			}
			if p.Kind != tt.kind || p.Target != tt.target || !strings.HasPrefix(p.Name, tt.id) {
				t.Errorf("%s %q %q, want %s %q %q…", p.Kind, p.Target, p.Name, tt.kind, tt.target, tt.id)
			}
			if !strings.Contains(strings.Join(p.Warnings, " "), tt.warning) {
				t.Errorf("warnings %q lack %q", p.Warnings, tt.warning)
			}
			if p.Kind.ExportOnly() != strings.Contains(strings.Join(p.Warnings, " "), "Export only") {
				t.Errorf("%s: export-only %v, but the warnings say %q", p.Kind, p.Kind.ExportOnly(), p.Warnings)
			}
		})
	}
	// Every run of the CI shares one role, whose policy covers them all.
	a, b := byCaller[callerFrom(t, callers, runnerIP, "aws-cli").ID], byCaller[callerFrom(t, callers, otherRunner, "aws-cli").ID]
	if a.Name != b.Name || a.Policy != b.Policy || !strings.Contains(a.Policy, "cloudfront:CreateInvalidation") || !strings.Contains(a.Policy, "s3:PutObject") {
		t.Errorf("CI runs do not share one role: %s / %s\n%s", a.Name, b.Name, a.Policy)
	}
}

func kindProposal(kind runbook.ReplacementKind, target string) runbook.Proposal {
	return runbook.Proposal{CallerID: "c-1", Kind: kind, Name: "keyrunbook-x-role", Target: target, Region: "eu-west-1",
		Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::exports/*"]}]}`}
}

// TestExportsOfTheNewKinds: each kind's CLI and Terraform create the role
// with its trust, bind it to the caller, and leave placeholders where
// CloudTrail does not tell.
func TestExportsOfTheNewKinds(t *testing.T) {
	tests := []struct {
		kind      runbook.ReplacementKind
		target    string
		trust     []string
		cli, tf   []string
		noApplyOf string
	}{
		{runbook.ReplaceOIDCRole, "repo:acme/site:ref:refs/heads/main",
			[]string{`"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"`, `"token.actions.githubusercontent.com:sub": "repo:acme/site:ref:refs/heads/main"`, `"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"`, "sts:AssumeRoleWithWebIdentity"},
			[]string{"aws iam create-open-id-connect-provider --url 'https://token.actions.githubusercontent.com' --client-id-list sts.amazonaws.com", "aws iam create-role --role-name 'keyrunbook-x-role'", "put-role-policy", "id-token: write", "role-to-assume: arn:aws:iam::111122223333:role/keyrunbook-x-role"},
			[]string{`resource "aws_iam_openid_connect_provider" "github_actions"`, `resource "aws_iam_role" "keyrunbook_x_role"`, `resource "aws_iam_role_policy"`}, ""},
		{runbook.ReplaceEKSPodIdentity, "prod/<namespace>/<service-account>",
			[]string{`"Service": "pods.eks.amazonaws.com"`, "sts:TagSession"},
			[]string{"aws eks create-pod-identity-association --region 'eu-west-1' --cluster-name 'prod' --namespace '<namespace>' --service-account '<service-account>' --role-arn 'arn:aws:iam::111122223333:role/keyrunbook-x-role'", "eks-pod-identity-agent"},
			[]string{`resource "aws_eks_pod_identity_association"`, `cluster_name    = "prod"`, `namespace       = "<namespace>"`}, ""},
		{runbook.ReplaceEKSIRSA, "prod/web/api",
			[]string{`oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/<oidc-id>`, `"oidc.eks.eu-west-1.amazonaws.com/id/<oidc-id>:sub": "system:serviceaccount:web:api"`},
			[]string{"aws eks describe-cluster --region 'eu-west-1' --name 'prod' --query cluster.identity.oidc.issuer", "kubectl annotate serviceaccount --namespace 'web' 'api' eks.amazonaws.com/role-arn="},
			[]string{`"eks.amazonaws.com/role-arn" = aws_iam_role.keyrunbook_x_role.arn`}, ""},
		{runbook.ReplaceRolesAnywhere, onPremIP,
			[]string{`"Service": "rolesanywhere.amazonaws.com"`, `"aws:SourceArn": "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/<trust-anchor-id>"`, `"aws:PrincipalTag/x509Subject/CN": "<host-certificate-CN>"`},
			[]string{"aws rolesanywhere create-trust-anchor --region 'eu-west-1'", "<PEM of your CA certificate>", "aws rolesanywhere create-profile", "credential_process = aws_signing_helper"},
			[]string{`resource "aws_rolesanywhere_trust_anchor"`, `resource "aws_rolesanywhere_profile"`, `file("ca.pem")`}, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			p := kindProposal(tt.kind, tt.target)
			trust := TrustPolicyFor(p, judgetest.Account)
			if err := json.Unmarshal([]byte(trust), new(map[string]any)); err != nil {
				t.Fatalf("trust policy is not JSON: %v\n%s", err, trust)
			}
			for _, w := range tt.trust {
				if !strings.Contains(trust, w) {
					t.Errorf("trust lacks %s:\n%s", w, trust)
				}
			}
			cli, tf := ExportCLI(p, judgetest.Account), ExportTerraform(p, judgetest.Account)
			for _, w := range append(tt.cli, "keyrunbook: "+string(tt.kind)) {
				if !strings.Contains(cli, w) {
					t.Errorf("CLI lacks %s:\n%s", w, cli)
				}
			}
			for _, w := range tt.tf {
				if !strings.Contains(tf, w) {
					t.Errorf("Terraform lacks %s:\n%s", w, tf)
				}
			}
			if strings.Contains(cli, "create-access-key") || strings.Contains(tf, "aws_iam_access_key") {
				t.Error("a keyless kind's export creates an access key")
			}
		})
	}
}
