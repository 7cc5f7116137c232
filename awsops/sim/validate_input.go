package sim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Input validation AWS does before it authorizes or acts, with its codes:
// IAM checks each member against its model's pattern and length
// (ValidationError, 400), EC2 checks the form of resource IDs
// (InvalidInstanceID.Malformed). A request that fails it changes nothing.

// memberRule is a string member's constraint in IAM's service model.
type memberRule struct {
	pattern  *regexp.Regexp // matched whole
	patSrc   string         // as the model and the error message write it
	min, max int
	enum     []string
}

func rule(pattern string, minLen, maxLen int) memberRule {
	return memberRule{pattern: regexp.MustCompile(`^(?:` + pattern + `)$`), patSrc: pattern, min: minLen, max: maxLen}
}

// iamNameRule is the pattern of IAM's user, role, policy and instance
// profile names (userNameType, roleNameType, policyNameType,
// instanceProfileNameType).
const iamNameRule = `[\w+=,.@-]+`

// iamMembers are the constraints of the members the sim's IAM operations
// take, from IAM's service model (iam/2010-05-08): existingUserNameType
// allows 128 characters, roleNameType 64.
var iamMembers = map[string]memberRule{
	"UserName":                 rule(iamNameRule, 1, 128),
	"RoleName":                 rule(iamNameRule, 1, 64),
	"PolicyName":               rule(iamNameRule, 1, 128),
	"InstanceProfileName":      rule(iamNameRule, 1, 128),
	"AccessKeyId":              rule(`[\w]+`, 16, 128),
	"PolicyArn":                {min: 20, max: 2048},
	"OpenIDConnectProviderArn": {min: 20, max: 2048},
	"Status":                   {enum: []string{"Active", "Inactive", "Expired"}},
}

// iamCreateUserName is CreateUser's UserName (userNameType): 64 at most.
var iamCreateUserName = rule(iamNameRule, 1, 64)

// validateInput checks a request's members before anything else runs.
func validateInput(c *call) *apiError {
	switch c.service {
	case "iam":
		return validateIAM(c)
	case "ec2":
		return validateEC2IDs(c)
	}
	return nil
}

func validateIAM(c *call) *apiError {
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range c.params {
			if !yield(k) {
				return
			}
		}
	}) {
		r, ok := iamMembers[name]
		if !ok {
			continue
		}
		if name == "UserName" && c.action == "CreateUser" {
			r = iamCreateUserName
		}
		if why := r.check(c.params.Get(name)); why != "" {
			return &apiError{code: "ValidationError", status: http.StatusBadRequest,
				message: fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", c.params.Get(name), lowerFirst(name), why)}
		}
	}
	return nil
}

// check returns the constraint v breaks, worded as AWS words it.
func (r memberRule) check(v string) string {
	n := utf8.RuneCountInString(v)
	switch {
	case len(r.enum) > 0 && !slices.Contains(r.enum, v):
		return "Member must satisfy enum value set: [" + strings.Join(r.enum, ", ") + "]"
	case r.min > 0 && n < r.min:
		return "Member must have length greater than or equal to " + strconv.Itoa(r.min)
	case r.max > 0 && n > r.max:
		return "Member must have length less than or equal to " + strconv.Itoa(r.max)
	case r.pattern != nil && !r.pattern.MatchString(v):
		return "Member must satisfy regular expression pattern: " + r.patSrc
	}
	return ""
}

// validateEC2IDs refuses an instance ID that is not of the form EC2 issues
// ("i-" and 8 or 17 hex digits; the scenario validator holds the pattern).
func validateEC2IDs(c *call) *apiError {
	for k, vals := range c.params {
		if k != "InstanceId" && !strings.HasPrefix(k, "InstanceId.") {
			continue
		}
		for _, id := range vals {
			if !reInstanceID.MatchString(id) {
				return &apiError{code: "InvalidInstanceID.Malformed", message: `Invalid id: "` + id + `"`,
					status: http.StatusBadRequest, trailCode: "Client.InvalidInstanceID.Malformed"}
			}
		}
	}
	return nil
}

// dryRunOps are the served operations whose input has DryRun in EC2's
// model (ec2/2016-11-15); the instance profile association calls have none.
var dryRunOps = map[string]bool{
	"ec2:DescribeRegions": true, "ec2:DescribeInstances": true, "ec2:DescribeAddresses": true,
	"ec2:RunInstances": true, "ec2:TerminateInstances": true,
}

// dryRun is EC2's DryRun=true: check the permission, answer
// DryRunOperation when it is granted, and do nothing.
func dryRun(c *call) bool {
	return dryRunOps[c.service+":"+c.action] && strings.EqualFold(c.params.Get("DryRun"), "true")
}

func errDryRun() *apiError {
	return &apiError{code: "DryRunOperation", message: "Request would have succeeded, but DryRun flag is set.",
		status: http.StatusPreconditionFailed, trailCode: "Client.DryRunOperation"}
}
