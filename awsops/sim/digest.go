package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// StateDigest is a SHA-256 over the account's configuration: users, keys
// and their status, policies, roles, instance profiles, instances and which
// credentials each workload holds. It leaves out what reading changes (the
// trail, keys' last use, the clock), so equal digests before and after a dry
// run prove it changed nothing.
func (s *Sim) StateDigest() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := sha256.New()
	a := s.acct
	line := func(w io.Writer, parts ...any) {
		fmt.Fprintln(w, parts...)
	}
	line(h, "root", a.rootMFA, strings.Join(a.rootKeys, ","))
	for _, id := range sortedKeys(a.keys) {
		k := a.keys[id]
		owner := k.user
		if k.session != nil {
			owner = k.session.arn
		}
		line(h, "key", id, k.status, owner, k.created.UnixNano())
	}
	for _, n := range sortedKeys(a.users) {
		u := a.users[n]
		line(h, "user", n, u.path, u.id, u.password, u.mfa, strings.Join(u.keys, ","), strings.Join(u.attached, ","))
		for _, d := range u.inline {
			line(h, "user-policy", n, d.name, d.doc)
		}
	}
	for _, n := range sortedKeys(a.roles) {
		r := a.roles[n]
		line(h, "role", n, r.path, r.id, r.trust, strings.Join(r.attached, ","))
		for _, d := range r.inline {
			line(h, "role-policy", n, d.name, d.doc)
		}
	}
	for _, n := range sortedKeys(a.profiles) {
		p := a.profiles[n]
		line(h, "profile", n, p.id, strings.Join(p.roles, ","))
	}
	for _, arn := range sortedKeys(a.policies) {
		line(h, "policy", arn, a.policies[arn].doc)
	}
	for _, id := range sortedKeys(a.instances) {
		in := a.instances[id]
		line(h, "instance", id, in.region, in.state, in.profile, in.publicIP, in.privateIP)
	}
	for _, w := range s.workloads {
		line(h, "workload", w.cw.w.Name, w.keyID)
	}
	a.digestFunctions(func(parts ...any) { line(h, parts...) })
	a.digestOIDC(func(parts ...any) { line(h, parts...) })
	a.digestECS(func(parts ...any) { line(h, parts...) })
	return hex.EncodeToString(h.Sum(nil))
}
