package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// The ECS operations keyrunbook calls to give a service a task role:
// DescribeServices and DescribeTaskDefinition to read what runs,
// RegisterTaskDefinition for the revision with the role, UpdateService to
// deploy it. Error codes and messages are ECS's (ECS API reference, and as
// the AWS CLI prints them); events go to CloudTrail as ecs.amazonaws.com.

func ecsErr(code, msg string) *apiError {
	return &apiError{code: code, message: msg, status: http.StatusBadRequest}
}

// ecsInput decodes a request body and keeps it as the event's
// requestParameters, which ECS records in its own field names.
func ecsInput(c *call, in any) *apiError {
	if err := json.Unmarshal(c.body, in); err != nil {
		return ecsErr("InvalidParameterException", "The request body is not valid JSON for "+c.action+".")
	}
	var params map[string]any
	_ = json.Unmarshal(c.body, &params)
	c.reqParams = params
	return nil
}

// lastName is what follows the last "/" of an ARN, or ref itself.
func lastName(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref[strings.LastIndexByte(ref, '/')+1:]
	}
	return ref
}

// clusterOf finds the cluster a request names (by name or ARN, "default"
// when none), in the request's region.
func (s *Sim) clusterOf(c *call, ref string) (*ecsCluster, *apiError) {
	cl := s.acct.ecs.clusters[c.region+"/"+lastName(orDefault(ref, "default"))]
	if cl == nil {
		return nil, ecsErr("ClusterNotFoundException", "Cluster not found.")
	}
	return cl, nil
}

// serviceResource is the service ARN the policy check is made against.
func (s *Sim) serviceResource(c *call) string {
	var in struct {
		Cluster  string   `json:"cluster"`
		Service  string   `json:"service"`
		Services []string `json:"services"`
	}
	_ = json.Unmarshal(c.body, &in)
	name := in.Service
	if name == "" && len(in.Services) > 0 {
		name = in.Services[0]
	}
	return ecsARN(s.acct.id, c.region, "service/"+lastName(orDefault(in.Cluster, "default"))+"/"+lastName(name))
}

// taskDefOf resolves FAMILY, FAMILY:REVISION or an ARN to a revision of
// the request's region; FAMILY alone is the latest.
func (s *Sim) taskDefOf(c *call, ref string) *taskDef {
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, ":")
		if len(parts) < 7 || parts[3] != c.region {
			return nil
		}
		ref = lastName(ref)
	}
	family, rev, hasRev := strings.Cut(ref, ":")
	fam := s.acct.ecs.families[c.region+"/"+family]
	if fam == nil {
		return nil
	}
	if !hasRev {
		return fam.revisions[fam.latest]
	}
	n, err := strconv.Atoi(rev)
	if err != nil {
		return nil
	}
	return fam.revisions[n]
}

// taskDefOut is a revision as DescribeTaskDefinition answers it: what was
// registered, and what ECS adds.
func (s *Sim) taskDefOut(d *taskDef) map[string]any {
	out := map[string]any{}
	for k, v := range d.fields {
		out[k] = v
	}
	out["taskDefinitionArn"] = ecsARN(s.acct.id, d.region, d.ref())
	out["revision"] = d.revision
	out["status"] = "ACTIVE"
	out["compatibilities"] = []string{"EC2", "FARGATE"}
	out["requiresAttributes"] = []any{}
	out["registeredAt"] = epochSeconds(d.registered.UnixMilli())
	out["registeredBy"] = d.registeredBy
	return out
}

func epochSeconds(ms int64) float64 { return float64(ms) / 1000 }

func opDescribeTaskDefinition(s *Sim, c *call) (any, *apiError) {
	var in struct {
		TaskDefinition string   `json:"taskDefinition"`
		Include        []string `json:"include"`
	}
	if e := ecsInput(c, &in); e != nil {
		return nil, e
	}
	d := s.taskDefOf(c, in.TaskDefinition)
	if d == nil {
		return nil, ecsErr("ClientException", "Unable to describe task definition.")
	}
	out := map[string]any{"taskDefinition": s.taskDefOut(d)}
	for _, inc := range in.Include {
		if inc == "TAGS" {
			out["tags"] = orRaw(d.tags, "[]")
		}
	}
	return out, nil
}

func orRaw(raw json.RawMessage, def string) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage(def)
	}
	return raw
}

// registrationOnly are RegisterTaskDefinition's parameters a revision does
// not keep among its own fields.
var registrationOnly = map[string]bool{"tags": true, "taskDefinitionArn": true, "revision": true,
	"status": true, "registeredAt": true, "registeredBy": true, "compatibilities": true, "requiresAttributes": true}

// opRegisterTaskDefinition registers the family's next revision. Passing a
// task or execution role needs iam:PassRole on it, and a role ECS cannot
// use is "not valid", as on AWS.
func opRegisterTaskDefinition(s *Sim, c *call) (any, *apiError) {
	var fields map[string]json.RawMessage
	if e := ecsInput(c, &fields); e != nil {
		return nil, e
	}
	var in struct {
		Family               string            `json:"family"`
		TaskRoleArn          string            `json:"taskRoleArn"`
		ExecutionRoleArn     string            `json:"executionRoleArn"`
		ContainerDefinitions []json.RawMessage `json:"containerDefinitions"`
	}
	_ = json.Unmarshal(c.body, &in)
	if !reECSName.MatchString(in.Family) {
		return nil, ecsErr("ClientException", "Family contains invalid characters or is empty: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.")
	}
	if len(in.ContainerDefinitions) == 0 {
		return nil, ecsErr("ClientException", "Container list cannot be empty.")
	}
	for _, raw := range in.ContainerDefinitions {
		var cd struct{ Name, Image string }
		_ = json.Unmarshal(raw, &cd)
		switch {
		case cd.Name == "":
			return nil, ecsErr("ClientException", "Container.name should not be null or empty.")
		case cd.Image == "":
			return nil, ecsErr("ClientException", "Container.image should not be null or empty.")
		}
	}
	for _, arn := range []string{in.TaskRoleArn, in.ExecutionRoleArn} {
		if e := s.ecsRole(c, arn); e != nil {
			return nil, e
		}
	}
	d := &taskDef{family: in.Family, region: c.region, fields: map[string]json.RawMessage{},
		taskRole: in.TaskRoleArn, execRole: in.ExecutionRoleArn, tags: fields["tags"],
		registered: c.at, registeredBy: c.who.arn}
	for k, v := range fields {
		if !registrationOnly[k] {
			d.fields[k] = v
		}
	}
	if fam := s.acct.ecs.families[c.region+"/"+in.Family]; fam != nil {
		d.revision = fam.latest + 1
	} else {
		d.revision = 1
	}
	s.acct.ecs.add(d)
	out := map[string]any{"taskDefinition": s.taskDefOut(d), "tags": orRaw(d.tags, "[]")}
	c.respElems = out
	return out, nil
}

// ecsRole checks a role a task definition passes: iam:PassRole for the
// caller (AccessDeniedException, as ECS answers it), then that it is a role
// of this account ("Role is not valid", ECS's ClientException).
func (s *Sim) ecsRole(c *call, arn string) *apiError {
	if arn == "" {
		return nil
	}
	if !reLambdaRole.MatchString(arn) {
		return ecsErr("ClientException", "Role is not valid")
	}
	if e := s.authorize(&call{service: "iam", action: "PassRole", who: c.who, key: c.key},
		op{resource: func(*Sim, *call) string { return arn }}); e != nil {
		return &apiError{code: "AccessDeniedException", message: e.message, status: http.StatusBadRequest, trailCode: "AccessDenied"}
	}
	if r := s.acct.roles[lastName(arn)]; r == nil || s.acct.roleARN(r) != arn {
		return ecsErr("ClientException", "Role is not valid")
	}
	return nil
}
