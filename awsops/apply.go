package awsops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Apply creates exactly what a proposal shows, in the order ExportCLI
// prints it, and creates nothing twice: an identity that already exists is
// read and reused if it is what the proposal describes (a second apply, or
// a second caller on the same target), and refused if it is not.

// propagationTries bounds the retries of a call that uses a role or
// instance profile IAM created moments ago: IAM is eventually consistent,
// and EC2 and Lambda may not see a new one for several seconds.
const propagationTries = 6

// applyStep is one failed part of an apply: the IAM action and the error.
type applyStep struct {
	action string
	err    error
}

func (e *applyStep) Error() string { return e.action + ": " + e.err.Error() }
func (e *applyStep) Unwrap() error { return e.err }

// sentence is a failure written for the responder, whole sentences that
// say what to do next; it becomes the EffectFailed's message as it is.
type sentenceError struct{ msg string }

func (e *sentenceError) Error() string { return e.msg }

func sentence(format string, args ...any) error {
	return &sentenceError{fmt.Sprintf(format, args...)}
}

func step(action string, err error) error {
	if err == nil {
		return nil
	}
	return &applyStep{action: action, err: err}
}

func (x *Executor) apply(ctx context.Context, e runbook.ApplyReplacement) runbook.Event {
	p := e.Proposal
	if p.Policy == "" {
		return failed(e.EffectName(), "The proposal for caller %s has no policy: edit it before applying.", p.CallerID)
	}
	began := x.now()
	var created []string
	var err error
	switch p.Kind {
	case runbook.ReplaceInstanceRole:
		created, err = x.applyInstanceRole(ctx, p, e.Caller)
	case runbook.ReplaceLambdaRole:
		created, err = x.applyLambdaRole(ctx, p, e.Caller)
	case runbook.ReplaceECSTaskRole:
		created, err = x.applyECSTaskRole(ctx, p, e.Caller)
	case runbook.ReplaceIAMUser:
		created, err = x.applyUser(ctx, p, e.Caller)
	case runbook.ReplaceOIDCRole:
		created, err = x.applyOIDCRole(ctx, p)
	case runbook.ReplaceEKSPodIdentity, runbook.ReplaceEKSIRSA, runbook.ReplaceRolesAnywhere:
		return applyExportOnly(e.EffectName(), p)
	default:
		return failed(e.EffectName(), "%q is not a replacement keyrunbook can apply.", p.Kind)
	}
	if err != nil {
		f := runbook.EffectFailed{Effect: e.EffectName(), Message: err.Error()}
		var s *applyStep
		if errors.As(err, &s) {
			f = effectFailed(e.EffectName(), s.action, s.err)
		}
		if len(created) > 0 {
			f.Message += " Already in place: " + strings.Join(created, ", ") + " (applying again reuses them)."
		}
		return f
	}
	return runbook.ReplacementApplied{CallerID: p.CallerID, Created: created, DryRun: x.opts.DryRun, At: began}
}

// ensureRole reuses the role of the proposal's name when it exists and
// trusts the kind's service, creates it when it does not, then puts the
// proposal's inline policy on it unless the same one is there. Reading
// first keeps dry-run's change plan true on a second apply.
func (x *Executor) ensureRole(ctx context.Context, p runbook.Proposal) (string, error) {
	trust, service := TrustPolicy(p.Kind), trustedService[p.Kind]
	r := x.read.iam(x.cfg)
	w := x.write.iam(x.cfg)
	var arn string
	got, err := r.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
	if apiCode(err) == "NoSuchEntity" {
		out, cerr := w.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(p.Name), AssumeRolePolicyDocument: aws.String(trust),
			Description: aws.String(description(p)), Tags: tags(p)})
		if apiCode(cerr) == "EntityAlreadyExists" {
			// Made between our read and our create: read it again.
			got, err = r.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
		} else if cerr != nil {
			return "", step("iam:CreateRole", cerr)
		} else {
			arn, got, err = aws.ToString(out.Role.Arn), nil, nil
		}
	}
	if err != nil {
		return "", step("iam:GetRole", err)
	}
	if got != nil {
		if !trusts(decodeDoc(aws.ToString(got.Role.AssumeRolePolicyDocument)), service) {
			return "", sentence("A role named %s exists already and does not trust %s: rename the replacement (edit the proposal), or check that role.", p.Name, service)
		}
		arn = aws.ToString(got.Role.Arn)
	}
	cur, err := r.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(p.Name), PolicyName: aws.String(ReplacementPolicyName)})
	if err == nil && sameDocument(decodeDoc(aws.ToString(cur.PolicyDocument)), p.Policy) {
		return arn, nil
	}
	_, err = w.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.Name), PolicyName: aws.String(ReplacementPolicyName), PolicyDocument: aws.String(p.Policy)})
	return arn, step("iam:PutRolePolicy", err)
}

// candidateRegions are where a proposal's target may be: its own region
// when known, else its caller's regions, then the home region.
func (x *Executor) candidateRegions(p runbook.Proposal, c runbook.UsageCaller) []string {
	if p.Region != "" {
		return []string{p.Region}
	}
	var out []string
	if c.ID == p.CallerID {
		out = append(out, c.ResourceRegion)
		out = append(out, c.Regions...)
	}
	return dedupe(append(out, x.homeRegion()))
}

func (x *Executor) applyUser(ctx context.Context, p runbook.Proposal, c runbook.UsageCaller) ([]string, error) {
	r, w := x.read.iam(x.cfg), x.write.iam(x.cfg)
	var userARN string
	got, err := r.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(p.Name)})
	exists := err == nil
	switch {
	case exists:
		userARN = aws.ToString(got.User.Arn)
	case apiCode(err) == "NoSuchEntity":
		out, cerr := w.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(p.Name), Tags: tags(p)})
		if cerr != nil {
			return nil, step("iam:CreateUser", cerr)
		}
		userARN = aws.ToString(out.User.Arn)
	default:
		return nil, step("iam:GetUser", err)
	}
	created := []string{userARN}
	cur, err := r.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(p.Name), PolicyName: aws.String(ReplacementPolicyName)})
	if err != nil || !sameDocument(decodeDoc(aws.ToString(cur.PolicyDocument)), p.Policy) {
		_, err = w.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(p.Name), PolicyName: aws.String(ReplacementPolicyName), PolicyDocument: aws.String(p.Policy)})
		if err != nil {
			return created, step("iam:PutUserPolicy", err)
		}
	}
	if exists {
		// A key made by an earlier apply is reused: its secret was saved
		// then and cannot be read again, and a second key would be one more
		// long-lived credential. One whose secret is not on disk is an
		// orphan (the program stopped between CreateAccessKey and the
		// write): nobody can use it, so it is deleted and a fresh key made.
		keys, err := r.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(p.Name)})
		if err != nil {
			return created, step("iam:ListAccessKeys", err)
		}
		var orphans []string
		for _, k := range keys.AccessKeyMetadata {
			id := aws.ToString(k.AccessKeyId)
			if k.Status != iamtypes.StatusTypeActive {
				continue
			}
			if x.opts.SecretDir == "" || hasSecretFile(x.opts.SecretDir, id) {
				return append(created, id), nil
			}
			orphans = append(orphans, id)
		}
		for _, id := range orphans {
			if _, err := w.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(p.Name), AccessKeyId: aws.String(id)}); err != nil {
				return created, step("iam:DeleteAccessKey", fmt.Errorf("orphaned key %s (created by this incident, its secret never saved): %w", id, err))
			}
		}
		defer func() { x.noteOrphans(p.CallerID, orphans) }()
	}
	key, err := w.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(p.Name)})
	if err != nil {
		return created, step("iam:CreateAccessKey", err)
	}
	keyID, secret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	if secret != "" {
		ns := NewSecret{KeyID: keyID, Secret: secret}
		if dir := x.opts.SecretDir; dir != "" {
			path, werr := WriteSecretFile(dir, keyID, secret)
			if werr != nil {
				// A key whose secret nobody will ever hold is only one
				// more credential: remove it now.
				_, derr := w.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(p.Name), AccessKeyId: aws.String(keyID)})
				return created, fmt.Errorf("the secret of the new key %s could not be saved (%v); the key was deleted (delete error: %v): fix the directory and apply again", keyID, werr, derr)
			}
			ns.Path, ns.Secret = path, ""
		}
		x.mu.Lock()
		x.secrets[p.CallerID] = ns
		x.mu.Unlock()
		if x.opts.OnNewUserKey != nil {
			ip := p.Target
			if c.ID == p.CallerID && c.SourceIP != "" {
				ip = c.SourceIP
			}
			x.opts.OnNewUserKey(ip, keyID, secret)
		}
	}
	return append(created, keyID), nil
}

// retryPropagation runs call until it stops failing because IAM has not
// propagated a new role or profile yet (InvalidParameterValue from EC2,
// InvalidParameterValueException from Lambda), waiting longer each time.
func (x *Executor) retryPropagation(ctx context.Context, call func() (string, error)) (string, error) {
	for try := 1; ; try++ {
		out, err := call()
		code := apiCode(err)
		if err == nil || try == propagationTries || (code != "InvalidParameterValue" && code != "InvalidParameterValueException") {
			return out, err
		}
		if serr := x.opts.Clock.Sleep(ctx, time.Duration(try)*2*time.Second); serr != nil {
			return "", serr
		}
	}
}

func description(p runbook.Proposal) string {
	return fmt.Sprintf("keyrunbook: replaces a leaked access key for caller %s (%s)", p.CallerID, orValue(p.Target, "unknown target"))
}

func tags(p runbook.Proposal) []iamtypes.Tag {
	return []iamtypes.Tag{{Key: aws.String("keyrunbook:caller"), Value: aws.String(p.CallerID)}}
}

// decodeDoc undoes IAM's URL encoding of policy documents (IAM API
// reference: "The policy document returned ... is URL-encoded").
func decodeDoc(doc string) string {
	if d, err := url.QueryUnescape(doc); err == nil {
		return d
	}
	return doc
}

// trusts reports whether a trust policy lets service assume the role.
// IAM accepts one statement or a list, one service or a list.
func trusts(doc, service string) bool {
	type statement struct {
		Effect    string
		Principal struct{ Service json.RawMessage }
	}
	var d struct{ Statement json.RawMessage }
	if json.Unmarshal([]byte(doc), &d) != nil {
		return false
	}
	var list []statement
	if json.Unmarshal(d.Statement, &list) != nil {
		var one statement
		if json.Unmarshal(d.Statement, &one) != nil {
			return false
		}
		list = []statement{one}
	}
	for _, st := range list {
		var services []string
		if json.Unmarshal(st.Principal.Service, &services) != nil {
			var one string
			_ = json.Unmarshal(st.Principal.Service, &one)
			services = []string{one}
		}
		if st.Effect == "Allow" && slices.Contains(services, service) {
			return true
		}
	}
	return false
}

// sameDocument compares two policy documents as JSON values.
func sameDocument(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// sameProfile compares instance profiles by name: ARNs may carry paths.
func sameProfile(a, b string) bool {
	return a[strings.LastIndexByte(a, '/')+1:] == b[strings.LastIndexByte(b, '/')+1:]
}

func orValue(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// noteOrphans records, with the caller's new secret, the orphaned keys
// apply deleted, so the screen names them.
func (x *Executor) noteOrphans(callerID string, orphans []string) {
	if len(orphans) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	ns, ok := x.secrets[callerID]
	if !ok {
		return // no new key was made: the apply's error says why
	}
	ns.Orphans = orphans
	x.secrets[callerID] = ns
}
