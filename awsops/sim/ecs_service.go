package sim

import "strings"

// ECS services: DescribeServices and UpdateService. A deployment completes
// at once in the sim, and the service's workload runs as its new tasks from
// the call on.

// ecsServiceOut is a Service as DescribeServices and UpdateService answer
// it, the fields keyrunbook and the AWS CLI read.
type ecsServiceOut struct {
	ServiceArn           string             `json:"serviceArn"`
	ServiceName          string             `json:"serviceName"`
	ClusterArn           string             `json:"clusterArn"`
	Status               string             `json:"status"`
	DesiredCount         int                `json:"desiredCount"`
	RunningCount         int                `json:"runningCount"`
	PendingCount         int                `json:"pendingCount"`
	LaunchType           string             `json:"launchType"`
	PlatformVersion      string             `json:"platformVersion,omitempty"`
	TaskDefinition       string             `json:"taskDefinition"`
	Deployments          []ecsDeploymentOut `json:"deployments"`
	Events               []any              `json:"events"`
	CreatedAt            float64            `json:"createdAt"`
	SchedulingStrategy   string             `json:"schedulingStrategy"`
	DeploymentController map[string]string  `json:"deploymentController"`
}

type ecsDeploymentOut struct {
	ID                 string  `json:"id"`
	Status             string  `json:"status"`
	TaskDefinition     string  `json:"taskDefinition"`
	DesiredCount       int     `json:"desiredCount"`
	RunningCount       int     `json:"runningCount"`
	PendingCount       int     `json:"pendingCount"`
	FailedTasks        int     `json:"failedTasks"`
	LaunchType         string  `json:"launchType"`
	CreatedAt          float64 `json:"createdAt"`
	UpdatedAt          float64 `json:"updatedAt"`
	RolloutState       string  `json:"rolloutState"`
	RolloutStateReason string  `json:"rolloutStateReason"`
}

func (s *Sim) serviceOut(cl *ecsCluster, svc *ecsService) ecsServiceOut {
	out := ecsServiceOut{ServiceArn: ecsARN(s.acct.id, cl.region, "service/"+cl.name+"/"+svc.name), ServiceName: svc.name,
		ClusterArn: ecsARN(s.acct.id, cl.region, "cluster/"+cl.name), Status: "ACTIVE", DesiredCount: svc.desired,
		LaunchType: svc.launchType, TaskDefinition: svc.taskDef, Events: []any{},
		CreatedAt: epochSeconds(svc.created.UnixMilli()), SchedulingStrategy: "REPLICA",
		DeploymentController: map[string]string{"type": "ECS"}}
	if svc.launchType == "FARGATE" {
		out.PlatformVersion = "LATEST"
	}
	for _, d := range svc.deployments {
		// A failed deployment's tasks never started; the older ones run on.
		running := svc.desired
		if d.rollout == "FAILED" {
			running = 0
		}
		out.RunningCount += running
		out.Deployments = append(out.Deployments, ecsDeploymentOut{ID: d.id, Status: d.status, TaskDefinition: d.taskDef,
			DesiredCount: svc.desired, RunningCount: running, FailedTasks: svc.desired - running, LaunchType: svc.launchType,
			CreatedAt: epochSeconds(d.created.UnixMilli()), UpdatedAt: epochSeconds(d.updated.UnixMilli()),
			RolloutState: d.rollout, RolloutStateReason: d.reason})
	}
	return out
}

// opDescribeServices describes up to ten services of a cluster; a service
// that is not there is a failure of the reply, not an error (ECS API
// reference, DescribeServices).
func opDescribeServices(s *Sim, c *call) (any, *apiError) {
	var in struct {
		Cluster  string   `json:"cluster"`
		Services []string `json:"services"`
	}
	if e := ecsInput(c, &in); e != nil {
		return nil, e
	}
	if len(in.Services) == 0 || len(in.Services) > 10 {
		return nil, ecsErr("InvalidParameterException", "Services must contain between 1 and 10 service names or ARNs.")
	}
	cl, e := s.clusterOf(c, in.Cluster)
	if e != nil {
		return nil, e
	}
	type failure struct {
		Arn    string `json:"arn"`
		Reason string `json:"reason"`
	}
	out := struct {
		Services []ecsServiceOut `json:"services"`
		Failures []failure       `json:"failures"`
	}{Services: []ecsServiceOut{}, Failures: []failure{}}
	for _, ref := range in.Services {
		if svc := cl.services[lastName(ref)]; svc != nil {
			out.Services = append(out.Services, s.serviceOut(cl, svc))
			continue
		}
		out.Failures = append(out.Failures, failure{Arn: ecsARN(s.acct.id, cl.region, "service/"+cl.name+"/"+lastName(ref)), Reason: "MISSING"})
	}
	return out, nil
}

// opUpdateService changes a service's desired count or deploys another
// revision (or the same one again, with forceNewDeployment). The new tasks
// get the revision's task role: the service's workload calls as that role
// from then on, with a session named after its task, as on AWS.
func opUpdateService(s *Sim, c *call) (any, *apiError) {
	var in struct {
		Cluster            string  `json:"cluster"`
		Service            string  `json:"service"`
		TaskDefinition     *string `json:"taskDefinition"`
		DesiredCount       *int    `json:"desiredCount"`
		ForceNewDeployment bool    `json:"forceNewDeployment"`
	}
	if e := ecsInput(c, &in); e != nil {
		return nil, e
	}
	cl, e := s.clusterOf(c, in.Cluster)
	if e != nil {
		return nil, e
	}
	svc := cl.services[lastName(in.Service)]
	if svc == nil {
		return nil, ecsErr("ServiceNotFoundException", "Service not found.")
	}
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, ecsErr("InvalidParameterException", "Desired count cannot be negative.")
	}
	def := s.taskDefOf(c, svc.taskDef[strings.LastIndexByte(svc.taskDef, '/')+1:])
	if in.TaskDefinition != nil {
		if def = s.taskDefOf(c, *in.TaskDefinition); def == nil {
			return nil, ecsErr("ClientException", "TaskDefinition not found.")
		}
	}
	if in.DesiredCount != nil {
		svc.desired = *in.DesiredCount
	}
	arn := ecsARN(s.acct.id, cl.region, def.ref())
	if arn != svc.taskDef || in.ForceNewDeployment {
		s.deploy(cl, svc, def, c)
	}
	out := map[string]any{"service": s.serviceOut(cl, svc)}
	c.respElems = out
	return out, nil
}

// deploy starts the service's tasks on def, moving its workload to them.
// Tasks whose role does not trust ecs-tasks.amazonaws.com cannot start:
// the deployment fails and the old tasks keep running, with the
// credentials they had (the deployment circuit breaker's rollback).
func (s *Sim) deploy(cl *ecsCluster, svc *ecsService, def *taskDef, c *call) {
	n := svc.deploys
	svc.deploys++
	d := &ecsDeployment{id: svc.deploymentID(n), taskDef: ecsARN(s.acct.id, cl.region, def.ref()), status: "PRIMARY",
		rollout: "COMPLETED", created: c.at, updated: c.at}
	d.reason = "ECS deployment " + d.id + " completed."
	svc.taskDef = d.taskDef
	var role *iamRole
	if def.taskRole != "" {
		role = s.acct.roles[lastName(def.taskRole)]
		if role == nil || !strings.Contains(role.trust, "ecs-tasks.amazonaws.com") {
			d.rollout = "FAILED"
			d.reason = "ECS deployment circuit breaker: tasks failed to start. ECS was unable to assume the role '" + def.taskRole +
				"' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role."
			for _, old := range svc.deployments {
				old.status = "ACTIVE"
			}
			svc.deployments = append([]*ecsDeployment{d}, svc.deployments...)
			return
		}
	}
	svc.deployments = []*ecsDeployment{d}
	for _, w := range s.workloads {
		if w.cw.w.Kind != KindECS || w.cw.w.RunsOn != cl.name+"/"+svc.name {
			continue
		}
		if role == nil {
			// No task role: the containers call with the key they carry.
			w.keyID = s.keyRefs[w.cw.w.Key]
			continue
		}
		s.assumeTaskRole(w, role, cl.region, svc.taskID(n))
	}
}

// assumeTaskRole gives a workload the task role's credentials, as ECS
// does for a task: assumeRoleFor records the AssumeRole by
// ecs-tasks.amazonaws.com and names an ecs workload's session after the
// workload, so it is handed a copy named after the task.
func (s *Sim) assumeTaskRole(w *workload, r *iamRole, region, taskID string) {
	spec := *w.cw.w
	spec.Name = taskID
	task := &workload{cw: &compiledWorkload{w: &spec}}
	s.assumeRoleFor(task, r, region)
	w.keyID, w.wrongSecret = task.keyID, false
}
