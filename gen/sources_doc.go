package gen

import (
	"bytes"
	"fmt"
	"strings"
)

// SourceDoc renders docs/sources/<format>.md: how the format's records are read, the agent
// presence model, an index of its events and a section per event with its fields, the
// actions it emits, its presence changes and the choices made.
func SourceDoc(m *Model, f *SourceFormat) []byte {
	var b bytes.Buffer
	b.WriteString(mdHeader)
	fmt.Fprintf(&b, "# %s (`%s`)\n\n%s\n\n", f.Title, f.Name, f.Summary)
	fmt.Fprintf(&b, "Generated from `%s`; the records are framed by `runtime/source/%s` and mapped by `runtime/source`. ", f.File, f.Wire)
	fmt.Fprintf(&b, "`statkit replay --input %s` reads a recorded file; `runtime/source/%s` also follows the live input, resuming where it stopped when the input allows it.", f.Name, f.Wire)
	if f.Reference != "" {
		fmt.Fprintf(&b, " Platform documentation: <%s>.", f.Reference)
	}
	b.WriteString("\n\n- [How records are read](#how-records-are-read)\n")
	if f.Presence.Login != nil {
		b.WriteString("- [Agent presence](#agent-presence)\n")
	}
	b.WriteString("- [Events](#events)\n- [Event reference](#event-reference)\n\n")
	sourceRecordSection(&b, f)
	if f.Presence.Login != nil {
		sourcePresenceSection(&b, f)
	}
	b.WriteString("## Events\n\n| Event | Actions | Presence |\n|---|---|---|\n")
	for _, ev := range f.Events {
		var acts []string
		for _, e := range ev.Emits {
			acts = append(acts, fmt.Sprintf("%s%s on %s", e.Action.Key(), phaseSuffix(e.Phase), targetWord(e.On)))
		}
		var ops []string
		for _, o := range ev.Ops {
			ops = append(ops, opShort(o))
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s |\n", ev.Name, sourceEventAnchor(ev), orDash(strings.Join(acts, ", ")), orDash(strings.Join(ops, ", ")))
	}
	b.WriteString("\n## Event reference\n\n")
	for _, ev := range f.Events {
		sourceEventSection(&b, f, ev)
	}
	return b.Bytes()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func sourceEventAnchor(ev *SourceEvent) string { return "event-" + slug(ev.Name) }

func phaseSuffix(p string) string {
	if p == "" {
		return ""
	}
	return " " + p
}

func targetWord(on string) string {
	switch on {
	case "queue":
		return "the queue"
	case "agent":
		return "the agent's DN"
	}
	return "the call"
}

func actionLink(a *Action) string {
	return fmt.Sprintf("[%s](../actions.md#%s)", a.Key(), a.Anchor())
}

func sourceRecordSection(b *bytes.Buffer, f *SourceFormat) {
	b.WriteString("## How records are read\n\n| | |\n|---|---|\n")
	fmt.Fprintf(b, "| Event name | %s |\n", fieldsWord(f.NameFields))
	t := fmt.Sprintf("field `%s`", f.TimeField)
	if f.TimeReceived {
		t += "; without it, the time the reader received the record"
	}
	fmt.Fprintf(b, "| Time | %s |\n", t)
	if f.Interaction != "" {
		fmt.Fprintf(b, "| Interaction | field `%s` (an event may name another) |\n", f.Interaction)
	}
	fmt.Fprintf(b, "| Queue | field `%s`: the id of the queue's mediation DN%s |\n", f.Queue.Field, objectRules(f.Queue))
	fmt.Fprintf(b, "| Agent | field `%s`: the id of the agent, and of its regular DN unless the source maps it to another%s |\n", f.Agent.Field, objectRules(f.Agent))
	if f.Media != "" {
		fmt.Fprintf(b, "| Media | `%s` on every action |\n", f.Media)
	}
	b.WriteString("\nFields of every record:\n\n")
	fieldTable(b, f.Fields, false, 0)
	if f.Positional {
		fmt.Fprintf(b, "An event's own fields follow these %d by position: data1, data2, and so on. A line with fewer data fields than an event declares is an older layout; its missing fields must be optional, and the rules that need them do not apply.\n\n", len(f.Fields))
	}
	b.WriteString("A record whose queue or agent is not in the topology is refused with its line and the reason: " +
		"statkit's topology is fixed when it starts, so declare every queue as a mediation DN and every agent with its regular DN. " +
		"A record that misses a field that is not optional, or whose field does not read as its type, is refused the same way. " +
		"A record of an event this page does not list is counted per event name and logged once; it is never an error. " +
		"Data items taken from platform variables (pairs, prefixed fields, assignments) keep only the variable names the source is configured to attach.\n\n")
}

func fieldsWord(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	if len(q) == 1 {
		return "field " + q[0]
	}
	return "the first present of fields " + strings.Join(q, ", ")
}

func objectRules(o SourceObject) string {
	var parts []string
	var none []string
	for _, n := range o.None {
		if n == "" {
			none = append(none, "empty")
		} else {
			none = append(none, "`"+n+"`")
		}
	}
	if len(none) > 0 {
		parts = append(parts, strings.Join(none, " or ")+" means none")
	}
	for _, p := range o.TrimPrefix {
		parts = append(parts, "a leading `"+p+"` is removed")
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

func fieldTable(b *bytes.Buffer, fields []*SourceField, positional bool, first int) {
	if positional {
		b.WriteString("| # | Field | Type | Summary |\n|---|---|---|---|\n")
	} else {
		b.WriteString("| Field | Type | Summary |\n|---|---|---|\n")
	}
	for i, x := range fields {
		typ := x.Type
		var notes []string
		if x.Optional {
			notes = append(notes, "optional")
		}
		if x.Repeated {
			notes = append(notes, "repeated")
		}
		if x.Since != "" {
			notes = append(notes, "since "+x.Since)
		}
		if len(notes) > 0 {
			typ += " (" + strings.Join(notes, ", ") + ")"
		}
		if positional {
			fmt.Fprintf(b, "| data%d | `%s` | %s | %s |\n", first+i, x.Name, typ, mdCell(x.Summary))
		} else {
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", x.Name, typ, mdCell(x.Summary))
		}
	}
	b.WriteString("\n")
}

func sourcePresenceSection(b *bytes.Buffer, f *SourceFormat) {
	p := f.Presence
	b.WriteString("## Agent presence\n\n")
	b.WriteString("Agent presence is state the mapper keeps per agent: a *session* (an explicit login), the queues the agent is a " +
		"*member* of, each paused or not with a reason, and agent-wide *pauses* in named slots. Events change it with the operations " +
		"listed in their sections; after each record the mapper compares the actions the new state calls for with those in " +
		"progress and reports the differences, ends before starts, so an operation that changes nothing reports nothing. " +
		"The state is part of the mapper's snapshot: it survives a restart with the statistics.\n\n")
	b.WriteString("| While | Action |\n|---|---|\n")
	row := func(a *Action, while string) {
		if a != nil {
			fmt.Fprintf(b, "| %s | %s (%s) |\n", while, actionLink(a), a.Kind)
		}
	}
	row(p.Login, "the agent is logged in: it has a session or is a member of a queue (on its DN, naming it)")
	row(p.LoginMoment, "the login starts (on its DN)")
	row(p.Logout, "the login ends, with its duration (on its DN)")
	row(p.QueueLogin, "the agent is a member of the queue (on the queue, naming it; one per queue)")
	row(p.QueueReady, "the agent is a member of the queue, not paused there and not paused agent-wide (on the queue)")
	row(p.Ready, "the agent is logged in and not paused everywhere (on its DN)")
	reason := ""
	if p.ReasonKey != "" {
		reason = fmt.Sprintf(", the latest pause's reason as data `%s`", p.ReasonKey)
	}
	row(p.NotReady, "the agent is logged in and paused everywhere: in an agent-wide slot, or in every queue it is a member of (on its DN"+reason+")")
	b.WriteString("\nOperations: *login* and *logout* start and end the session; *join* makes the agent a member of the record's queue " +
		"(nothing when it already is), *leave* ends that membership; *pause* and *unpause* act on the record's queue (on every queue " +
		"when the record has none), or with scope all on every queue and on the named agent-wide slot; a queue unpause also lifts " +
		"the agent-wide pause of its slot. A pause with an empty reason keeps the current one. *clearCalls* ends every call action " +
		"in progress, *clearSessions* every session.\n\n")
}

func sourceEventSection(b *bytes.Buffer, f *SourceFormat, ev *SourceEvent) {
	fmt.Fprintf(b, "### <a id=\"%s\"></a>%s\n\n%s\n\n", sourceEventAnchor(ev), ev.Name, ev.Summary)
	if len(ev.Fields) > 0 {
		fieldTable(b, ev.Fields, f.Positional, 1)
	}
	if ev.Interaction != "" {
		fmt.Fprintf(b, "The interaction is field `%s`.\n\n", ev.Interaction)
	}
	if len(ev.Emits) > 0 {
		b.WriteString("Actions, in order:\n\n")
		for i, e := range ev.Emits {
			fmt.Fprintf(b, "%d. %s\n", i+1, emitWords(f, e))
		}
		b.WriteString("\n")
	}
	if len(ev.Ops) > 0 {
		b.WriteString("Presence:\n\n")
		for _, o := range ev.Ops {
			fmt.Fprintf(b, "- %s\n", opWords(o))
		}
		b.WriteString("\n")
	}
	if len(ev.Emits) == 0 && len(ev.Ops) == 0 {
		b.WriteString("No action.\n\n")
	}
	if ev.Note != "" {
		fmt.Fprintf(b, "%s\n\n", ev.Note)
	}
}

func emitWords(f *SourceFormat, e *SourceEmit) string {
	var b strings.Builder
	b.WriteString(actionLink(e.Action))
	if e.Phase != "" {
		b.WriteString(" " + e.Phase)
	}
	fmt.Fprintf(&b, " on %s", targetWord(e.On))
	if !e.Variant && len(e.Action.DNTypes) == 0 && e.Action.Variant != "" {
		b.WriteString(" (the row for the DN's type)")
	}
	if e.NameAgent && e.On != "agent" {
		b.WriteString(", naming the agent")
	}
	switch d := e.Duration; {
	case d.Field != "":
		fmt.Fprintf(&b, "; duration `%s`", d.Field)
	case d.Since != "":
		fmt.Fprintf(&b, "; duration from `%s` to the event's time", d.Since)
	case d.From != "":
		fmt.Fprintf(&b, "; duration from `%s` to `%s`", d.From, d.To)
	}
	if len(e.Data) > 0 {
		items := make([]string, len(e.Data))
		for i, d := range e.Data {
			items[i] = dataWords(d)
		}
		fmt.Fprintf(&b, "; data %s", strings.Join(items, ", "))
	}
	if len(e.When) > 0 {
		fmt.Fprintf(&b, "; when %s", condsWords(e.When))
	}
	return b.String()
}

func dataWords(d SourceData) string {
	switch {
	case d.KeyField != "":
		return fmt.Sprintf("(the value of `%s`) = `%s`", d.KeyField, d.Field)
	case d.Field != "":
		return fmt.Sprintf("%s = `%s`", d.Key, d.Field)
	case d.Pairs != "":
		return fmt.Sprintf("every NAME=value of `%s`", d.Pairs)
	case d.Prefix != "":
		return fmt.Sprintf("NAME = every field `%sNAME`", d.Prefix)
	case d.Assign != "":
		return fmt.Sprintf("the NAME=value of `%s`", d.Assign)
	}
	return fmt.Sprintf("%s = \"%s\"", d.Key, d.Value)
}

func condsWords(list []SourceCond) string {
	out := make([]string, len(list))
	for i, c := range list {
		switch {
		case len(c.Is) > 0:
			out[i] = fmt.Sprintf("`%s` is %s", c.Field, quoteList(c.Is))
		case len(c.Not) > 0:
			out[i] = fmt.Sprintf("`%s` is not %s", c.Field, quoteList(c.Not))
		case c.Present != nil && *c.Present:
			out[i] = fmt.Sprintf("`%s` is present", c.Field)
		default:
			out[i] = fmt.Sprintf("`%s` is absent", c.Field)
		}
	}
	return strings.Join(out, " and ")
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " or ")
}

func opShort(o *SourceOp) string {
	s := o.Op
	if o.All {
		s += " all"
	}
	return s
}

func opWords(o *SourceOp) string {
	var s string
	switch o.Op {
	case "login":
		s = "*login*: start the agent's session"
	case "logout":
		s = "*logout*: end the agent's session"
	case "join":
		s = "*join* the queue"
	case "leave":
		s = "*leave* the queue"
	case "pause", "unpause":
		s = "*" + o.Op + "* in the queue"
		if o.All {
			s = fmt.Sprintf("*%s* everywhere (slot `%s`)", o.Op, o.Slot)
		}
		if o.Reason != nil {
			if o.Reason.Field != "" {
				s += fmt.Sprintf(", reason `%s`", o.Reason.Field)
			} else {
				s += fmt.Sprintf(", reason \"%s\"", o.Reason.Value)
			}
		}
	case "clearCalls":
		s = "*clearCalls*: end every call action in progress"
		if o.Report != nil {
			s += fmt.Sprintf(", reporting %s on each mediation DN for the time it had lasted", actionLink(o.Report))
		}
	case "clearSessions":
		s = "*clearSessions*: end every agent session"
	}
	if len(o.When) > 0 {
		s += " when " + condsWords(o.When)
	}
	return s
}
