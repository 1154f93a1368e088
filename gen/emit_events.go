package gen

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/statkit/statkit/spec"
)

// eventOutputs renders docs/events.md and docs/event.schema.json.
func eventOutputs(m *Model) ([]Output, error) {
	doc, err := EventsDoc(m)
	if err != nil {
		return nil, fmt.Errorf("docs/events.md: %w", err)
	}
	schema, err := EventSchema(m)
	if err != nil {
		return nil, fmt.Errorf("docs/event.schema.json: %w", err)
	}
	return []Output{{"docs/events.md", doc}, {"docs/event.schema.json", schema}}, nil
}

// eventBasePath names the event schema's base in errors.
const eventBasePath = "spec/" + spec.EventBaseSchema

// phaseValues are the phases of a durable action, in the order of their use, with what
// each means on the wire (runtime/event decodes them).
func phaseValues() []described {
	return []described{
		{"start", "The durable action begins: an instance of it (source, action, interaction) is in progress from time on."},
		{"update", "The instance in progress changes its attached data (data) at time, without ending; filters follow the new data from then on."},
		{"end", "The instance in progress ends at time; its duration is the time since its start."},
	}
}

// EventSchema renders docs/event.schema.json, the JSON Schema (draft 2020-12) of one line
// of the NDJSON event stream: the handwritten base spec/schema/event.base.schema.json, in
// its order, with the header as first member, the spec's names as enums in its $defs
// (action names, variants, phases, source classes, with the text editors show for each)
// and, in $defs/actionRules, the rules that tie an action to the classes it occurs on and
// to the fields its kind needs:
//
//	{"if": {source.class is regular_dn}, "then": {action is one of the names on regular_dn}}
//	{"if": {source.class is regular_dn, action is one of its durable names}, "then": {phase required}}
//
// A name whose rows on one class differ in kind (chosen by variant or DN type) gets no
// kind rule there: the decoder checks it.
func EventSchema(m *Model) ([]byte, error) {
	return schemaFromBase(spec.EventBaseSchema, []schemaDef{
		{"action", actionNameDef(m, m.Actions)},
		{"variant", stringEnum(variantValues(m))},
		{"phase", phaseDef()},
		{"sourceClass", stringEnum(sourceClassValues(m))},
		{"actionRules", actionRulesDef(m)},
	})
}

// phaseDef is the phases as an enum in their order of use (not sorted: start, update, end
// reads as what happens).
func phaseDef() *jsonObject {
	o := &jsonObject{}
	o.set("type", "string")
	var vals, descs []string
	for _, p := range phaseValues() {
		vals = append(vals, p.value)
		descs = append(descs, p.desc)
	}
	o.set("enum", vals)
	o.set("enumDescriptions", descs)
	return o
}

// actionNameDef accepts the names of actions (one enum value per name, described by its
// rows) and the names that extend a family among them (a pattern).
func actionNameDef(m *Model, actions []*Action) *jsonObject {
	rows := map[string][]*Action{}
	var fams []string
	for _, a := range actions {
		rows[a.Name] = append(rows[a.Name], a)
		if a.Family {
			fams = append(fams, regexp.QuoteMeta(a.Name))
		}
	}
	var names []described
	for _, name := range sortedKeys(rows) {
		rs := rows[name]
		if len(rs) == 1 {
			names = append(names, described{name, eventActionDesc(m, rs[0])})
			continue
		}
		parts := []string{"Several rows:"}
		for _, a := range rs {
			label := a.Variant
			if label == "" {
				label = strings.Join(classNamesOf(a), ", ")
			}
			parts = append(parts, label+": "+eventActionDesc(m, a))
		}
		names = append(names, described{name, strings.Join(parts, " ")})
	}
	enum := stringEnum(names)
	if len(fams) == 0 {
		return enum
	}
	sort.Strings(fams)
	o := &jsonObject{}
	o.set("type", "string")
	o.set("anyOf", []any{enum, patternDef("A member of an action family: a name that extends the family's name.",
		"^(?:"+strings.Join(fams, "|")+").+$")})
	return o
}

// eventActionDesc is an action's summary, with what its kind asks of an event and where it
// occurs.
func eventActionDesc(m *Model, a *Action) string {
	need := map[string]string{
		"durable":       "Durable: phase start, update or end.",
		"momentary":     "Momentary: no phase, no duration.",
		"retrospective": "Retrospective: duration (seconds) required.",
	}[a.Kind]
	desc := fmt.Sprintf("%s %s Source classes: %s.", a.Summary, need, strings.Join(classNamesOf(a), ", "))
	if a.Local() {
		desc += " A local extension."
	}
	return desc
}

// variantValues lists the variants of action rows and the class names an event may give
// as a variant.
func variantValues(m *Model) []described {
	rows := map[string][]string{}
	for _, a := range m.Actions {
		if a.Variant != "" {
			rows[a.Variant] = append(rows[a.Variant], a.Name)
		}
	}
	classOf := map[string]string{}
	for _, c := range m.Classes {
		for _, v := range c.Variants {
			classOf[v] = c.Name
		}
	}
	var out []described
	seen := map[string]bool{}
	for _, v := range append(sortedKeys(rows), sortedKeys(classOf)...) {
		if seen[v] {
			continue
		}
		seen[v] = true
		var parts []string
		if len(rows[v]) > 0 {
			parts = append(parts, "The row of "+strings.Join(rows[v], ", ")+".")
		}
		if c := classOf[v]; c != "" {
			parts = append(parts, "Names source class "+c+": accepted on it for any action.")
		}
		out = append(out, described{v, strings.Join(parts, " ")})
	}
	return out
}

func sourceClassValues(m *Model) []described {
	var out []described
	for _, c := range m.Classes {
		out = append(out, described{c.Name, fmt.Sprintf("%s: %s Reaches %s.", c.Title, c.Summary, typeNamesOf(c.Reaches))})
	}
	return out
}

// actionRulesDef is {"allOf": [...]}: per source class, the actions that occur on it,
// then per class and kind, what the kind needs.
func actionRulesDef(m *Model) *jsonObject {
	var rules []any
	for _, c := range m.Classes {
		var on []*Action
		for _, a := range m.Actions {
			if contains(a.Sources, c) {
				on = append(on, a)
			}
		}
		if len(on) == 0 {
			continue
		}
		rules = append(rules, ifThen(classIs(c, nil), property("action", namesOnly(on))))
	}
	for _, c := range m.Classes {
		byKind := kindsOn(m, c)
		for _, k := range kindNames() {
			if len(byKind[k]) == 0 {
				continue
			}
			rules = append(rules, ifThen(classIs(c, namesOnly(byKind[k])), kindRule(k)))
		}
	}
	o := &jsonObject{}
	o.set("allOf", rules)
	return o
}

// kindsOn groups the actions on class c by kind, leaving out names whose rows on c have
// different kinds.
func kindsOn(m *Model, c *Class) map[string][]*Action {
	kinds := map[string]map[string]bool{}
	for _, a := range m.Actions {
		if contains(a.Sources, c) {
			if kinds[a.Name] == nil {
				kinds[a.Name] = map[string]bool{}
			}
			kinds[a.Name][a.Kind] = true
		}
	}
	out := map[string][]*Action{}
	for _, a := range m.Actions {
		if contains(a.Sources, c) && len(kinds[a.Name]) == 1 {
			out[a.Kind] = append(out[a.Kind], a)
		}
	}
	return out
}

// namesOnly is an action-name schema without descriptions (the rules repeat names that
// $defs/action describes).
func namesOnly(actions []*Action) *jsonObject {
	seen := map[string]bool{}
	var names []string
	var fams []string
	for _, a := range actions {
		if !seen[a.Name] {
			seen[a.Name] = true
			names = append(names, a.Name)
		}
		if a.Family {
			fams = append(fams, regexp.QuoteMeta(a.Name))
		}
	}
	sort.Strings(names)
	enum := &jsonObject{}
	enum.set("enum", names)
	if len(fams) == 0 {
		return enum
	}
	sort.Strings(fams)
	pat := &jsonObject{}
	pat.set("pattern", "^(?:"+strings.Join(fams, "|")+").+$")
	o := &jsonObject{}
	o.set("anyOf", []any{enum, pat})
	return o
}

// classIs is the condition "source.class is c" (and, with action, "action is one of
// those"); the keys it reads are required, so that a line without them matches no rule.
func classIs(c *Class, action *jsonObject) *jsonObject {
	class := &jsonObject{}
	class.set("const", c.Name)
	src := &jsonObject{}
	src.set("required", []string{"class"})
	src.set("properties", obj("class", class))
	cond := &jsonObject{}
	props := obj("source", src)
	required := []string{"source"}
	if action != nil {
		required = []string{"action", "source"}
		props.set("action", action)
	}
	cond.set("required", required)
	cond.set("properties", props)
	return cond
}

// kindRule is what an event of an action of kind k must (not) carry.
func kindRule(k string) *jsonObject {
	phase, duration := &jsonObject{}, &jsonObject{}
	phase.set("$ref", "#/$defs/phase")
	duration.set("type", "number")
	null := &jsonObject{}
	null.set("type", "null")
	o := &jsonObject{}
	switch k {
	case "durable":
		o.set("required", []string{"phase"})
		o.set("properties", obj("phase", phase, "duration", null))
	case "momentary":
		o.set("properties", obj("phase", null, "duration", null))
	case "retrospective":
		o.set("required", []string{"duration"})
		o.set("properties", obj("phase", null, "duration", duration))
	}
	return o
}

func ifThen(cond, then *jsonObject) *jsonObject {
	return obj("if", cond, "then", then)
}

func property(name string, schema *jsonObject) *jsonObject {
	return obj("properties", obj(name, schema))
}

// obj builds an object from key, value pairs, in order.
func obj(kv ...any) *jsonObject {
	o := &jsonObject{}
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}
