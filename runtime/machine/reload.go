package machine

import (
	"errors"
	"reflect"
	"slices"

	"github.com/statkit/statkit/runtime/config"
)

// ReloadResult says what a reload changed.
type ReloadResult struct {
	Kept     []string `json:"kept"`
	Opened   []string `json:"opened"`
	Closed   []string `json:"closed"`
	Reopened []string `json:"reopened"`
	// Skipped are new config statistics the engine does not compute (not opened).
	Skipped []string `json:"skipped"`
}

// ErrTopologyChanged refuses a reload that changes the topology.
var ErrTopologyChanged = errors.New("the topology changed; reload does not change the topology (restart with a fresh data directory)")

// CheckReload reports whether cfg may replace running (the reload rules' precondition):
// the same topology.
func CheckReload(running, cfg *config.Config) error {
	if !reflect.DeepEqual(cfg.Topology, running.Topology) {
		return ErrTopologyChanged
	}
	return nil
}

// reload switches to cfg (see the reload rules in the package documentation).
func (m *Machine) reload(cfg *config.Config, text []byte) (ReloadResult, error) {
	res := ReloadResult{Kept: []string{}, Opened: []string{}, Closed: []string{}, Reopened: []string{}, Skipped: []string{}}
	if cfg == nil || cfg == m.cfg {
		return res, nil
	}
	if err := CheckReload(m.cfg, cfg); err != nil {
		return res, err
	}
	want := map[string]*config.Statistic{}
	for _, st := range cfg.Statistics {
		if m.serves(cfg, st) {
			want[st.ID] = st
		}
	}
	for _, old := range m.eng.Statistics() {
		id := old.ID
		if _, api := m.api[id]; api {
			if nw, err := cfg.NewStatistic(SpecOf(old)); err == nil {
				nw.SetNotification(old.Notification)
				if SameDef(old, nw) {
					continue
				}
			}
		} else if nw, ok := want[id]; ok && SameDef(old, nw) {
			res.Kept = append(res.Kept, id)
			continue
		} else if ok {
			res.Reopened = append(res.Reopened, id)
		}
		m.eng.Close(id)
		delete(m.open, id)
		delete(m.api, id)
		if !slices.Contains(res.Reopened, id) {
			res.Closed = append(res.Closed, id)
		}
	}
	for _, st := range cfg.Statistics {
		if _, ok := m.open[st.ID]; ok || want[st.ID] == nil {
			continue
		}
		if err := m.eng.Open(st); err != nil {
			m.log.Warn("reload: statistic not opened", "statistic", st.ID, "err", err)
			res.Skipped = append(res.Skipped, st.ID)
			continue
		}
		m.open[st.ID] = st
		if !slices.Contains(res.Reopened, st.ID) {
			res.Opened = append(res.Opened, st.ID)
		}
	}
	m.cfg, m.cfgText = cfg, text
	return res, nil
}

// SameDef reports whether two statistics have the same definition, by content.
func SameDef(a, b *config.Statistic) bool {
	deref := func(p any) any {
		v := reflect.ValueOf(p)
		if v.IsNil() {
			return nil
		}
		return v.Elem().Interface()
	}
	return a.ID == b.ID && a.Object == b.Object && a.Notification == b.Notification &&
		sameStatType(a.StatType, b.StatType) &&
		reflect.DeepEqual(deref(a.Profile), deref(b.Profile)) &&
		reflect.DeepEqual(deref(a.TimeRange), deref(b.TimeRange)) &&
		reflect.DeepEqual(deref(a.Filter), deref(b.Filter))
}

// sameStatType reports whether two stat types are the same by content. A Formula stat
// type's compiled program is compared by its text and references (two compilations of
// one text are not DeepEqual: the program holds functions), and its inputs by content.
func sameStatType(a, b *config.StatType) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Compiled, y.Compiled, x.Inputs, y.Inputs = nil, nil, nil, nil
	if !reflect.DeepEqual(x, y) || (a.Compiled == nil) != (b.Compiled == nil) || len(a.Inputs) != len(b.Inputs) {
		return false
	}
	if a.Compiled != nil && (a.Compiled.Text != b.Compiled.Text || !reflect.DeepEqual(a.Compiled.Refs, b.Compiled.Refs)) {
		return false
	}
	for i := range a.Inputs {
		p, q := a.Inputs[i], b.Inputs[i]
		if !reflect.DeepEqual(p.Ref, q.Ref) || !sameStatType(p.StatType, q.StatType) ||
			!reflect.DeepEqual(p.Profile, q.Profile) || !reflect.DeepEqual(p.TimeRange, q.TimeRange) ||
			(p.Statistic == nil) != (q.Statistic == nil) || p.Statistic != nil && !SameDef(p.Statistic, q.Statistic) {
			return false
		}
	}
	return true
}

// Reconfigure switches the machine to cfg under the reload rules without a record: a
// what-if replay (statkit replay --log --config) runs the log's records under another
// config this way, with Options.FixedConfig so that the log's own reloads are ignored.
func (m *Machine) Reconfigure(cfg *config.Config, text []byte) (ReloadResult, error) {
	return m.reload(cfg, text)
}
