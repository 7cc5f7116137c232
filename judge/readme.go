package judge

import (
	"fmt"
	"strings"
)

// TechniqueTableMarkdown renders the technique table as the README shows
// it, between the markers README.md holds; TestREADMEIndicatorTable keeps
// the two equal (go test ./judge -run README -update-readme rewrites it).
func TechniqueTableMarkdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d techniques, %d distinct MITRE ATT&CK IDs.\n\n", len(Techniques), len(ATTACKIDs()))
	b.WriteString("| Row | Event source | Events | When | Indicator | Severity | ATT&CK | What it says | Follow-up |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, t := range Techniques {
		var when []string
		for _, c := range t.When {
			w := "`" + c.Path + "`"
			if len(c.In) > 0 {
				w += " = " + strings.Join(c.In, " or ")
			} else {
				w += " set"
			}
			when = append(when, w)
		}
		do := t.Do
		if t.FollowUp != "" {
			do = "**" + t.FollowUp + "**: " + do
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", t.ID, strings.TrimSuffix(t.Source, ".amazonaws.com"),
			strings.Join(t.Names, ", "), orValue(mdEscape(strings.Join(when, "; ")), "—"), t.Kind, t.Severity, t.ATTACK,
			mdEscape(t.Why), orValue(mdEscape(do), "—"))
	}
	return b.String()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
