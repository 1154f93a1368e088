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
		want[st.ID] = st
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
		if _, ok := m.open[st.ID]; ok {
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
		reflect.DeepEqual(deref(a.StatType), deref(b.StatType)) &&
		reflect.DeepEqual(deref(a.Profile), deref(b.Profile)) &&
		reflect.DeepEqual(deref(a.TimeRange), deref(b.TimeRange)) &&
		reflect.DeepEqual(deref(a.Filter), deref(b.Filter))
}

// Reconfigure switches the machine to cfg under the reload rules without a record: a
// what-if replay (statkit replay --log --config) runs the log's records under another
// config this way, with Options.FixedConfig so that the log's own reloads are ignored.
func (m *Machine) Reconfigure(cfg *config.Config, text []byte) (ReloadResult, error) {
	return m.reload(cfg, text)
}
