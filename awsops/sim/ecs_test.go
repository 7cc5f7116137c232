package sim_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

const (
	ecsRegion   = "us-west-2"
	grafanaDef3 = "arn:aws:ecs:us-west-2:730519468211:task-definition/grafana:3"
	grafanaSvc  = "arn:aws:ecs:us-west-2:730519468211:service/monitoring/grafana"
	grafanaIP   = "44.230.1.20" // the grafana workload's source IP in iam-user-lambda-ci
	ecsTrust    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

// ecsAs is a real ECS client signed with a key, against the sim.
func (e *env) ecsAs(keyID, secret, region string) *ecs.Client {
	return ecs.New(ecs.Options{Region: region, BaseEndpoint: aws.String(e.url), Retryer: fastRetryer(),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), HTTPClient: &http.Client{Timeout: 30 * time.Second}})
}

func (e *env) responderECS(region string) *ecs.Client {
	id, secret := e.sim.ResponderCredentials()
	return e.ecsAs(id, secret, region)
}

func TestExtECSReadsTheServiceAndItsTaskDefinition(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	c := e.responderECS(ecsRegion)
	services := []struct {
		name, cluster, service, region string
		code                           string // empty: found
		missing                        bool   // found the cluster, not the service
	}{
		{"by names", "monitoring", "grafana", ecsRegion, "", false},
		{"by ARNs", "arn:aws:ecs:us-west-2:730519468211:cluster/monitoring", grafanaSvc, ecsRegion, "", false},
		{"in another region", "monitoring", "grafana", "us-east-1", "ClusterNotFoundException", false},
		{"no cluster named: default", "", "grafana", ecsRegion, "ClusterNotFoundException", false},
		{"no such service", "monitoring", "prometheus", ecsRegion, "", true},
	}
	for _, tt := range services {
		t.Run(tt.name, func(t *testing.T) {
			in := &ecs.DescribeServicesInput{Services: []string{tt.service}}
			if tt.cluster != "" {
				in.Cluster = aws.String(tt.cluster)
			}
			out, err := e.responderECS(tt.region).DescribeServices(ctx, in)
			wantCode(t, err, tt.code)
			if tt.code != "" {
				return
			}
			if tt.missing {
				if len(out.Services) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" {
					t.Errorf("a missing service: %+v, failures %+v", out.Services, out.Failures)
				}
				return
			}
			if len(out.Services) != 1 {
				t.Fatalf("services: %+v, failures %+v", out.Services, out.Failures)
			}
			s := out.Services[0]
			if aws.ToString(s.ServiceArn) != grafanaSvc || aws.ToString(s.TaskDefinition) != grafanaDef3 || s.LaunchType != ecstypes.LaunchTypeFargate ||
				s.DesiredCount != 1 || s.RunningCount != 1 || len(s.Deployments) != 1 || s.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
				t.Errorf("service: %+v", s)
			}
		})
	}
	// An empty list passes the SDK's check for a missing field; ECS refuses it.
	_, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("monitoring"), Services: []string{}})
	wantCode(t, err, "InvalidParameterException")

	defs := []struct{ name, ref, code string }{
		{"by ARN", grafanaDef3, ""},
		{"by family and revision", "grafana:3", ""},
		{"by family: the latest", "grafana", ""},
		{"an older revision", "grafana:2", "ClientException"},
		{"no such family", "loki", "ClientException"},
		{"an ARN of another region", "arn:aws:ecs:us-east-1:730519468211:task-definition/grafana:3", "ClientException"},
	}
	for _, tt := range defs {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tt.ref),
				Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
			wantCode(t, err, tt.code)
			if tt.code != "" {
				return
			}
			td := out.TaskDefinition
			if aws.ToString(td.TaskDefinitionArn) != grafanaDef3 || td.Revision != 3 || aws.ToString(td.Family) != "grafana" ||
				td.TaskRoleArn != nil || aws.ToString(td.Cpu) != "256" || aws.ToString(td.Memory) != "512" ||
				td.NetworkMode != ecstypes.NetworkModeAwsvpc || td.Status != ecstypes.TaskDefinitionStatusActive || out.Tags == nil {
				t.Errorf("task definition: %+v, tags %v", td, out.Tags)
			}
			if len(td.ContainerDefinitions) != 1 || aws.ToString(td.ContainerDefinitions[0].Image) != "grafana/grafana:10.4.1" ||
				len(td.ContainerDefinitions[0].PortMappings) != 1 || aws.ToInt32(td.ContainerDefinitions[0].PortMappings[0].ContainerPort) != 3000 {
				t.Errorf("containers: %+v", td.ContainerDefinitions)
			}
		})
	}
}

// newTaskRole creates a role with the trust given, allowed what the
// grafana workload calls.
func newTaskRole(t *testing.T, c clients, name, trust string) string {
	t.Helper()
	out := must[*iam.CreateRoleOutput](t)(c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}))
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudwatch:DescribeAlarms","Resource":"*"}]}`
	must[*iam.PutRolePolicyOutput](t)(c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))
	return aws.ToString(out.Role.Arn)
}

// revisionWith is grafana:3 registered again with a task role.
func revisionWith(t *testing.T, c *ecs.Client, roleARN string) *ecs.RegisterTaskDefinitionInput {
	t.Helper()
	cur := must[*ecs.DescribeTaskDefinitionOutput](t)(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(grafanaDef3)})).TaskDefinition
	return &ecs.RegisterTaskDefinitionInput{Family: cur.Family, TaskRoleArn: aws.String(roleARN), ContainerDefinitions: cur.ContainerDefinitions,
		Cpu: cur.Cpu, Memory: cur.Memory, NetworkMode: cur.NetworkMode, RequiresCompatibilities: cur.RequiresCompatibilities,
		Tags: []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}
}

var reTaskSession = regexp.MustCompile(`assumed-role/kr-grafana/([0-9a-f]{32})"`)

func TestExtECSNewRevisionMovesTheWorkloadToTheTaskRole(t *testing.T) {
	sc, err := sim.LoadScenario("iam-user-lambda-ci")
	if err != nil {
		t.Fatal(err)
	}
	// A deployer that may use ECS but pass no role.
	sc.Users = append(sc.Users, sim.User{Name: "deployer", Keys: []sim.Key{{Ref: "deployer"}},
		InlinePolicies: []sim.InlinePolicy{{Name: "ecs", Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`)}}})
	e := startScenario(t, sc)
	c := e.responderECS(ecsRegion)
	roleARN := newTaskRole(t, e.responder("us-east-1"), "kr-grafana", ecsTrust)
	deployerID, deployerSecret, _ := e.sim.KeyCredentials("deployer")
	leakedID, leakedSecret, _ := e.sim.KeyCredentials("leaked")
	grafanaKey, _, _ := e.sim.KeyCredentials("grafana")
	good := revisionWith(t, c, roleARN)
	with := func(change func(in *ecs.RegisterTaskDefinitionInput)) *ecs.RegisterTaskDefinitionInput {
		in := *good
		change(&in)
		return &in
	}

	refusals := []struct {
		name   string
		client *ecs.Client
		in     *ecs.RegisterTaskDefinitionInput
		code   string
	}{
		{"not a role ARN", c, with(func(in *ecs.RegisterTaskDefinitionInput) { in.TaskRoleArn = aws.String("kr-grafana") }), "ClientException"},
		{"no such role", c, with(func(in *ecs.RegisterTaskDefinitionInput) {
			in.TaskRoleArn = aws.String("arn:aws:iam::730519468211:role/nope")
		}), "ClientException"},
		{"no containers", c, with(func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions = []ecstypes.ContainerDefinition{} }), "ClientException"},
		{"caller without iam:PassRole", e.ecsAs(deployerID, deployerSecret, ecsRegion), good, "AccessDeniedException"},
		{"caller without ecs:RegisterTaskDefinition", e.ecsAs(leakedID, leakedSecret, ecsRegion), good, "AccessDeniedException"},
	}
	digest := e.sim.StateDigest()
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.RegisterTaskDefinition(ctx, tt.in)
			wantCode(t, err, tt.code)
			if e.sim.StateDigest() != digest {
				t.Error("a refused registration changed the account")
			}
		})
	}
	updates := []struct{ name, cluster, service, def, code string }{
		{"no such cluster", "observability", "grafana", "grafana:3", "ClusterNotFoundException"},
		{"no such service", "monitoring", "prometheus", "grafana:3", "ServiceNotFoundException"},
		{"no such revision", "monitoring", "grafana", "grafana:9", "ClientException"},
	}
	for _, tt := range updates {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(tt.cluster), Service: aws.String(tt.service), TaskDefinition: aws.String(tt.def)})
			wantCode(t, err, tt.code)
			if e.sim.StateDigest() != digest {
				t.Error("a refused update changed the account")
			}
		})
	}

	reg := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, good))
	revision := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	if revision != "arn:aws:ecs:us-west-2:730519468211:task-definition/grafana:4" || aws.ToString(reg.TaskDefinition.TaskRoleArn) != roleARN {
		t.Fatalf("registered %s with role %s", revision, aws.ToString(reg.TaskDefinition.TaskRoleArn))
	}
	latest := must[*ecs.DescribeTaskDefinitionOutput](t)(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("grafana"),
		Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}}))
	if latest.TaskDefinition.Revision != 4 || len(latest.Tags) != 1 || len(latest.TaskDefinition.ContainerDefinitions) != 1 {
		t.Errorf("the latest revision: %+v, tags %v", latest.TaskDefinition, latest.Tags)
	}
	if e.sim.StateDigest() == digest {
		t.Error("a registration did not change the account's digest")
	}

	updated := e.sim.Now()
	up := must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("monitoring"), Service: aws.String("grafana"), TaskDefinition: aws.String(revision)}))
	if aws.ToString(up.Service.TaskDefinition) != revision || len(up.Service.Deployments) != 1 || up.Service.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Fatalf("after the update: %+v", up.Service)
	}

	// The service's tasks now call as the role, their sessions named after
	// a task ID, and no longer with grafana's key.
	e.sim.Advance(20 * time.Minute)
	ct := e.responder(ecsRegion).ct
	byIP := eventsSince(t, ct, updated, cttypes.LookupAttribute{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("DescribeAlarms")})
	asRole := 0
	for _, body := range byIP {
		switch {
		case !strings.Contains(body, grafanaIP):
		case strings.Contains(body, grafanaKey):
			t.Errorf("grafana still signs with its key after the update: %s", body)
		case reTaskSession.MatchString(body):
			asRole++
		}
	}
	if asRole < 3 {
		t.Errorf("%d calls of grafana as kr-grafana with a task ID for session in 20 minutes, want at least 3", asRole)
	}
	for _, h := range e.sim.Health() {
		if h.Workload == "grafana" && !h.Healthy {
			t.Errorf("grafana broke on its task role: %s", h.LastError)
		}
	}
	assumed := eventsSince(t, ct, updated, cttypes.LookupAttribute{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("AssumeRole")})
	if len(assumed) != 1 || !strings.Contains(assumed[0], `"invokedBy":"ecs-tasks.amazonaws.com"`) || !regexp.MustCompile(`"roleSessionName":"[0-9a-f]{32}"`).MatchString(assumed[0]) {
		t.Errorf("ECS's AssumeRole for the task: %v", assumed)
	}

	// The registration, the update and the refusals are ECS events.
	for name, want := range map[string][2]int{"RegisterTaskDefinition": {1, 2}, "UpdateService": {1, 0}} {
		ok, denied := 0, 0
		for _, body := range eventsSince(t, ct, updated.Add(-time.Hour), cttypes.LookupAttribute{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}) {
			if !strings.Contains(body, `"eventSource":"ecs.amazonaws.com"`) {
				t.Errorf("%s from another source: %s", name, body)
			}
			switch {
			case strings.Contains(body, `"errorCode":"AccessDenied"`):
				denied++
			case !strings.Contains(body, `"errorCode"`):
				ok++
			}
		}
		if ok != want[0] || denied != want[1] {
			t.Errorf("%s events: %d succeeded, %d denied; want %d and %d", name, ok, denied, want[0], want[1])
		}
	}
}

// eventsSince is every CloudTrail event matching attr since from, as JSON.
func eventsSince(t *testing.T, ct *cloudtrail.Client, from time.Time, attr cttypes.LookupAttribute) []string {
	t.Helper()
	var out []string
	for _, ev := range lookupAll(t, ct, &cloudtrail.LookupEventsInput{StartTime: aws.Time(from), LookupAttributes: []cttypes.LookupAttribute{attr}}) {
		out = append(out, aws.ToString(ev.CloudTrailEvent))
	}
	return out
}

func TestExtECSRoleTasksCannotAssumeFailsTheDeployment(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	c := e.responderECS(ecsRegion)
	ec2Role := newTaskRole(t, e.responder("us-east-1"), "ec2-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	reg := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, revisionWith(t, c, ec2Role)))
	up := must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("monitoring"), Service: aws.String("grafana"),
		TaskDefinition: reg.TaskDefinition.TaskDefinitionArn}))
	d := up.Service.Deployments
	if len(d) != 2 || d[0].RolloutState != ecstypes.DeploymentRolloutStateFailed || !strings.Contains(aws.ToString(d[0].RolloutStateReason), "unable to assume the role") ||
		aws.ToString(d[1].TaskDefinition) != grafanaDef3 || up.Service.RunningCount != 1 {
		t.Fatalf("deployments: %+v", d)
	}
	grafanaKey, _, _ := e.sim.KeyCredentials("grafana")
	since := e.sim.Now()
	e.sim.Advance(10 * time.Minute)
	n := 0
	for _, body := range eventsSince(t, e.responder(ecsRegion).ct, since, cttypes.LookupAttribute{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(grafanaKey)}) {
		if strings.Contains(body, grafanaIP) {
			n++
		}
	}
	if n == 0 {
		t.Error("the old tasks stopped calling with grafana's key although the new ones never started")
	}
}

func TestExtECSScenarioErrors(t *testing.T) {
	container := json.RawMessage(`{"name":"app","image":"nginx:1.27"}`)
	tests := []struct {
		name   string
		change func(sc *sim.Scenario)
		field  string
	}{
		{"bad cluster name", func(sc *sim.Scenario) { sc.ECS.Clusters[0].Name = "my cluster" }, "ecs.clusters[0].name"},
		{"disabled region", func(sc *sim.Scenario) { sc.ECS.Clusters[0].Region = "ap-east-1" }, "ecs.clusters[0].region"},
		{"service declared twice", func(sc *sim.Scenario) {
			sc.ECS.Clusters[0].Services = append(sc.ECS.Clusters[0].Services, sc.ECS.Clusters[0].Services[0])
		}, "ecs.clusters[0].services[1].name"},
		{"unknown task role", func(sc *sim.Scenario) { sc.ECS.Clusters[0].Services[0].TaskDefinition.TaskRole = "nope" }, "taskDefinition.taskRole"},
		{"container without image", func(sc *sim.Scenario) {
			sc.ECS.Clusters[0].Services[0].TaskDefinition.ContainerDefinitions = []json.RawMessage{json.RawMessage(`{"name":"app"}`)}
		}, "containerDefinitions[0]"},
		{"same revision twice", func(sc *sim.Scenario) {
			s := sc.ECS.Clusters[0].Services[0]
			s.Name = "grafana-2"
			s.TaskDefinition.ContainerDefinitions = []json.RawMessage{container}
			sc.ECS.Clusters[0].Services = append(sc.ECS.Clusters[0].Services, s)
		}, "services[1].taskDefinition.revision"},
		{"workload on an undeclared service", func(sc *sim.Scenario) {
			for i := range sc.Workloads {
				if sc.Workloads[i].Name == "grafana" {
					sc.Workloads[i].RunsOn = "monitoring/loki"
				}
			}
		}, ".runsOn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := sim.LoadScenario("iam-user-lambda-ci")
			if err != nil {
				t.Fatal(err)
			}
			tt.change(sc)
			if _, err := sim.New(sc); err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("want an error naming %s, got %v", tt.field, err)
			}
		})
	}
}
