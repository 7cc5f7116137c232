package awsops

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// TestNewKeySecretIsOnDiskBeforeApplyReturns: with a secret directory (live
// runs), the secret is in a 0600 file when the apply answers, not in memory
// waiting for the TUI: a kill between the two used to lose it.
func TestNewKeySecretIsOnDiskBeforeApplyReturns(t *testing.T) {
	dir := t.TempDir()
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", secretDir: dir})
	_, proposals := billingAndBackup()
	ev, calls := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: proposals[1]})
	done, ok := ev.(runbook.ReplacementApplied)
	if !ok {
		t.Fatalf("apply: %+v", ev)
	}
	keyID := done.Created[len(done.Created)-1]
	path := filepath.Join(dir, SecretFileName(keyID))
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file %s: %v, mode %v", path, err, st)
	}
	body, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(body), "Access key ID,Secret access key\n"+keyID+",") || len(body) < 60 {
		t.Fatalf("secret file holds %q", body)
	}
	if _, _, ok := r.x.TakeNewSecret("c-nas"); ok {
		t.Error("the secret is still held in memory")
	}
	if k, p, _, ok := r.x.SecretFile("c-nas"); !ok || k != keyID || p != path {
		t.Errorf("SecretFile = %s %s %v", k, p, ok)
	}
	for _, c := range calls {
		if strings.Contains(string(c.Input), strings.TrimPrefix(string(body), "Access key ID,Secret access key\n"+keyID+",")[:20]) {
			t.Errorf("a call note holds the secret: %s", c.Input)
		}
	}
}

// TestResumedApplyReplacesAnOrphanKey: a kill between CreateAccessKey's
// reply and the secret's write leaves an active key nobody holds the secret
// of. Resume re-runs the apply, which used to reuse that key silently; now
// it deletes the orphan, makes a fresh key and names the orphan.
func TestResumedApplyReplacesAnOrphanKey(t *testing.T) {
	dir := t.TempDir()
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", secretDir: dir})
	_, proposals := billingAndBackup()
	p := proposals[1]
	// The first session: the user and its key made, then the crash.
	w := r.x.write.iam(r.x.cfg)
	ctx := context.Background()
	if _, err := w.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(p.Name)}); err != nil {
		t.Fatal(err)
	}
	orphan, err := w.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(p.Name)})
	if err != nil {
		t.Fatal(err)
	}
	orphanID := aws.ToString(orphan.AccessKey.AccessKeyId)

	ev, _ := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p})
	done, ok := ev.(runbook.ReplacementApplied)
	if !ok {
		t.Fatalf("apply: %+v", ev)
	}
	keyID := done.Created[len(done.Created)-1]
	if keyID == orphanID {
		t.Fatalf("the orphan %s was reused: its secret is nowhere", orphanID)
	}
	if _, err := os.Stat(filepath.Join(dir, SecretFileName(keyID))); err != nil {
		t.Fatalf("the fresh key's secret is not on disk: %v", err)
	}
	keys, err := r.x.read.iam(r.x.cfg).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(p.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId) != keyID {
		t.Errorf("the user's keys = %+v, want only %s", keys.AccessKeyMetadata, keyID)
	}
	if _, _, orphans, _ := r.x.SecretFile("c-nas"); len(orphans) != 1 || orphans[0] != orphanID {
		t.Errorf("orphans named = %v, want %s", orphans, orphanID)
	}

	// Applying once more reuses the key whose secret is on disk.
	ev, _ = runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p})
	if again := ev.(runbook.ReplacementApplied).Created; again[len(again)-1] != keyID {
		t.Errorf("a third apply made another key: %v", again)
	}
}
