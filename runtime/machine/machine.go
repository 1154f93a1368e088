package machine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
)

// LoadOptions are the options every config the machine loads from a record or a
// snapshot is loaded with: as statkit serve loads its config (filters and formulas
// compiled, so that a bad one is an error at its line:col).
var LoadOptions = config.Options{}

// Options configure a Machine.
type Options struct {
	// Config is the config of a new machine (New), or the config a version 1 snapshot
	// without one is restored against (Restore). ConfigText is its text (nil: unknown;
	// it is then not in snapshots).
	Config     *config.Config
	ConfigText []byte
	// Ingest are the pipeline's settings of a new machine (a restored one has its own).
	Ingest ingest.Options
	// Logger receives warnings (nil: slog.Default()).
	Logger *slog.Logger
	// Notifications turns the engine's notifications on; Apply returns them.
	Notifications bool
	// Wrap, when set, wraps the engine the pipeline drives (statkit replay watches the
	// clock move through it).
	Wrap func(ingest.Engine) ingest.Engine
	// FixedConfig ignores reload records: a what-if replay keeps its own config.
	FixedConfig bool
	// Serves, when set, says which tenants this machine serves (a replica of a group of
	// tenants, issue 17): statistics on objects of other tenants are not opened — the
	// config's are skipped (New, reloads), an open record's is refused. Every replica of
	// a group has the same tenants, so they all decide alike. Nil: every tenant.
	Serves func(tenant string) bool
}

// Decoded is what the process that appended a record already decoded, passed to Apply
// so that it is not decoded again. Only the fields of the record's kind are set.
type Decoded struct {
	// Header and Events: a batch record's header and accepted events (line numbers as
	// in the header's numbering).
	Header *BatchHeader
	Events []event.Event
	// Statistic: an open record's statistic, resolved against the running config.
	Statistic *config.Statistic
	// Config: a reload record's config.
	Config *config.Config
}

// Result is what applying one record completed. Apply reuses it: it is valid until the
// next Apply.
type Result struct {
	Seq  uint64
	Kind byte
	// Batch is a batch's (or an 'E' record's) result: its answer, or the first answer of
	// a duplicate; nil for other kinds. Input names the batch's input.
	Batch *ingest.Result
	Input string
	// Outcome: what the record released from the reorder buffer (batches and ticks),
	// and the engine's rejections of the events released.
	Outcome ingest.Outcome
	// Opened: the statistic an open record opened; Closed: the id a close record closed;
	// Reload: what a reload record changed.
	Opened *config.Statistic
	Closed string
	Reload *ReloadResult
	// Source: what a frames record did with its frames (nil for other kinds); Batch
	// and Outcome are then its batch's, Input its source's.
	Source *SourceResult
	// Err: why an open, close, reload, settings or frames record changed nothing (the
	// same wherever it is applied).
	Err error
	// Notifications: the engine's notifications since the previous record (with
	// Options.Notifications).
	Notifications []engine.Notification
}

// Machine is the state machine over log records (see the package documentation).
type Machine struct {
	opts Options
	log  *slog.Logger
	eng  *engine.Engine
	pipe *ingest.Pipeline

	cfg     *config.Config
	cfgText []byte
	open    map[string]*config.Statistic
	api     map[string]string // statistics opened through the API, and their owners
	next    int               // the number of the last generated id "s-N"
	pos     map[string][]byte // the inputs' positions
	src     map[string]*sourceState
	applied uint64

	res     Result
	batch   ingest.Result
	srcRes  SourceResult
	fevs    []event.Event
	notes   []engine.Notification
	scratch []byte
}

// New returns a machine at record 0: a new engine with opts.Config's statistics open
// (those the engine refuses — a category or profile it does not compute yet — are skipped
// with a warning, so that a config written for later features still serves the rest).
func New(opts Options) (*Machine, error) {
	if opts.Config == nil {
		return nil, errors.New("machine: no config")
	}
	m := newMachine(opts)
	topo := *opts.Config // shares the read-only lookups; the statistics are opened one by one
	topo.Statistics = nil
	eng, err := engine.New(&topo)
	if err != nil {
		return nil, fmt.Errorf("machine: %w", err)
	}
	m.eng, m.cfg, m.cfgText = eng, opts.Config, opts.ConfigText
	for _, st := range opts.Config.Statistics {
		if !m.serves(opts.Config, st) {
			continue
		}
		if err := eng.Open(st); err != nil {
			m.log.Warn("statistic not opened", "statistic", st.ID, "err", err)
			continue
		}
		m.open[st.ID] = st
	}
	m.pipe = ingest.New(m.driven(), opts.Ingest)
	m.start()
	return m, nil
}

func newMachine(opts Options) *Machine {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Machine{opts: opts, log: opts.Logger, open: map[string]*config.Statistic{},
		api: map[string]string{}, pos: map[string][]byte{}}
}

// driven is the engine the pipeline drives: the engine, wrapped when asked.
func (m *Machine) driven() ingest.Engine {
	if m.opts.Wrap != nil {
		return m.opts.Wrap(m.eng)
	}
	return m.eng
}

// start turns notifications on when asked (the first call also returns the current
// values of changes-mode statistics, which are not news).
func (m *Machine) start() {
	if m.opts.Notifications {
		m.notes = m.eng.Notifications(m.notes[:0])
	}
}

// Engine returns the engine. Callers read it (values, Changed); only the machine changes
// it.
func (m *Machine) Engine() *engine.Engine { return m.eng }

// Pipeline returns the ingest pipeline.
func (m *Machine) Pipeline() *ingest.Pipeline { return m.pipe }

// Keys returns the idempotency key table (safe to Lookup concurrently).
func (m *Machine) Keys() *ingest.Keys { return m.pipe.Keys() }

// Settings returns the pipeline's settings.
func (m *Machine) Settings() ingest.Options { return m.pipe.Options() }

// Config returns the running config and its text (nil when unknown).
func (m *Machine) Config() (*config.Config, []byte) { return m.cfg, m.cfgText }

// Applied returns the sequence number of the last record applied (that of the snapshot
// restored before any).
func (m *Machine) Applied() uint64 { return m.applied }

// Statistic returns open statistic id.
func (m *Machine) Statistic(id string) (*config.Statistic, bool) {
	st, ok := m.open[id]
	return st, ok
}

// Statistics returns the open statistics in the order they were opened.
func (m *Machine) Statistics() []*config.Statistic { return m.eng.Statistics() }

// Len returns the number of open statistics.
func (m *Machine) Len() int { return len(m.open) }

// API reports whether statistic id was opened through the API, and by which owner.
func (m *Machine) API(id string) (owner string, ok bool) {
	owner, ok = m.api[id]
	return owner, ok
}

// Position returns the last position recorded for input (nil when none).
func (m *Machine) Position(input string) []byte { return m.pos[input] }

// Apply applies record seq (see the package documentation). local is what the process
// that appended the record decoded (nil: decode it here).
func (m *Machine) Apply(seq uint64, rec []byte, local *Decoded) (*Result, error) {
	if len(rec) == 0 {
		return nil, errors.New("machine: empty record")
	}
	r := &m.res
	*r = Result{Seq: seq, Kind: rec[0], Notifications: r.Notifications[:0], Outcome: ingest.Outcome{Rejected: r.Outcome.Rejected[:0]}}
	var err error
	switch rec[0] {
	case KindBatch:
		err = m.applyBatch(seq, rec, local)
	case KindEvents:
		err = m.applyEvents(seq, rec[1:])
	case KindFrames:
		err = m.applyFrames(seq, rec)
	case KindTick:
		var t ingest.Tick
		if t, err = DecodeTick(rec); err == nil {
			r.Outcome = m.pipe.Tick(t)
		}
	case KindOpen:
		err = m.applyOpen(rec[1:], local)
	case KindClose:
		id := string(rec[1:])
		if r.Err = m.eng.Close(id); r.Err == nil {
			delete(m.open, id)
			delete(m.api, id)
			r.Closed = id
		}
	case KindReload:
		if m.opts.FixedConfig {
			break
		}
		cfg := (*config.Config)(nil)
		if local != nil {
			cfg = local.Config
		}
		if cfg == nil {
			if cfg, err = config.LoadWith("logged config", bytes.NewReader(rec[1:]), LoadOptions); err != nil {
				r.Err, err = fmt.Errorf("reload record: %v", err), nil
				break
			}
		}
		res, rerr := m.reload(cfg, append([]byte(nil), rec[1:]...))
		r.Reload, r.Err = &res, rerr
	case KindSettings:
		var o ingest.Options
		if o, err = decodeSettings(rec[1:]); err == nil {
			m.pipe.SetOptions(o)
		}
	default:
		err = fmt.Errorf("unknown record kind %q", rec[0])
	}
	if err != nil {
		return nil, fmt.Errorf("machine: record %d: %w", seq, err)
	}
	m.applied = seq
	if m.opts.Notifications {
		r.Notifications = m.eng.Notifications(r.Notifications)
	}
	return r, nil
}

// applyBatch sequences a batch record.
func (m *Machine) applyBatch(seq uint64, rec []byte, local *Decoded) error {
	var (
		h   BatchHeader
		evs []event.Event
	)
	if local != nil && local.Header != nil {
		h, evs = *local.Header, local.Events
	} else {
		var (
			body []byte
			err  error
		)
		if h, body, err = DecodeBatch(rec); err != nil {
			return err
		}
		var now []event.Rejection
		if evs, now, err = DecodeEvents(body, h.Line, m.eng); err != nil {
			return err
		}
		for _, rj := range now { // accepted at receipt, refused by this decoder
			m.log.Warn("a logged event is refused now", "record", seq, "line", rj.Line, "code", rj.Code)
			h.Rejected = append(h.Rejected, rj)
			h.RejectedTotal++
		}
	}
	b := ingest.Batch{Seq: seq, Input: h.Input, Key: h.Key, Sum: h.Sum, Wall: event.Time(h.Wall),
		Events: evs, Rejected: h.Rejected, RejectedTotal: h.RejectedTotal}
	m.batch = m.pipe.Batch(&b)
	r := &m.res
	r.Batch, r.Input, r.Outcome = &m.batch, h.Input, m.batch.Outcome
	if !m.batch.Duplicate && !m.batch.Conflict && len(h.Position) > 0 {
		m.pos[h.Input] = append([]byte(nil), h.Position...)
	}
	return nil
}

// applyEvents applies an 'E' record (the format before the pipeline): its events in
// order, straight to the engine, as they were applied when it was logged.
func (m *Machine) applyEvents(seq uint64, body []byte) error {
	evs, rejs, err := DecodeEvents(body, 1, m.eng)
	if err != nil {
		return err
	}
	if m.pipe.Held() > 0 { // cannot happen in a log written before the pipeline
		m.batch = m.pipe.Batch(&ingest.Batch{Seq: seq, Input: "log", Events: evs})
	} else {
		m.batch = ingest.Result{}
		drv := m.driven()
		for i := range evs {
			if err := drv.Apply(&evs[i]); err != nil {
				m.log.Warn("replay: a logged event is refused now", "record", seq, "line", evs[i].Line, "err", err)
				continue
			}
			m.batch.Answer.Accepted++
		}
	}
	for _, rj := range rejs {
		m.log.Warn("replay: a logged event is refused now", "record", seq, "line", rj.Line, "code", rj.Code)
	}
	m.res.Batch, m.res.Input = &m.batch, "log"
	return nil
}

// applyOpen opens the statistic of an open record under its id (old records) or a new
// id "s-N".
func (m *Machine) applyOpen(body []byte, local *Decoded) error {
	var or OpenRecord
	if err := json.Unmarshal(body, &or); err != nil {
		return fmt.Errorf("open record: %v", err)
	}
	r := &m.res
	var st *config.Statistic
	if local != nil && local.Statistic != nil && !m.opts.FixedConfig {
		st = local.Statistic
	} else {
		sp := or.Spec
		sp.ID = ""
		var err error
		if st, err = m.cfg.NewStatistic(sp); err != nil {
			r.Err = fmt.Errorf("open record: %w", err)
			return nil
		}
		st.SetNotification(or.Notification)
	}
	if !m.serves(m.cfg, st) {
		r.Err = fmt.Errorf("open record: %w", m.otherTenant(st))
		return nil
	}
	next := m.next
	if id := or.Spec.ID; id != "" {
		st.ID = id
		if n, ok := strings.CutPrefix(id, "s-"); ok {
			if k, err := strconv.Atoi(n); err == nil && k > m.next {
				m.next = k
			}
		}
	} else {
		for {
			m.next++
			st.ID = "s-" + strconv.Itoa(m.next)
			if _, taken := m.open[st.ID]; !taken {
				break
			}
		}
	}
	if err := m.eng.Open(st); err != nil {
		m.next = next // the id was not used
		r.Err = err
		return nil
	}
	m.open[st.ID], m.api[st.ID] = st, or.Owner
	r.Opened = st
	return nil
}
