package gen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
)

// sourcePkg is the import path of the generated mapping tables.
const sourcePkg = Module + "/generated/source"

// sourceOutputs renders the source mappings: the Go tables under generated/source (the
// types, the list of formats and one file per format) and one reference page per format
// under docs/sources. No mapping, no output.
func sourceOutputs(m *Model) ([]Output, error) {
	if len(m.Sources) == 0 {
		return nil, nil
	}
	var out []Output
	files := []struct {
		path string
		f    *jen.File
	}{{"generated/source/types.go", emitSourceTypes()}, {"generated/source/formats.go", emitSourceList(m)}}
	for _, f := range m.Sources {
		files = append(files, struct {
			path string
			f    *jen.File
		}{"generated/source/" + strings.ReplaceAll(f.Name, "-", "_") + ".go", emitSourceFormat(f)})
	}
	for _, g := range files {
		data, err := render(g.path, g.f)
		if err != nil {
			return nil, err
		}
		out = append(out, Output{g.path, data})
	}
	for _, f := range m.Sources {
		out = append(out, Output{"docs/sources/" + f.Name + ".md", SourceDoc(m, f)})
	}
	return out, nil
}

// newSourceFile starts a file of package generated/source.
func newSourceFile() *jen.File {
	f := jen.NewFilePath(sourcePkg)
	f.HeaderComment(Header)
	f.ImportName(actionPkg, "action")
	return f
}

// emitSourceList writes Formats and Lookup.
func emitSourceList(m *Model) *jen.File {
	f := newSourceFile()
	calls := make([]jen.Code, len(m.Sources))
	names := make([]string, len(m.Sources))
	for i, s := range m.Sources {
		calls[i] = jen.Id(s.GoName()).Call()
		names[i] = s.Name
	}
	f.Commentf("Formats returns every format, in name order (%s), as a new slice.", strings.Join(names, ", "))
	f.Func().Id("Formats").Params().Index().Op("*").Id("Format").Block(
		jen.Return(jen.Index().Op("*").Id("Format").Values(calls...)),
	)
	f.Comment("Lookup returns the format named name.")
	f.Func().Id("Lookup").Params(jen.Id("name").String()).Params(jen.Op("*").Id("Format"), jen.Bool()).Block(
		jen.For(jen.List(jen.Id("_"), jen.Id("f")).Op(":=").Range().Id("Formats").Call()).Block(
			jen.If(jen.Id("f").Dot("Name").Op("==").Id("name")).Block(jen.Return(jen.Id("f"), jen.True())),
		),
		jen.Return(jen.Nil(), jen.False()),
	)
	return f
}

// emitSourceFormat writes one format's table and its accessor.
func emitSourceFormat(s *SourceFormat) *jen.File {
	f := newSourceFile()
	v := lowerFirst(s.GoName())
	comment(f, docLines(fmt.Sprintf("%s returns the %s format (%s), from %s: %s The table is read-only.",
		s.GoName(), s.Name, s.Title, s.File, s.Summary)))
	f.Func().Id(s.GoName()).Params().Op("*").Id("Format").Block(jen.Return(jen.Op("&").Id(v)))
	events := append([]*SourceEvent(nil), s.Events...)
	sort.Slice(events, func(i, j int) bool { return events[i].Name < events[j].Name })
	evs := make([]jen.Code, len(events))
	for i, ev := range events {
		evs[i] = sourceEventValue(s, ev)
	}
	p := s.Presence
	f.Var().Id(v).Op("=").Id("Format").Values(jen.Dict{
		jen.Id("Name"):         jen.Lit(s.Name),
		jen.Id("Title"):        jen.Lit(s.Title),
		jen.Id("Wire"):         jen.Lit(s.Wire),
		jen.Id("NameFields"):   strs(s.NameFields),
		jen.Id("TimeField"):    jen.Lit(s.TimeField),
		jen.Id("TimeReceived"): jen.Lit(s.TimeReceived),
		jen.Id("Interaction"):  jen.Lit(s.Interaction),
		jen.Id("Media"):        jen.Lit(s.Media),
		jen.Id("Positional"):   jen.Lit(s.Positional),
		jen.Id("Fields"):       fieldValues(s.Fields),
		jen.Id("Queue"):        objectValue(s.Queue),
		jen.Id("Agent"):        objectValue(s.Agent),
		jen.Id("Presence"): jen.Id("Presence").Values(jen.Dict{
			jen.Id("Login"):       actionRef(p.Login),
			jen.Id("LoginMoment"): actionRef(p.LoginMoment),
			jen.Id("Logout"):      actionRef(p.Logout),
			jen.Id("QueueLogin"):  actionRef(p.QueueLogin),
			jen.Id("QueueReady"):  actionRef(p.QueueReady),
			jen.Id("Ready"):       actionRef(p.Ready),
			jen.Id("NotReady"):    actionRef(p.NotReady),
			jen.Id("ReasonKey"):   jen.Lit(p.ReasonKey),
		}),
		jen.Id("Events"): jen.Index().Id("Event").ValuesFunc(func(g *jen.Group) {
			for _, e := range evs {
				g.Line().Add(e)
			}
			g.Line()
		}),
	})
	return f
}

func actionRef(a *Action) jen.Code {
	if a == nil {
		return jen.Qual(actionPkg, "None")
	}
	return jen.Qual(actionPkg, a.GoName())
}

// strs is a []string literal, nil when empty.
func strs(list []string) jen.Code {
	if len(list) == 0 {
		return jen.Nil()
	}
	return jen.Index().String().Values(lits(list)...)
}

func objectValue(o SourceObject) jen.Code {
	return jen.Id("Object").Values(jen.Dict{
		jen.Id("Field"): jen.Lit(o.Field), jen.Id("None"): strs(o.None), jen.Id("TrimPrefix"): strs(o.TrimPrefix),
	})
}

func fieldValues(fields []*SourceField) jen.Code {
	if len(fields) == 0 {
		return jen.Nil()
	}
	return jen.Index().Id("Field").ValuesFunc(func(g *jen.Group) {
		for _, x := range fields {
			d := jen.Dict{jen.Id("Name"): jen.Lit(x.Name)}
			if x.Type != "text" {
				d[jen.Id("Type")] = jen.Id(fieldTypes().constFor(x.Type))
			}
			if x.Optional {
				d[jen.Id("Optional")] = jen.True()
			}
			if x.Repeated {
				d[jen.Id("Repeated")] = jen.True()
			}
			g.Values(d)
		}
	})
}

func sourceEventValue(s *SourceFormat, ev *SourceEvent) jen.Code {
	d := jen.Dict{jen.Id("Name"): jen.Lit(ev.Name)}
	if ev.Interaction != "" {
		d[jen.Id("Interaction")] = jen.Lit(ev.Interaction)
	}
	if len(ev.Fields) > 0 {
		d[jen.Id("Fields")] = fieldValues(ev.Fields)
	}
	if len(ev.Emits) > 0 {
		d[jen.Id("Emits")] = jen.Index().Id("Emit").ValuesFunc(func(g *jen.Group) {
			for _, e := range ev.Emits {
				g.Add(emitValue(e))
			}
		})
	}
	if len(ev.Ops) > 0 {
		d[jen.Id("Ops")] = jen.Index().Id("Op").ValuesFunc(func(g *jen.Group) {
			for _, o := range ev.Ops {
				g.Add(opValue(o))
			}
		})
	}
	return jen.Values(d)
}

func emitValue(e *SourceEmit) jen.Code {
	d := jen.Dict{
		jen.Id("Action"): actionRef(e.Action),
		jen.Id("On"):     jen.Id(targets().constFor(e.On)),
	}
	if e.Variant {
		d[jen.Id("Variant")] = jen.True()
	}
	if e.Phase != "" {
		d[jen.Id("Phase")] = jen.Id(phases().constFor(e.Phase))
	}
	if !e.Duration.Empty() {
		d[jen.Id("Duration")] = durationValue(e.Duration)
	}
	if e.NameAgent {
		d[jen.Id("NameAgent")] = jen.True()
	}
	if len(e.Data) > 0 {
		d[jen.Id("Data")] = jen.Index().Id("Data").ValuesFunc(func(g *jen.Group) {
			for _, x := range e.Data {
				g.Add(dataValue(x))
			}
		})
	}
	if len(e.When) > 0 {
		d[jen.Id("When")] = condValues(e.When)
	}
	return jen.Values(d)
}

func durationValue(x SourceDuration) jen.Code {
	switch {
	case x.Field != "":
		return jen.Id("Duration").Values(jen.Dict{jen.Id("Kind"): jen.Id("DurationField"), jen.Id("Field"): jen.Lit(x.Field)})
	case x.Since != "":
		return jen.Id("Duration").Values(jen.Dict{jen.Id("Kind"): jen.Id("DurationSince"), jen.Id("From"): jen.Lit(x.Since)})
	}
	return jen.Id("Duration").Values(jen.Dict{jen.Id("Kind"): jen.Id("DurationBetween"), jen.Id("From"): jen.Lit(x.From), jen.Id("To"): jen.Lit(x.To)})
}

func dataValue(x SourceData) jen.Code {
	d := jen.Dict{}
	switch {
	case x.KeyField != "":
		d[jen.Id("Kind")] = jen.Id("DataKeyField")
		d[jen.Id("KeyField")] = jen.Lit(x.KeyField)
		d[jen.Id("Field")] = jen.Lit(x.Field)
	case x.Field != "":
		d[jen.Id("Kind")] = jen.Id("DataField")
		d[jen.Id("Field")] = jen.Lit(x.Field)
	case x.Pairs != "":
		d[jen.Id("Kind")] = jen.Id("DataPairs")
		d[jen.Id("Field")] = jen.Lit(x.Pairs)
	case x.Prefix != "":
		d[jen.Id("Kind")] = jen.Id("DataPrefix")
		d[jen.Id("Value")] = jen.Lit(x.Prefix)
	case x.Assign != "":
		d[jen.Id("Kind")] = jen.Id("DataAssign")
		d[jen.Id("Field")] = jen.Lit(x.Assign)
	default:
		d[jen.Id("Kind")] = jen.Id("DataValue")
		d[jen.Id("Value")] = jen.Lit(x.Value)
	}
	if x.Key != "" {
		d[jen.Id("Key")] = jen.Lit(x.Key)
	}
	return jen.Values(d)
}

func condValues(list []SourceCond) jen.Code {
	return jen.Index().Id("Cond").ValuesFunc(func(g *jen.Group) {
		for _, c := range list {
			d := jen.Dict{jen.Id("Field"): jen.Lit(c.Field)}
			switch {
			case len(c.Is) > 0:
				d[jen.Id("Kind")] = jen.Id("CondIs")
				d[jen.Id("Values")] = strs(c.Is)
			case len(c.Not) > 0:
				d[jen.Id("Kind")] = jen.Id("CondNot")
				d[jen.Id("Values")] = strs(c.Not)
			case c.Present != nil && *c.Present:
				d[jen.Id("Kind")] = jen.Id("CondPresent")
			default:
				d[jen.Id("Kind")] = jen.Id("CondAbsent")
			}
			g.Values(d)
		}
	})
}

func opValue(o *SourceOp) jen.Code {
	d := jen.Dict{jen.Id("Kind"): jen.Id(opKinds().constFor(o.Op))}
	if o.All {
		d[jen.Id("All")] = jen.True()
	}
	if o.Slot != "" {
		d[jen.Id("Slot")] = jen.Lit(o.Slot)
	}
	if o.Reason != nil {
		d[jen.Id("Reason")] = jen.Id("Data").Add(dataValue(*o.Reason))
	}
	if o.Report != nil {
		d[jen.Id("Report")] = actionRef(o.Report)
	}
	if len(o.When) > 0 {
		d[jen.Id("When")] = condValues(o.When)
	}
	return jen.Values(d)
}
