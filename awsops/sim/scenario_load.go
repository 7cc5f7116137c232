package sim

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// Reading scenarios: the embedded ones (scenarios/*.json) and a team's own
// (ParseScenario), validated as the constructor compiles them.

//go:embed scenarios/*.json
var scenarioFS embed.FS

// ScenarioInfo describes an embedded scenario.
type ScenarioInfo struct {
	Name, Title, Brief string
}

// Scenarios lists the embedded single-incident scenarios, sorted by name:
// the ones train plays. An organization's scenario (OrgScenarios) is
// audited with keyrunbook org instead.
func Scenarios() []ScenarioInfo { return embedded(false) }

// OrgScenarios lists the embedded scenarios of an organization.
func OrgScenarios() []ScenarioInfo { return embedded(true) }

func embedded(org bool) []ScenarioInfo {
	entries, err := scenarioFS.ReadDir("scenarios")
	if err != nil {
		return nil
	}
	var out []ScenarioInfo
	for _, e := range entries {
		sc, err := LoadScenario(strings.TrimSuffix(e.Name(), ".json"))
		if err != nil || (sc.Organization != nil) != org {
			continue // TestScenariosLoad keeps every embedded file valid.
		}
		out = append(out, ScenarioInfo{Name: sc.Name, Title: sc.Title, Brief: sc.Brief})
	}
	slices.SortFunc(out, func(a, b ScenarioInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// LoadScenario parses the embedded scenario called name.
func LoadScenario(name string) (*Scenario, error) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, fmt.Errorf("load scenario %q: not a scenario name", name)
	}
	data, err := scenarioFS.ReadFile(path.Join("scenarios", name+".json"))
	if err != nil {
		var names []string
		for _, info := range Scenarios() {
			names = append(names, info.Name)
		}
		return nil, fmt.Errorf("load scenario %q: no such scenario (have %s)", name, strings.Join(names, ", "))
	}
	sc, err := ParseScenario(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("load scenario %q: %w", name, err)
	}
	return sc, nil
}

// ParseScenario reads and validates a scenario file. Errors name the field at
// fault ("workloads[2].calls[0].every: ...") or the line and column of a
// syntax error, since teams write their own drills.
func ParseScenario(r io.Reader) (*Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("parse scenario: %w", locateJSONError(data, err))
	}
	if dec.More() {
		return nil, errors.New("parse scenario: trailing data after the JSON object")
	}
	if _, err := compile(&sc, newCatalog()); err != nil {
		return nil, err
	}
	return &sc, nil
}

// locateJSONError adds a line and column to decoder errors that carry an
// offset.
func locateJSONError(data []byte, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}
