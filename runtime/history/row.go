package history

import (
	"math"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// Statistic describes a recorded statistic: a row of table statistics without the times.
// A Row points to one; descriptions are immutable and shared.
type Statistic struct {
	ID         string
	StatType   string
	Category   string
	ObjectType string
	ObjectID   string
	Profile    string
	TimeRange  string // "" when the category takes none
	Filter     string // "" when none
}

// Describe returns the description of a configured statistic.
func Describe(st *config.Statistic) *Statistic {
	d := &Statistic{ID: st.ID, ObjectType: st.Object.Type.String(), ObjectID: st.Object.ID, Profile: config.DefaultProfileName}
	if st.StatType != nil {
		d.StatType, d.Category = st.StatType.Name, st.StatType.Category.String()
	}
	if st.Profile != nil {
		d.Profile = st.Profile.Name
	}
	if st.TimeRange != nil {
		d.TimeRange = st.TimeRange.Name
	}
	if st.Filter != nil {
		d.Filter = st.Filter.Name
	}
	return d
}

// Row is one interval's final value: a row of table intervals.
type Row struct {
	Statistic *Statistic
	// Start is the interval's start (the notification's From): the profile's reset before
	// End, or the statistic's open when it opened during the interval.
	Start event.Time
	End   event.Time // the reset instant that closed the interval
	// Value is the final value; NaN when it is undefined (stored as SQL NULL).
	Value float64
}

// Defined reports whether the row's value is defined.
func (r Row) Defined() bool { return !math.IsNaN(r.Value) }

// Recorder turns the notifications a state machine drained after applying a record into
// the rows history stores: one per reset-mode notification (the final value of the
// interval that ended at the notification's instant). Other modes are ignored. This is
// the one place rows are produced, for the live server, replay --history and catch-up
// alike. A Recorder is used by one goroutine (the one applying records).
type Recorder struct {
	lookup  func(id string) (*config.Statistic, bool)
	entries map[string]*recEntry
}

// recEntry caches what the recorder needs about a statistic; cfg tells a statistic
// reopened with another definition (a config reload) from the one it cached.
type recEntry struct {
	cfg      *config.Statistic
	desc     *Statistic
	recorded bool
}

// NewRecorder returns a recorder that finds the open statistics' definitions with lookup
// (the state machine's: config statistics and those opened through the API).
func NewRecorder(lookup func(id string) (*config.Statistic, bool)) *Recorder {
	return &Recorder{lookup: lookup, entries: map[string]*recEntry{}}
}

// Rows appends to dst the rows of the reset-mode notifications in ns and returns it, in
// the order of ns (by instant, then open order: one reset instant's rows are adjacent).
func (r *Recorder) Rows(dst []Row, ns []engine.Notification) []Row {
	for i := range ns {
		n := &ns[i]
		e := r.entry(n.Statistic)
		if e == nil || !e.recorded || n.Value.State != nil {
			continue // not recorded; a structured value cannot be reset mode (config refuses it)
		}
		dst = append(dst, Row{Statistic: e.desc, Start: n.From, End: n.At, Value: valueOf(n.Value)})
	}
	return dst
}

// entry returns the cached entry of statistic id, refreshed when its definition changed.
func (r *Recorder) entry(id string) *recEntry {
	st, ok := r.lookup(id)
	if !ok {
		delete(r.entries, id)
		return nil
	}
	if e := r.entries[id]; e != nil && e.cfg == st {
		return e
	}
	e := &recEntry{cfg: st, desc: Describe(st), recorded: Recorded(st)}
	r.entries[id] = e
	return e
}

// Recorded reports whether history records st: its notification mode is reset (which
// the config allows only on Growing profiles and historical categories).
func Recorded(st *config.Statistic) bool {
	return st.Notification.Mode == config.NotifyReset && (st.Profile == nil || st.Profile.Type == config.ProfileGrowing)
}

// valueOf is a notification's number as stored: an undefined value (a 0/0 ratio, null
// in JSON) and non-finite numbers (which JSON cannot carry either) are NaN, SQL NULL.
// This is the only place that reads the value.
func valueOf(v engine.Value) float64 {
	if !v.Defined() || math.IsInf(v.Number, 0) || math.IsNaN(v.Number) {
		return math.NaN()
	}
	return v.Number
}
