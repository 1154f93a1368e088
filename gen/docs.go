package gen

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// mdHeader marks generated Markdown the same way generated Go is marked.
const mdHeader = "<!-- " + Header + " -->\n\n"

// ActionsDoc renders docs/actions.md: an index by name, a table per source class and a
// section with a stable anchor per action.
func ActionsDoc(m *Model) []byte {
	var b bytes.Buffer
	b.WriteString(mdHeader)
	b.WriteString("# Stat Server action reference\n\n")
	kinds := map[string]int{}
	names := map[string]bool{}
	local := 0
	for _, a := range m.Actions {
		kinds[a.Kind]++
		names[a.Name] = true
		if a.Local() {
			local++
		}
	}
	fmt.Fprintf(&b, "The action table of statkit: %d rows, %d distinct names (%d durable, %d momentary, %d retrospective), "+
		"generated from `spec/actions.yaml`. An action's identity is its name and variant; events and masks name actions "+
		"as they appear here. *Durable* actions have a start and an end; *momentary* actions happen at an instant; "+
		"*retrospective* actions are reported at completion with the duration of a period that already elapsed.\n\n",
		len(m.Actions), len(names), kinds["durable"], kinds["momentary"], kinds["retrospective"])
	switch {
	case local == 1:
		b.WriteString("1 row is a local extension (`origin: local`, marked *local* below): an action of this " +
			"installation that the Stat Server's action table does not have.\n\n")
	case local > 1:
		fmt.Fprintf(&b, "%d rows are local extensions (`origin: local`, marked *local* below): actions of this "+
			"installation that the Stat Server's action table does not have.\n\n", local)
	}
	b.WriteString("- [Index by name](#index-by-name)\n- [Actions by source class](#actions-by-source-class)\n- [All actions](#all-actions)\n\n")
	actionIndex(&b, m)
	actionClassTables(&b, m)
	b.WriteString("## All actions\n\n")
	for _, a := range m.Actions {
		actionSection(&b, m, a)
	}
	return b.Bytes()
}

func actionIndex(b *bytes.Buffer, m *Model) {
	b.WriteString("## Index by name\n\n| Name | Rows |\n|---|---|\n")
	rows := map[string][]*Action{}
	var names []string
	for _, a := range m.Actions {
		if rows[a.Name] == nil {
			names = append(names, a.Name)
		}
		rows[a.Name] = append(rows[a.Name], a)
	}
	sort.Strings(names)
	for _, n := range names {
		links := make([]string, len(rows[n]))
		for i, a := range rows[n] {
			label := a.Variant
			if label == "" {
				label = strings.Join(classNamesOf(a), ", ")
			}
			links[i] = fmt.Sprintf("[%s](#%s)", label, a.Anchor())
		}
		fmt.Fprintf(b, "| %s | %s |\n", n, strings.Join(links, " · "))
	}
	b.WriteString("\n")
}

func actionClassTables(b *bytes.Buffer, m *Model) {
	b.WriteString("## Actions by source class\n\n")
	for _, c := range m.Classes {
		fmt.Fprintf(b, "### %s (`%s`)\n\n%s Reaches: %s.\n\n", c.Title, c.Name, c.Summary, typeNamesOf(c.Reaches))
		b.WriteString("| Action | Kind | Interaction | Summary |\n|---|---|---|---|\n")
		for _, a := range m.Actions {
			if contains(a.Sources, c) {
				fmt.Fprintf(b, "| [%s](#%s)%s | %s | %s | %s |\n", a.Key(), a.Anchor(), localMark(a), a.Kind, yesNo(a.Interaction), mdCell(a.Summary))
			}
		}
		b.WriteString("\n")
	}
}

func actionSection(b *bytes.Buffer, m *Model, a *Action) {
	fmt.Fprintf(b, "### <a id=\"%s\"></a>%s\n\n%s\n\n", a.Anchor(), a.Key(), a.Summary)
	fmt.Fprintf(b, "- Kind: %s\n- Interaction-related: %s\n- Sources: %s\n- Reaches: %s\n",
		a.Kind, yesNo(a.Interaction), "`"+strings.Join(classNamesOf(a), "`, `")+"`", typeNamesOf(a.Reaches(m)))
	if len(a.DNTypes) > 0 {
		dns := make([]string, len(a.DNTypes))
		for i, d := range a.DNTypes {
			dns[i] = d.Name
		}
		fmt.Fprintf(b, "- DN types: %s\n", strings.Join(dns, ", "))
	}
	if len(a.Roles) > 0 {
		fmt.Fprintf(b, "- Runtime roles: %s\n", strings.Join(a.Roles, ", "))
	}
	if a.Family {
		fmt.Fprintf(b, "- Family: any action name starting with `%s` resolves to this row\n", a.Name)
	}
	if a.SeedName != "" {
		fmt.Fprintf(b, "- Seed spelling: `%s`\n", a.SeedName)
	}
	if a.Local() {
		b.WriteString("- Origin: local extension (`origin: local`): not a row of the Stat Server's action table\n")
	}
	if a.Note != "" {
		fmt.Fprintf(b, "\n> Note: %s\n", a.Note)
	}
	b.WriteString("\n")
}

// CategoriesDoc renders docs/categories.md: the categories with their classification,
// definitions and examples, then the subjects.
func CategoriesDoc(m *Model) []byte {
	var b bytes.Buffer
	b.WriteString(mdHeader)
	b.WriteString("# Statistical categories\n\n")
	support := map[string]int{}
	for _, c := range m.Categories {
		support[c.Status]++
	}
	fmt.Fprintf(&b, "The %d categories of the Stat Server, in library order (the ordinal is the position), generated from "+
		"`spec/categories.yaml`. statkit computes %d of them; %d are planned and %d are not supported (see their "+
		"definitions). Times are in seconds. A value with nothing to compute it from — a ratio whose denominator is 0, "+
		"a formula dividing by zero, an estimate without observations — is undefined: `null` in JSON, with the reason "+
		"beside it.\n\n",
		len(m.Categories), support["implemented"], support["planned"], support["unsupported"])
	b.WriteString("| # | Category | Kind | Unit | RelMask | Time range | Formula | statkit |\n|---|---|---|---|---|---|---|---|\n")
	for i, c := range m.Categories {
		fmt.Fprintf(&b, "| %d | [%s](#%s) | %s | %s | %s | %s | %s | %s |\n", i, c.Name, c.Anchor(), c.Kind, c.Value,
			yesNo(c.RelMask), yesNo(c.TimeRange), yesNo(c.Formula), c.Status)
	}
	b.WriteString("\n## Definitions\n\n")
	for _, c := range m.Categories {
		fmt.Fprintf(&b, "### <a id=\"%s\"></a>%s\n\n%s\n\n", c.Anchor(), c.Name, c.Definition)
		if c.Example != "" {
			fmt.Fprintf(&b, "Example: %s\n\n", c.Example)
		}
		if d := strings.TrimSpace(c.Details); d != "" {
			fmt.Fprintf(&b, "%s\n\n", d)
		}
	}
	for _, s := range m.Sections {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", s.Title, s.Text)
	}
	b.WriteString("## Subjects\n\n| Subject | Counts | Object types | Definition |\n|---|---|---|---|\n")
	for _, s := range m.Subjects {
		counts := "actions"
		if s.Status {
			counts = "statuses"
		}
		types := typeNamesOf(s.Objects)
		if types == "" {
			types = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Name, counts, types, mdCell(s.Definition))
	}
	return b.Bytes()
}

// localMark marks a local extension in a table cell.
func localMark(a *Action) string {
	if a.Local() {
		return " *local*"
	}
	return ""
}

func classNamesOf(a *Action) []string {
	out := make([]string, len(a.Sources))
	for i, c := range a.Sources {
		out[i] = c.Name
	}
	return out
}

func typeNamesOf(ts []*ObjectType) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return strings.Join(out, ", ")
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
