package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/internal/suggest"
	"github.com/statkit/statkit/runtime/expr"
)

// Formula stat types: {objects, category: Formula, formula, description}. The formula is
// an expression over other statistics (runtime/expr: CompileStatFormula): stat types on
// the formula statistic's object (with its profile and filter, or a named profile), and
// configured statistics by id. Each input must exist and have a numeric value, a stat
// type input must be defined for every object type of the Formula stat type, and no
// formula may read itself, directly or through other formulas.

// FormulaInput is one input of a Formula stat type, resolved at load: a stat type (with
// a time profile when the formula names one), or a configured statistic.
type FormulaInput struct {
	// Ref is the input as the formula writes it.
	Ref expr.Ref
	// StatType is the input's stat type, evaluated on the formula statistic's object;
	// nil for a statistic named by id.
	StatType *StatType
	// Profile is the profile the formula names for the input, nil for the formula
	// statistic's own.
	Profile *TimeProfile
	// TimeRange is the range of an input whose category takes one: the config's Default
	// range, else 0-20.
	TimeRange *TimeRange
	// Statistic is the configured statistic named by id, nil for a stat type input.
	Statistic *Statistic
}

// HiddenPrefix starts the ids of the statistics that FormulaInputs defines. No id of the
// config or of the API starts with it, so an engine tells them from the others.
const HiddenPrefix = "~"

// FormulaInputs returns the statistics that statistic s, of a Formula stat type, reads:
// one per input of its stat type, in order. A stat type input is that stat type on s's
// object, with the profile the formula names or s's own, s's filter and the input's
// default time range; a statistic named by id is a copy of that statistic's definition.
// Their notification mode is none and their ids, which start with HiddenPrefix, are the
// same for the same definition (so formulas can share them) and resolve with
// NewStatistic.
func (s *Statistic) FormulaInputs() ([]*Statistic, error) {
	t := s.StatType
	if t == nil || t.Category != category.Formula {
		return nil, fmt.Errorf("statistic %q: not a Formula statistic", s.ID)
	}
	if t.Compiled == nil {
		return nil, fmt.Errorf("statistic %q: the formula of stat type %q was not compiled (load the config with config.Load)", s.ID, t.Name)
	}
	out := make([]*Statistic, len(t.Inputs))
	for i, in := range t.Inputs {
		var d Statistic
		if in.Statistic != nil {
			d = *in.Statistic
			def := *d.Def // the input's own: the named statistic's may be shared
			d.Def = &def
		} else {
			d = Statistic{Object: s.Object, Def: &Def{StatType: in.StatType, Profile: s.Profile, TimeRange: in.TimeRange, Filter: s.Filter}}
			if in.Profile != nil {
				d.Profile = in.Profile
			}
			if d.Profile != nil && d.Profile.Type == ProfileSinceLogin && d.Object.Type != object.TypeAgent {
				return nil, fmt.Errorf("statistic %q: input %s: SinceLogin profile %q applies only to Agent objects", s.ID, in.Ref, d.Profile.Name)
			}
		}
		d.Notification = Notification{Mode: NotifyNone}
		d.ID = hiddenID(&d)
		out[i] = &d
	}
	return out, nil
}

// hiddenID is the id of input statistic d: its definition's names.
func hiddenID(d *Statistic) string {
	sp := StatisticSpec{Object: ObjectSpec{Type: d.Object.Type.String(), ID: d.Object.ID}}
	if d.StatType != nil {
		sp.StatType = d.StatType.Name
	}
	if d.Profile != nil {
		sp.Profile = d.Profile.Name
	}
	if d.TimeRange != nil {
		sp.TimeRange = d.TimeRange.Name
	}
	if d.Filter != nil {
		sp.Filter = d.Filter.Name
	}
	return HiddenPrefix + strings.Join([]string{sp.StatType, sp.Object.Type, sp.Object.ID, sp.Profile, sp.TimeRange, sp.Filter}, "|")
}

// formulaStatType reads the rest of a Formula stat type: a formula and no subject or
// masks, which belong to the statistics it reads.
func (l *loader) formulaStatType(st *StatType, key, n *yaml.Node) {
	for _, f := range []string{"subject", "mainMask", "relMask", "mediaType"} {
		if k, _ := field(n, f); k != nil {
			l.errorf(k, "a Formula stat type reads other statistics: %s belongs to the stat types its formula reads", f)
		}
	}
	fNode := value(n, "formula")
	if fNode == nil {
		l.errorf(key, "stat type %q: category Formula needs a formula", st.Name)
		return
	}
	st.Formula = text(fNode)
	l.formulaNodes[st] = fNode
}

// formulas compiles the Formula stat types, in config order, and refuses cycles.
func (l *loader) formulas() {
	for _, st := range l.cfg.StatTypes {
		n := l.formulaNodes[st]
		if n == nil {
			continue
		}
		f, err := expr.CompileStatFormula(st.Formula, func(r expr.Ref) error {
			in, err := l.formulaInput(st, r)
			if err == nil {
				st.Inputs = append(st.Inputs, in)
			}
			return err
		})
		if err != nil {
			st.Inputs = nil
			for _, e := range splitJoined(err) {
				l.errorf(n, "formula: %v", e)
			}
			continue
		}
		st.Compiled = f
	}
	l.formulaCycles()
}

// splitJoined returns the errors joined in err (errors.Join), or err alone.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// formulaInput resolves input r of Formula stat type st.
func (l *loader) formulaInput(st *StatType, r expr.Ref) (FormulaInput, error) {
	in := FormulaInput{Ref: r}
	if r.ID != "" {
		s, ok := l.cfg.statistics[r.ID]
		switch {
		case !ok:
			return in, fmt.Errorf("unknown statistic %q%s", r.ID, suggest.Hint(r.ID, keysOf(l.cfg.statistics)))
		case s.StatType != nil && s.StatType.Category.IsStructured():
			return in, fmt.Errorf("statistic %q is a %s structure; a formula reads numbers", r.ID, s.StatType.Category)
		}
		in.Statistic = s
		return in, nil
	}
	t, ok := l.cfg.statTypes[r.StatType]
	switch {
	case !ok:
		return in, fmt.Errorf("unknown stat type %q%s", r.StatType, suggest.Hint(r.StatType, keysOf(l.cfg.statTypes)))
	case t.Category.IsStructured():
		return in, fmt.Errorf("stat type %q is a %s structure; a formula reads numbers", r.StatType, t.Category)
	case st.Objects&^t.Objects != 0:
		return in, fmt.Errorf("stat type %q is not defined for %s, as the formula's objects are", r.StatType, typeNames(st.Objects&^t.Objects))
	}
	in.StatType = t
	if r.Profile != "" {
		p, ok := l.cfg.profiles[r.Profile]
		switch {
		case !ok:
			return in, fmt.Errorf("unknown time profile %q%s", r.Profile, suggest.Hint(r.Profile, keysOf(l.cfg.profiles)))
		case p.Type == ProfileSinceLogin && st.Objects&^object.TypeSetOf(object.TypeAgent) != 0:
			return in, fmt.Errorf("time profile %q is SinceLogin, which applies only to Agent objects", r.Profile)
		}
		in.Profile = p
	}
	if t.Category.UsesTimeRange() {
		in.TimeRange = l.cfg.defaultRange()
	}
	return in, nil
}

// defaultRange is the range of a statistic whose category takes one and that names
// none: the config's Default range, else 0-20.
func (c *Config) defaultRange() *TimeRange {
	if r := c.ranges["Default"]; r != nil {
		return r
	}
	return DefaultTimeRange()
}

// formulaCycles reports each Formula stat type that reads itself, through its inputs'
// stat types (a statistic named by id reads its stat type).
func (l *loader) formulaCycles() {
	const (
		unseen = iota
		active
		done
	)
	state := map[*StatType]int{}
	var path []*StatType
	var visit func(st *StatType)
	visit = func(st *StatType) {
		state[st] = active
		path = append(path, st)
		for _, in := range st.Inputs {
			next := in.StatType
			if in.Statistic != nil {
				next = in.Statistic.StatType
			}
			if next == nil || next.Category != category.Formula {
				continue
			}
			switch state[next] {
			case active:
				var names []string
				from := len(path) - 1
				for from > 0 && path[from] != next {
					from--
				}
				for _, p := range path[from:] {
					names = append(names, p.Name)
				}
				names = append(names, next.Name)
				l.errorf(l.formulaNodes[st], "formula: stat type %q reads itself: %s", next.Name, strings.Join(names, " → "))
			case unseen:
				visit(next)
			}
		}
		path = path[:len(path)-1]
		state[st] = done
	}
	for _, st := range l.cfg.StatTypes {
		if st.Category == category.Formula && state[st] == unseen {
			visit(st)
		}
	}
}
