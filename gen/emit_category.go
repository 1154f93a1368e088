package gen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// The value sets of the category classification, in enum order.
func categoryKinds() []string { return []string{"historical", "current", "other"} }
func categoryUnits() []string {
	return []string{"seconds", "count", "percent", "ratio", "rate", "custom", "structured"}
}
func categoryStates() []string { return []string{"implemented", "planned", "unsupported"} }

// emitCategory writes generated/category: the categories in library order with their
// classification, and the subjects with the object types they apply to.
func emitCategory(m *Model) (*jen.File, error) {
	f := newFile("category", "Package category holds the statistical categories and subjects from\n"+
		"spec/categories.yaml, with each category's classification: historical or current, unit,\n"+
		"use of RelMask, a time range or a formula, and whether statkit computes it.")
	emitSmallEnum(f, "Kind", "KindNone", "category kind", "Kind says whether a category is computed over the time-profile interval (historical) or\nfrom what is in progress now (current).", categoryKinds())
	emitSmallEnum(f, "Unit", "UnitNone", "category unit", "Unit is what a category's value measures.", categoryUnits())
	emitSmallEnum(f, "Support", "SupportNone", "support level", "Support says whether statkit computes a category.", categoryStates())
	emitCategories(f, m)
	emitSubjects(f, m)
	return f, nil
}

func emitSmallEnum(f *jen.File, typ, none, noun, doc string, names []string) {
	vals := make([]enumValue, len(names))
	for i, n := range names {
		vals[i] = enumValue{typ + goIdent(n), n, fmt.Sprintf("%s%s is the %s %s.", typ, goIdent(n), noun, n)}
	}
	emitEnum(f, enumSpec{Type: typ, Underlying: jen.Uint8(), None: none, Noun: noun, Doc: doc, Values: vals, Parse: "Parse" + typ})
}

func emitCategories(f *jen.File, m *Model) {
	vals := make([]enumValue, len(m.Categories))
	var kinds, units, rel, tr, formula, support, defs, examples []jen.Code
	for i, c := range m.Categories {
		vals[i] = enumValue{c.Name, c.Name, docLines(fmt.Sprintf("%s (ordinal %d, %s, %s): %s", c.Name, i, c.Kind, c.Status, c.Definition))}
		kinds = append(kinds, jen.Id("Kind"+goIdent(c.Kind)))
		units = append(units, jen.Id("Unit"+goIdent(c.Value)))
		rel = append(rel, jen.Lit(c.RelMask))
		tr = append(tr, jen.Lit(c.TimeRange))
		formula = append(formula, jen.Lit(c.Formula))
		support = append(support, jen.Id("Support"+goIdent(c.Status)))
		defs = append(defs, jen.Lit(c.Definition))
		examples = append(examples, jen.Lit(c.Example))
	}
	emitEnum(f, enumSpec{Type: "Category", Underlying: jen.Uint8(), None: "None", Noun: "category",
		Doc: "Category is a statistical category; constants follow the Stat Server library order.", Values: vals, Parse: "Parse"})
	emitTable(f, "Category", "Kind", "Kind says whether the category is historical or current.", jen.Id("Kind"), jen.Id("KindNone"), kinds)
	emitTable(f, "Category", "Unit", "Unit is what the category's value measures.", jen.Id("Unit"), jen.Id("UnitNone"), units)
	emitTable(f, "Category", "UsesRelMask", "UsesRelMask reports whether the category reads the stat type's RelMask.", jen.Bool(), jen.False(), rel)
	emitTable(f, "Category", "UsesTimeRange", "UsesTimeRange reports whether the category takes a time range.", jen.Bool(), jen.False(), tr)
	emitTable(f, "Category", "UsesFormula", "UsesFormula reports whether the category needs a numeric expression (custom values).", jen.Bool(), jen.False(), formula)
	emitTable(f, "Category", "Support", "Support says whether statkit computes the category.", jen.Id("Support"), jen.Id("SupportNone"), support)
	emitTable(f, "Category", "Definition", "Definition is the category's one-line definition.", jen.String(), jen.Lit(""), defs)
	emitTable(f, "Category", "Example", "Example is a typical contact-center use of the category.", jen.String(), jen.Lit(""), examples)
	comment(f, "Ordinal is the category's position in the Stat Server library order, from 0.")
	f.Func().Params(id("v").Id("Category")).Id("Ordinal").Params().Int().Block(jen.Return(jen.Int().Call(id("v")).Op("-").Lit(1)))
	comment(f, "IsStructured reports whether the value is a structure rather than a number.")
	f.Func().Params(id("v").Id("Category")).Id("IsStructured").Params().Bool().Block(jen.Return(id("v").Dot("Unit").Call().Op("==").Id("UnitStructured")))
}

func emitSubjects(f *jen.File, m *Model) {
	vals := make([]enumValue, len(m.Subjects))
	var objects, isStatus, defs []jen.Code
	for i, s := range m.Subjects {
		vals[i] = enumValue{"Subject" + s.Name, s.Name, docLines(fmt.Sprintf("Subject%s: %s", s.Name, s.Definition))}
		objects = append(objects, typeSet(s.Objects))
		isStatus = append(isStatus, jen.Lit(s.Status))
		defs = append(defs, jen.Lit(s.Definition))
	}
	emitEnum(f, enumSpec{Type: "Subject", Underlying: jen.Uint8(), None: "SubjectNone", Noun: "subject",
		Doc: "Subject says what a statistic counts: actions, or statuses of some source.", Values: vals, Parse: "ParseSubject"})
	emitTable(f, "Subject", "Objects", "Objects is the set of object types the subject applies to.", jen.Qual(objectPkg, "TypeSet"), jen.Qual(objectPkg, "TypeSet").Call(jen.Lit(0)), objects)
	emitTable(f, "Subject", "IsStatus", "IsStatus reports whether the subject counts statuses rather than actions.", jen.Bool(), jen.False(), isStatus)
	emitTable(f, "Subject", "Definition", "Definition is the subject's one-line definition.", jen.String(), jen.Lit(""), defs)
}
