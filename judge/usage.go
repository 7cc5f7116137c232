package judge

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Inventory is what the account says about where callers run, read by the
// sweep from ec2:DescribeInstances and ec2:DescribeAddresses in every region
// (and lambda:ListFunctions when it can). The zero Inventory is valid: every
// caller is then judged by its user agent alone.
type Inventory struct {
	Account   string      `json:"account"`
	Instances []Instance  `json:"instances,omitempty"`
	Addresses []ElasticIP `json:"addresses,omitempty"`
	Functions []Function  `json:"functions,omitempty"`
}

// Instance is one EC2 instance of the account.
type Instance struct {
	ID         string   `json:"id"`
	Region     string   `json:"region"`
	Name       string   `json:"name,omitempty"` // Name tag
	PrivateIPs []string `json:"privateIps,omitempty"`
	PublicIPs  []string `json:"publicIps,omitempty"` // including an associated Elastic IP
	// InstanceProfileARN is set when the instance already has a profile:
	// the replacement then replaces the association instead of adding one.
	InstanceProfileARN string `json:"instanceProfileArn,omitempty"`
	// EKSCluster names the EKS cluster the instance is a node of, from its
	// tags; a caller on it is a pod (kinds_cluster.go).
	EKSCluster string `json:"eksCluster,omitempty"`
}

// ElasticIP is one address of ec2:DescribeAddresses. An address without an
// instance may sit on a NAT gateway: calls from behind it come from there.
type ElasticIP struct {
	PublicIP           string `json:"publicIp"`
	Region             string `json:"region"`
	AllocationID       string `json:"allocationId,omitempty"`
	InstanceID         string `json:"instanceId,omitempty"`
	NetworkInterfaceID string `json:"networkInterfaceId,omitempty"`
	PrivateIP          string `json:"privateIp,omitempty"`
}

// Function is one Lambda function of the account.
type Function struct {
	Name    string `json:"name"`
	Region  string `json:"region"`
	ARN     string `json:"arn,omitempty"`
	Runtime string `json:"runtime,omitempty"` // python3.12, as in exec-env/AWS_Lambda_python3.12
	// HoldsKey is set when the function's environment holds the leaked key
	// ID, which pins a Lambda caller to this function.
	HoldsKey bool `json:"holdsKey,omitempty"`
}

// callerClass is the verdict on where a caller runs, before indicators.
type callerClass struct {
	kind           runbook.CallerKind
	label          runbook.Label
	resource       string
	resourceRegion string
	tool           string
	why            string
	// onAccount: the caller runs on this account's own infrastructure (or
	// is an AWS service), so recon and denied calls alone do not make it
	// suspicious; a broken permission there is a bug, not an attacker.
	onAccount bool
}

// knownTools are user-agent markers of AWS tools, most specific first:
// Terraform's agent also names the Go SDK, the CLI's names botocore.
var knownTools = []struct{ marker, name string }{
	{"terraform-provider-aws/", "terraform"},
	{"terraform/", "terraform"},
	{"aws-cli/", "aws-cli"},
	{"boto3/", "boto3"},
	{"botocore/", "botocore"},
	{"aws-sdk-go-v2/", "aws-sdk-go-v2"},
	{"awspowershell", "aws-powershell"},
	{"aws-sdk-", ""}, // any other SDK: named by its own token
}

// ToolOf names the AWS tool a user agent comes from ("aws-cli", "boto3"),
// or "" when it names none.
func ToolOf(ua string) string {
	lower := strings.ToLower(ua)
	for _, t := range knownTools {
		i := strings.Index(lower, t.marker)
		if i < 0 {
			continue
		}
		if t.name != "" {
			return t.name
		}
		token, _, _ := strings.Cut(lower[i:], "/")
		return token
	}
	return ""
}

// StableUserAgent drops the user-agent tokens that change from call to call
// within one program, so one program stays one caller: the CLI names each
// command (command/s3.ls), SDKs name the service client (api/s3#1.58.0) and
// the features a call used (m/E,G).
func StableUserAgent(ua string) string {
	if !strings.Contains(ua, "command/") && !strings.Contains(ua, "api/") && !strings.Contains(ua, "m/") {
		return ua
	}
	fields := strings.Fields(ua)
	kept := fields[:0]
	for _, f := range fields {
		if strings.HasPrefix(f, "command/") || strings.HasPrefix(f, "api/") || strings.HasPrefix(f, "m/") {
			continue
		}
		kept = append(kept, f)
	}
	return strings.Join(kept, " ")
}

// execEnv returns what follows "exec-env/" in a user agent: AWS SDKs put
// the runtime environment there (AWS_Lambda_python3.12, AWS_ECS_FARGATE).
func execEnv(ua string) string {
	_, rest, ok := strings.Cut(ua, "exec-env/")
	if !ok {
		return ""
	}
	env, _, _ := strings.Cut(rest, " ")
	return env
}

func isServiceSource(ip string) bool {
	return ip == "AWS Internal" || strings.HasSuffix(ip, ".amazonaws.com")
}

// classifyCaller decides where a caller runs from its source IP, user agent
// and the inventory, in the order of issue 4: AWS services, then the
// execution environment the SDK reports, then this account's addresses,
// then known tools from elsewhere.
func classifyCaller(ip, ua, vpce string, regions []string, inv Inventory, idx map[string][]ipOwner) callerClass {
	tool := ToolOf(ua)
	env := execEnv(ua)
	switch {
	case isServiceSource(ip):
		return callerClass{kind: runbook.CallerAWSService, label: runbook.LabelLegitimate, tool: ip, onAccount: true,
			why: fmt.Sprintf("AWS service %s made these calls on the key holder's behalf: noted, not a caller to replace.", ip)}
	case strings.HasPrefix(env, "AWS_Lambda_"):
		c := callerClass{kind: runbook.CallerLambda, label: runbook.LabelLegitimate, tool: tool, onAccount: true}
		runtime := strings.TrimPrefix(env, "AWS_Lambda_")
		if fn, ok := matchFunction(inv.Functions, runtime, regions); ok {
			c.resource, c.resourceRegion = fn.Name, fn.Region
			c.why = fmt.Sprintf("The user agent reports AWS Lambda (%s); function %s in %s is the one that fits.", runtime, fn.Name, fn.Region)
		} else {
			c.why = fmt.Sprintf("The user agent reports AWS Lambda (%s); which function it is, the inventory does not tell.", runtime)
		}
		return c
	case strings.HasPrefix(env, "AWS_ECS_"):
		launch := strings.TrimPrefix(env, "AWS_ECS_")
		return callerClass{kind: runbook.CallerECS, label: runbook.LabelLegitimate, tool: tool, onAccount: true,
			why: fmt.Sprintf("The user agent reports an ECS task (%s launch type).", launch)}
	case env == "CloudShell":
		// onAccount: the person is signed in to this account's console.
		return callerClass{kind: runbook.CallerCloudShell, label: runbook.LabelUnknown, tool: tool, onAccount: true,
			why: "The user agent reports AWS CloudShell: a person in the console used the key; confirm who, since CloudShell already has that person's own credentials."}
	}
	if c, ok := classifyByAddress(ip, vpce, regions, idx); ok {
		c.tool = tool
		return c
	}
	if c, ok := ciClass(ip, ua, tool); ok {
		return c
	}
	if tool != "" {
		return callerClass{kind: runbook.CallerOffAWS, label: runbook.LabelLegitimate, tool: tool,
			why: fmt.Sprintf("%s from %s, an address that is not this account's.", tool, ip)}
	}
	return callerClass{kind: runbook.CallerUnknown, label: runbook.LabelUnknown,
		why: fmt.Sprintf("No known AWS tool in the user agent, from %s, an address that is not this account's.", ip)}
}

func classifyByAddress(ip, vpce string, regions []string, idx map[string][]ipOwner) (callerClass, bool) {
	owners := idx[ip]
	if len(owners) == 0 {
		return callerClass{}, false
	}
	// Prefer public addresses (unique in the world) and the caller's own
	// regions; private ones repeat across VPCs.
	best := slices.MinFunc(owners, func(a, b ipOwner) int {
		if a.private != b.private {
			if a.private {
				return 1
			}
			return -1
		}
		ina, inb := slices.Contains(regions, a.region), slices.Contains(regions, b.region)
		if ina != inb {
			if ina {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id(), b.id())
	})
	via := ""
	if vpce != "" {
		via = " through VPC endpoint " + vpce
	}
	c := callerClass{kind: runbook.CallerEC2, label: runbook.LabelLegitimate, onAccount: true, resourceRegion: best.region}
	switch {
	case best.instance != nil && best.instance.EKSCluster != "":
		c = eksClass(c, best.instance, ip)
	case best.instance != nil:
		c.resource = best.instance.ID
		what := "public IP"
		if best.private {
			what = "private IP"
		}
		c.why = fmt.Sprintf("Calls come from %s%s, the %s of EC2 instance %s in %s of this account.", ip, via, what, best.instance.ID, best.region)
	case best.address.InstanceID != "":
		c.resource = best.address.InstanceID
		c.why = fmt.Sprintf("Calls come from %s, an Elastic IP of this account associated with instance %s in %s.", ip, c.resource, best.region)
	default:
		c.why = fmt.Sprintf("Calls come from %s, an Elastic IP of this account in %s not on an instance (a NAT gateway?): the instance behind it is unknown.", ip, best.region)
	}
	holders := map[string]bool{}
	for _, o := range owners {
		holders[o.holder()] = true
	}
	if len(holders) > 1 {
		c.why += fmt.Sprintf(" %d resources hold that address; this one fits best.", len(holders))
	}
	return c, true
}

func (o ipOwner) id() string {
	if o.instance != nil {
		return o.instance.ID
	}
	return o.address.AllocationID + o.address.PublicIP
}

// holder is the instance behind an address, or the address itself: an
// instance's public IP that is also its Elastic IP is one holder.
func (o ipOwner) holder() string {
	if o.instance != nil {
		return o.instance.ID
	}
	if o.address.InstanceID != "" {
		return o.address.InstanceID
	}
	return o.id()
}

// matchFunction finds the one function a Lambda caller can be: in its
// regions, of its runtime, preferring functions known to hold the key.
func matchFunction(fns []Function, runtime string, regions []string) (Function, bool) {
	var fit, holding []Function
	for _, fn := range fns {
		if !slices.Contains(regions, fn.Region) || (fn.Runtime != "" && runtime != "" && fn.Runtime != runtime) {
			continue
		}
		fit = append(fit, fn)
		if fn.HoldsKey {
			holding = append(holding, fn)
		}
	}
	switch {
	case len(holding) == 1:
		return holding[0], true
	case len(holding) == 0 && len(fit) == 1:
		return fit[0], true
	}
	return Function{}, false
}

// buildCaller is the caller as the runbook sees it: actions sorted by
// service and name, each with the resources its successful calls named
// ("*" when some named none) and the roles it passed.
func buildCaller(id string, k callerKey, st *callerState, class callerClass, regions []string) runbook.UsageCaller {
	c := runbook.UsageCaller{
		ID: id, SourceIP: k.ip, UserAgent: k.ua, Kind: class.kind, Label: class.label,
		Resource: class.resource, ResourceRegion: class.resourceRegion, Tool: class.tool,
		Regions: regions, FirstSeen: st.first, LastSeen: st.last, Events: st.events, Errors: st.errors,
		Why: class.why,
	}
	for _, act := range st.actions {
		u := act.use
		if act.multiRegion {
			u.Region = ""
		}
		switch {
		case act.wildcard:
			u.Resources = []string{"*"}
		case len(act.own) > 0:
			u.Resources = slices.Sorted(maps.Keys(act.own))
		}
		u.Resources = append(u.Resources, slices.Sorted(maps.Keys(act.passed))...)
		c.Actions = append(c.Actions, u)
	}
	slices.SortFunc(c.Actions, func(x, y runbook.ActionUse) int {
		if d := strings.Compare(x.Source, y.Source); d != 0 {
			return d
		}
		return strings.Compare(x.Name, y.Name)
	})
	return c
}
