package sim

import (
	"maps"
	"slices"
	"strings"
)

// Operation is one AWS API operation the sim serves over HTTP, with the
// wire protocols it answers in (Smithy's names: awsQuery, ec2Query,
// awsJson1_0, awsJson1_1, restJson1, restXml, rpcv2Cbor).
type Operation struct {
	Service   string // the sim's and IAM's name: "cloudwatch", not "monitoring"
	Name      string // the API name: "GetFunction", not CloudTrail's "GetFunction20150331v2"
	Protocols []string
}

// Operations lists every operation the sim serves, by service and name,
// from the catalog the constructor assembles (newCatalog).
func Operations() []Operation {
	var out []Operation
	cat := newCatalog()
	for _, name := range slices.Sorted(maps.Keys(cat)) {
		svc := cat[name]
		names := map[string]bool{}
		for action := range svc.ops {
			names[action] = true
		}
		for _, rt := range svc.routes {
			names[reVersionSuffix.ReplaceAllString(rt.action, "")] = true
		}
		for _, action := range svc.named {
			names[action] = true
		}
		for _, action := range slices.Sorted(maps.Keys(names)) {
			out = append(out, Operation{Service: name, Name: action, Protocols: slices.Clone(svc.wires)})
		}
	}
	return out
}

// OperationsMarkdown renders Operations as the README's table: one row a
// service, its protocols, its operations.
func OperationsMarkdown() string {
	var b strings.Builder
	b.WriteString("| Service | Protocols | Operations |\n| --- | --- | --- |\n")
	ops := Operations()
	for i := 0; i < len(ops); {
		j := i
		var names []string
		for ; j < len(ops) && ops[j].Service == ops[i].Service; j++ {
			names = append(names, ops[j].Name)
		}
		b.WriteString("| " + ops[i].Service + " | " + strings.Join(ops[i].Protocols, ", ") + " | " + strings.Join(names, ", ") + " |\n")
		i = j
	}
	return b.String()
}

// service is one AWS service the sim serves, declared in the file named
// after it (iam.go, ecs.go, ...): the protocols its AWS model lists and
// its operations. The RPC protocols (query, JSON, CBOR) name the
// operation in the request, so ops is keyed by API action; the REST
// protocols route by method and path (routes). S3 dispatches its own
// requests (s3.go) and only names its operations here.
type service struct {
	name   string
	wires  []string
	ops    map[string]op
	routes []restRoute
	named  []string
	// What its requests and replies carry: the SigV4 signing name when it
	// is not name ("monitoring"), the X-Amz-Target prefixes of its JSON
	// requests (the model's targetPrefix) and its RPC v2 path's service
	// shape, which name the service of an unsigned request, and the XML
	// namespace of its query replies.
	signingName string
	targets     []string
	rpcShape    string
	xmlns       string
	// queryCompatible services answer JSON and CBOR errors with their
	// query code in X-Amzn-Query-Error (the awsQueryCompatible trait).
	queryCompatible bool
	// global services (IAM, Organizations) have one endpoint, not one a
	// region, so the regions the account has enabled do not matter to
	// them. Every other service is regional, and its endpoint in a region
	// the account has not enabled refuses every call, whatever the
	// protocol: "The act of disabling a Region will remove all IAM access
	// to any resources that reside in that Region" (Account Management API
	// reference, DisableRegion). STS is regional too: its global endpoint
	// is us-east-1's, and a regional one in an opt-in region answers only
	// an account that enabled the region (IAM user guide, "Manage AWS STS
	// in an AWS Region").
	global bool
}

// catalog is every service the sim serves, by name. The constructor
// assembles one (New); what runs without a Sim (scenario validation,
// Operations, Faulty) assembles its own. Nothing registers itself: a new
// service is a line in apis, a new operation a line in its service's
// table.
type catalog map[string]*service

// apis declares the services, one line a service, each from its own file.
func apis() []*service {
	return []*service{
		iamAPI(), stsAPI(), ec2API(), cloudTrailAPI(), cloudWatchAPI(),
		athenaAPI(), ecsAPI(), organizationsAPI(), lambdaAPI(),
		guardDutyAPI(), securityHubAPI(), s3API(),
	}
}

// newCatalog assembles the services by name.
func newCatalog() catalog {
	c := catalog{}
	for _, svc := range apis() {
		c[svc.name] = svc
	}
	return c
}

// op is the operation an RPC request names.
func (c catalog) op(service, action string) (op, bool) {
	if svc := c[service]; svc != nil {
		o, ok := svc.ops[action]
		return o, ok
	}
	return op{}, false
}

// regional reports whether a service's endpoints are one a region, which
// a region the account has not enabled refuses (service.global).
func (c catalog) regional(service string) bool {
	svc := c[service]
	return svc == nil || !svc.global
}

// routes are a REST service's routes; none for another service.
func (c catalog) routes(service string) []restRoute {
	if svc := c[service]; svc != nil {
		return svc.routes
	}
	return nil
}

// wires are the protocols a service speaks; none for one the sim does not
// serve.
func (c catalog) wires(service string) []string {
	if svc := c[service]; svc != nil {
		return svc.wires
	}
	return nil
}

// speaks reports whether service is served over wire.
func (c catalog) speaks(service, wire string) bool {
	return slices.Contains(c.wires(service), wire)
}

// serviceOf names the service a request was signed for.
func (c catalog) serviceOf(signingName string) string {
	for name, svc := range c {
		if svc.signingName == signingName {
			return name
		}
	}
	return signingName
}

// byTarget names the service of an X-Amz-Target prefix.
func (c catalog) byTarget(prefix string) (string, bool) {
	for name, svc := range c {
		if slices.Contains(svc.targets, prefix) {
			return name, true
		}
	}
	return "", false
}

// byRPCShape names the service of an RPC v2 path's service shape.
func (c catalog) byRPCShape(shape string) (string, bool) {
	for name, svc := range c {
		if svc.rpcShape != "" && svc.rpcShape == shape {
			return name, true
		}
	}
	return "", false
}

// replyMeta is what a reply of service says beside its body.
func (c catalog) replyMeta(service, action, requestID string) replyMeta {
	m := replyMeta{service: service, action: action, requestID: requestID}
	if svc := c[service]; svc != nil {
		m.xmlns, m.queryCompatible = svc.xmlns, svc.queryCompatible
	}
	return m
}
