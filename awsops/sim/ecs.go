package sim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ECS (JSON 1.1, AmazonEC2ContainerServiceV20141113): clusters, their
// services and the task definitions they run, which is how keyrunbook gives
// an ECS service a task role: a new revision of its task definition with
// taskRoleArn, then UpdateService (ecs_ops.go). This file holds the
// scenario's ecs section and the account's ECS state.

// ecsAPI is ECS's operations (ecs_ops.go, ecs_service.go).
func ecsAPI() *service {
	svc := func(s *Sim, c *call) string { return s.serviceResource(c) }
	return &service{name: "ecs", wires: []string{wireJSON11}, targets: []string{"AmazonEC2ContainerServiceV20141113"}, ops: map[string]op{
		"DescribeServices":       {fn: opDescribeServices, readOnly: true, resource: svc},
		"DescribeTaskDefinition": {fn: opDescribeTaskDefinition, readOnly: true},
		"RegisterTaskDefinition": {fn: opRegisterTaskDefinition},
		"UpdateService":          {fn: opUpdateService, resource: svc},
	}}
}

// ECS is the scenario's ecs section.
type ECS struct {
	// Clusters are ECS clusters, each in one region.
	Clusters []ECSCluster `json:"clusters"`
}

// ECSCluster is an ECS cluster and its services.
type ECSCluster struct {
	// Name is unique within its region.
	Name     string       `json:"name"`
	Region   string       `json:"region"`
	Services []ECSService `json:"services,omitempty"`
}

// ECSService is a service of a cluster. An ecs workload whose runsOn is
// CLUSTER/SERVICE runs as its tasks: when UpdateService deploys a revision
// with a task role, the workload calls as that role from then on.
type ECSService struct {
	Name string `json:"name"`
	// LaunchType is FARGATE (default), EC2 or EXTERNAL.
	LaunchType string `json:"launchType,omitempty"`
	// DesiredCount defaults to 1.
	DesiredCount int `json:"desiredCount,omitempty"`
	// Created is when the service was created (default "-200d").
	Created string `json:"created,omitempty"`
	// TaskDefinition is the revision the service runs.
	TaskDefinition ECSTaskDefinition `json:"taskDefinition"`
}

// ECSTaskDefinition is a task definition revision, in ECS's own field
// names where it has them.
type ECSTaskDefinition struct {
	Family string `json:"family"`
	// Revision defaults to 1; earlier revisions do not exist in the sim.
	Revision int `json:"revision,omitempty"`
	// TaskRole and ExecutionRole name roles of the scenario; empty means
	// none (the containers then call with whatever key they were given).
	TaskRole      string `json:"taskRole,omitempty"`
	ExecutionRole string `json:"executionRole,omitempty"`
	// Cpu and Memory are the task size ("256", "512"), as ECS takes them.
	Cpu    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
	// NetworkMode defaults to awsvpc.
	NetworkMode string `json:"networkMode,omitempty"`
	// RequiresCompatibilities defaults to the service's launch type.
	RequiresCompatibilities []string `json:"requiresCompatibilities,omitempty"`
	// ContainerDefinitions are ECS container definitions, as
	// DescribeTaskDefinition prints them (each needs name and image).
	ContainerDefinitions []json.RawMessage `json:"containerDefinitions"`
	// Registered is when the revision was registered (default "-200d").
	Registered string `json:"registered,omitempty"`
}

// ecsState is the account's ECS: clusters by REGION/NAME, task definition
// families by REGION/FAMILY.
type ecsState struct {
	clusters map[string]*ecsCluster
	families map[string]*taskFamily
}

type ecsCluster struct {
	name, region string
	services     map[string]*ecsService
	created      time.Time
}

type ecsService struct {
	name, launchType string
	desired          int
	created          time.Time
	taskDef          string // the ARN of the revision it runs
	deployments      []*ecsDeployment
	deploys          int    // deployments made, the first one included
	seed             uint64 // from the names, for deployment and task IDs
}

// ecsDeployment is one of a service's deployments; the newest first, as
// DescribeServices lists them.
type ecsDeployment struct {
	id, taskDef, status, rollout, reason string
	created, updated                     time.Time
}

type taskFamily struct {
	revisions map[int]*taskDef
	latest    int
}

// taskDef is a registered revision. fields holds what was registered, in
// ECS's JSON, so a revision reads back exactly as it was written.
type taskDef struct {
	family, region     string
	revision           int
	fields             map[string]json.RawMessage
	taskRole, execRole string // ARNs, "" for none
	tags               json.RawMessage
	registered         time.Time
	registeredBy       string
}

// reECSName is the pattern of cluster, service and family names (ECS API
// reference: up to 255 letters, numbers, hyphens and underscores).
var reECSName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

func (v *validator) ecs() error {
	if v.sc.ECS == nil {
		return nil
	}
	clusters := map[string]bool{}    // REGION/NAME
	services := map[string]bool{}    // NAME/SERVICE, as workloads name them
	revisions := map[string]string{} // REGION/FAMILY:REVISION → its field
	for ci, cl := range v.sc.ECS.Clusters {
		f := fmt.Sprintf("ecs.clusters[%d]", ci)
		if !reECSName.MatchString(cl.Name) {
			return fieldErr(f+".name", "%q must be 1-255 letters, digits, dashes and underscores", cl.Name)
		}
		if cl.Region == "" || !v.enabled[cl.Region] {
			return fieldErr(f+".region", "%q is not an enabled region of the scenario", cl.Region)
		}
		if clusters[cl.Region+"/"+cl.Name] {
			return fieldErr(f+".name", "%q is declared twice in %s", cl.Name, cl.Region)
		}
		clusters[cl.Region+"/"+cl.Name] = true
		for si, svc := range cl.Services {
			sf := fmt.Sprintf("%s.services[%d]", f, si)
			if !reECSName.MatchString(svc.Name) || services[cl.Name+"/"+svc.Name] {
				return fieldErr(sf+".name", "%q must be a unique service name of cluster %s", svc.Name, cl.Name)
			}
			services[cl.Name+"/"+svc.Name] = true
			switch svc.LaunchType {
			case "", "FARGATE", "EC2", "EXTERNAL":
			default:
				return fieldErr(sf+".launchType", "%q is not FARGATE, EC2 or EXTERNAL", svc.LaunchType)
			}
			if svc.DesiredCount < 0 {
				return fieldErr(sf+".desiredCount", "%d is negative", svc.DesiredCount)
			}
			if _, err := pastOffset(sf+".created", svc.Created, 0); err != nil {
				return err
			}
			if err := v.taskDefinition(sf+".taskDefinition", svc.TaskDefinition); err != nil {
				return err
			}
			td := svc.TaskDefinition
			key := fmt.Sprintf("%s/%s:%d", cl.Region, td.Family, max(td.Revision, 1))
			if prev, dup := revisions[key]; dup {
				return fieldErr(sf+".taskDefinition.revision", "%s:%d is declared already by %s", td.Family, max(td.Revision, 1), prev)
			}
			revisions[key] = sf
		}
	}
	for wi, w := range v.sc.Workloads {
		cluster, _, _ := strings.Cut(w.RunsOn, "/")
		if w.Kind != KindECS || !declaredCluster(v.sc.ECS, cluster) || services[w.RunsOn] {
			continue
		}
		return fieldErr(fmt.Sprintf("workloads[%d].runsOn", wi), "%q is not CLUSTER/SERVICE of a service in the ecs section", w.RunsOn)
	}
	return nil
}

func declaredCluster(e *ECS, name string) bool {
	for _, cl := range e.Clusters {
		if cl.Name == name {
			return true
		}
	}
	return false
}

func (v *validator) taskDefinition(f string, td ECSTaskDefinition) error {
	if !reECSName.MatchString(td.Family) {
		return fieldErr(f+".family", "%q must be 1-255 letters, digits, dashes and underscores", td.Family)
	}
	if td.Revision < 0 {
		return fieldErr(f+".revision", "%d is negative", td.Revision)
	}
	for field, role := range map[string]string{".taskRole": td.TaskRole, ".executionRole": td.ExecutionRole} {
		if role != "" && !v.roles[role] {
			return fieldErr(f+field, "%q is not a role of the scenario", role)
		}
	}
	if len(td.ContainerDefinitions) == 0 {
		return fieldErr(f+".containerDefinitions", "needs at least one container")
	}
	for i, raw := range td.ContainerDefinitions {
		var c struct{ Name, Image string }
		if err := json.Unmarshal(raw, &c); err != nil || c.Name == "" || c.Image == "" {
			return fieldErr(fmt.Sprintf("%s.containerDefinitions[%d]", f, i), "must be an object with a name and an image")
		}
	}
	_, err := pastOffset(f+".registered", td.Registered, 0)
	return err
}

// buildECS creates the scenario's clusters, services and revisions. Their
// IDs derive from the names, not the ID stream, so declaring a service
// changes no other generated ID.
func buildECS(sc *Scenario, start time.Time) *ecsState {
	st := &ecsState{clusters: map[string]*ecsCluster{}, families: map[string]*taskFamily{}}
	if sc.ECS == nil {
		return st
	}
	roleARN := func(name string) string {
		for _, r := range sc.Roles {
			if r.Name == name && name != "" {
				return "arn:aws:iam::" + sc.Account.ID + ":role" + orDefault(r.Path, "/") + name
			}
		}
		return ""
	}
	for _, cl := range sc.ECS.Clusters {
		c := &ecsCluster{name: cl.Name, region: cl.Region, services: map[string]*ecsService{}, created: start.Add(-400 * 24 * time.Hour)}
		st.clusters[cl.Region+"/"+cl.Name] = c
		for _, svc := range cl.Services {
			td := svc.TaskDefinition
			launch := orDefault(svc.LaunchType, "FARGATE")
			compat := td.RequiresCompatibilities
			if len(compat) == 0 {
				compat = []string{launch}
			}
			fields := map[string]json.RawMessage{"family": mustJSON(td.Family),
				"containerDefinitions": mustJSON(td.ContainerDefinitions), "networkMode": mustJSON(orDefault(td.NetworkMode, "awsvpc")),
				"requiresCompatibilities": mustJSON(compat), "volumes": mustJSON([]any{}), "placementConstraints": mustJSON([]any{})}
			for k, val := range map[string]string{"cpu": td.Cpu, "memory": td.Memory,
				"taskRoleArn": roleARN(td.TaskRole), "executionRoleArn": roleARN(td.ExecutionRole)} {
				if val != "" {
					fields[k] = mustJSON(val)
				}
			}
			registered, _ := offsetOr("", td.Registered, -200*24*time.Hour) // validated by compile
			def := &taskDef{family: td.Family, region: cl.Region, revision: max(td.Revision, 1), fields: fields,
				taskRole: roleARN(td.TaskRole), execRole: roleARN(td.ExecutionRole), registered: start.Add(registered),
				registeredBy: "arn:aws:iam::" + sc.Account.ID + ":root"}
			st.add(def)
			created, _ := offsetOr("", svc.Created, -200*24*time.Hour)
			h := fnv.New64a()
			h.Write([]byte(sc.Account.ID + "/" + cl.Region + "/" + cl.Name + "/" + svc.Name))
			s := &ecsService{name: svc.Name, launchType: launch, desired: orInt(svc.DesiredCount, 1),
				created: start.Add(created), seed: h.Sum64(), deploys: 1}
			s.taskDef = ecsARN(sc.Account.ID, def.region, def.ref())
			s.deployments = []*ecsDeployment{{id: s.deploymentID(0), taskDef: s.taskDef, status: "PRIMARY",
				rollout: "COMPLETED", reason: "ECS deployment " + s.deploymentID(0) + " completed.", created: s.created, updated: s.created}}
			c.services[svc.Name] = s
		}
	}
	return st
}

// add stores a revision as its family's latest when it is the newest.
func (st *ecsState) add(d *taskDef) {
	k := d.region + "/" + d.family
	fam := st.families[k]
	if fam == nil {
		fam = &taskFamily{revisions: map[int]*taskDef{}}
		st.families[k] = fam
	}
	fam.revisions[d.revision] = d
	fam.latest = max(fam.latest, d.revision)
}

// ref is FAMILY:REVISION.
func (d *taskDef) ref() string { return d.family + ":" + strconv.Itoa(d.revision) }

// ecsARN is an ECS resource ARN: RESOURCE is "cluster/NAME",
// "service/CLUSTER/NAME" or "task-definition/FAMILY:REVISION".
func ecsARN(account, region, resource string) string {
	if !strings.Contains(resource, "/") {
		resource = "task-definition/" + resource
	}
	return "arn:aws:ecs:" + region + ":" + account + ":" + resource
}

// deploymentID is "ecs-svc/" and 19 digits, as ECS names deployments.
func (s *ecsService) deploymentID(n int) string {
	return fmt.Sprintf("ecs-svc/%019d", mix64(s.seed^uint64(n)*0x9e3779b97f4a7c15)%1e19)
}

// taskID is a task's 32-hex-digit ID, which is also the session name of
// the task role's credentials (ECS developer guide, task IAM role).
func (s *ecsService) taskID(n int) string {
	return fmt.Sprintf("%016x%016x", mix64(s.seed+uint64(n)), mix64(s.seed^0x7461736b^uint64(n)))
}

// digestECS adds the services and revisions to StateDigest.
func (a *account) digestECS(line func(parts ...any)) {
	if a.ecs == nil {
		return
	}
	for _, k := range sortedKeys(a.ecs.clusters) {
		c := a.ecs.clusters[k]
		for _, n := range sortedKeys(c.services) {
			s := c.services[n]
			line("ecs-service", k, n, s.taskDef, s.desired, len(s.deployments))
		}
	}
	for _, k := range sortedKeys(a.ecs.families) {
		fam := a.ecs.families[k]
		for rev := 1; rev <= fam.latest; rev++ {
			if d := fam.revisions[rev]; d != nil {
				line("ecs-taskdef", k, rev, d.taskRole, d.execRole, string(mustJSON(d.fields)), string(d.tags))
			}
		}
	}
}
