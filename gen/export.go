package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// TSVColumns returns the columns of the TSV export: the seed table's, in its order, then
// origin ("seed" or "local": a local extension is a row the seed does not have).
func TSVColumns() []string {
	return []string{"action", "variant", "regular_dn", "media_channel", "mediation_dn",
		"staging_area", "tenant", "ixn_related", "durable", "momentary", "retrospective", "origin"}
}

// seedSourceColumns returns the source classes that have a column in the seed, in its order.
func seedSourceColumns() []string {
	return []string{"regular_dn", "media_channel", "mediation_dn", "staging_area", "tenant"}
}

// ExportTSV writes the action table in the seed's column order, with a header line and
// 0/1 cells, one row per action in spec order; the last column is the row's origin.
func ExportTSV(w io.Writer, m *Model) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(TSVColumns(), "\t") + "\n")
	for _, a := range m.Actions {
		cells := []string{a.Name, a.Variant}
		for _, c := range seedSourceColumns() {
			cells = append(cells, bit(hasClass(a, c)))
		}
		cells = append(cells, bit(a.Interaction), bit(a.Kind == "durable"), bit(a.Kind == "momentary"), bit(a.Kind == "retrospective"), a.Origin)
		bw.WriteString(strings.Join(cells, "\t") + "\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export tsv: %w", err)
	}
	return nil
}

func hasClass(a *Action, name string) bool {
	for _, c := range a.Sources {
		if c.Name == name {
			return true
		}
	}
	return false
}

func bit(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// exportAction is the JSON/YAML shape of one action in exports.
type exportAction struct {
	Name        string   `json:"name" yaml:"name"`
	Variant     string   `json:"variant,omitempty" yaml:"variant,omitempty"`
	Key         string   `json:"key" yaml:"key"`
	SeedName    string   `json:"seedName,omitempty" yaml:"seedName,omitempty"`
	Family      bool     `json:"family,omitempty" yaml:"family,omitempty"`
	Sources     []string `json:"sources" yaml:"sources"`
	DNTypes     []string `json:"dnTypes,omitempty" yaml:"dnTypes,omitempty"`
	Kind        string   `json:"kind" yaml:"kind"`
	Interaction bool     `json:"interaction" yaml:"interaction"`
	Roles       []string `json:"roles,omitempty" yaml:"roles,omitempty"`
	Reaches     []string `json:"reaches" yaml:"reaches"`
	Summary     string   `json:"summary" yaml:"summary"`
	Note        string   `json:"note,omitempty" yaml:"note,omitempty"`
	Anchor      string   `json:"anchor" yaml:"anchor"`
	Origin      string   `json:"origin" yaml:"origin"`
}

// ExportActions returns the action table in the shape of the JSON and YAML exports (and
// of the HTTP API's action reference).
func ExportActions(m *Model) []exportAction {
	out := make([]exportAction, len(m.Actions))
	for i, a := range m.Actions {
		e := exportAction{Name: a.Name, Variant: a.Variant, Key: a.Key(), SeedName: a.SeedName, Family: a.Family,
			Sources: classNamesOf(a), Kind: a.Kind, Interaction: a.Interaction, Roles: a.Roles,
			Summary: a.Summary, Note: a.Note, Anchor: a.Anchor(), Origin: a.Origin}
		for _, d := range a.DNTypes {
			e.DNTypes = append(e.DNTypes, d.Name)
		}
		for _, t := range a.Reaches(m) {
			e.Reaches = append(e.Reaches, t.Name)
		}
		out[i] = e
	}
	return out
}

// ExportJSON writes {"actions": [...]} as indented JSON.
func ExportJSON(w io.Writer, m *Model) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"actions": ExportActions(m)}); err != nil {
		return fmt.Errorf("export json: %w", err)
	}
	return nil
}

// ExportYAML writes {actions: [...]} as YAML.
func ExportYAML(w io.Writer, m *Model) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{"actions": ExportActions(m)}); err != nil {
		return fmt.Errorf("export yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("export yaml: %w", err)
	}
	return nil
}
