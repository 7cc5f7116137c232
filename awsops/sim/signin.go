package sim

// RootConsoleCredentials stands in for the responder signing in to the
// console as the account's root user, which a trainee cannot do: it mints
// a temporary (ASIA) credential that authenticates as root, as a console
// session does on AWS. It is not a root access key, so it does not count in
// AccountAccessKeysPresent. Each call is a new sign-in.
func (s *Sim) RootConsoleCredentials() (accessKeyID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &principal{kind: typeRoot, account: s.acct.id, id: s.acct.id,
		arn: "arn:aws:iam::" + s.acct.id + ":root", since: s.now}
	k := &accessKey{id: s.ids.accessKeyID("ASIA"), secret: s.ids.secret(), status: statusActive,
		created: s.now, session: p}
	s.acct.keys[k.id] = k
	s.acct.keyAccounts[k.id] = s.acct.id
	return k.id, k.secret
}
