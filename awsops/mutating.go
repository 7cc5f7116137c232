package awsops

import (
	"context"
	"reflect"
	"slices"

	"github.com/aws/smithy-go/middleware"
)

// writeAPIs are the interfaces of writeClients, by the IAM prefix of their
// service: the one place that says which calls keyrunbook can send to
// change an account (dryrun.go), or an organization: the SCP that contains
// a member's root key (orgscp.go). The root key's deletion in an
// sts:AssumeRoot session goes through iamWriteAPI, and `keyrunbook org
// --retire-unused` deletes through RootCredentialsAPI, whose one write,
// DeleteAccessKey, is iamWriteAPI's (TestWriteAPIsCoverEveryWritePath).
// sts:AssumeRoot itself changes nothing and is not listed.
var writeAPIs = map[string]reflect.Type{
	"iam":           reflect.TypeFor[iamWriteAPI](),
	"ec2":           reflect.TypeFor[ec2WriteAPI](),
	"lambda":        reflect.TypeFor[lambdaWriteAPI](),
	"ecs":           reflect.TypeFor[ecsWriteAPI](),
	"organizations": reflect.TypeFor[scpWriteAPI](),
}

// MutatingOperations lists every AWS operation the executor can send that
// changes an account, as "service:Operation" (the names OperationOf
// gives), sorted. It is read off the write interfaces, so a write added
// there is in it: the kill-point test checks each one is killed and
// resumed at least once.
func MutatingOperations() []string {
	var out []string
	for service, t := range writeAPIs {
		for i := range t.NumMethod() {
			out = append(out, service+":"+t.Method(i).Name)
		}
	}
	slices.Sort(out)
	return out
}

// OperationOf names the operation an SDK middleware runs for, as
// "service:Operation" ("iam:CreateAccessKey"), the way the action log names
// calls.
func OperationOf(ctx context.Context) string {
	return serviceName(middleware.GetServiceID(ctx)) + ":" + middleware.GetOperationName(ctx)
}
