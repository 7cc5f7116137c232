package runbook

import "testing"

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0 callers"}, {1, "1 caller"}, {2, "2 callers"}} {
		if got := Plural(tt.n, "caller"); got != tt.want {
			t.Errorf("Plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
