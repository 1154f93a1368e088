package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/internal/suggest"
)

// Wallboard is a board layout of section wallboards: what a supervisor keeps on screen,
// in order — a headline strip, tables of values (one row per object, one column per
// stat type) and the agents' states. The server serves it to the wallboard page
// (GET /v1/wallboards).
type Wallboard struct {
	Name     string
	Title    string // the name when the config gives none
	Headline []*Tile
	Sections []*BoardSection
	Agents   *BoardAgents // nil when the board shows no agents
}

// Tile is one value of a wallboard: a configured statistic, and how to show it.
type Tile struct {
	// Label names the value; "" when the config gives none (a client names it after the
	// stat type).
	Label string
	// Statistic is the value shown.
	Statistic *Statistic
	// Of, when set, is a statistic the value is a part of, shown as "value / of"
	// (agents available of agents staffed).
	Of *Statistic
	// History is the recorded statistic (notification mode reset) whose intervals the
	// tile's bar chart shows: the one the config names, else the first recorded one of
	// the same stat type, object, time range and filter; nil when there is none.
	History *Statistic
	// Unit is how the value reads: the config's unit, else the category's.
	Unit category.Unit
	// Thresholds colour the value; nil when the config gives none (a client may guess
	// them), and Off when it turns colouring off.
	Thresholds *Thresholds
}

// Thresholds say when a value turns amber (Warn) and red (Alarm): when it is above the
// level, or below it when Below. A nil level is not used.
type Thresholds struct {
	Warn, Alarm *float64
	Below       bool
}

// Off reports whether the thresholds colour nothing (an empty thresholds mapping).
func (t *Thresholds) Off() bool { return t.Warn == nil && t.Alarm == nil }

// Level returns the level of value v: "ok", "warn" or "alarm" ("" when t is off). A
// value at a level has not crossed it yet.
func (t *Thresholds) Level(v float64) string {
	if t.Off() {
		return ""
	}
	worse := func(level *float64) bool {
		if level == nil {
			return false
		}
		if t.Below {
			return v < *level
		}
		return v > *level
	}
	switch {
	case worse(t.Alarm):
		return "alarm"
	case worse(t.Warn):
		return "warn"
	}
	return "ok"
}

// BoardSection is a table of a wallboard: its columns are stat types, its rows objects.
type BoardSection struct {
	Title   string
	Columns []*BoardColumn
	Rows    []*BoardRow
}

// BoardColumn is a column of a section: the statistics of a stat type.
type BoardColumn struct {
	Label    string // "" when the config gives none
	StatType *StatType
	// Of is the stat type of the statistic each value is a part of, nil when none.
	Of *StatType
	// Profile narrows the statistics shown to one profile, nil when any.
	Profile    *TimeProfile
	Unit       category.Unit
	Thresholds *Thresholds
}

// BoardRow is a row of a section: an object, the objects related to it (With), and one
// cell per column — the column's statistic on the first of the row's objects its stat
// type applies to; nil when it applies to none of them.
type BoardRow struct {
	Label  string // the config's label, else the agent's name, else the object's id
	Object ObjectRef
	With   []ObjectRef
	Cells  []*Tile
}

// BoardAgents is the agents' part of a wallboard: their states, and how long each may
// last.
type BoardAgents struct {
	// StatType is the CurrentState stat type of the cards, nil for any.
	StatType *StatType
	// Statistics are the agents' state statistics shown, in config order.
	Statistics []*Statistic
	// Groups are the agent groups the filter offers, in order.
	Groups []string
	// States are the time-in-state thresholds; the first that matches a card applies.
	States []*StateThreshold
}

// StateThreshold says how long an agent's state may last before its card turns amber and
// red, in seconds.
type StateThreshold struct {
	Statuses   []string // status (action) names
	Reason     string   // "" for any reason
	Thresholds *Thresholds
}

// Wallboard returns the wallboard with the given name.
func (c *Config) Wallboard(name string) (*Wallboard, bool) {
	for _, w := range c.Wallboards {
		if w.Name == name {
			return w, true
		}
	}
	return nil, false
}

// numeric reports whether statistics of st have a number for a value.
func numeric(st *StatType) bool {
	return st != nil && st.Category.Unit() != category.UnitStructured
}

// wallboards reads the wallboards section, after the statistics it shows.
func (l *loader) wallboards(n *yaml.Node) {
	for _, p := range pairs(n) {
		w := &Wallboard{Name: p.key.Value, Title: text(value(p.val, "title"))}
		if w.Title == "" {
			w.Title = w.Name
		}
		for _, item := range items(value(p.val, "headline")) {
			if t := l.headlineTile(item); t != nil {
				w.Headline = append(w.Headline, t)
			}
		}
		for _, item := range items(value(p.val, "sections")) {
			w.Sections = append(w.Sections, l.boardSection(item))
		}
		if a := value(p.val, "agents"); a != nil {
			w.Agents = l.boardAgents(a)
		}
		l.cfg.Wallboards = append(l.cfg.Wallboards, w)
	}
}

// statisticRef resolves a statistic id written at n, which must have a numeric value.
func (l *loader) statisticRef(n *yaml.Node, what string) *Statistic {
	id := text(n)
	s, ok := l.cfg.statistics[id]
	if !ok {
		l.errorf(n, "%s: unknown statistic %q%s", what, id, suggest.Hint(id, keysOf(l.cfg.statistics)))
		return nil
	}
	if s.StatType == nil { // its stat type failed to resolve, which is reported already
		return nil
	}
	if !numeric(s.StatType) {
		l.errorf(n, "%s: statistic %q is a %s, whose value is a structure, not a number: show agents' states under agents", what, id, s.StatType.Category)
		return nil
	}
	return s
}

// headlineTile reads a tile of the headline strip.
func (l *loader) headlineTile(item *yaml.Node) *Tile {
	s := l.statisticRef(value(item, "statistic"), "headline")
	if s == nil {
		return nil
	}
	t := &Tile{Label: text(value(item, "label")), Statistic: s, Unit: s.StatType.Category.Unit()}
	if n := value(item, "of"); n != nil {
		t.Of = l.statisticRef(n, "headline of")
	}
	if n := value(item, "history"); n != nil {
		id := text(n)
		h, ok := l.cfg.statistics[id]
		switch {
		case !ok:
			l.errorf(n, "headline history: unknown statistic %q%s", id, suggest.Hint(id, keysOf(l.cfg.statistics)))
		case h.Notification.Mode != NotifyReset:
			l.errorf(n, "headline history: statistic %q is not recorded in history: its notification mode is %s, history records mode reset", id, notifyModeName(h.Notification.Mode))
		default:
			t.History = h
		}
	} else {
		t.History = l.recorded(s)
	}
	l.tileLook(item, &t.Unit, &t.Thresholds)
	return t
}

// tileLook reads a tile's or column's unit and thresholds.
func (l *loader) tileLook(item *yaml.Node, unit *category.Unit, thr **Thresholds) {
	if n := value(item, "unit"); n != nil {
		if u, err := category.ParseUnit(text(n)); err == nil {
			*unit = u
		}
	}
	if n := value(item, "thresholds"); n != nil {
		*thr = l.thresholds(n)
	}
}

// recorded returns the first recorded statistic (notification mode reset) with the stat
// type, object, time range and filter of s, or s itself when it is recorded; nil when
// none is.
func (l *loader) recorded(s *Statistic) *Statistic {
	if s.Notification.Mode == NotifyReset {
		return s
	}
	for _, o := range l.cfg.Statistics {
		if o.Notification.Mode == NotifyReset && o.StatType == s.StatType && o.Object == s.Object &&
			o.TimeRange == s.TimeRange && o.Filter == s.Filter {
			return o
		}
	}
	return nil
}

// thresholds reads a thresholds mapping.
func (l *loader) thresholds(n *yaml.Node) *Thresholds {
	t := &Thresholds{}
	for _, f := range []struct {
		name string
		dst  **float64
	}{{"warn", &t.Warn}, {"alarm", &t.Alarm}} {
		if v := value(n, f.name); v != nil {
			x, ok := number(v)
			if !ok {
				l.errorf(v, "thresholds: %s must be a finite number", f.name)
				continue
			}
			*f.dst = &x
		}
	}
	dirKey, dir := field(n, "direction")
	t.Below = text(dir) == "below"
	switch {
	case dirKey != nil && t.Off():
		l.errorf(dirKey, "thresholds: a direction without warn or alarm colours nothing; give the levels, or leave thresholds empty to turn colouring off")
	case t.Warn != nil && t.Alarm != nil && !t.Below && *t.Warn > *t.Alarm:
		l.errorf(n, "thresholds: warn (%g) is above alarm (%g), so the value would turn red before amber; if lower values are worse, say direction: below", *t.Warn, *t.Alarm)
	case t.Warn != nil && t.Alarm != nil && t.Below && *t.Warn < *t.Alarm:
		l.errorf(n, "thresholds: with direction below, warn (%g) must not be below alarm (%g): the value turns amber first, then red as it falls", *t.Warn, *t.Alarm)
	}
	return t
}

// boardSection reads a section: its columns, then its rows with a cell per column.
func (l *loader) boardSection(n *yaml.Node) *BoardSection {
	sec := &BoardSection{Title: text(value(n, "title"))}
	var colNodes []*yaml.Node
	for _, item := range items(value(n, "columns")) {
		c := &BoardColumn{Label: text(value(item, "label"))}
		stNode := value(item, "statType")
		c.StatType = l.statTypeRef(stNode, "column")
		if c.StatType != nil {
			if !numeric(c.StatType) {
				l.errorf(stNode, "column: stat type %q is a %s, whose value is a structure, not a number: show agents' states under agents", c.StatType.Name, c.StatType.Category)
				c.StatType = nil
			} else {
				c.Unit = c.StatType.Category.Unit()
			}
		}
		if ofNode := value(item, "of"); ofNode != nil {
			c.Of = l.statTypeRef(ofNode, "column of")
		}
		if pn := value(item, "profile"); pn != nil {
			name := text(pn)
			if tp, ok := l.cfg.profiles[name]; ok {
				c.Profile = tp
			} else {
				l.errorf(pn, "column: unknown time profile %q%s", name, suggest.Hint(name, keysOf(l.cfg.profiles)))
			}
		}
		l.tileLook(item, &c.Unit, &c.Thresholds)
		sec.Columns = append(sec.Columns, c)
		colNodes = append(colNodes, item)
	}
	rows := seen{}
	for _, item := range items(value(n, "rows")) {
		r := l.boardRow(item)
		if r == nil {
			continue
		}
		key := r.Object.Type.String() + "/" + r.Object.ID
		if !rows.first(l, "row", key, item) {
			continue
		}
		any := false
		for i, c := range sec.Columns {
			cell := l.cell(item, r, c, colNodes[i])
			r.Cells = append(r.Cells, cell)
			any = any || cell != nil
		}
		if !any && len(l.errs) == 0 {
			l.errorf(item, "row %s: no column's stat type applies to it (give the related objects with with: {TYPE: ID})", key)
		}
		sec.Rows = append(sec.Rows, r)
	}
	return sec
}

// statTypeRef resolves a stat type name written at n.
func (l *loader) statTypeRef(n *yaml.Node, what string) *StatType {
	name := text(n)
	st, ok := l.cfg.statTypes[name]
	if !ok {
		l.errorf(n, "%s: unknown stat type %q%s", what, name, suggest.Hint(name, keysOf(l.cfg.statTypes)))
		return nil
	}
	return st
}

// objectRef resolves an object {type, id} whose nodes are typ and id.
func (l *loader) objectRef(typ, id *yaml.Node) (ObjectRef, bool) {
	t, err := object.ParseType(text(typ))
	if err != nil {
		l.errorf(typ, "unknown object type %q%s", text(typ), hintObjectType(text(typ)))
		return ObjectRef{}, false
	}
	o := ObjectRef{Type: t, ID: text(id)}
	if !l.cfg.Topology.Has(t, o.ID) {
		l.errorf(id, "no %s %q in the topology", t, o.ID)
		return o, false
	}
	return o, true
}

// boardRow reads a row's object, label and related objects.
func (l *loader) boardRow(item *yaml.Node) *BoardRow {
	o, ok := l.objectRef(value(item, "type"), value(item, "id"))
	if !ok {
		return nil
	}
	r := &BoardRow{Object: o, Label: text(value(item, "label"))}
	for _, p := range pairs(value(item, "with")) {
		w, ok := l.objectRef(p.key, p.val)
		if ok {
			r.With = append(r.With, w)
		}
	}
	if r.Label == "" {
		r.Label = o.ID
		if o.Type == object.TypeAgent {
			if a, ok := l.cfg.Topology.Agent(o.ID); ok && a.Name != "" {
				r.Label = a.Name
			}
		}
	}
	return r
}

// cell finds column c's statistic for row r: the statistic of the column's stat type
// (and profile) on the first of the row's objects the stat type applies to — not a
// recorded one when another exists; a recorded one becomes the cell's history. It is
// an error when the stat type applies to an object that has no such statistic.
func (l *loader) cell(rowNode *yaml.Node, r *BoardRow, c *BoardColumn, colNode *yaml.Node) *Tile {
	if c.StatType == nil {
		return nil
	}
	find := func(st *StatType, o ObjectRef) (live, rec *Statistic) {
		for _, s := range l.cfg.Statistics {
			if s.StatType != st || s.Object != o || (c.Profile != nil && s.Profile != c.Profile) {
				continue
			}
			switch {
			case s.Notification.Mode == NotifyReset && rec == nil:
				rec = s
			case s.Notification.Mode != NotifyReset && live == nil:
				live = s
			}
		}
		if live == nil {
			live = rec
		}
		return live, rec
	}
	for _, o := range append([]ObjectRef{r.Object}, r.With...) {
		if !c.StatType.Objects.Has(o.Type) {
			continue
		}
		live, rec := find(c.StatType, o)
		if live == nil {
			l.errorf(rowNode, "row %s/%s, column %s: no statistic of stat type %q on %s %q in statistics%s",
				r.Object.Type, r.Object.ID, columnName(c), c.StatType.Name, o.Type, o.ID, profileNote(c.Profile))
			return nil
		}
		t := &Tile{Label: c.Label, Statistic: live, History: rec, Unit: c.Unit, Thresholds: c.Thresholds}
		if rec == nil {
			t.History = l.recorded(live)
		}
		if c.Of != nil {
			if of, _ := find(c.Of, o); of != nil {
				t.Of = of
			} else {
				l.errorf(colNode, "column %s: no statistic of stat type %q (of) on %s %q in statistics", columnName(c), c.Of.Name, o.Type, o.ID)
			}
		}
		return t
	}
	return nil
}

// columnName names a column in errors.
func columnName(c *BoardColumn) string {
	if c.Label != "" {
		return fmt.Sprintf("%q", c.Label)
	}
	return c.StatType.Name
}

// profileNote adds the column's profile to an error about a missing statistic.
func profileNote(p *TimeProfile) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf(" with profile %q", p.Name)
}

// boardAgents reads the agents' part of a board.
func (l *loader) boardAgents(n *yaml.Node) *BoardAgents {
	a := &BoardAgents{}
	if stNode := value(n, "statType"); stNode != nil {
		a.StatType = l.statTypeRef(stNode, "agents")
		if a.StatType != nil && a.StatType.Category != category.CurrentState {
			l.errorf(stNode, "agents: stat type %q is a %s; the agents' cards show a CurrentState", a.StatType.Name, a.StatType.Category)
			a.StatType = nil
		}
	}
	for _, s := range l.cfg.Statistics {
		if s.Object.Type != object.TypeAgent || s.StatType == nil || s.StatType.Category != category.CurrentState {
			continue
		}
		if a.StatType == nil || s.StatType == a.StatType {
			a.Statistics = append(a.Statistics, s)
		}
	}
	if len(a.Statistics) == 0 && len(l.errs) == 0 {
		l.errorf(n, "agents: no CurrentState statistic of an agent in statistics to show")
	}
	if gNode := value(n, "groups"); gNode != nil {
		groups := seen{}
		for _, g := range items(gNode) {
			id := text(g)
			if !l.cfg.Topology.Has(object.TypeGroupAgents, id) {
				var ids []string
				for _, grp := range l.cfg.Topology.AgentGroups {
					ids = append(ids, grp.ID)
				}
				l.errorf(g, "agents: no agent group %q in the topology%s", id, suggest.Hint(id, ids))
				continue
			}
			if groups.first(l, "agent group", id, g) {
				a.Groups = append(a.Groups, id)
			}
		}
	} else {
		for _, g := range l.cfg.Topology.AgentGroups {
			a.Groups = append(a.Groups, g.ID)
		}
	}
	for _, item := range items(value(n, "states")) {
		st := &StateThreshold{Reason: text(value(item, "reason"))}
		sNode := value(item, "status")
		names := []*yaml.Node{sNode}
		if sNode != nil && sNode.Kind == yaml.SequenceNode {
			names = items(sNode)
		}
		for _, sn := range names {
			name := text(sn)
			if !isStatus(name) {
				l.errorf(sn, "agents: unknown status %q%s (a status is the name of a durable agent-state or call action: WaitForNextCall, NotReadyForNextCall, AfterCallWork, CallInbound…)", name, hintAction(name, false))
				continue
			}
			st.Statuses = append(st.Statuses, name)
		}
		st.Thresholds = l.thresholds(value(item, "thresholds"))
		if st.Thresholds.Below {
			l.errorf(value(item, "thresholds"), "agents: a time in state is worse the longer it lasts; direction below does not apply")
		}
		a.States = append(a.States, st)
	}
	return a
}

// isStatus reports whether name is a status: the name of a durable action.
func isStatus(name string) bool {
	if strings.TrimSpace(name) != name || name == "" {
		return false
	}
	for _, a := range action.ByName(name) {
		if a.Kind() == action.KindDurable {
			return true
		}
	}
	return false
}

// notifyModeName returns the config name of a notification mode.
func notifyModeName(m NotifyMode) string {
	switch m {
	case NotifyChanges:
		return "changes"
	case NotifyPeriodical:
		return "periodical"
	case NotifyReset:
		return "reset"
	case NotifyNone:
		return "none"
	}
	return "unknown"
}
