package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// keyrunbook org against a served simulated organization (sim serve
// --scenario org-iam4, reached through --endpoint-url and the environment's
// credentials, as any AWS client would) lists exactly the accounts whose
// root user has a key.
func TestOrgAgainstServedScenarioListsExactlyTheAccountsWithRootKeys(t *testing.T) {
	isolateAWS(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- cmdSim(ctx, []string{"serve", "--addr", addr, "--scenario", "org-iam4"}, streams{in: strings.NewReader(""), out: pw, err: io.Discard})
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		<-served
	})
	env := servedEnv(pr)
	if env["AWS_ENDPOINT_URL"] == "" || env["AWS_ACCESS_KEY_ID"] == "" {
		t.Fatalf("sim serve printed no credentials: %v", env)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", env["AWS_ACCESS_KEY_ID"])
	t.Setenv("AWS_SECRET_ACCESS_KEY", env["AWS_SECRET_ACCESS_KEY"])
	code, out, errOut := call(t, "org", "--json", "--endpoint-url", env["AWS_ENDPOINT_URL"], "--region", "us-east-1",
		"--log", filepath.Join(t.TempDir(), "org.jsonl"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Accounts []struct{ Account string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	var ids []string
	for _, a := range doc.Accounts {
		ids = append(ids, a.Account)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, orgIAM4RootKeys) {
		t.Fatalf("accounts %v, want %v", ids, orgIAM4RootKeys)
	}
}
