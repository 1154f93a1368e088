package gen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// emitStatus writes generated/status: the status priority tables.
func emitStatus(m *Model) (*jen.File, error) {
	f := newFile("status", "Package status holds the status priority tables from spec/statuses.yaml. An object's\n"+
		"status is the highest-priority durable action in progress on it; Priority gives that rank.")
	vals := make([]enumValue, len(m.Tables))
	var classes, objects, summaries, lists, prios []jen.Code
	for i, t := range m.Tables {
		if len(t.Statuses) > 255 {
			return nil, fmt.Errorf("status table %s has more than 255 statuses", t.Name)
		}
		vals[i] = enumValue{"Table" + t.Name, t.Name, docLines(fmt.Sprintf("Table%s: %s", t.Name, t.Summary))}
		classes = append(classes, jen.Qual(objectPkg, classConst(t.Class)))
		objects = append(objects, typeSet(t.Objects))
		summaries = append(summaries, jen.Lit(t.Summary))
		ids := make([]jen.Code, len(t.Statuses))
		prio := jen.Dict{}
		for j, a := range t.Statuses {
			ids[j] = jen.Qual(actionPkg, a.GoName())
			prio[jen.Qual(actionPkg, a.GoName())] = jen.Lit(j + 1)
		}
		lists = append(lists, jen.Values(ids...))
		prios = append(prios, jen.Values(prio))
	}
	emitEnum(f, enumSpec{Type: "Table", Underlying: jen.Uint8(), None: "TableNone", Noun: "status table",
		Doc: "Table is a status priority table.", Values: vals, Parse: "ParseTable"})
	emitTable(f, "Table", "Class", "Class is the source class whose actions the table ranks.", jen.Qual(objectPkg, "SourceClass"), jen.Qual(objectPkg, "ClassNone"), classes)
	emitTable(f, "Table", "Objects", "Objects is the set of object types whose status the table decides.", jen.Qual(objectPkg, "TypeSet"), jen.Qual(objectPkg, "TypeSet").Call(jen.Lit(0)), objects)
	emitTable(f, "Table", "Summary", "Summary describes the table in one sentence.", jen.String(), jen.Lit(""), summaries)
	f.Var().Id("_Table_statuses").Op("=").Index(jen.Op("...")).Index().Qual(actionPkg, "ID").Values(append([]jen.Code{jen.Nil()}, lists...)...)
	f.Var().Id("_Table_priority").Op("=").Index(jen.Op("...")).Index(jen.Qual(actionPkg, "Count").Op("+").Lit(1)).Uint8().Values(append([]jen.Code{jen.Values()}, prios...)...)
	emitStatusFuncs(f)
	return f, nil
}

// Statuses (a copy, lowest first), Priority (0 = not a status of the table) and ForType.
func emitStatusFuncs(f *jen.File) {
	comment(f, "Statuses returns the table's statuses, lowest priority first (a new slice each call).")
	f.Func().Params(id("t").Id("Table")).Id("Statuses").Params().Index().Qual(actionPkg, "ID").Block(
		jen.If(jen.Op("!").Id("t").Dot("Valid").Call()).Block(jen.Return(jen.Nil())),
		jen.Return(jen.Append(jen.Index().Qual(actionPkg, "ID").Values(), id("_Table_statuses").Index(id("t")).Op("..."))),
	)
	comment(f, "Priority returns the rank of action a in the table, 1 for the lowest status, or 0 when a\nis not a status of the table.")
	f.Func().Params(id("t").Id("Table")).Id("Priority").Params(id("a").Qual(actionPkg, "ID")).Int().Block(
		jen.If(id("t").Dot("Valid").Call().Op("&&").Id("a").Dot("Valid").Call()).Block(jen.Return(jen.Int().Call(id("_Table_priority").Index(id("t")).Index(id("a"))))),
		jen.Return(jen.Lit(0)),
	)
	comment(f, "ForType returns the table that decides the status of objects of type o, or TableNone.")
	f.Func().Id("ForType").Params(id("o").Qual(objectPkg, "Type")).Id("Table").Block(
		jen.For(jen.List(jen.Id("_"), id("t")).Op(":=").Range().Id("AllTables").Call()).Block(
			jen.If(id("t").Dot("Objects").Call().Dot("Has").Call(id("o"))).Block(jen.Return(id("t"))),
		),
		jen.Return(jen.Id("TableNone")),
	)
}
