package config

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/expr"
)

// relMaskOptional reports whether category c reads a RelMask when there is one and falls
// back to the MainMask otherwise; every other category that uses a RelMask needs one.
func relMaskOptional(c category.Category) bool {
	switch c {
	case category.TotalNumberInTimeRangePercentage, category.CurrentNumberInTimeRangePercentage, category.ServiceFactor1,
		category.EstimWaitingTime, category.AverageNumberPerRelativeHour:
		return true
	}
	return false
}

// actionsOnly reports whether category c reads action instances themselves, so that it
// takes the DNAction subject only: custom values, the waiting-time estimate (which
// follows each waiting instance) and refused events.
func actionsOnly(c category.Category) bool {
	return c.UsesFormula() && c != category.Formula || c == category.EstimWaitingTime || c == category.TotalNumberErrors
}

// agentObjects are the object types whose logged-in agents LoadBalance1 counts.
var agentObjects = object.TypeSetOf(object.TypeAgent, object.TypeGroupAgents, object.TypePlace, object.TypeGroupPlaces,
	object.TypeRegDN, object.TypeTenant)

// parseSubject parses a subject name, accepting the Stat Server's alias Action for DNAction.
func parseSubject(s string) (category.Subject, error) {
	if s == "Action" {
		return category.SubjectDNAction, nil
	}
	return category.ParseSubject(s)
}

// statTypes reads the statTypes section.
func (l *loader) statTypes(n *yaml.Node) {
	for _, p := range pairs(n) {
		st := l.statType(p.key, p.val)
		l.cfg.StatTypes = append(l.cfg.StatTypes, st)
		l.cfg.statTypes[st.Name] = st
	}
}

// statType reads one stat type; key is its name node.
func (l *loader) statType(key, n *yaml.Node) *StatType {
	st := &StatType{
		Name:        key.Value,
		MediaType:   text(value(n, "mediaType")),
		Description: text(value(n, "description")),
	}
	l.exportMark(l.cfg.export.statTypes(), st.Name, n)
	objects := l.stObjects(st, value(n, "objects"))
	l.stCategory(st, value(n, "category"))
	if st.Category == category.Formula {
		l.formulaStatType(st, key, n)
		return st
	}
	if st.Category == category.LoadBalance1 {
		for _, t := range st.Objects.Slice() {
			if !agentObjects.Has(t) {
				l.errorf(objects[t], "category LoadBalance1 counts logged-in agents, which %s has not (it applies to %s)", t, typeNames(agentObjects))
			}
		}
	}
	l.stSubject(st, value(n, "subject"), objects)
	st.MainMask = l.mask("mainMask", value(n, "mainMask"), st)
	relKey, relNode := field(n, "relMask")
	switch {
	case relNode != nil && st.Category.Valid() && !st.Category.UsesRelMask():
		l.errorf(relKey, "category %s does not use a relMask", st.Category)
	case relNode != nil:
		st.RelMask = l.mask("relMask", relNode, st)
	case st.Category.UsesRelMask() && !relMaskOptional(st.Category):
		l.errorf(key, "stat type %q: category %s needs a relMask", st.Name, st.Category)
	}
	l.stFormula(st, key, n)
	return st
}

// stObjects reads a stat type's object types and returns their nodes by type.
func (l *loader) stObjects(st *StatType, n *yaml.Node) map[object.Type]*yaml.Node {
	nodes := map[object.Type]*yaml.Node{}
	for _, item := range items(n) {
		t, err := object.ParseType(text(item))
		switch {
		case err != nil:
			l.errorf(item, "unknown object type %q%s (known: %s)", text(item), hintObjectType(text(item)), typeNames(object.TypeSetOf(object.AllTypes()...)))
		case st.Objects.Has(t):
			l.errorf(item, "duplicate object type %s", t)
		default:
			st.Objects |= object.TypeSetOf(t)
			nodes[t] = item
		}
	}
	if st.Objects != 0 && !object.Compatible(st.Objects) {
		l.errorf(n, "objects %s are from no common compatibility group (%s)", typeNames(st.Objects), groupList())
	}
	return nodes
}

// stCategory reads a stat type's category.
func (l *loader) stCategory(st *StatType, n *yaml.Node) {
	c, err := category.Parse(text(n))
	switch {
	case err != nil:
		l.errorf(n, "unknown category %q%s", text(n), hintCategory(text(n)))
	case c == category.JavaCategory:
		l.errorf(n, "category JavaCategory ran Stat Server Java extensions, which statkit replaces: use Formula for a value computed from other statistics, or a CustomValue category for one computed from the actions' data (see docs/categories.md)")
	case c.Support() == category.SupportUnsupported:
		l.errorf(n, "category %s is not supported by statkit (see docs/categories.md)", c)
	default:
		st.Category = c
	}
}

// stSubject reads a stat type's subject and checks it applies to each object type.
func (l *loader) stSubject(st *StatType, n *yaml.Node, objects map[object.Type]*yaml.Node) {
	s, err := parseSubject(text(n))
	if err != nil {
		l.errorf(n, "unknown subject %q%s", text(n), hintSubject(text(n)))
		return
	}
	st.Subject = s
	if s.Objects() == 0 {
		l.errorf(n, "subject %s applies to no statkit object type", s)
		return
	}
	for _, t := range st.Objects.Slice() {
		if !s.Objects().Has(t) {
			l.errorf(objects[t], "subject %s does not apply to %s (it applies to %s)", s, t, typeNames(s.Objects()))
		}
	}
	if actionsOnly(st.Category) && s != category.SubjectDNAction {
		l.errorf(n, "category %s takes the DNAction subject, not %s", st.Category, s)
	}
}

// stFormula checks that a formula is given exactly when the category uses one.
func (l *loader) stFormula(st *StatType, key, n *yaml.Node) {
	fKey, fNode := field(n, "formula")
	switch {
	case fNode == nil && st.Category.UsesFormula():
		l.errorf(key, "stat type %q: category %s needs a formula", st.Name, st.Category)
	case fNode != nil && st.Category.Valid() && !st.Category.UsesFormula():
		l.errorf(fKey, "category %s does not use a formula", st.Category)
	case fNode != nil:
		st.Formula = text(fNode)
		if !l.opts.NoCompile {
			if err := expr.CheckFormula(st.Formula); err != nil {
				l.errorf(fNode, "formula: %v", err)
			}
		}
	}
}

// maskEntry is one parsed mask entry.
type maskEntry struct {
	node    *yaml.Node
	exclude bool
	rows    []action.ID // rows of the name that reach the stat type's objects
}

// mask reads a mask (what is "mainMask" or "relMask"): names, "Name (Variant)", "*" and
// "~Name". Only rows that reach one of the stat type's object types (and, for status
// subjects, durable rows) are kept. Exclusions apply after the inclusions.
func (l *loader) mask(what string, n *yaml.Node, st *StatType) Mask {
	var m Mask
	var entries []maskEntry
	written := seen{}
	for _, item := range items(n) {
		s := text(item)
		m.Text = append(m.Text, s)
		if !written.first(l, what+" entry", s, item) {
			continue
		}
		e, ok := l.maskEntry(what, s, item, st)
		if ok {
			entries = append(entries, e)
		}
	}
	for _, e := range entries {
		if !e.exclude {
			for _, a := range e.rows {
				m.Add(a)
			}
		}
	}
	for _, e := range entries {
		if !e.exclude {
			continue
		}
		hit := false
		for _, a := range e.rows {
			hit = hit || m.Has(a)
			m.Remove(a)
		}
		if !hit {
			l.errorf(e.node, "%s: %q excludes nothing that the inclusions select", what, text(e.node))
		}
	}
	if m.Empty() && len(entries) == len(items(n)) && st.Objects != 0 {
		l.errorf(n, "%s selects no action", what)
	}
	return m
}

// maskEntry resolves one mask entry to action rows; ok is false when it is in error.
func (l *loader) maskEntry(what, s string, n *yaml.Node, st *StatType) (maskEntry, bool) {
	e := maskEntry{node: n}
	name := s
	if rest, ok := strings.CutPrefix(s, "~"); ok {
		e.exclude, name = true, rest
	}
	var rows []action.ID
	switch {
	case name == "*" && e.exclude:
		l.errorf(n, "%s: ~* would exclude every action; leave the mask out instead", what)
		return e, false
	case name == "*":
		rows = action.AllIDs()
	case strings.HasSuffix(name, ")") && strings.Contains(name, " ("):
		id, err := action.ParseID(name)
		if err != nil {
			l.errorf(n, "%s: unknown action %q%s", what, name, hintAction(name, true))
			return e, false
		}
		rows = []action.ID{id}
	default:
		rows = action.ByName(name)
		if len(rows) == 0 {
			l.errorf(n, "%s: unknown action %q%s", what, name, hintAction(name, false))
			return e, false
		}
	}
	if st.Objects == 0 {
		return e, false // the objects are in error; do not pile up reach errors
	}
	var reach object.TypeSet
	for _, a := range rows {
		reach |= a.Reaches()
		if a.Reaches()&st.Objects != 0 && (!st.Subject.IsStatus() || a.Kind() == action.KindDurable) {
			e.rows = append(e.rows, a)
		}
	}
	switch {
	case len(e.rows) > 0 || name == "*":
		return e, len(e.rows) > 0
	case reach&st.Objects == 0:
		l.errorf(n, "%s: action %q never reaches %s (it reaches %s)", what, name, typeNames(st.Objects), typeNames(reach))
	default:
		l.errorf(n, "%s: action %q is not durable; subject %s counts statuses, which are durable actions", what, name, st.Subject)
	}
	return e, false
}

// typeNames lists the types of s, comma-separated.
func typeNames(s object.TypeSet) string {
	var names []string
	for _, t := range s.Slice() {
		names = append(names, t.String())
	}
	return strings.Join(names, ", ")
}

// groupList describes the compatibility groups, e.g. "RegularDN: RegDN, Agent, …; …".
func groupList() string {
	var parts []string
	for _, g := range object.AllGroups() {
		parts = append(parts, g.String()+": "+typeNames(g.Types()))
	}
	return strings.Join(parts, "; ")
}
