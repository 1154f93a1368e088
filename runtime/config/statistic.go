package config

import (
	"fmt"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/internal/suggest"
)

// StatisticSpec names the parts of a statistic, as a config entry or an HTTP request
// does. Empty Profile means Default; empty TimeRange means the Default range when the
// category takes one; a zero Notification means changes with insensitivity 0.
type StatisticSpec struct {
	ID           string           `json:"id,omitempty"`
	StatType     string           `json:"statType"`
	Object       ObjectSpec       `json:"object"`
	Profile      string           `json:"profile,omitempty"`
	TimeRange    string           `json:"timeRange,omitempty"`
	Filter       string           `json:"filter,omitempty"`
	Notification NotificationSpec `json:"notification,omitzero"`
}

// ObjectSpec names a statistic's object by type name and id.
type ObjectSpec struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// NotificationSpec is a statistic's notification settings as written: mode "changes"
// (default), "periodical", "reset" or "none"; insensitivity in percent (changes only);
// period in whole seconds (periodical only). Nil pointers are absent fields.
type NotificationSpec struct {
	Mode          string   `json:"mode,omitempty"`
	Insensitivity *float64 `json:"insensitivity,omitempty"`
	Period        *float64 `json:"period,omitempty"`
}

// FieldProblem is one problem with a StatisticSpec field ("statType", "object.id",
// "notification.period", …).
type FieldProblem struct {
	Field string
	Msg   string
}

// SpecError lists every problem found in a StatisticSpec.
type SpecError struct {
	Problems []FieldProblem
}

// Error joins the problems as "field: message; …".
func (e *SpecError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Msg
	}
	return strings.Join(parts, "; ")
}

// NewStatistic resolves a statistic against the config with the same checks as the
// statistics section (the spec's ID is taken as is; uniqueness is the caller's concern).
// The error is a *SpecError.
func (c *Config) NewStatistic(spec StatisticSpec) (*Statistic, error) {
	var e SpecError
	st := c.resolve(spec, func(f, format string, args ...any) {
		e.Problems = append(e.Problems, FieldProblem{Field: f, Msg: fmt.Sprintf(format, args...)})
	}, false)
	if len(e.Problems) > 0 {
		return nil, &e
	}
	return st, nil
}

// reportFunc records a problem with a field of a StatisticSpec.
type reportFunc func(field, format string, args ...any)

// parseNotifyMode returns the notification mode named s.
func parseNotifyMode(s string) (NotifyMode, bool) {
	switch s {
	case "changes":
		return NotifyChanges, true
	case "periodical":
		return NotifyPeriodical, true
	case "reset":
		return NotifyReset, true
	case "none":
		return NotifyNone, true
	}
	return NotifyChanges, false
}

// resolve checks spec and builds its Statistic, reporting each problem; the result is
// meaningful only when nothing was reported. Its definition is the config's when it has
// an equal one; share adds a new one to the config's (while loading, not concurrently).
func (c *Config) resolve(spec StatisticSpec, report reportFunc, share bool) *Statistic {
	s := &Statistic{ID: spec.ID, Object: ObjectRef{ID: spec.Object.ID}, Def: &Def{}}
	defer func() { s.Def = c.sharedDef(s.Def, share) }()
	st, ok := c.statTypes[spec.StatType]
	if !ok {
		report("statType", "unknown stat type %q%s", spec.StatType, suggest.Hint(spec.StatType, keysOf(c.statTypes)))
	}
	s.StatType = st
	c.resolveObject(s, spec.Object, report)
	c.resolveProfile(s, spec.Profile, report)
	c.resolveRange(s, spec.TimeRange, report)
	if spec.Filter != "" {
		if s.Filter, ok = c.filters[spec.Filter]; !ok {
			report("filter", "unknown filter %q%s", spec.Filter, suggest.Hint(spec.Filter, keysOf(c.filters)))
		}
	}
	resolveNotification(s, spec.Notification, report)
	return s
}

// resolveObject checks the object's type against the stat type and its id against the
// topology.
func (c *Config) resolveObject(s *Statistic, o ObjectSpec, report reportFunc) {
	t, err := object.ParseType(o.Type)
	if err != nil {
		report("object.type", "unknown object type %q%s", o.Type, hintObjectType(o.Type))
		return
	}
	s.Object.Type = t
	if s.StatType != nil && s.StatType.Objects != 0 && !s.StatType.Objects.Has(t) {
		report("object.type", "stat type %q is for %s, not %s", s.StatType.Name, typeNames(s.StatType.Objects), t)
	}
	if c.Topology.Has(t, o.ID) {
		return
	}
	if d, ok := c.Topology.DN(o.ID); ok && d.Type.ObjectType() != t {
		report("object.id", "DN %q (%s) is a %s object, not a %s", o.ID, d.Type, d.Type.ObjectType(), t)
		return
	}
	report("object.id", "no %s %q in the topology", t, o.ID)
}

// resolveProfile finds the profile (Default when name is empty); SinceLogin needs an Agent.
func (c *Config) resolveProfile(s *Statistic, name string, report reportFunc) {
	if name == "" {
		name = DefaultProfileName
	}
	tp, ok := c.profiles[name]
	if !ok {
		report("profile", "unknown time profile %q%s", name, suggest.Hint(name, keysOf(c.profiles)))
		return
	}
	s.Profile = tp
	if tp.Type == ProfileSinceLogin && s.Object.Type.Valid() && s.Object.Type != object.TypeAgent {
		report("profile", "SinceLogin profile %q applies only to Agent objects, not %s", name, s.Object.Type)
	}
}

// resolveRange finds the time range of a category that takes one (the config's Default
// range, or 0-20, when name is empty) and refuses one for a category that does not.
func (c *Config) resolveRange(s *Statistic, name string, report reportFunc) {
	var tr *TimeRange
	if name != "" {
		var ok bool
		if tr, ok = c.ranges[name]; !ok && name == DefaultTimeRange().Name {
			tr = DefaultTimeRange() // the built-in Default, which a snapshot names
		} else if !ok {
			report("timeRange", "unknown time range %q%s", name, suggest.Hint(name, keysOf(c.ranges)))
			return
		}
	}
	if s.StatType == nil || !s.StatType.Category.Valid() {
		return
	}
	cat := s.StatType.Category
	switch {
	case !cat.UsesTimeRange() && tr != nil:
		report("timeRange", "category %s takes no time range", cat)
	case !cat.UsesTimeRange():
	case tr != nil:
		s.TimeRange = tr
	default:
		s.TimeRange = c.defaultRange()
	}
}

// resolveNotification checks the notification settings.
func resolveNotification(s *Statistic, n NotificationSpec, report reportFunc) {
	mode, ok := NotifyChanges, true
	if n.Mode != "" {
		if mode, ok = parseNotifyMode(n.Mode); !ok {
			report("notification.mode", "unknown notification mode %q (changes, periodical, reset or none)", n.Mode)
			return
		}
	}
	s.Notification.Mode = mode
	if n.Insensitivity != nil {
		switch v := *n.Insensitivity; {
		case mode != NotifyChanges:
			report("notification.insensitivity", "insensitivity applies only to mode changes")
		case v < 0 || math.IsNaN(v) || math.IsInf(v, 0):
			report("notification.insensitivity", "insensitivity must be a percentage ≥ 0")
		default:
			s.Notification.Insensitivity = v
		}
	}
	switch {
	case n.Period != nil && mode != NotifyPeriodical:
		report("notification.period", "period applies only to mode periodical")
	case n.Period != nil:
		p := *n.Period
		if p != math.Trunc(p) || p < 1 || p > maxSeconds {
			report("notification.period", "period must be whole seconds between 1 and %d", maxSeconds)
		} else {
			s.Notification.Period = time.Duration(p) * time.Second
		}
	case mode == NotifyPeriodical:
		report("notification.mode", "mode periodical needs a period")
	}
	if mode != NotifyReset {
		return
	}
	if s.Profile != nil && s.Profile.Type != ProfileGrowing {
		report("notification.mode", "mode reset needs a Growing profile; %q is %s", s.Profile.Name, s.Profile.Type)
	}
	if s.StatType != nil && s.StatType.Category.Valid() && s.StatType.Category.Kind() != category.KindHistorical {
		report("notification.mode", "mode reset applies only to historical categories, not %s", s.StatType.Category)
	}
}

// statistics reads the statistics section.
func (l *loader) statistics(n *yaml.Node) {
	ids := seen{}
	for _, item := range items(n) {
		spec, nodes := statisticSpec(item)
		s := l.cfg.resolve(spec, func(f, format string, args ...any) {
			l.errorf(or(nodes[f], item), format, args...)
		}, true)
		if ids.first(l, "statistic id", s.ID, nodes["id"]) {
			l.cfg.Statistics = append(l.cfg.Statistics, s)
			l.cfg.statistics[s.ID] = s
			l.exportMark(l.cfg.export.statistics(), s.ID, item)
		}
	}
}

// statisticSpec reads a statistics entry and the nodes of its fields, by field name.
func statisticSpec(item *yaml.Node) (StatisticSpec, map[string]*yaml.Node) {
	nodes := map[string]*yaml.Node{}
	get := func(m *yaml.Node, prefix, name string) string {
		v := value(m, name)
		if v != nil {
			nodes[prefix+name] = v
		}
		return text(v)
	}
	spec := StatisticSpec{
		ID:        get(item, "", "id"),
		StatType:  get(item, "", "statType"),
		Profile:   get(item, "", "profile"),
		TimeRange: get(item, "", "timeRange"),
		Filter:    get(item, "", "filter"),
	}
	obj := value(item, "object")
	spec.Object = ObjectSpec{Type: get(obj, "object.", "type"), ID: get(obj, "object.", "id")}
	notif := value(item, "notification")
	nodes["notification.mode"] = notif
	spec.Notification.Mode = get(notif, "notification.", "mode")
	for _, f := range []struct {
		name string
		dst  **float64
	}{{"insensitivity", &spec.Notification.Insensitivity}, {"period", &spec.Notification.Period}} {
		if v := value(notif, f.name); v != nil {
			nodes["notification."+f.name] = v
			if x, ok := number(v); ok {
				*f.dst = &x
			}
		}
	}
	return spec, nodes
}

// StatType returns the stat type with the given name.
func (c *Config) StatType(name string) (*StatType, bool) {
	st, ok := c.statTypes[name]
	return st, ok
}

// Profile returns the time profile with the given name ("Default" always exists).
func (c *Config) Profile(name string) (*TimeProfile, bool) {
	tp, ok := c.profiles[name]
	return tp, ok
}

// TimeRange returns the time range with the given name.
func (c *Config) TimeRange(name string) (*TimeRange, bool) {
	tr, ok := c.ranges[name]
	return tr, ok
}

// Filter returns the filter with the given name.
func (c *Config) Filter(name string) (*Filter, bool) {
	f, ok := c.filters[name]
	return f, ok
}

// Statistic returns the configured statistic with the given id.
func (c *Config) Statistic(id string) (*Statistic, bool) {
	s, ok := c.statistics[id]
	return s, ok
}

// Index rebuilds the config's lookups (stat types, profiles, ranges, filters, statistics
// and the topology's) from its exported fields. Load does this; call it after building or
// changing a Config by hand, before reading it concurrently. Where names repeat, the
// first wins.
func (c *Config) Index() {
	c.Topology.Index()
	c.statTypes = indexBy(c.StatTypes, func(s *StatType) string { return s.Name })
	c.profiles = indexBy(c.TimeProfiles, func(p *TimeProfile) string { return p.Name })
	c.ranges = indexBy(c.TimeRanges, func(r *TimeRange) string { return r.Name })
	c.filters = indexBy(c.Filters, func(f *Filter) string { return f.Name })
	c.statistics = indexBy(c.Statistics, func(s *Statistic) string { return s.ID })
}

// indexBy maps each element of list by its key, the first of equal keys winning.
func indexBy[V any](list []V, key func(V) string) map[string]V {
	m := make(map[string]V, len(list))
	for _, v := range list {
		putFirst(m, key(v), v)
	}
	return m
}

// sharedDef returns the config's definition equal to d, or d (added to the config's when
// add).
func (c *Config) sharedDef(d *Def, add bool) *Def {
	if s, ok := c.defs[*d]; ok {
		return s
	}
	if add {
		if c.defs == nil {
			c.defs = map[Def]*Def{}
		}
		c.defs[*d] = d
	}
	return d
}

// newConfig returns an empty Config with its lookups ready.
func newConfig() *Config {
	return &Config{
		Topology:   Topology{idx: newTopoIndex()},
		statTypes:  map[string]*StatType{},
		profiles:   map[string]*TimeProfile{},
		ranges:     map[string]*TimeRange{},
		filters:    map[string]*Filter{},
		statistics: map[string]*Statistic{},
	}
}
