package awsops

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestWriteAPIsCoverEveryWritePath: every client interface the executor,
// the org audit or `keyrunbook org --retire-unused` holds is either a
// write interface of writeAPIs or one whose write methods (named like a
// change: Create…, Delete…) are listed by MutatingOperations under the
// same service, so the kill-point test sees every call that changes an
// account or an organization.
func TestWriteAPIsCoverEveryWritePath(t *testing.T) {
	ops := MutatingOperations()
	for _, want := range []string{"organizations:CreatePolicy", "organizations:AttachPolicy", "organizations:DetachPolicy", "organizations:DeletePolicy", "iam:DeleteAccessKey"} {
		if !slices.Contains(ops, want) {
			t.Errorf("MutatingOperations lacks %s", want)
		}
	}
	if slices.Contains(ops, "sts:AssumeRoot") || slices.Contains(ops, "organizations:ListPolicies") {
		t.Errorf("MutatingOperations lists a call that changes nothing: %v", ops)
	}
	verbs := []string{"Create", "Delete", "Update", "Put", "Attach", "Detach", "Remove", "Add", "Associate", "Replace",
		"Terminate", "Register", "Deactivate", "Enable", "Disable", "Tag", "Untag", "Set"}
	held := map[string][]reflect.Type{
		"iam":           {reflect.TypeFor[IAMReadAPI](), reflect.TypeFor[iamReads](), reflect.TypeFor[ManagementIAMAPI](), reflect.TypeFor[RootCredentialsAPI]()},
		"organizations": {reflect.TypeFor[OrganizationsAPI](), reflect.TypeFor[scpReadAPI](), reflect.TypeFor[orgReads]()},
		"sts":           {reflect.TypeFor[STSAPI](), reflect.TypeFor[AssumeRootAPI](), reflect.TypeFor[stsRootSession](), reflect.TypeFor[stsRoot]()},
		"ec2":           {reflect.TypeFor[EC2ReadAPI](), reflect.TypeFor[ec2Reads]()},
		"lambda":        {reflect.TypeFor[LambdaReadAPI](), reflect.TypeFor[lambdaReads]()},
		"ecs":           {reflect.TypeFor[ecsReads]()},
	}
	for service, types := range held {
		for _, ty := range types {
			for i := range ty.NumMethod() {
				name := ty.Method(i).Name
				writes := slices.ContainsFunc(verbs, func(v string) bool { return strings.HasPrefix(name, v) })
				if writes && !slices.Contains(ops, service+":"+name) {
					t.Errorf("%s has %s, which changes the account, and MutatingOperations does not list %s:%s: add it to a write interface of writeAPIs",
						ty.Name(), name, service, name)
				}
			}
		}
	}
}
