package gen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
)

// kindNames and roleNames fix the order of the Kind and Role enums.
func kindNames() []string { return []string{"durable", "momentary", "retrospective"} }

func roleNames() []string {
	return []string{"login", "loggedOut", "hold", "callType", "ready", "notReady", "afterCallWork"}
}

// emitAction writes generated/action: one ID per action row, its attributes, roles,
// applicability and lookup by name within a source class.
func emitAction(m *Model) (*jen.File, error) {
	if len(m.Actions) > 65000 {
		return nil, fmt.Errorf("too many actions: %d", len(m.Actions))
	}
	f := newFile("action", "Package action holds the Stat Server action table from spec/actions.yaml: one ID per\n"+
		"row, with its name, variant, kind, source classes, interaction flag, roles and summary,\n"+
		"and the lookup of an event's action name within a source class.")
	emitKindRole(f)
	emitActionIDs(f, m)
	emitActionTables(f, m)
	emitRoleTable(f, m)
	emitLookup(f, m)
	return f, nil
}

func emitKindRole(f *jen.File) {
	kinds := make([]enumValue, len(kindNames()))
	kindDocs := map[string]string{
		"durable":       "lasts from a start to an end and has a duration",
		"momentary":     "happens at an instant and has no duration",
		"retrospective": "is reported once at its completion, with the duration of a period already elapsed",
	}
	for i, k := range kindNames() {
		kinds[i] = enumValue{"Kind" + goIdent(k), k, fmt.Sprintf("Kind%s: the action %s.", goIdent(k), kindDocs[k])}
	}
	emitEnum(f, enumSpec{Type: "Kind", Underlying: jen.Uint8(), None: "KindNone", Noun: "action kind",
		Doc: "Kind says how an action extends in time.", Values: kinds, Parse: "ParseKind"})
	roles := make([]enumValue, len(roleNames()))
	for i, r := range roleNames() {
		roles[i] = enumValue{"Role" + goIdent(r), r, fmt.Sprintf("Role%s marks %s.", goIdent(r), roleRules()[r].doc)}
	}
	emitEnum(f, enumSpec{Type: "Role", Underlying: jen.Uint8(), None: "RoleNone", Noun: "action role",
		Doc:    "Role is a special meaning the runtime gives an action, named in the spec instead of in code.",
		Values: roles, Parse: "ParseRole"})
	emitSet(f, "RoleSet", "Role", jen.Uint8(), "AllRoles")
}

// actionDoc is the doc comment of an action constant: summary, kind, sources, note.
func actionDoc(a *Action) string {
	srcs := make([]string, len(a.Sources))
	for i, c := range a.Sources {
		srcs[i] = c.Name
	}
	ixn := "not interaction-related"
	if a.Interaction {
		ixn = "interaction-related"
	}
	text := fmt.Sprintf("%s is %s: %s", a.GoName(), a.Key(), a.Summary)
	facts := fmt.Sprintf("Kind %s, %s; sources: %s.", a.Kind, ixn, strings.Join(srcs, ", "))
	if a.Local() {
		facts += " A local extension: the Stat Server's action table has no such row."
	}
	text = docLines(text) + "\n\n" + docLines(facts)
	if a.Note != "" {
		text += "\n\n" + docLines("Note: "+a.Note)
	}
	return text
}

func emitActionIDs(f *jen.File, m *Model) {
	vals := make([]enumValue, len(m.Actions))
	for i, a := range m.Actions {
		vals[i] = enumValue{a.GoName(), a.Key(), actionDoc(a)}
	}
	emitEnum(f, enumSpec{Type: "ID", Underlying: jen.Uint16(), None: "None", Noun: "action",
		Doc: "ID identifies one row of the action table. Its text form is \"Name\" or \"Name (Variant)\".", Values: vals})
	comment(f, "Count is the number of actions; valid IDs are 1..Count, so arrays of Count+1 can be indexed by ID.")
	f.Const().Id("Count").Op("=").Lit(len(m.Actions))
}

func emitActionTables(f *jen.File, m *Model) {
	var names, variants, seeds, kinds, sources, ixn, family, local, summaries, notes, dns, roles, reaches []jen.Code
	for _, a := range m.Actions {
		names = append(names, jen.Lit(a.Name))
		variants = append(variants, jen.Lit(a.Variant))
		seed := a.SeedName
		if seed == "" {
			seed = a.Name
		}
		if a.Variant != "" {
			seed += " (" + a.Variant + ")"
		}
		if a.Local() {
			seed = ""
		}
		seeds = append(seeds, jen.Lit(seed))
		kinds = append(kinds, jen.Id("Kind"+goIdent(a.Kind)))
		sources = append(sources, bitSet(objectPkg, "ClassSet", len(a.Sources), func(i int) string { return classConst(a.Sources[i]) }))
		ixn = append(ixn, jen.Lit(a.Interaction))
		family = append(family, jen.Lit(a.Family))
		local = append(local, jen.Lit(a.Local()))
		summaries = append(summaries, jen.Lit(a.Summary))
		notes = append(notes, jen.Lit(a.Note))
		dns = append(dns, dnList(a.DNTypes))
		roles = append(roles, bitSet(actionPkg, "RoleSet", len(a.Roles), func(i int) string { return "Role" + goIdent(a.Roles[i]) }))
		reaches = append(reaches, typeSet(a.Reaches(m)))
	}
	emitTable(f, "ID", "Name", "Name is the action name used in masks and events.", jen.String(), jen.Lit(""), names)
	emitTable(f, "ID", "Variant", "Variant is the seed's qualifier of the row (\"Regular DNs\", \"Virtual Queues\", ...), or empty.", jen.String(), jen.Lit(""), variants)
	emitTable(f, "ID", "SeedName", "SeedName is the row's name as the seed table spells it, variant included (empty if IsLocal).", jen.String(), jen.Lit(""), seeds)
	emitTable(f, "ID", "Kind", "Kind says whether the action is durable, momentary or retrospective.", jen.Id("Kind"), jen.Id("KindNone"), kinds)
	emitTable(f, "ID", "Sources", "Sources is the set of source classes the action occurs on.", jen.Qual(objectPkg, "ClassSet"), jen.Qual(objectPkg, "ClassSet").Call(jen.Lit(0)), sources)
	emitTable(f, "ID", "IsInteraction", "IsInteraction reports the seed's Ixn-Related flag.", jen.Bool(), jen.False(), ixn)
	emitTable(f, "ID", "IsFamily", "IsFamily reports whether the row stands for a family of actions named Name followed by more.", jen.Bool(), jen.False(), family)
	emitTable(f, "ID", "IsLocal", "IsLocal reports whether the row is a local extension (origin: local), not in the Stat Server table.", jen.Bool(), jen.False(), local)
	emitTable(f, "ID", "Summary", "Summary says what the action means, in one sentence.", jen.String(), jen.Lit(""), summaries)
	emitTable(f, "ID", "Note", "Note explains a quirk of the seed row, or is empty.", jen.String(), jen.Lit(""), notes)
	emitTable(f, "ID", "DNTypes", "DNTypes lists the DN types the row is restricted to (nil: any DN of its classes).", jen.Index().Qual(objectPkg, "DNType"), jen.Nil(), dns)
	emitTable(f, "ID", "Roles", "Roles is the set of special meanings the runtime gives the action.", jen.Id("RoleSet"), jen.Id("RoleSet").Call(jen.Lit(0)), roles)
	emitTable(f, "ID", "Reaches", "Reaches is the set of object types the action propagates to (object applicability).", jen.Qual(objectPkg, "TypeSet"), jen.Qual(objectPkg, "TypeSet").Call(jen.Lit(0)), reaches)
	comment(f, "HasRole reports whether the action carries role r.")
	f.Func().Params(jen.Id("v").Id("ID")).Id("HasRole").Params(jen.Id("r").Id("Role")).Bool().Block(
		jen.Return(jen.Id("v").Dot("Roles").Call().Dot("Has").Call(jen.Id("r"))),
	)
}

func dnList(ds []*DNType) jen.Code {
	if len(ds) == 0 {
		return jen.Nil()
	}
	items := make([]jen.Code, len(ds))
	for i, d := range ds {
		items[i] = jen.Qual(objectPkg, dnConst(d))
	}
	return jen.Index().Qual(objectPkg, "DNType").Values(items...)
}

// emitRoleTable writes the actions of each role:
//
//	var _Role_actions = [...][]ID{nil, {LoggedIn}, ...}
//	func (r Role) Actions() []ID { ... copy ... }
func emitRoleTable(f *jen.File, m *Model) {
	rows := []jen.Code{jen.Nil()}
	for _, r := range roleNames() {
		var ids []jen.Code
		for _, a := range m.Actions {
			if contains(a.Roles, r) {
				ids = append(ids, jen.Id(a.GoName()))
			}
		}
		rows = append(rows, jen.Values(ids...))
	}
	f.Var().Id("_Role_actions").Op("=").Index(jen.Op("...")).Index().Id("ID").Values(rows...)
	comment(f, "Actions returns the actions carrying role r, in spec order (a new slice each call).")
	f.Func().Params(jen.Id("r").Id("Role")).Id("Actions").Params().Index().Id("ID").Block(
		jen.If(jen.Op("!").Id("r").Dot("Valid").Call()).Block(jen.Return(jen.Nil())),
		jen.Return(jen.Append(jen.Index().Id("ID").Values(), jen.Id("_Role_actions").Index(jen.Id("r")).Op("..."))),
	)
}

// byName groups action IDs by name, names sorted, and lists the family rows.
func byName(m *Model) (names []string, ids map[string][]string, families []string) {
	ids = map[string][]string{}
	for _, a := range m.Actions {
		if _, ok := ids[a.Name]; !ok {
			names = append(names, a.Name)
		}
		ids[a.Name] = append(ids[a.Name], a.GoName())
		if a.Family {
			families = append(families, a.GoName())
		}
	}
	sort.Strings(names)
	return names, ids, families
}
