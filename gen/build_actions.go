package gen

import (
	"fmt"
	"strings"

	"github.com/statkit/statkit/internal/suggest"
)

type rawAction struct {
	Name        string   `yaml:"name"`
	Variant     string   `yaml:"variant"`
	SeedName    string   `yaml:"seedName"`
	Family      bool     `yaml:"family"`
	Sources     []string `yaml:"sources"`
	DNTypes     []string `yaml:"dnTypes"`
	Kind        string   `yaml:"kind"`
	Interaction bool     `yaml:"interaction"`
	Roles       []string `yaml:"roles"`
	Summary     string   `yaml:"summary"`
	Note        string   `yaml:"note"`
	Origin      string   `yaml:"origin"`
}

// roleRule says how many actions may carry a role; every role needs durable actions.
type roleRule struct {
	exactlyOne bool
	doc        string
}

// roleRules returns the runtime meanings an action can carry (see spec/actions.yaml roles).
func roleRules() map[string]roleRule {
	return map[string]roleRule{
		"login":         {true, "the agent login on a regular DN (LoggedIn)"},
		"loggedOut":     {true, "the status of an agent logged in nowhere"},
		"hold":          {true, "a call on hold, which hides its call-type action from status"},
		"callType":      {false, "an established call of some type, hidden while on hold"},
		"ready":         {false, "the agent is ready for the next call"},
		"notReady":      {false, "the agent is not ready"},
		"afterCallWork": {false, "the agent is in after-call work"},
	}
}

// actions resolves actions.yaml.
func (b *builder) actions(p *parsed) {
	seen := unique{}
	goNames := map[string]entry{}
	withRole := map[string][]*Action{}
	for _, e := range items(p, "actions") {
		var r rawAction
		if !b.decode(e, &r) {
			continue
		}
		label := actionLabel(e.node)
		if prev, dup := seen[r.Name+"\x00"+r.Variant]; dup {
			b.errorf(e, "name", label, "duplicate action (name, variant) (first defined at line %d)", prev.node.Line)
			continue
		}
		seen[r.Name+"\x00"+r.Variant] = e
		a := b.action(e, label, r)
		if a == nil {
			continue
		}
		if prev, dup := goNames[a.GoName()]; dup {
			b.errorf(e, "name", label, "Go name %s clashes with the action at line %d", a.GoName(), prev.node.Line)
			continue
		}
		goNames[a.GoName()] = e
		for _, role := range a.Roles {
			withRole[role] = append(withRole[role], a)
		}
		b.m.Actions = append(b.m.Actions, a)
	}
	b.checkRoles(p, withRole)
}

// action builds one action, reporting reference and consistency errors.
func (b *builder) action(e entry, label string, r rawAction) *Action {
	a := &Action{Name: r.Name, Variant: r.Variant, SeedName: r.SeedName, Family: r.Family,
		Kind: r.Kind, Interaction: r.Interaction, Roles: r.Roles, Summary: r.Summary, Note: r.Note, Origin: r.Origin}
	if a.Origin == "" {
		a.Origin = OriginSeed
	}
	ok := true
	for i, s := range r.Sources {
		c, known := b.classes[s]
		if !known {
			b.errorAtItem(e, "sources", i, label, "unknown source class %q (known: %s)", s, b.classNames())
			ok = false
			continue
		}
		a.Sources = append(a.Sources, c)
	}
	for i, s := range r.DNTypes {
		d, known := b.dnTypes[s]
		switch {
		case !known:
			b.errorAtItem(e, "dnTypes", i, label, "unknown DN type %q%s", s, suggest.Hint(s, sortedKeys(b.dnTypes)))
			ok = false
		case !contains(a.Sources, d.Class):
			b.errorAtItem(e, "dnTypes", i, label, "DN type %s belongs to source class %s, which the action does not have", s, d.Class.Name)
			ok = false
		default:
			a.DNTypes = append(a.DNTypes, d)
		}
	}
	if a.Family && a.Note == "" {
		b.errorf(e, "family", label, "a family needs a note documenting its members")
		ok = false
	}
	if a.SeedName == a.Name {
		b.errorf(e, "seedName", label, "seedName repeats the name; drop it")
		ok = false
	}
	if a.Local() && a.SeedName != "" {
		b.errorf(e, "seedName", label, "a local action (origin: local) is not in the seed, so it has no seed spelling; drop seedName")
		ok = false
	}
	for i, role := range a.Roles {
		if a.Kind != "durable" {
			b.errorAtItem(e, "roles", i, label, "role %s needs a durable action, this one is %s", role, a.Kind)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return a
}

// checkRoles enforces roleRules over the whole table.
func (b *builder) checkRoles(p *parsed, withRole map[string][]*Action) {
	at := entry{file: p.name, node: p.root}
	rules := roleRules()
	for _, role := range sortedKeys(rules) {
		rule := rules[role]
		n := len(withRole[role])
		switch {
		case rule.exactlyOne && n == 0:
			b.errorf(at, "actions", "", "no action has role %s (%s); exactly one must", role, rule.doc)
		case rule.exactlyOne && n > 1:
			b.errorf(at, "actions", "", "role %s is on %d actions (%s); exactly one may have it", role, n, keys(withRole[role]))
		}
	}
}

func keys(actions []*Action) string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = a.Key()
	}
	return strings.Join(out, ", ")
}

// namesOn lists the names of the actions that occur on class c.
func (b *builder) namesOn(c *Class) []string {
	var out []string
	for _, a := range b.m.Actions {
		if contains(a.Sources, c) {
			out = append(out, a.Name)
		}
	}
	return out
}

// actionOn finds the action named name that occurs on class c, preferring a row without
// DN types; nil when none does.
func (b *builder) actionOn(name string, c *Class) *Action {
	var found *Action
	for _, a := range b.m.Actions {
		if a.Name != name || !contains(a.Sources, c) {
			continue
		}
		if found == nil || (len(found.DNTypes) > 0 && len(a.DNTypes) == 0) {
			found = a
		}
	}
	return found
}

type rawTable struct {
	Name     string   `yaml:"name"`
	Class    string   `yaml:"class"`
	Objects  []string `yaml:"objects"`
	Summary  string   `yaml:"summary"`
	Statuses []string `yaml:"statuses"`
}

// statuses resolves statuses.yaml against the actions.
func (b *builder) statuses(p *parsed) {
	seen := unique{}
	for _, e := range items(p, "tables") {
		var r rawTable
		if !b.decode(e, &r) || !b.once(seen, e, "status table", r.Name) {
			continue
		}
		label := "status table " + r.Name
		t := &StatusTable{Name: r.Name, Summary: r.Summary, Class: b.classes[r.Class]}
		if t.Class == nil {
			b.errorf(e, "class", label, "unknown source class %q (known: %s)", r.Class, b.classNames())
			continue
		}
		t.Objects = b.resolveTypes(e, "objects", label, r.Objects)
		for _, o := range t.Objects {
			if !contains(t.Class.Reaches, o) {
				b.errorf(e, "objects", label, "object type %s is not reached by source class %s", o.Name, t.Class.Name)
			}
		}
		for i, s := range r.Statuses {
			a := b.actionOn(s, t.Class)
			switch {
			case a == nil:
				b.errorAtItem(e, "statuses", i, label, "unknown action %q on source class %s%s", s, t.Class.Name, suggest.Hint(s, b.namesOn(t.Class)))
			case a.Kind != "durable":
				b.errorAtItem(e, "statuses", i, label, "status %s is a %s action; a status must be durable", s, a.Kind)
			default:
				t.Statuses = append(t.Statuses, a)
			}
		}
		b.m.Tables = append(b.m.Tables, t)
	}
}

type rawCategory struct {
	Name       string `yaml:"name"`
	Kind       string `yaml:"kind"`
	Value      string `yaml:"value"`
	RelMask    bool   `yaml:"relMask"`
	TimeRange  bool   `yaml:"timeRange"`
	Formula    bool   `yaml:"formula"`
	Status     string `yaml:"status"`
	Definition string `yaml:"definition"`
	Example    string `yaml:"example"`
	Details    string `yaml:"details"`
}

type rawSubject struct {
	Name       string   `yaml:"name"`
	Objects    []string `yaml:"objects"`
	Status     bool     `yaml:"status"`
	Definition string   `yaml:"definition"`
}

type rawSection struct {
	Title string `yaml:"title"`
	Text  string `yaml:"text"`
}

// categories resolves categories.yaml.
func (b *builder) categories(p *parsed) {
	seen := unique{}
	for _, e := range items(p, "categories") {
		var r rawCategory
		if !b.decode(e, &r) || !b.once(seen, e, "category", r.Name) {
			continue
		}
		label := "category " + r.Name
		if r.Value == "structured" && r.Kind == "historical" {
			b.errorf(e, "value", label, "a structured value cannot be historical")
		}
		if r.Formula && r.Value != "custom" {
			b.errorf(e, "formula", label, "a formula category must have value custom")
		}
		b.m.Categories = append(b.m.Categories, &Category{Name: r.Name, Kind: r.Kind, Value: r.Value,
			RelMask: r.RelMask, TimeRange: r.TimeRange, Formula: r.Formula, Status: r.Status,
			Definition: r.Definition, Example: r.Example, Details: r.Details})
	}
	seen = unique{}
	for _, e := range items(p, "subjects") {
		var r rawSubject
		if !b.decode(e, &r) || !b.once(seen, e, "subject", r.Name) {
			continue
		}
		s := &Subject{Name: r.Name, Status: r.Status, Definition: r.Definition}
		s.Objects = b.resolveTypes(e, "objects", "subject "+r.Name, r.Objects)
		b.m.Subjects = append(b.m.Subjects, s)
	}
	for _, e := range items(p, "sections") {
		var r rawSection
		if b.decode(e, &r) {
			b.m.Sections = append(b.m.Sections, &DocSection{Title: r.Title, Text: strings.TrimSpace(r.Text)})
		}
	}
}

// String is a one-line description used in test failure output.
func (a *Action) String() string {
	return fmt.Sprintf("%s [%s %v]", a.Key(), a.Kind, len(a.Sources))
}
