package runbook

import "fmt"

// Plural counts a noun for people: "1 caller", "4 callers". The TUI, the
// narration and the report count with it, so they agree.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
