package judge

import "strings"

// resourcesByService finds, per service (the action's IAM prefix), the
// ARNs a successful call's permission is checked on. A service missing
// here is granted on "*". Each entry reads only what its service's events
// name (CloudTrail requestParameters, resources).
var resourcesByService = map[string]func(action string, s arnScope, p *Params, r *TrailRecord) []string{
	"s3": func(action string, s arnScope, p *Params, r *TrailRecord) []string {
		return s3Resources(action, s, p)
	},
	"ec2": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if ec2InstanceActions[action] || action == "AssociateIamInstanceProfile" {
			ids := append(p.strs("instancesSet.items[].instanceId"), p.strs("instanceId")...)
			ids = append(ids, p.strs("AssociateIamInstanceProfileRequest.InstanceId")...)
			for _, id := range ids {
				own = append(own, s.arn("ec2", "instance/"+id))
			}
		}
		return own
	},
	"lambda": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if fn := p.str("functionName"); fn != "" && !strings.Contains(action, "EventSourceMapping") {
			own = append(own, lambdaFunctionARN(fn, s))
		}
		return own
	},
	"dynamodb": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if t := p.str("tableName"); t != "" {
			own = append(own, s.arn("dynamodb", "table/"+t))
		}
		return own
	},
	"sqs": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if u := p.str("queueUrl"); u != "" {
			if parts := strings.Split(strings.TrimSuffix(u, "/"), "/"); len(parts) >= 2 {
				own = append(own, "arn:"+s.partition+":sqs:"+s.region+":"+parts[len(parts)-2]+":"+parts[len(parts)-1])
			}
		} else if q := p.str("queueName"); q != "" {
			own = append(own, s.arn("sqs", q))
		}
		return own
	},
	"sns": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if t := p.str("topicArn"); t != "" {
			own = append(own, t)
		} else if action == "CreateTopic" && p.str("name") != "" {
			own = append(own, s.arn("sns", p.str("name")))
		}
		return own
	},
	"secretsmanager": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		id := p.str("secretId")
		if id == "" && action == "CreateSecret" {
			id = p.str("name")
		}
		switch {
		case strings.HasPrefix(id, "arn:"):
			own = append(own, id)
		case id != "":
			// A secret's ARN ends in six random characters after its name.
			own = append(own, s.arn("secretsmanager", "secret:"+id+"-??????"))
		}
		return own
	},
	"ssm": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		names := append(p.strs("name"), p.strs("names[]")...)
		names = append(names, p.strs("path")...)
		for _, n := range names {
			own = append(own, s.arn("ssm", "parameter/"+strings.TrimPrefix(n, "/")))
		}
		return own
	},
	"kms": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		for _, res := range r.Resources {
			if res.Type == "AWS::KMS::Key" && res.ARN != "" {
				own = append(own, res.ARN)
			}
		}
		if k := p.str("keyId"); len(own) == 0 && strings.HasPrefix(k, "arn:") {
			own = append(own, k)
		}
		return own
	},
	"logs": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if g := p.str("logGroupName"); g != "" {
			own = append(own, s.arn("logs", "log-group:"+g), s.arn("logs", "log-group:"+g+":*"))
		}
		return own
	},
	"bedrock": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		// A foundation model's ARN names no account (Bedrock API reference:
		// arn:aws:bedrock:REGION::foundation-model/MODEL-ID); a model ID that
		// is an ARN already (a provisioned or imported model) is used as is.
		if m := p.str("modelId"); strings.HasPrefix(m, "arn:") {
			own = append(own, m)
		} else if m != "" && (strings.HasPrefix(action, "Invoke") || strings.HasPrefix(action, "Converse")) {
			own = append(own, "arn:"+s.partition+":bedrock:"+s.region+"::foundation-model/"+m)
		}
		return own
	},
	"ecr": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if repo := p.str("repositoryName"); repo != "" {
			own = append(own, s.arn("ecr", "repository/"+repo))
		}
		return own
	},
	"cloudformation": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if st := p.str("stackName"); strings.HasPrefix(st, "arn:") {
			own = append(own, st)
		} else if st != "" {
			own = append(own, s.arn("cloudformation", "stack/"+st+"/*"))
		}
		return own
	},
	"states": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if sm := p.str("stateMachineArn"); sm != "" {
			own = append(own, sm)
		}
		return own
	},
	"sts": func(action string, s arnScope, p *Params, r *TrailRecord) (own []string) {
		if action == "AssumeRole" && p.str("roleArn") != "" {
			own = append(own, p.str("roleArn"))
		}
		return own
	},
	"iam": func(action string, s arnScope, p *Params, r *TrailRecord) []string {
		return iamResources(action, r, s, p)
	},
}
