package gen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
)

// emitObject writes generated/object: source classes, object types, DN types, compatibility
// groups, their sets and the applicability table.
func emitObject(m *Model) (*jen.File, error) {
	if len(m.Types) > 31 || len(m.Classes) > 7 || len(m.Groups) > 7 {
		return nil, fmt.Errorf("object model too large for bit sets: %d types, %d classes, %d groups", len(m.Types), len(m.Classes), len(m.Groups))
	}
	f := newFile("object", "Package object holds statkit's object model from spec/objects.yaml: action-source\n"+
		"classes, statistic object types, DN types, compatibility groups, and which classes reach\n"+
		"which types (object applicability).")
	emitClasses(f, m)
	emitTypes(f, m)
	emitDNTypes(f, m)
	emitGroups(f, m)
	emitSet(f, "ClassSet", "SourceClass", jen.Uint8(), "AllSourceClasses")
	emitSet(f, "TypeSet", "Type", jen.Uint32(), "AllTypes")
	emitSet(f, "GroupSet", "Group", jen.Uint8(), "AllGroups")
	return f, nil
}

func classConst(c *Class) string     { return "Class" + c.GoName() }
func typeConst(t *ObjectType) string { return "Type" + t.Name }
func dnConst(d *DNType) string       { return "DN" + d.Name }
func groupConst(g *Group) string     { return "Group" + g.Name }

// typeSet is `TypeSet(1<<TypeA | 1<<TypeB)`, or TypeSet(0).
func typeSet(ts []*ObjectType) jen.Code {
	return bitSet(objectPkg, "TypeSet", len(ts), func(i int) string { return typeConst(ts[i]) })
}

// bitSet is `pkg.Set(1<<pkg.A | 1<<pkg.B)`.
func bitSet(pkg, set string, n int, name func(int) string) jen.Code {
	if n == 0 {
		return jen.Qual(pkg, set).Call(jen.Lit(0))
	}
	var expr *jen.Statement
	for i := 0; i < n; i++ {
		term := jen.Lit(1).Op("<<").Qual(pkg, name(i))
		if expr == nil {
			expr = term
		} else {
			expr = expr.Op("|").Add(term)
		}
	}
	return jen.Qual(pkg, set).Call(expr)
}

func emitClasses(f *jen.File, m *Model) {
	vals := make([]enumValue, len(m.Classes))
	var titles, summaries, columns, reaches, variants []jen.Code
	for i, c := range m.Classes {
		vals[i] = enumValue{classConst(c), c.Name, docLines(fmt.Sprintf("%s is the %s source class (%s). %s", classConst(c), c.Name, c.Title, c.Summary))}
		titles = append(titles, jen.Lit(c.Title))
		summaries = append(summaries, jen.Lit(c.Summary))
		columns = append(columns, jen.Lit(c.SeedColumn))
		reaches = append(reaches, typeSet(c.Reaches))
		if len(c.Variants) == 0 {
			variants = append(variants, jen.Nil())
		} else {
			variants = append(variants, jen.Index().String().Values(lits(c.Variants)...))
		}
	}
	emitEnum(f, enumSpec{Type: "SourceClass", Underlying: jen.Uint8(), None: "ClassNone", Noun: "source class",
		Doc:    "SourceClass is where actions are generated: a column of the Stat Server action table.",
		Values: vals, Parse: "ParseSourceClass"})
	emitTable(f, "SourceClass", "Title", "Title is the human-readable name of the class.", jen.String(), jen.Lit(""), titles)
	emitTable(f, "SourceClass", "Summary", "Summary describes the class in one sentence.", jen.String(), jen.Lit(""), summaries)
	emitTable(f, "SourceClass", "SeedColumn", "SeedColumn is the heading of the class's column in the seed table (empty when it has none).", jen.String(), jen.Lit(""), columns)
	emitTable(f, "SourceClass", "Variants", "Variants lists the seed's row qualifiers that name the class (e.g. \"Regular DNs\").", jen.Index().String(), jen.Nil(), variants)
	emitTable(f, "SourceClass", "Reaches", "Reaches is the set of object types that actions of this class propagate to.", jen.Id("TypeSet"), jen.Id("TypeSet").Call(jen.Lit(0)), reaches)
}

func emitTypes(f *jen.File, m *Model) {
	vals := make([]enumValue, len(m.Types))
	var summaries, groups []jen.Code
	for i, t := range m.Types {
		vals[i] = enumValue{typeConst(t), t.Name, docLines(fmt.Sprintf("%s is the %s object type: %s", typeConst(t), t.Name, lowerFirst(t.Summary)))}
		summaries = append(summaries, jen.Lit(t.Summary))
		var in []*Group
		for _, g := range m.Groups {
			if contains(g.Types, t) {
				in = append(in, g)
			}
		}
		groups = append(groups, bitSet(objectPkg, "GroupSet", len(in), func(i int) string { return groupConst(in[i]) }))
	}
	emitEnum(f, enumSpec{Type: "Type", Underlying: jen.Uint8(), None: "TypeNone", Noun: "object type",
		Doc: "Type is a statistic object type: what a statistic is computed for.", Values: vals, Parse: "ParseType"})
	emitTable(f, "Type", "Summary", "Summary describes the object type in one sentence.", jen.String(), jen.Lit(""), summaries)
	emitTable(f, "Type", "Groups", "Groups is the set of compatibility groups the type belongs to.", jen.Id("GroupSet"), jen.Id("GroupSet").Call(jen.Lit(0)), groups)
}

func emitDNTypes(f *jen.File, m *Model) {
	vals := make([]enumValue, len(m.DNTypes))
	var classes, types []jen.Code
	for i, d := range m.DNTypes {
		vals[i] = enumValue{dnConst(d), d.Name, fmt.Sprintf("%s is a %s DN; it is a %s object.", dnConst(d), d.Class.Name, d.ObjectType.Name)}
		classes = append(classes, jen.Id(classConst(d.Class)))
		types = append(types, jen.Id(typeConst(d.ObjectType)))
	}
	emitEnum(f, enumSpec{Type: "DNType", Underlying: jen.Uint8(), None: "DNNone", Noun: "DN type",
		Doc: "DNType is a kind of directory number in the topology.", Values: vals, Parse: "ParseDNType"})
	emitTable(f, "DNType", "Class", "Class is the source class of actions on DNs of this type.", jen.Id("SourceClass"), jen.Id("ClassNone"), classes)
	emitTable(f, "DNType", "ObjectType", "ObjectType is the object type a DN of this type is.", jen.Id("Type"), jen.Id("TypeNone"), types)
}

func emitGroups(f *jen.File, m *Model) {
	vals := make([]enumValue, len(m.Groups))
	var sets []jen.Code
	for i, g := range m.Groups {
		names := make([]string, len(g.Types))
		for j, t := range g.Types {
			names[j] = t.Name
		}
		vals[i] = enumValue{groupConst(g), g.Name, docLines(fmt.Sprintf("%s is the %s compatibility group: %s.", groupConst(g), g.Name, strings.Join(names, ", ")))}
		sets = append(sets, typeSet(g.Types))
	}
	emitEnum(f, enumSpec{Type: "Group", Underlying: jen.Uint8(), None: "GroupNone", Noun: "compatibility group",
		Doc: "Group is a compatibility group: the object types of one stat type must share a group.", Values: vals, Parse: "ParseGroup"})
	emitTable(f, "Group", "Types", "Types is the set of object types in the group.", jen.Id("TypeSet"), jen.Id("TypeSet").Call(jen.Lit(0)), sets)
	// func Compatible(s TypeSet) bool { for _, g := range AllGroups() { if s&^g.Types() == 0 { return true } }; return false }
	comment(f, "Compatible reports whether every type in s belongs to one common compatibility group.")
	f.Func().Id("Compatible").Params(jen.Id("s").Id("TypeSet")).Bool().Block(
		jen.For(jen.List(jen.Id("_"), jen.Id("g")).Op(":=").Range().Id("AllGroups").Call()).Block(
			jen.If(jen.Id("s").Op("&^").Id("g").Dot("Types").Call().Op("==").Lit(0)).Block(jen.Return(jen.True())),
		),
		jen.Return(jen.False()),
	)
}

// emitSet writes a bit set over an enum:
//
//	type S uint32
//	func SetOf(vs ...E) S
//	func (s S) Has(v E) bool { return v.Valid() && s&(1<<v) != 0 }
//	func (s S) Slice() []E
func emitSet(f *jen.File, set, elem string, underlying jen.Code, all string) {
	f.Commentf("%s is a set of %s values.", set, elem)
	f.Type().Id(set).Add(underlying)
	f.Commentf("%sOf returns the set holding vs.", set)
	f.Func().Id(set+"Of").Params(jen.Id("vs").Op("...").Id(elem)).Id(set).Block(
		jen.Var().Id("s").Id(set),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("vs")).Block(
			jen.If(jen.Id("v").Dot("Valid").Call()).Block(jen.Id("s").Op("|=").Lit(1).Op("<<").Id("v")),
		),
		jen.Return(jen.Id("s")),
	)
	comment(f, "Has reports whether v is in the set.")
	f.Func().Params(jen.Id("s").Id(set)).Id("Has").Params(jen.Id("v").Id(elem)).Bool().Block(
		jen.Return(jen.Id("v").Dot("Valid").Call().Op("&&").Id("s").Op("&").Parens(jen.Lit(1).Op("<<").Id("v")).Op("!=").Lit(0)),
	)
	comment(f, "Slice returns the members of the set in spec order.")
	f.Func().Params(jen.Id("s").Id(set)).Id("Slice").Params().Index().Id(elem).Block(
		jen.Var().Id("out").Index().Id(elem),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id(all).Call()).Block(
			jen.If(jen.Id("s").Dot("Has").Call(jen.Id("v"))).Block(jen.Id("out").Op("=").Append(jen.Id("out"), jen.Id("v"))),
		),
		jen.Return(jen.Id("out")),
	)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
