package source

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// Options configure a Mapper.
type Options struct {
	// Topology, when set, refuses a record whose queue is not a mediation DN of it, or whose
	// agent or agent DN (a regular DN) it does not have; it also gives the DN types that
	// choose an action's row (CallAnswered on a virtual queue). Nil checks nothing.
	Topology *config.Topology
	// AgentDN maps an agent id to the id of its regular DN; an agent it does not list uses
	// its own id.
	AgentDN map[string]string
	// Attach lists the platform variable names (channel variables) kept as attached data;
	// data items that read platform variables keep only these. Empty keeps none.
	Attach []string
	// Logger receives the notice, once per event name, of a record no rule maps; nil is
	// slog.Default().
	Logger *slog.Logger
}

// Bounds of the mapper's state: agents it keeps presence for and interactions with call
// actions in progress. Beyond them a record that would add one is refused (CodeTooMany).
const (
	MaxAgents = 1 << 16
	MaxCalls  = 1 << 18
)

// Stats count what a Mapper did since it was made (they are not part of its state).
type Stats struct {
	Records  int64 // records given to Map
	Rejected int64 // records refused
	Events   int64 // events produced
	// Unmapped counts the records of events no rule maps, per event name.
	Unmapped map[string]int64
	// Updates counts the updates emitted: attached data changed during a call, sent as
	// the durable action's "update" phase carrying the pairs that changed.
	Updates int64
	// UpdatesHeld counts updates that were not emitted because the event model had no
	// update phase (the mapper kept the data); 0 now that it has one.
	UpdatesHeld int64
}

// Mapper applies one format's mapping table to its records. It is deterministic: the same
// records from the same state give the same events. It is not safe for concurrent use.
type Mapper struct {
	f      *gs.Format
	opts   Options
	attach map[string]bool
	log    *slog.Logger
	st     state
	stats  Stats
	logged map[string]bool // unmapped names already logged
	cur    cursor
}

// cursor is what Map knows about the record being mapped.
type cursor struct {
	r     *Record
	ev    *gs.Event
	name  string
	t     event.Time
	queue string // "" when none
	agent string
	dn    string // the agent's regular DN
	ixn   string
	out   []event.Event
}

// NewMapper returns a Mapper for format f, with an empty state.
func NewMapper(f *gs.Format, opts Options) *Mapper {
	m := &Mapper{f: f, opts: opts, attach: map[string]bool{}, log: opts.Logger, logged: map[string]bool{}}
	for _, a := range opts.Attach {
		m.attach[a] = true
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.st = newState()
	m.stats.Unmapped = map[string]int64{}
	return m
}

// Format returns the mapper's format.
func (m *Mapper) Format() *gs.Format { return m.f }

// SetTopology replaces the topology records are checked against (after a config reload).
func (m *Mapper) SetTopology(t *config.Topology) { m.opts.Topology = t }

// Stats returns a copy of the counters.
func (m *Mapper) Stats() Stats {
	s := m.stats
	s.Unmapped = maps.Clone(m.stats.Unmapped)
	return s
}

// Map appends to out the events of record r and returns them. A refused record returns
// out unchanged and a rejection carrying r.Line, a code and the reason; the mapper's state
// is then unchanged too. A record of an event the table does not list appends nothing and
// is no rejection (see Stats.Unmapped).
func (m *Mapper) Map(r *Record, out []event.Event) ([]event.Event, *event.Rejection) {
	m.stats.Records++
	n := len(out)
	c := &m.cur
	*c = cursor{r: r, out: out}
	if rej := m.prepare(); rej != nil {
		m.stats.Rejected++
		rej.Line = r.Line
		return out, rej
	}
	if c.ev == nil { // unmapped
		return out, nil
	}
	undo := m.st.checkpoint(c.agent, c.ixn, clears(c.ev))
	if rej := m.apply(); rej != nil {
		m.st.restore(undo)
		m.stats.Rejected++
		rej.Line = r.Line
		return out[:n], rej
	}
	m.stats.Events += int64(len(c.out) - n)
	return c.out, nil
}

// clears reports whether an event may change every agent or call.
func clears(ev *gs.Event) bool {
	for _, op := range ev.Ops {
		if op.Kind == gs.OpClearCalls || op.Kind == gs.OpClearSessions {
			return true
		}
	}
	return false
}

func reject(code, format string, args ...any) *event.Rejection {
	return &event.Rejection{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// prepare names the event, checks its fields and reads time, queue, agent and
// interaction; c.ev stays nil for an unmapped event.
func (m *Mapper) prepare() *event.Rejection {
	c := &m.cur
	for _, nf := range m.f.NameFields {
		if v, ok := c.r.Get(nf); ok && v != "" {
			c.name = v
			break
		}
	}
	if c.name == "" {
		return reject(CodeNoEvent, "the record names no event (field %s)", strings.Join(m.f.NameFields, " or "))
	}
	ev, ok := m.f.Event(c.name)
	if !ok {
		m.stats.Unmapped[c.name]++
		if !m.logged[c.name] && len(m.logged) < 1024 {
			m.logged[c.name] = true
			m.log.Info("source event not mapped; counted and skipped (logged once per event)", "format", m.f.Name, "event", Clip(c.name), "line", c.r.Line)
		}
		return nil
	}
	if len(ev.Emits) == 0 && len(ev.Ops) == 0 {
		return nil // recognised, and changes nothing
	}
	for _, fields := range [][]gs.Field{m.f.Fields, ev.Fields} {
		for _, fd := range fields {
			v, ok := c.r.Get(fd.Name)
			if !ok {
				if !fd.Optional {
					return reject(CodeMissingField, "%s: field %s is missing", c.name, fd.Name)
				}
				continue
			}
			if err := checkType(fd.Type, v, fd.Optional); err != nil {
				return reject(CodeBadField, "%s: field %s %q %v", c.name, fd.Name, Clip(v), err)
			}
		}
	}
	if v, ok := m.value(m.f.TimeField); ok {
		tf, _ := m.f.Field(ev, m.f.TimeField)
		c.t, _ = parseEpoch(tf.Type, v) // checked above
	} else if m.f.TimeReceived && c.r.Received != 0 {
		c.t = c.r.Received
	} else {
		return reject(CodeNoTime, "%s: field %s is missing and the record has no receipt time", c.name, m.f.TimeField)
	}
	c.ev = ev
	c.queue = m.object(m.f.Queue)
	c.agent = m.object(m.f.Agent)
	if c.agent != "" {
		c.dn = c.agent
		if d, ok := m.opts.AgentDN[c.agent]; ok {
			c.dn = d
		}
	}
	ixnField := m.f.Interaction
	if ev.Interaction != "" {
		ixnField = ev.Interaction
	}
	if ixnField != "" {
		c.ixn, _ = c.r.Get(ixnField)
	}
	for _, id := range [...]struct{ what, v string }{{"queue", c.queue}, {"agent", c.agent}, {"interaction", c.ixn}, {"agent DN", c.dn}} {
		if !utf8.ValidString(id.v) {
			return reject(CodeBadField, "%s: the %s %q is not valid UTF-8", c.name, id.what, Clip(id.v))
		}
	}
	return nil
}

// value returns field name of the current record when present, not empty and, for an
// epoch, not 0 (platforms write 0 for a time that did not happen).
func (m *Mapper) value(name string) (string, bool) {
	c := &m.cur
	v, ok := c.r.Get(name)
	if !ok || v == "" {
		return "", false
	}
	if fd, _ := m.f.Field(c.ev, name); (fd.Type == gs.FieldEpoch || fd.Type == gs.FieldEpochMicros) && strings.Trim(v, "0.") == "" {
		return "", false
	}
	return v, true
}

// object reads a queue or agent field.
func (m *Mapper) object(o gs.Object) string {
	v, ok := m.cur.r.Get(o.Field)
	if !ok || slices.Contains(o.None, v) {
		return ""
	}
	for _, p := range o.TrimPrefix {
		if rest, ok := strings.CutPrefix(v, p); ok {
			v = rest
			break
		}
	}
	return v
}

// checkType checks a field's text against its type; an empty optional field is absent.
func checkType(t gs.FieldType, v string, optional bool) error {
	if t == gs.FieldText || (v == "" && optional) {
		return nil
	}
	if v == "" {
		return fmt.Errorf("is empty; want %s", t)
	}
	var err error
	switch t {
	case gs.FieldInt:
		_, err = strconv.ParseInt(v, 10, 64)
	case gs.FieldSeconds, gs.FieldMilliseconds:
		var n int64
		n, err = strconv.ParseInt(v, 10, 64)
		if err == nil && (n < 0 || n > event.MaxDuration/1000) {
			return fmt.Errorf("is not a duration in %s", t)
		}
	case gs.FieldEpoch, gs.FieldEpochMicros:
		_, err = parseEpoch(t, v)
	}
	if err != nil {
		return fmt.Errorf("is not %s", aTypeWord(t))
	}
	return nil
}

func aTypeWord(t gs.FieldType) string {
	switch t {
	case gs.FieldInt:
		return "an integer"
	case gs.FieldSeconds:
		return "a number of seconds"
	case gs.FieldMilliseconds:
		return "a number of milliseconds"
	case gs.FieldEpoch:
		return "a Unix time in seconds"
	case gs.FieldEpochMicros:
		return "a Unix time in microseconds"
	}
	return t.String()
}

// parseEpoch reads a Unix time in seconds (digits, optionally a dot and up to 9 fraction
// digits, below the millisecond truncated) or in microseconds.
func parseEpoch(t gs.FieldType, v string) (event.Time, error) {
	if t == gs.FieldEpochMicros {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad epoch")
		}
		return event.Time(n / 1000), checkTime(event.Time(n / 1000))
	}
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" || len(whole) > 12 || len(frac) > 9 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, fmt.Errorf("bad epoch")
	}
	s, _ := strconv.ParseInt(whole, 10, 64)
	ms := s * 1000
	for i, scale := range [3]int64{100, 10, 1} {
		if i < len(frac) {
			ms += int64(frac[i]-'0') * scale
		}
	}
	return event.Time(ms), checkTime(event.Time(ms))
}

func checkTime(t event.Time) error {
	if t < 0 || t > event.MaxTime {
		return fmt.Errorf("out of range")
	}
	return nil
}

// durationMillis reads a seconds or milliseconds field as milliseconds.
func durationMillis(t gs.FieldType, v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64) // checked by checkType
	if t == gs.FieldSeconds {
		return n * 1000
	}
	return n
}

// Clip shortens a value quoted in a rejection's reason or a log line to 64 bytes and "…":
// a record's reason never echoes a huge input.
func Clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// holds reports whether every condition holds for the current record.
func (m *Mapper) holds(conds []gs.Cond) bool {
	for _, cd := range conds {
		v, present := m.value(cd.Field)
		switch cd.Kind {
		case gs.CondIs:
			if !present || !slices.Contains(cd.Values, v) {
				return false
			}
		case gs.CondNot:
			if present && slices.Contains(cd.Values, v) {
				return false
			}
		case gs.CondPresent:
			if !present {
				return false
			}
		case gs.CondAbsent:
			if present {
				return false
			}
		}
	}
	return true
}

// apply checks the objects the event's rules need and produces its events: the presence
// operations' (in rule order), the presence changes they cause, then the emitted actions.
func (m *Mapper) apply() *event.Rejection {
	c := &m.cur
	if rej := m.checkObjects(); rej != nil {
		return rej
	}
	touched := false
	for i := range c.ev.Ops {
		op := &c.ev.Ops[i]
		if !m.holds(op.When) {
			continue
		}
		if rej := m.op(op); rej != nil {
			return rej
		}
		touched = touched || (op.Kind != gs.OpClearCalls && op.Kind != gs.OpClearSessions)
	}
	if touched && c.agent != "" {
		if rej := m.settle(c.agent); rej != nil {
			return rej
		}
	}
	for i := range c.ev.Emits {
		e := &c.ev.Emits[i]
		if !m.holds(e.When) {
			continue
		}
		if e.On == gs.TargetCall {
			m.update(e)
			continue
		}
		if rej := m.emit(e); rej != nil {
			return rej
		}
	}
	return nil
}

// checkObjects refuses a record whose rules need a queue or an agent it lacks, or that the
// topology does not have.
func (m *Mapper) checkObjects() *event.Rejection {
	c := &m.cur
	needQueue, needAgent := false, false
	for i := range c.ev.Emits {
		e := &c.ev.Emits[i]
		if !m.holds(e.When) {
			continue
		}
		needQueue = needQueue || e.On == gs.TargetQueue
		needAgent = needAgent || e.On == gs.TargetAgent || (e.NameAgent && c.agent != "")
	}
	for i := range c.ev.Ops {
		op := &c.ev.Ops[i]
		if !m.holds(op.When) {
			continue
		}
		switch op.Kind {
		case gs.OpJoin, gs.OpLeave:
			needQueue, needAgent = true, true
		case gs.OpLogin, gs.OpLogout, gs.OpPause, gs.OpUnpause:
			needAgent = true
			needQueue = needQueue || (c.queue != "" && !op.All)
		}
	}
	if needQueue && c.queue == "" {
		return reject(CodeNoQueue, "%s names no queue (field %s)", c.name, m.f.Queue.Field)
	}
	if needAgent && c.agent == "" {
		return reject(CodeNoAgent, "%s names no agent (field %s)", c.name, m.f.Agent.Field)
	}
	t := m.opts.Topology
	if t == nil {
		return nil
	}
	if needQueue && !t.Known(object.ClassMediationDN, c.queue) {
		return reject(CodeUnknownQueue, "%s: queue %q is not a mediation DN of the topology (declare it, e.g. {id: %q, type: ACDQueue})", c.name, Clip(c.queue), Clip(c.queue))
	}
	if needAgent {
		if _, ok := t.Agent(c.agent); !ok {
			return reject(CodeUnknownAgent, "%s: agent %q is not in the topology", c.name, Clip(c.agent))
		}
		if !t.Known(object.ClassRegularDN, c.dn) {
			return reject(CodeUnknownAgent, "%s: agent %q has no regular DN %q in the topology (declare it, or map the agent to its DN)", c.name, Clip(c.agent), Clip(c.dn))
		}
	}
	return nil
}

// source returns the event source of a target.
func (m *Mapper) source(on gs.Target) event.Source {
	if on == gs.TargetQueue {
		return event.Source{Class: object.ClassMediationDN, ID: m.cur.queue}
	}
	return event.Source{Class: object.ClassRegularDN, ID: m.cur.dn}
}

// row returns the action row for an emit on src: the mapping's, or when the mapping names
// no variant the row chosen for the DN's type, as for an event without a variant.
func (m *Mapper) row(a action.ID, exact bool, src event.Source) action.ID {
	if exact || m.opts.Topology == nil || a.Variant() == "" {
		return a
	}
	dt, ok := m.opts.Topology.DNType(src.ID)
	if !ok || dt.Class() != src.Class {
		return a
	}
	if r, err := action.Lookup(a.Name(), src.Class, "", dt); err == nil {
		return r
	}
	return a
}

// emit produces one action of the event.
func (m *Mapper) emit(e *gs.Emit) *event.Rejection {
	c := &m.cur
	src := m.source(e.On)
	ev := event.Event{Time: c.t, Action: m.row(e.Action, e.Variant, src), Source: src, Line: c.r.Line}
	if e.Action.IsInteraction() {
		ev.Interaction = c.ixn
		ev.Media = m.f.Media
	}
	if e.NameAgent || e.On == gs.TargetAgent {
		ev.Agent = c.agent
	}
	switch e.Phase {
	case gs.PhaseStart:
		ev.Phase = event.PhaseStart
	case gs.PhaseEnd:
		ev.Phase = event.PhaseEnd
	}
	if e.Duration.Kind != gs.DurationNone {
		d, ok := m.duration(e.Duration)
		if !ok {
			return nil // an optional field is absent: the spec guards it, so the rule does not apply
		}
		if d < 0 {
			return reject(CodeBadField, "%s: the duration of %s is negative (%d ms)", c.name, ev.Action, d)
		}
		ev.Duration = d
	}
	ev.Data = m.data(e.Data, nil)
	if ev.Phase != event.PhaseNone && ev.Interaction != "" {
		if rej := m.st.track(&ev); rej != nil {
			return rej
		}
	}
	c.out = append(c.out, ev)
	return nil
}

// duration computes a retrospective action's duration in milliseconds; false when a field
// it reads is absent.
func (m *Mapper) duration(d gs.Duration) (int64, bool) {
	c := &m.cur
	switch d.Kind {
	case gs.DurationField:
		v, ok := m.value(d.Field)
		if !ok {
			return 0, false
		}
		fd, _ := m.f.Field(c.ev, d.Field)
		return durationMillis(fd.Type, v), true
	case gs.DurationBetween, gs.DurationSince:
		from, ok := m.epoch(d.From)
		if !ok {
			return 0, false
		}
		to := c.t
		if d.Kind == gs.DurationBetween {
			if to, ok = m.epoch(d.To); !ok {
				return 0, false
			}
		}
		return int64(to - from), true
	}
	return 0, false
}

func (m *Mapper) epoch(name string) (event.Time, bool) {
	v, ok := m.value(name)
	if !ok {
		return 0, false
	}
	fd, _ := m.f.Field(m.cur.ev, name)
	t, err := parseEpoch(fd.Type, v)
	return t, err == nil
}

// data builds attached data from items, appended to base (a copy is made).
func (m *Mapper) data(items []gs.Data, base event.Data) event.Data {
	if len(items) == 0 {
		return base
	}
	out := slices.Clone(base)
	// Platforms may write text in a legacy encoding (a Latin-1 caller name): invalid bytes
	// become U+FFFD rather than costing the record.
	add := func(k, v string) {
		out = setPair(out, strings.ToValidUTF8(k, "\uFFFD"), strings.ToValidUTF8(v, "\uFFFD"))
	}
	c := &m.cur
	for _, d := range items {
		switch d.Kind {
		case gs.DataField:
			if v, ok := m.value(d.Field); ok {
				add(d.Key, v)
			}
		case gs.DataValue:
			add(d.Key, d.Value)
		case gs.DataPairs:
			for _, f := range c.r.Fields {
				if f.Name != d.Field {
					continue
				}
				if k, v, ok := strings.Cut(f.Value, "="); ok && m.attach[k] {
					add(k, v)
				}
			}
		case gs.DataPrefix:
			for _, f := range c.r.Fields {
				if k, ok := strings.CutPrefix(f.Name, d.Value); ok && m.attach[k] {
					add(k, f.Value)
				}
			}
		case gs.DataAssign:
			if v, ok := c.r.Get(d.Field); ok {
				if k, val, ok := strings.Cut(v, "="); ok && m.attach[k] {
					add(k, val)
				}
			}
		case gs.DataKeyField:
			k, _ := c.r.Get(d.KeyField)
			v, _ := c.r.Get(d.Field)
			if m.attach[k] {
				add(k, v)
			}
		}
	}
	if out == nil {
		return nil
	}
	return out
}

// setPair sets key to value in d, replacing the first pair with that key.
func setPair(d event.Data, key, value string) event.Data {
	for i := range d {
		if d[i].Key == key {
			d[i].Value = value
			return d
		}
	}
	return append(d, event.Pair{Key: key, Value: value})
}

// update changes the data of the call actions in progress for the interaction: the
// update carries the pairs that changed (the engine merges them as a patch), and the
// mapper keeps the merged data.
func (m *Mapper) update(e *gs.Emit) {
	c := &m.cur
	if c.ixn == "" {
		return
	}
	calls := m.st.Calls[c.ixn]
	for i := range calls {
		oc := &calls[i]
		if oc.Action.Name() != e.Action.Name() {
			continue
		}
		changed := m.data(e.Data, nil)
		var delta event.Data
		for _, p := range changed {
			if v, ok := oc.Data.Get(p.Key); !ok || v != p.Value {
				delta = append(delta, p)
			}
		}
		if len(delta) == 0 {
			continue
		}
		for _, p := range delta {
			oc.Data = setPair(oc.Data, p.Key, p.Value)
		}
		ph, ok := phaseUpdate()
		if !ok {
			m.stats.UpdatesHeld++
			continue
		}
		m.stats.Updates++
		c.out = append(c.out, event.Event{Time: c.t, Action: oc.Action, Phase: ph, Source: event.Source{Class: oc.Class, ID: oc.Source},
			Interaction: c.ixn, Media: m.f.Media, Agent: oc.Agent, Data: delta, Line: c.r.Line})
	}
}

// phaseUpdate is the event phase of an update: event.PhaseUpdate, the engine's merge of
// the changed pairs into the durable instance in progress (filters follow it). Before the
// event model had it, updates were held (kept in the mapper's state, counted in
// Stats.UpdatesHeld); this is the one place that would say so again.
func phaseUpdate() (event.Phase, bool) { return event.PhaseUpdate, true }
