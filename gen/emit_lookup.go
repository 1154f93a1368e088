package gen

import (
	"github.com/dave/jennifer/jen"
)

func id(name string) *jen.Statement          { return jen.Id(name) }
func objClass() *jen.Statement               { return jen.Qual(objectPkg, "SourceClass") }
func objDN() *jen.Statement                  { return jen.Qual(objectPkg, "DNType") }
func errorf(args ...jen.Code) *jen.Statement { return jen.Qual("fmt", "Errorf").Call(args...) }

// emitLookup writes the name tables, the lookup errors, Lookup, ByName and ParseID.
func emitLookup(f *jen.File, m *Model) {
	emitLookupErrors(f)
	emitNameTables(f, m)
	emitRows(f)
	emitScore(f)
	emitLookupFunc(f)
	emitLookupError(f)
	emitParseID(f)
}

// var ( ErrUnknown = errors.New("unknown action"); ... )
func emitLookupErrors(f *jen.File) {
	f.Var().DefsFunc(func(g *jen.Group) {
		for _, e := range [][3]string{
			{"ErrUnknown", "unknown action", "the name is in no row of the action table"},
			{"ErrNotApplicable", "action not applicable", "the action never occurs on the given source class or DN type"},
			{"ErrUnknownVariant", "unknown action variant", "the action has no row with the given variant on the source class"},
			{"ErrAmbiguous", "ambiguous action", "several rows fit and the event must name a variant"},
		} {
			g.Commentf("%s is returned (wrapped) when %s.", e[0], e[2])
			g.Id(e[0]).Op("=").Qual("errors", "New").Call(jen.Lit(e[1]))
		}
	})
}

// var _ID_byName = map[string][]ID{"Accepted": {Accepted}, ...}; var _ID_families = []ID{...};
// var _ID_names = []string{...}; func Names() []string.
func emitNameTables(f *jen.File, m *Model) {
	names, ids, families := byName(m)
	f.Var().Id("_ID_byName").Op("=").Map(jen.String()).Index().Id("ID").Values(jen.DictFunc(func(d jen.Dict) {
		for _, n := range names {
			vals := make([]jen.Code, len(ids[n]))
			for i, g := range ids[n] {
				vals[i] = jen.Id(g)
			}
			d[jen.Lit(n)] = jen.Values(vals...)
		}
	}))
	fam := make([]jen.Code, len(families))
	for i, g := range families {
		fam[i] = jen.Id(g)
	}
	f.Var().Id("_ID_families").Op("=").Index().Id("ID").Values(fam...)
	f.Var().Id("_ID_names").Op("=").Index().String().Values(lits(names)...)
	comment(f, "Names returns every action name once, sorted (a new slice each call), e.g. to suggest one for a typo.")
	f.Func().Id("Names").Params().Index().String().Block(
		jen.Return(jen.Append(jen.Index().String().Values(), jen.Id("_ID_names").Op("..."))),
	)
}

// func rows(name string) []ID: the rows named name, or the family whose name prefixes it.
// func ByName(name string) []ID: a copy of rows(name).
func emitRows(f *jen.File) {
	comment(f, "rows returns the rows named name, or the family row whose name is a proper prefix of it.")
	f.Func().Id("rows").Params(id("name").String()).Index().Id("ID").Block(
		jen.If(jen.List(id("ids"), id("ok")).Op(":=").Id("_ID_byName").Index(id("name")), id("ok")).Block(jen.Return(id("ids"))),
		jen.For(jen.List(id("i"), id("f")).Op(":=").Range().Id("_ID_families")).Block(
			jen.If(jen.Len(id("name")).Op(">").Len(id("f").Dot("Name").Call()).Op("&&").Qual("strings", "HasPrefix").Call(id("name"), id("f").Dot("Name").Call())).Block(
				jen.Return(id("_ID_families").Index(id("i").Op(":").Id("i").Op("+").Lit(1))),
			),
		),
		jen.Return(jen.Nil()),
	)
	comment(f, "ByName returns the rows named name in spec order; a member of a family resolves to the family.")
	f.Func().Id("ByName").Params(id("name").String()).Index().Id("ID").Block(
		jen.Return(jen.Append(jen.Index().Id("ID").Values(), id("rows").Call(id("name")).Op("..."))),
	)
}

// func score(v ID, class, variant, dn) int: -1 excludes the row; higher fits better.
func emitScore(f *jen.File) {
	comment(f, "score ranks row v for an event on class and DN type dn with the given variant: -1 excludes\n"+
		"it; a row restricted to dn beats an unrestricted row, which beats a row restricted to DN\n"+
		"types when dn is unknown; among equals a row without variant wins.")
	f.Func().Id("score").Params(id("v").Id("ID"), id("class").Add(objClass()), id("variant").String(), id("dn").Add(objDN())).Int().Block(
		jen.If(jen.Op("!").Id("v").Dot("Sources").Call().Dot("Has").Call(id("class")).Op("||").Parens(id("variant").Op("!=").Lit("").Op("&&").Id("v").Dot("Variant").Call().Op("!=").Id("variant"))).Block(jen.Return(jen.Lit(-1))),
		id("s").Op(":=").Lit(0),
		jen.If(id("dns").Op(":=").Id("v").Dot("DNTypes").Call(), jen.Len(id("dns")).Op("==").Lit(0)).Block(
			id("s").Op("=").Lit(2),
		).Else().If(id("dn").Dot("Valid").Call()).Block(
			id("s").Op("=").Lit(-1),
			jen.For(jen.List(jen.Id("_"), id("d")).Op(":=").Range().Id("dns")).Block(
				jen.If(id("d").Op("==").Id("dn")).Block(id("s").Op("=").Lit(4)),
			),
			jen.If(id("s").Op("<").Lit(0)).Block(jen.Return(jen.Lit(-1))),
		),
		jen.If(id("v").Dot("Variant").Call().Op("==").Lit("")).Block(id("s").Op("++")),
		jen.Return(id("s")),
	)
}

// func Lookup(name string, class object.SourceClass, variant string, dn object.DNType) (ID, error)
func emitLookupFunc(f *jen.File) {
	comment(f, "Lookup resolves an event's action name on a source class. variant (the seed's qualifier,\n"+
		"e.g. \"Virtual Queues\") is optional and wins when given; dn, the type of the source DN when\n"+
		"known (DNNone otherwise), selects rows restricted to DN types. A name that extends a family\n"+
		"name (CallObserved...) resolves to the family. Errors wrap ErrUnknown, ErrNotApplicable,\n"+
		"ErrUnknownVariant or ErrAmbiguous. Lookup does not allocate on success.")
	f.Func().Id("Lookup").Params(id("name").String(), id("class").Add(objClass()), id("variant").String(), id("dn").Add(objDN())).Params(jen.Id("ID"), jen.Error()).Block(
		id("ids").Op(":=").Id("rows").Call(id("name")),
		jen.If(jen.Len(id("ids")).Op("==").Lit(0)).Block(jen.Return(jen.Id("None"), errorf(jen.Lit("%w %q"), id("ErrUnknown"), id("name")))),
		jen.If(id("variant").Op("!=").Lit("").Op("&&").Id("namesClass").Call(id("variant"), id("class")).Op("&&").Op("!").Id("hasVariant").Call(id("ids"), id("class"), id("variant"))).Block(
			id("variant").Op("=").Lit(""),
		),
		jen.List(id("best"), id("bestScore"), id("ties")).Op(":=").List(jen.Id("None"), jen.Lit(-1), jen.Lit(0)),
		jen.For(jen.List(jen.Id("_"), id("v")).Op(":=").Range().Id("ids")).Block(
			id("s").Op(":=").Id("score").Call(id("v"), id("class"), id("variant"), id("dn")),
			jen.If(id("s").Op(">").Id("bestScore")).Block(
				jen.List(id("best"), id("bestScore"), id("ties")).Op("=").List(id("v"), id("s"), jen.Lit(1)),
			).Else().If(id("s").Op("==").Id("bestScore").Op("&&").Id("s").Op(">=").Lit(0)).Block(id("ties").Op("++")),
		),
		jen.If(id("bestScore").Op("<").Lit(0)).Block(jen.Return(jen.Id("None"), id("lookupError").Call(id("name"), id("ids"), id("class"), id("variant"), id("dn")))),
		jen.If(id("ties").Op(">").Lit(1)).Block(jen.Return(jen.Id("None"), errorf(jen.Lit("%w: %q on %s needs a variant (one of %s)"), id("ErrAmbiguous"), id("name"), id("class"), id("variantsOn").Call(id("ids"), id("class"))))),
		jen.Return(id("best"), jen.Nil()),
	)
}

// lookupError explains why no row fits; variantsOn lists the variants of rows on a class;
// namesClass and hasVariant support ignoring a variant that only names the class.
func emitLookupError(f *jen.File) {
	comment(f, "namesClass reports whether variant is one of the class's own qualifiers.")
	f.Func().Id("namesClass").Params(id("variant").String(), id("class").Add(objClass())).Bool().Block(
		jen.For(jen.List(jen.Id("_"), id("v")).Op(":=").Range().Id("class").Dot("Variants").Call()).Block(
			jen.If(id("v").Op("==").Id("variant")).Block(jen.Return(jen.True())),
		),
		jen.Return(jen.False()),
	)
	comment(f, "hasVariant reports whether a row of ids on class has the variant.")
	f.Func().Id("hasVariant").Params(id("ids").Index().Id("ID"), id("class").Add(objClass()), id("variant").String()).Bool().Block(
		jen.For(jen.List(jen.Id("_"), id("v")).Op(":=").Range().Id("ids")).Block(
			jen.If(id("v").Dot("Sources").Call().Dot("Has").Call(id("class")).Op("&&").Id("v").Dot("Variant").Call().Op("==").Id("variant")).Block(jen.Return(jen.True())),
		),
		jen.Return(jen.False()),
	)
	comment(f, "lookupError explains why no row of ids fits the event.")
	f.Func().Id("lookupError").Params(id("name").String(), id("ids").Index().Id("ID"), id("class").Add(objClass()), id("variant").String(), id("dn").Add(objDN())).Error().Block(
		jen.Var().Id("on").Qual(objectPkg, "ClassSet"),
		jen.For(jen.List(jen.Id("_"), id("v")).Op(":=").Range().Id("ids")).Block(id("on").Op("|=").Id("v").Dot("Sources").Call()),
		jen.If(jen.Op("!").Id("on").Dot("Has").Call(id("class"))).Block(
			id("names").Op(":=").Index().String().Values(),
			jen.For(jen.List(jen.Id("_"), id("c")).Op(":=").Range().Id("on").Dot("Slice").Call()).Block(id("names").Op("=").Append(id("names"), id("c").Dot("String").Call())),
			jen.Return(errorf(jen.Lit("%w: %q occurs on %s, not on %s"), id("ErrNotApplicable"), id("name"), jen.Qual("strings", "Join").Call(id("names"), jen.Lit(", ")), id("class"))),
		),
		jen.If(id("variant").Op("!=").Lit("")).Block(
			jen.Return(errorf(jen.Lit("%w %q for %q on %s (known: %s)"), id("ErrUnknownVariant"), id("variant"), id("name"), id("class"), id("variantsOn").Call(id("ids"), id("class")))),
		),
		jen.Return(errorf(jen.Lit("%w: %q does not occur on %s DNs"), id("ErrNotApplicable"), id("name"), id("dn"))),
	)
	comment(f, "variantsOn lists, quoted, the variants of the rows of ids that occur on class.")
	f.Func().Id("variantsOn").Params(id("ids").Index().Id("ID"), id("class").Add(objClass())).String().Block(
		jen.Var().Id("out").Index().String(),
		jen.For(jen.List(jen.Id("_"), id("v")).Op(":=").Range().Id("ids")).Block(
			jen.If(id("v").Dot("Sources").Call().Dot("Has").Call(id("class"))).Block(
				id("out").Op("=").Append(id("out"), jen.Qual("strconv", "Quote").Call(id("v").Dot("Variant").Call())),
			),
		),
		jen.Return(jen.Qual("strings", "Join").Call(id("out"), jen.Lit(", "))),
	)
}

// func ParseID(s string) (ID, error): exact text form, or a name with a single row.
func emitParseID(f *jen.File) {
	comment(f, "ParseID returns the action whose text form is s (\"Name\" or \"Name (Variant)\"). A bare\n"+
		"name of several rows is ambiguous unless exactly one of them has no variant.")
	f.Func().Id("ParseID").Params(id("s").String()).Params(jen.Id("ID"), jen.Error()).Block(
		jen.For(jen.List(id("i"), id("t")).Op(":=").Range().Id(textTable("ID"))).Block(
			jen.If(id("i").Op(">").Lit(0).Op("&&").Id("t").Op("==").Id("s")).Block(jen.Return(jen.Id("ID").Call(id("i")), jen.Nil())),
		),
		jen.List(id("ids"), id("ok")).Op(":=").Id("_ID_byName").Index(id("s")),
		jen.Switch().Block(
			jen.Case(jen.Op("!").Id("ok")).Block(jen.Return(jen.Id("None"), errorf(jen.Lit("%w %q"), id("ErrUnknown"), id("s")))),
			jen.Case(jen.Len(id("ids")).Op("==").Lit(1)).Block(jen.Return(id("ids").Index(jen.Lit(0)), jen.Nil())),
		),
		id("keys").Op(":=").Index().String().Values(),
		jen.For(jen.List(jen.Id("_"), id("v")).Op(":=").Range().Id("ids")).Block(id("keys").Op("=").Append(id("keys"), jen.Qual("strconv", "Quote").Call(id("v").Dot("String").Call()))),
		jen.Return(jen.Id("None"), errorf(jen.Lit("%w %q: name one of %s"), id("ErrAmbiguous"), id("s"), jen.Qual("strings", "Join").Call(id("keys"), jen.Lit(", ")))),
	)
}
