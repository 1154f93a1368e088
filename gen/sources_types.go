package gen

import (
	"strings"

	"github.com/dave/jennifer/jen"
)

// sourceConst is one constant of an enum of generated/source: its name in the mapping specs
// ("" when no spec names it), its Go name and its doc comment.
type sourceConst struct{ Spec, Name, Doc string }

// sourceEnum is a uint8 enum of generated/source.
type sourceEnum struct {
	Type, Doc string
	Group     string // doc comment of the const block
	From      int    // value of the first constant: 0 or 1
	Recv      string // receiver of a String method returning the spec name; "" for none
	Consts    []sourceConst
}

// constFor is the Go name of the constant a spec calls spec ("" when none: validation
// has refused the spec before).
func (e sourceEnum) constFor(spec string) string {
	for _, c := range e.Consts {
		if c.Spec == spec && spec != "" {
			return c.Name
		}
	}
	return ""
}

// The enums of generated/source, in the order of types.go.
func fieldTypes() sourceEnum {
	return sourceEnum{Type: "FieldType", Doc: "FieldType is how a field's text is read.", Group: "Field types.", Recv: "t",
		Consts: []sourceConst{
			{"text", "FieldText", "FieldText is any text."},
			{"int", "FieldInt", "FieldInt is a decimal integer."},
			{"seconds", "FieldSeconds", "FieldSeconds is a duration in whole seconds."},
			{"milliseconds", "FieldMilliseconds", "FieldMilliseconds is a duration in milliseconds."},
			{"epoch", "FieldEpoch", "FieldEpoch is a Unix time in seconds, a decimal fraction allowed."},
			{"epochMicros", "FieldEpochMicros", "FieldEpochMicros is a Unix time in microseconds."},
		}}
}

func targets() sourceEnum {
	return sourceEnum{Type: "Target", Doc: "Target is the object an emitted action occurs on.", Group: "Targets.", From: 1,
		Consts: []sourceConst{
			{"queue", "TargetQueue", "TargetQueue is the queue's mediation DN."},
			{"agent", "TargetAgent", "TargetAgent is the agent's regular DN."},
			{"call", "TargetCall", "TargetCall is every instance of the action in progress for the interaction (updates)."},
		}}
}

func phases() sourceEnum {
	return sourceEnum{Type: "Phase", Doc: "Phase is the phase of an emitted durable action.", Group: "Phases.",
		Consts: []sourceConst{
			{"", "PhaseNone", "PhaseNone is an instantaneous action's."},
			{"start", "PhaseStart", "PhaseStart starts a durable action."},
			{"end", "PhaseEnd", "PhaseEnd ends it."},
			{"update", "PhaseUpdate", "PhaseUpdate changes the data of an instance in progress."},
		}}
}

func durationKinds() sourceEnum {
	return sourceEnum{Type: "DurationKind", Doc: "DurationKind says where a retrospective action's duration comes from.", Group: "Duration kinds.",
		Consts: []sourceConst{
			{"", "DurationNone", "DurationNone: the action has no duration."},
			{"", "DurationField", "DurationField: a seconds or milliseconds field."},
			{"", "DurationBetween", "DurationBetween: the time from the From epoch field to the To epoch field."},
			{"", "DurationSince", "DurationSince: the time from the From epoch field to the event's time."},
		}}
}

func dataKinds() sourceEnum {
	return sourceEnum{Type: "DataKind", Doc: "DataKind is the kind of an attached-data item.", Group: "Data kinds.",
		Consts: []sourceConst{
			{"", "DataNone", "DataNone is no item (an Op without a reason)."},
			{"", "DataField", "DataField is the pair Key = the value of Field (left out when absent or empty)."},
			{"", "DataValue", "DataValue is the pair Key = Value."},
			{"", "DataPairs", "DataPairs is every NAME=value occurrence of the repeated Field."},
			{"", "DataPrefix", "DataPrefix is NAME = the value of every field named Value+NAME."},
			{"", "DataAssign", "DataAssign is the NAME=value pair held by Field."},
			{"", "DataKeyField", "DataKeyField is the pair (value of KeyField) = (value of Field)."},
		}}
}

func condKinds() sourceEnum {
	return sourceEnum{Type: "CondKind", Doc: "CondKind is the kind of a rule condition.", Group: "Condition kinds.", From: 1,
		Consts: []sourceConst{
			{"", "CondIs", "CondIs: the field is present with one of Values."},
			{"", "CondNot", "CondNot: the field is absent or has none of Values."},
			{"", "CondPresent", "CondPresent: the field is present and not empty."},
			{"", "CondAbsent", "CondAbsent: the field is absent or empty."},
		}}
}

func opKinds() sourceEnum {
	return sourceEnum{Type: "OpKind", Doc: "OpKind is an agent presence operation.", Group: "Presence operations.", From: 1, Recv: "k",
		Consts: []sourceConst{
			{"login", "OpLogin", "OpLogin starts the agent's session."},
			{"logout", "OpLogout", "OpLogout ends it."},
			{"join", "OpJoin", "OpJoin makes the agent a member of the record's queue (nothing when already one)."},
			{"leave", "OpLeave", "OpLeave ends its membership of the record's queue."},
			{"pause", "OpPause", "OpPause pauses the agent in the record's queue, or with All agent-wide in Slot."},
			{"unpause", "OpUnpause", "OpUnpause lifts such a pause."},
			{"clearCalls", "OpClearCalls", "OpClearCalls ends every call action in progress (the platform restarted)."},
			{"clearSessions", "OpClearSessions", "OpClearSessions ends every agent session (not the queue memberships)."},
		}}
}

// emitSourceTypes writes generated/source/types.go: the types of the mapping tables, the
// same for every spec (the tables themselves are in one file per format).
func emitSourceTypes() *jen.File {
	f := newSourceFile()
	for _, line := range strings.Split("Package source holds the event mappings of the contact-center platforms statkit reads\n"+
		"directly: one Format per file of spec/sources. A Format says how a record of the\n"+
		"platform's wire format (a queue_log line, an AMI event, an ESL event) is named, timed and\n"+
		"tied to a queue, an agent and an interaction, and which actions and agent presence\n"+
		"changes each of its events makes. Package runtime/source applies the tables;\n"+
		"docs/sources/<format>.md renders them. The tables are read-only.", "\n") {
		f.PackageComment(line)
	}
	emitSourceEnum(f, fieldTypes())
	emitFieldStruct(f)
	emitObjectStruct(f)
	emitPresenceStruct(f)
	emitSourceEnum(f, targets())
	emitSourceEnum(f, phases())
	emitSourceEnum(f, durationKinds())
	emitDurationStruct(f)
	emitSourceEnum(f, dataKinds())
	emitDataStruct(f)
	emitSourceEnum(f, condKinds())
	emitCondStruct(f)
	emitSourceEnum(f, opKinds())
	emitOpStruct(f)
	emitEmitStruct(f)
	emitEventStruct(f)
	emitFormatStruct(f)
	emitFormatEvent(f)
	emitFormatField(f)
	return f
}

// emitSourceEnum writes an enum, and with a receiver its spec names and String:
//
//	// Doc
//	type T uint8
//
//	// Group
//	const (
//		// A doc
//		A T = iota [+ 1]
//		// B doc
//		B
//	)
//
//	var _T_text = [...]string{["",] "a", "b"}
//
//	// String returns the spec name of r.
//	func (r T) String() string
func emitSourceEnum(f *jen.File, e sourceEnum) {
	comment(f, e.Doc)
	f.Type().Id(e.Type).Uint8()
	comment(f, e.Group)
	f.Const().DefsFunc(func(g *jen.Group) {
		for i, c := range e.Consts {
			comment(g, c.Doc)
			switch {
			case i > 0:
				g.Id(c.Name)
			case e.From == 0:
				g.Id(c.Name).Id(e.Type).Op("=").Iota()
			default:
				g.Id(c.Name).Id(e.Type).Op("=").Iota().Op("+").Lit(e.From)
			}
		}
	})
	if e.Recv != "" {
		emitSourceEnumString(f, e)
	}
}

// emitSourceEnumString writes the spec names of an enum and its String method:
//
//	func (r T) String() string {
//		if int(r) < len(_T_text) [&& r > 0] { return _T_text[r] }
//		return "T(" + strconv.Itoa(int(r)) + ")"
//	}
func emitSourceEnumString(f *jen.File, e sourceEnum) {
	texts := make([]jen.Code, 0, e.From+len(e.Consts))
	for range e.From {
		texts = append(texts, jen.Lit(""))
	}
	for _, c := range e.Consts {
		texts = append(texts, jen.Lit(c.Spec))
	}
	table, r := textTable(e.Type), e.Recv
	f.Var().Id(table).Op("=").Index(jen.Op("...")).String().Values(texts...)
	inRange := jen.Int().Call(id(r)).Op("<").Len(id(table))
	if e.From > 0 {
		inRange.Op("&&").Id(r).Op(">").Lit(0)
	}
	comment(f, "String returns the spec name of "+r+".")
	f.Func().Params(id(r).Id(e.Type)).Id("String").Params().String().Block(
		jen.If(inRange).Block(jen.Return(id(table).Index(id(r)))),
		jen.Return(jen.Lit(e.Type+"(").Op("+").Qual("strconv", "Itoa").Call(jen.Int().Call(id(r))).Op("+").Lit(")")),
	)
}

// type Field struct { Name string; Type FieldType; Optional, Repeated bool }
func emitFieldStruct(f *jen.File) {
	comment(f, "Field is a declared field of a record.")
	f.Type().Id("Field").StructFunc(func(g *jen.Group) {
		g.Id("Name").String()
		g.Id("Type").Id("FieldType")
		comment(g, "Optional fields may be missing (older layouts, optional headers); a record without a\n"+
			"field that is not optional is refused.")
		g.Id("Optional").Bool()
		comment(g, "Repeated fields may occur several times.")
		g.Id("Repeated").Bool()
	})
}

// type Object struct { Field string; None, TrimPrefix []string }
func emitObjectStruct(f *jen.File) {
	comment(f, "Object says which field names an object (a queue, an agent) and how its value is read.")
	f.Type().Id("Object").StructFunc(func(g *jen.Group) {
		g.Id("Field").String()
		comment(g, "None lists the values that mean no object.")
		g.Id("None").Index().String()
		comment(g, "TrimPrefix lists prefixes removed from the value (the first that matches).")
		g.Id("TrimPrefix").Index().String()
	})
}

// type Presence struct { Login, LoginMoment, …, NotReady action.ID; ReasonKey string }
func emitPresenceStruct(f *jen.File) {
	comment(f, "Presence holds the actions agent presence is reported with; action.None when a format\n"+
		"does not report one. Login, QueueLogin, QueueReady, Ready and NotReady are durable;\n"+
		"LoginMoment is momentary; Logout is retrospective. Queue actions are on the queue's\n"+
		"mediation DN, the others on the agent's regular DN, all naming the agent.")
	f.Type().Id("Presence").StructFunc(func(g *jen.Group) {
		g.List(id("Login"), id("LoginMoment"), id("Logout"), id("QueueLogin"), id("QueueReady"), id("Ready"), id("NotReady")).
			Qual(actionPkg, "ID")
		comment(g, "ReasonKey is the data key that carries the pause reason on NotReady.")
		g.Id("ReasonKey").String()
	})
}

// type Duration struct { Kind DurationKind; Field, From, To string }
func emitDurationStruct(f *jen.File) {
	comment(f, "Duration is where a retrospective action's duration comes from.")
	f.Type().Id("Duration").Struct(
		id("Kind").Id("DurationKind"),
		jen.List(id("Field"), id("From"), id("To")).String(),
	)
}

// type Data struct { Kind DataKind; Key, Field, KeyField, Value string }
func emitDataStruct(f *jen.File) {
	comment(f, "Data is one attached-data item of an emitted action. Pairs whose name comes from the\n"+
		"platform (DataPairs, DataPrefix, DataAssign, DataKeyField) are kept only for the\n"+
		"variable names a source is configured to attach.")
	f.Type().Id("Data").Struct(
		id("Kind").Id("DataKind"),
		jen.List(id("Key"), id("Field"), id("KeyField"), id("Value")).String(),
	)
}

// type Cond struct { Field string; Kind CondKind; Values []string }
func emitCondStruct(f *jen.File) {
	comment(f, "Cond is one condition of a rule; a rule applies when all its conditions hold.")
	f.Type().Id("Cond").Struct(
		id("Field").String(),
		id("Kind").Id("CondKind"),
		id("Values").Index().String(),
	)
}

// type Op struct { Kind OpKind; All bool; Slot string; Reason Data; Report action.ID; When []Cond }
func emitOpStruct(f *jen.File) {
	comment(f, "Op is one agent presence operation of an event.")
	f.Type().Id("Op").StructFunc(func(g *jen.Group) {
		g.Id("Kind").Id("OpKind")
		comment(g, "All: the pause or unpause is agent-wide, in Slot (independent slots stack).")
		g.Id("All").Bool()
		g.Id("Slot").String()
		comment(g, "Reason is a pause's reason (DataField or DataValue; DataNone for none).")
		g.Id("Reason").Id("Data")
		comment(g, "Report is the retrospective action OpClearCalls reports on the mediation DN of every\n"+
			"call action it ends there; action.None for none.")
		g.Id("Report").Qual(actionPkg, "ID")
		g.Id("When").Index().Id("Cond")
	})
}

// type Emit struct { Action action.ID; Variant bool; On Target; Phase Phase; …; When []Cond }
func emitEmitStruct(f *jen.File) {
	comment(f, "Emit is one action an event emits.")
	f.Type().Id("Emit").StructFunc(func(g *jen.Group) {
		g.Id("Action").Qual(actionPkg, "ID")
		comment(g, "Variant: the mapping names the row's variant. Otherwise the row is chosen again for\n"+
			"the DN's type, as for an event without a variant.")
		g.Id("Variant").Bool()
		g.Id("On").Id("Target")
		g.Id("Phase").Id("Phase")
		g.Id("Duration").Id("Duration")
		g.Id("NameAgent").Bool()
		g.Id("Data").Index().Id("Data")
		g.Id("When").Index().Id("Cond")
	})
}

// type Event struct { Name, Interaction string; Fields []Field; Emits []Emit; Ops []Op }
func emitEventStruct(f *jen.File) {
	comment(f, "Event is one source event and what it becomes.")
	f.Type().Id("Event").StructFunc(func(g *jen.Group) {
		g.Id("Name").String()
		comment(g, "Interaction is the field naming the interaction when not the format's.")
		g.Id("Interaction").String()
		comment(g, "Fields are the event's own fields; a positional format lists them in order.")
		g.Id("Fields").Index().Id("Field")
		g.Id("Emits").Index().Id("Emit")
		g.Id("Ops").Index().Id("Op")
	})
}

// type Format struct { Name, Title, Wire string; …; Presence Presence; Events []Event }
func emitFormatStruct(f *jen.File) {
	comment(f, "Format is one input format's mapping.")
	f.Type().Id("Format").StructFunc(func(g *jen.Group) {
		g.List(id("Name"), id("Title")).String()
		comment(g, "Wire names the reader package under runtime/source.")
		g.Id("Wire").String()
		comment(g, "NameFields name the event; the first present wins.")
		g.Id("NameFields").Index().String()
		comment(g, "TimeField holds the event's time; with TimeReceived, a record without it takes the\n"+
			"time the reader received it.")
		g.Id("TimeField").String()
		g.Id("TimeReceived").Bool()
		g.Id("Interaction").String()
		g.Id("Media").String()
		comment(g, "Positional: an event's own fields follow the record's fields by position (data1,\n"+
			"data2, …), not by name.")
		g.Id("Positional").Bool()
		comment(g, "Fields are the fields every record has.")
		g.Id("Fields").Index().Id("Field")
		g.List(id("Queue"), id("Agent")).Id("Object")
		g.Id("Presence").Id("Presence")
		comment(g, "Events are sorted by name.")
		g.Id("Events").Index().Id("Event")
	})
}

// emitFormatEvent writes the binary search over the sorted events:
//
//	func (f *Format) Event(name string) (*Event, bool) {
//		i := sort.Search(len(f.Events), func(i int) bool { return f.Events[i].Name >= name })
//		if i < len(f.Events) && f.Events[i].Name == name { return &f.Events[i], true }
//		return nil, false
//	}
func emitFormatEvent(f *jen.File) {
	events := func() *jen.Statement { return id("f").Dot("Events") }
	comment(f, "Event returns the event named name.")
	f.Func().Params(id("f").Op("*").Id("Format")).Id("Event").Params(id("name").String()).Params(jen.Op("*").Id("Event"), jen.Bool()).Block(
		id("i").Op(":=").Qual("sort", "Search").Call(jen.Len(events()), jen.Func().Params(id("i").Int()).Bool().Block(
			jen.Return(events().Index(id("i")).Dot("Name").Op(">=").Id("name")),
		)),
		jen.If(id("i").Op("<").Len(events()).Op("&&").Add(events()).Index(id("i")).Dot("Name").Op("==").Id("name")).Block(
			jen.Return(jen.Op("&").Add(events()).Index(id("i")), jen.True()),
		),
		jen.Return(jen.Nil(), jen.False()),
	)
}

// emitFormatField writes the lookup of a field declaration, the event's own first:
//
//	func (f *Format) Field(ev *Event, name string) (Field, bool) {
//		if ev != nil { for _, x := range ev.Fields { if x.Name == name { return x, true } } }
//		for _, x := range f.Fields { if x.Name == name { return x, true } }
//		return Field{}, false
//	}
func emitFormatField(f *jen.File) {
	find := func(fields *jen.Statement) jen.Code {
		return jen.For(jen.List(id("_"), id("x")).Op(":=").Range().Add(fields)).Block(
			jen.If(id("x").Dot("Name").Op("==").Id("name")).Block(jen.Return(id("x"), jen.True())),
		)
	}
	comment(f, "Field returns the declaration of field name for event ev (its own fields, then the\n"+
		"record's); ev may be nil.")
	f.Func().Params(id("f").Op("*").Id("Format")).Id("Field").Params(id("ev").Op("*").Id("Event"), id("name").String()).
		Params(id("Field"), jen.Bool()).Block(
		jen.If(id("ev").Op("!=").Nil()).Block(find(id("ev").Dot("Fields"))),
		find(id("f").Dot("Fields")),
		jen.Return(id("Field").Values(), jen.False()),
	)
}
