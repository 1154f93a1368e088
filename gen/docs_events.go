package gen

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/statkit/statkit/spec"
)

// eventRejection is a decoder rejection code and when a line gets it.
type eventRejection struct{ code, when string }

// eventRejections are the codes with which runtime/event's decoder rejects a line, in its
// order (event.RejectionCodes; a test keeps the two lists equal).
func eventRejections() []eventRejection {
	return []eventRejection{
		{"line_too_long", "The line is longer than the limit (1 MiB by default)."},
		{"bad_json", "The line is not one well-formed JSON object (syntax, invalid UTF-8, trailing data)."},
		{"unknown_field", "A key the format does not have, at the top level or in source (typo protection)."},
		{"duplicate_field", "A key given twice in one object (top level, source or data)."},
		{"bad_type", "A field with a JSON type it cannot have, such as a number for an id."},
		{"missing_field", "time, action, source, source.class or source.id is absent, null or \"\"."},
		{"bad_time", "time is not an RFC 3339 date-time, or is outside years 0000–9999 in UTC."},
		{"bad_source_class", "source.class is not a source class."},
		{"unknown_object", "The source object is not in the topology."},
		{"unknown_action", "The action name is in no row of the action table."},
		{"not_applicable", "The action never occurs on the source's class or DN type."},
		{"unknown_variant", "The action has no row with that variant on the source."},
		{"ambiguous_action", "Several rows of the action fit the source: name a variant."},
		{"bad_phase", "phase is not a phase, is missing on a durable action, or is given on another."},
		{"bad_duration", "duration is not a number, is negative or too large, is missing on a retrospective action, or is given on another."},
		{"bad_data", "data is not an object of string, number and boolean values."},
	}
}

// EventRejectionCodes returns the decoder rejection codes docs/events.md documents, in
// order.
func EventRejectionCodes() []string {
	var out []string
	for _, r := range eventRejections() {
		out = append(out, r.code)
	}
	return out
}

// exampleEvent is one line of the events.md example, used when the spec has its action
// on its class with its kind.
type exampleEvent struct {
	action, class, kind string
	line                string
}

// exampleEvents tell one call's story: it enters a queue, waits, is distributed, rings
// at an agent's DN and is talked and ended; another caller abandons.
func exampleEvents() []exampleEvent {
	return []exampleEvent{
		{"CallEntered", "mediation_dn", "momentary", `{"time":"2026-11-26T09:00:00.000Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-42","media":"voice","data":{"Segment":"Gold","Priority":5}}`},
		{"CallWait", "mediation_dn", "durable", `{"time":"2026-11-26T09:00:00.000Z","action":"CallWait","phase":"start","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-42","media":"voice","data":{"Segment":"Gold","Priority":5}}`},
		{"CallWait", "mediation_dn", "durable", `{"time":"2026-11-26T09:00:12.400Z","action":"CallWait","phase":"end","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-42"}`},
		{"CallDistributed", "mediation_dn", "retrospective", `{"time":"2026-11-26T09:00:12.400Z","action":"CallDistributed","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-42","media":"voice","duration":12.4}`},
		{"CallInbound", "regular_dn", "durable", `{"time":"2026-11-26T09:00:15.000Z","action":"CallInbound","phase":"start","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice","agent":"1001","data":{"Segment":"Gold","Priority":5}}`},
		{"CallInbound", "regular_dn", "durable", `{"time":"2026-11-26T09:02:00.000Z","action":"CallInbound","phase":"update","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","agent":"1001","data":{"Segment":"Platinum","Priority":5}}`},
		{"CallInbound", "regular_dn", "durable", `{"time":"2026-11-26T09:04:30.000Z","action":"CallInbound","phase":"end","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","agent":"1001"}`},
		{"CallAbandoned", "mediation_dn", "retrospective", `{"time":"2026-11-26T09:05:00.000Z","action":"CallAbandoned","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-43","media":"voice","duration":31}`},
	}
}

// exampleLines returns the example lines whose action the model has on the class, with
// the kind the line is written for.
func exampleLines(m *Model) []string {
	var out []string
	for _, e := range exampleEvents() {
		for _, a := range m.Actions {
			if a.Name == e.action && a.Kind == e.kind && hasClass(a, e.class) {
				out = append(out, e.line)
				break
			}
		}
	}
	return out
}

// EventsDoc renders docs/events.md, the reference of the NDJSON event format: an example,
// the fields (their descriptions are those of spec/schema/event.base.schema.json), the
// source classes and phases of the spec, what each kind of action asks of an event, the
// units, and the rejection codes.
func EventsDoc(m *Model) ([]byte, error) {
	base, err := schemaBase(spec.EventBaseSchema)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(mdHeader)
	b.WriteString("# Event format\n\n")
	desc, _ := base.get("description").(string)
	b.WriteString(desc + "\n\n")
	b.WriteString("The stream is NDJSON: UTF-8 text, one JSON object per line, each line ended by a newline; blank lines " +
		"are skipped. `POST /v1/events` and `statkit replay --events` read it, `statkit simulate` writes it. " +
		"Each line is accepted or rejected on its own, with its line number, a reason and a code, and a rejected " +
		"line never stops the stream. [event.schema.json](event.schema.json) is its JSON Schema, generated like " +
		"this page from the spec, with every action name, variant and source class as an enum that editors " +
		"complete; the action names and what each means are in [actions.md](actions.md).\n\n")
	b.WriteString("- [Example](#example)\n- [Fields](#fields)\n- [Source classes](#source-classes)\n" +
		"- [Kinds and phases](#kinds-and-phases)\n- [Units](#units)\n- [Rejections](#rejections)\n\n")

	b.WriteString("## Example\n\n")
	if lines := exampleLines(m); len(lines) > 0 {
		b.WriteString("A call enters queue `Support@SW1`, waits 12.4 s, is distributed to agent 1001 at DN 7001, " +
			"whose customer segment changes during the call; another caller abandons after 31 s:\n\n```json\n")
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		b.WriteString("```\n\n")
	}

	b.WriteString("## Fields\n\n| Field | Type | Required | Meaning |\n|---|---|---|---|\n")
	props, _ := base.get("properties").(*jsonObject)
	if props == nil {
		return nil, fmt.Errorf("%s: no properties", eventBasePath)
	}
	required := map[string]bool{}
	for _, r := range stringList(base.get("required")) {
		required[r] = true
	}
	for _, k := range props.keys {
		p, _ := props.get(k).(*jsonObject)
		if p == nil {
			return nil, fmt.Errorf("%s: property %s is not an object", eventBasePath, k)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", k, fieldType(p), requiredText(k, required[k]), mdCell(fieldDesc(p)))
		if sub, _ := p.get("properties").(*jsonObject); sub != nil {
			subReq := map[string]bool{}
			for _, r := range stringList(p.get("required")) {
				subReq[r] = true
			}
			for _, sk := range sub.keys {
				sp, _ := sub.get(sk).(*jsonObject)
				if sp == nil {
					return nil, fmt.Errorf("%s: property %s.%s is not an object", eventBasePath, k, sk)
				}
				d := fieldDesc(sp)
				if sk == "class" {
					d = "The source class: see [Source classes](#source-classes)."
				}
				fmt.Fprintf(&b, "| `%s.%s` | %s | %s | %s |\n", k, sk, fieldType(sp), requiredText(sk, subReq[sk]), mdCell(d))
			}
		}
	}
	b.WriteString("\n")

	b.WriteString("## Source classes\n\n`source.class` says where an action comes from; it decides which actions may occur on the " +
		"source and which statistic objects they reach. A variant that names the class (the seed's row qualifier) is " +
		"accepted for any action on it.\n\n| Class | Title | Variants naming it | Reaches | Actions |\n|---|---|---|---|---|\n")
	for _, c := range m.Classes {
		n := 0
		for _, a := range m.Actions {
			if contains(a.Sources, c) {
				n++
			}
		}
		variants := "—"
		if len(c.Variants) > 0 {
			variants = strings.Join(c.Variants, ", ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %d |\n", c.Name, c.Title, variants, typeNamesOf(c.Reaches), n)
	}
	b.WriteString("\n")

	b.WriteString("## Kinds and phases\n\nAn action's kind (in [actions.md](actions.md)) says which of `phase` and `duration` " +
		"an event of it carries:\n\n| Kind | phase | duration | Actions |\n|---|---|---|---|\n")
	kinds := map[string]int{}
	for _, a := range m.Actions {
		kinds[a.Kind]++
	}
	kindText := map[string][2]string{
		"durable":       {"required: `start`, `update` or `end`", "refused"},
		"momentary":     {"refused", "refused"},
		"retrospective": {"refused", "required, seconds"},
	}
	for _, k := range kindNames() {
		fmt.Fprintf(&b, "| %s | %s | %s | %d |\n", k, kindText[k][0], kindText[k][1], kinds[k])
	}
	b.WriteString("\nThe phases of a durable action:\n\n| Phase | Meaning |\n|---|---|\n")
	for _, p := range phaseValues() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", p.value, mdCell(p.desc))
	}
	b.WriteString("\nA durable action's instance is keyed by its source, its action and its `interaction` (and, outside " +
		"an interaction, by the agent on a source that agents share), so its `update` and `end` carry the same ones " +
		"as its `start`.\n\n")

	b.WriteString("## Units\n\n" +
		"| What | On the wire | In Go (`runtime/event`) |\n|---|---|---|\n" +
		"| `time` | RFC 3339 text, any offset | `event.Time`: milliseconds since 1970-01-01T00:00:00Z (UTC); digits below the millisecond are truncated |\n" +
		"| `duration` | seconds, a JSON number (12.4) | `Event.Duration`: milliseconds, an `int64` (12400); below the millisecond truncated |\n" +
		"| `data` values | strings, numbers, booleans | `event.Data`: strings in the order given; a number keeps its literal text (`5`, `1.50`), a boolean is `true`/`false` |\n\n" +
		"Statistic values computed from these are in seconds for times (see [categories.md](categories.md)).\n\n")

	b.WriteString("## Rejections\n\nThe decoder checks each line alone, in this order, and gives the first problem's code " +
		"with a reason that quotes at most 64 bytes of the input:\n\n| Code | When |\n|---|---|\n")
	for _, r := range eventRejections() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", r.code, mdCell(r.when))
	}
	b.WriteString("\nWhat needs earlier events — an `end` without its `start`, a second `start` of one instance — is " +
		"checked when the event is applied, with the engine's own codes (`go doc github.com/statkit/statkit/runtime/engine Code`).\n")
	return b.Bytes(), nil
}

// fieldType renders a field's JSON type for the table: its type(s), what its $ref names,
// or the alternatives of anyOf; null is left out (it always means "absent").
func fieldType(p *jsonObject) string {
	var alts []string
	add := func(s string) {
		if s != "" && s != "null" && !contains(alts, s) {
			alts = append(alts, s)
		}
	}
	var walk func(p *jsonObject)
	walk = func(p *jsonObject) {
		if ref, _ := p.get("$ref").(string); ref != "" {
			add(map[string]string{
				"#/$defs/action": "action name", "#/$defs/variant": "variant", "#/$defs/phase": "`start`, `update` or `end`",
				"#/$defs/sourceClass": "source class",
			}[ref])
		}
		for _, t := range stringList(p.get("type")) {
			add(t)
		}
		if en, ok := p.get("enum").([]any); ok {
			for _, v := range en {
				if s, _ := v.(string); s != "" {
					add("`" + s + "`")
				}
			}
		}
		if alts, ok := p.get("anyOf").([]any); ok {
			for _, a := range alts {
				if o, _ := a.(*jsonObject); o != nil {
					walk(o)
				}
			}
		}
	}
	walk(p)
	text := strings.Join(alts, " or ")
	if hasMinimum(p) {
		text += " ≥ 0"
	}
	return text
}

// hasMinimum reports whether p, or an alternative of its anyOf, has a minimum.
func hasMinimum(p *jsonObject) bool {
	if p.get("minimum") != nil {
		return true
	}
	alts, _ := p.get("anyOf").([]any)
	for _, a := range alts {
		if o, _ := a.(*jsonObject); o != nil && hasMinimum(o) {
			return true
		}
	}
	return false
}

// fieldDesc is a field's description; a field without one is described by its $ref's
// placeholder.
func fieldDesc(p *jsonObject) string {
	d, _ := p.get("description").(string)
	return d
}

func requiredText(field string, required bool) string {
	switch {
	case required:
		return "yes"
	case field == "phase":
		return "durable actions"
	case field == "duration":
		return "retrospective actions"
	}
	return "no"
}

// stringList reads a JSON string or list of strings.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
