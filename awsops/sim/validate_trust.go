package sim

import (
	"encoding/json"
	"errors"
	"fmt"
)

// trustPolicy checks a role's trust policy as IAM's CreateRole does in
// outline: an object whose statements each have an Effect, a Principal and
// an Action (a trust policy names no Resource).
func trustPolicy(doc []byte) error {
	var p struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	type stmt struct {
		Effect    string          `json:"Effect"`
		Principal json.RawMessage `json:"Principal"`
		Action    json.RawMessage `json:"Action"`
	}
	var list []stmt
	if err := json.Unmarshal(p.Statement, &list); err != nil {
		var one stmt
		if err := json.Unmarshal(p.Statement, &one); err != nil {
			return errors.New("needs a Statement object or list")
		}
		list = []stmt{one}
	}
	if len(list) == 0 {
		return errors.New("has no statement")
	}
	for i, st := range list {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return fmt.Errorf("statement %d: Effect must be Allow or Deny", i)
		}
		if len(st.Principal) == 0 || len(st.Action) == 0 {
			return fmt.Errorf("statement %d: needs a Principal and an Action", i)
		}
	}
	return nil
}

// rolesAndProfiles checks the roles, the instance profiles holding them and
// the instances' profiles.
func (v *validator) rolesAndProfiles() error {
	sc := v.sc
	for i, r := range sc.Roles {
		f := fmt.Sprintf("roles[%d]", i)
		if !reIAMName.MatchString(r.Name) || v.roles[r.Name] {
			return fieldErr(f+".name", "%q must be a unique role name", r.Name)
		}
		v.roles[r.Name] = true
		// A JSON string ("notjson") is valid JSON but no trust policy:
		// parse it as the policy document it must be.
		if err := trustPolicy(r.AssumeRolePolicy); err != nil {
			return fieldErr(f+".assumeRolePolicy", "must be a JSON trust policy: %v", err)
		}
		if _, err := pastOffset(f+".created", r.Created, 0); err != nil {
			return err
		}
		if err := v.policyDocs(f, r.AttachedPolicies, r.InlinePolicies); err != nil {
			return err
		}
	}
	profiles := map[string]bool{}
	for i, p := range sc.InstanceProfiles {
		f := fmt.Sprintf("instanceProfiles[%d]", i)
		if !reIAMName.MatchString(p.Name) || profiles[p.Name] {
			return fieldErr(f+".name", "%q must be a unique instance profile name", p.Name)
		}
		profiles[p.Name] = true
		if p.Role != "" && !v.roles[p.Role] {
			return fieldErr(f+".role", "%q is not a role of the scenario", p.Role)
		}
		if _, err := pastOffset(f+".created", p.Created, 0); err != nil {
			return err
		}
	}
	for i, in := range sc.Instances {
		if in.InstanceProfile != "" && !profiles[in.InstanceProfile] {
			return fieldErr(fmt.Sprintf("instances[%d].instanceProfile", i), "%q is not an instance profile of the scenario", in.InstanceProfile)
		}
	}
	return nil
}
