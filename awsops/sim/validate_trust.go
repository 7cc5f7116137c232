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
