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

// Operations lists every operation the sim serves, by service and name:
// the operations table (ops), the REST routes (restRoutes) and S3's.
func Operations() []Operation {
	names := map[string]map[string]bool{}
	add := func(service, name string) {
		if _, served := serviceWires[service]; !served {
			return // a route a test registered
		}
		if names[service] == nil {
			names[service] = map[string]bool{}
		}
		names[service][name] = true
	}
	for service, table := range ops {
		for name := range table {
			add(service, name)
		}
	}
	for service, routes := range restRoutes {
		for _, rt := range routes {
			add(service, reVersionSuffix.ReplaceAllString(rt.action, ""))
		}
	}
	for _, name := range s3Operations {
		add("s3", name)
	}
	var out []Operation
	for _, service := range slices.Sorted(maps.Keys(names)) {
		for _, name := range slices.Sorted(maps.Keys(names[service])) {
			out = append(out, Operation{Service: service, Name: name, Protocols: slices.Clone(serviceWires[service])})
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
