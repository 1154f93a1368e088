package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// Durability (Options.Store).
//
// The engine is a deterministic function of what the owner goroutine did to it, so the
// owner logs each of those things as a store record once it is done, in the order done:
//
//	'E' + NDJSON      the accepted events of a batch (rejected lines are not logged)
//	'T' + varint      a tick: the clock advanced to that event time
//	'O' + JSON        a statistic opened through the API: its definition and id
//	'C' + id          a statistic closed through the API
//	'R' + YAML        a config reload: the new config's text
//
// A batch's events are acknowledged (POST /v1/events answers) only once its record is
// durable under the store's fsync policy; opens and closes likewise. Readers may see the
// values of events that are applied but not durable yet: after a crash those events were
// never acknowledged, and the sender posts them again.
//
// Every Options.SnapshotEvery records or Options.SnapshotInterval, and at a clean
// shutdown, the owner serializes a snapshot — a JSON header line (format version, the
// config text, the API statistics' ids, the id counter) then engine.Snapshot — and a
// background goroutine hands it to the store, named by the last record it covers. On a
// fresh data directory a snapshot of the initial state (record 0) is written first, so
// the config the log starts from is always known.
//
// New recovers: it restores the newest usable snapshot against the config text it holds
// (falling back to older ones, then to an empty state when the log still starts at record
// 1), replays the records after it, then reloads the config given in Options (the file
// may have changed while the server was down) with the reload rules below.
//
// Reload rules (POST /v1/config/reload, SIGHUP in statkit serve, and at recovery):
//   - the new config must load without error (else 400 with every positioned error, and
//     the running config stays);
//   - its topology must equal the running one: topology changes are refused (the engine's
//     live state — instances in progress, logins, statuses — is indexed by object; a
//     topology change needs a restart on a fresh data directory);
//   - a config statistic with the same id and the same definition (stat type, object,
//     profile, time range, filter and notification, compared by content) keeps its value;
//     a changed one is closed and opened again (its value starts over); a new one opens,
//     a removed one closes;
//   - statistics opened through the API stay open when their definition resolves to the
//     same one in the new config, and are closed otherwise (named in the answer).

// Record kinds.
const (
	recEvents = 'E'
	recTick   = 'T'
	recOpen   = 'O'
	recClose  = 'C'
	recReload = 'R'
)

// errOverloaded: the ingest queue is full.
var errOverloaded = errors.New("server: ingest queue full")

// snapHeader is the first line of a server snapshot.
type snapHeader struct {
	Version int      `json:"version"`
	Config  string   `json:"config,omitempty"`
	API     []string `json:"api"`
	Next    int      `json:"next"`
}

// openRec is the JSON of an 'O' record.
type openRec struct {
	Spec         config.StatisticSpec `json:"spec"`
	Notification config.Notification  `json:"notification"`
}

func tickRecord(t event.Time) []byte {
	return binary.AppendVarint([]byte{recTick}, int64(t))
}

func openRecord(st *config.Statistic) []byte {
	b, _ := json.Marshal(openRec{Spec: specOf(st), Notification: st.Notification})
	return append([]byte{recOpen}, b...)
}

// specOf names the parts of st.
func specOf(st *config.Statistic) config.StatisticSpec {
	sp := config.StatisticSpec{ID: st.ID, StatType: st.StatType.Name,
		Object: config.ObjectSpec{Type: st.Object.Type.String(), ID: st.Object.ID}}
	if st.Profile != nil {
		sp.Profile = st.Profile.Name
	}
	if st.TimeRange != nil {
		sp.TimeRange = st.TimeRange.Name
	}
	if st.Filter != nil {
		sp.Filter = st.Filter.Name
	}
	return sp
}

// record appends rec to the log (nothing without a store) and counts it for snapshots.
func (o *owner) record(rec []byte) (uint64, error) {
	if o.st == nil {
		return 0, nil
	}
	seq, err := o.st.Append(rec)
	if err != nil {
		return 0, err
	}
	o.logged = seq
	o.sinceSnap++
	return seq, nil
}

// durable waits until record seq is durable (nothing to wait for without a store).
func (s *Server) durable(seq uint64) error {
	if seq == 0 || s.opts.Store == nil {
		return nil
	}
	if err := s.opts.Store.WaitDurable(seq); err != nil {
		return fmt.Errorf("server: not durable: %w", err)
	}
	return nil
}

// loadOptions compile filters and formulas at load, as statkit serve does.
var loadOptions = config.Options{}

// recoverOwner builds the owner: from Options.Config alone, or in durable mode from the
// store's snapshot and log, then reconciled with Options.Config.
func (s *Server) recoverOwner() (*owner, error) {
	st := s.opts.Store
	if st == nil {
		o, err := newOwner(s.opts.Config, s.m, s.log)
		if err != nil {
			return nil, err
		}
		o.cfgText = s.opts.ConfigText
		return o, nil
	}
	var o *owner
	seq, err := st.LoadSnapshot(func(seq uint64, payload []byte) error {
		var err error
		o, err = s.restoreOwner(payload)
		return err
	})
	if err != nil {
		return nil, err
	}
	if o == nil { // no snapshot: the log (if any) starts from the config given
		if o, err = newOwner(s.opts.Config, s.m, s.log); err != nil {
			return nil, err
		}
		o.cfgText = s.opts.ConfigText
	}
	replayed := 0
	err = st.Replay(seq, func(seq uint64, rec []byte) error {
		replayed++
		return o.replay(rec)
	})
	if err != nil {
		return nil, fmt.Errorf("server: replaying the log: %w", err)
	}
	s.log.Info("recovered from the data directory", "snapshot", seq, "replayed", replayed, "statistics", len(o.open))
	o.st, o.snapEvery, o.snapAfter = st, s.opts.SnapshotEvery, s.opts.SnapshotInterval
	o.snapping, o.lastSnap = make(chan struct{}, 1), time.Now()
	o.snapErr = func(err error) { s.log.Error("writing a snapshot", "err", err) }
	o.logged = st.LastSeq()
	if _, err := o.reload(s.opts.Config, s.opts.ConfigText); err != nil {
		return nil, fmt.Errorf("server: the config differs from the data directory's: %w", err)
	}
	if seq == 0 && o.logged == 0 {
		o.snapshot() // the initial state, with its config
		s.waitSnapshotOf(o)
	}
	return o, nil
}

// restoreOwner rebuilds an owner from a server snapshot.
func (s *Server) restoreOwner(payload []byte) (*owner, error) {
	line, rest, ok := bytes.Cut(payload, []byte("\n"))
	if !ok {
		return nil, errors.New("snapshot without a header line")
	}
	var h snapHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("snapshot header: %v", err)
	}
	if h.Version != 1 {
		return nil, fmt.Errorf("snapshot header version %d, this server reads 1", h.Version)
	}
	cfg, text := s.opts.Config, s.opts.ConfigText
	if h.Config != "" {
		c, err := config.LoadWith("snapshot config", strings.NewReader(h.Config), loadOptions)
		if err != nil {
			return nil, fmt.Errorf("the snapshot's config: %v", err)
		}
		cfg, text = c, []byte(h.Config)
	}
	eng, err := engine.Restore(cfg, bytes.NewReader(rest))
	if err != nil {
		return nil, err
	}
	o := &owner{eng: eng, open: map[string]*config.Statistic{}, m: s.m, log: s.log, cfg: cfg, cfgText: text,
		api: map[string]bool{}, next: h.Next}
	for _, st := range eng.Statistics() {
		o.open[st.ID] = st
	}
	for _, id := range h.API {
		o.api[id] = true
	}
	o.hub = &hub{m: s.m}
	o.n = newNotifier(eng, o.hub)
	s.m.statsOpen.Set(float64(len(o.open)))
	return o, nil
}

// replay applies one log record at recovery (nothing is logged again).
func (o *owner) replay(rec []byte) error {
	if len(rec) == 0 {
		return errors.New("empty record")
	}
	body := rec[1:]
	switch rec[0] {
	case recEvents:
		n := 0
		for len(body) > 0 {
			line, rest, _ := bytes.Cut(body, []byte("\n"))
			body = rest
			n++
			ev, err := event.DecodeLine(line, n, event.Options{Resolver: o.eng})
			if err == nil {
				err = o.eng.Apply(&ev)
			}
			if err != nil {
				o.log.Warn("replay: a logged event is refused now", "line", n, "err", err)
			}
		}
		return o.n.afterBatch()
	case recTick:
		t, k := binary.Varint(body)
		if k <= 0 {
			return errors.New("bad tick record")
		}
		o.eng.Advance(event.Time(t))
		return o.n.afterTick()
	case recOpen:
		var r openRec
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("open record: %v", err)
		}
		st, err := o.cfg.NewStatistic(r.Spec)
		if err != nil {
			return fmt.Errorf("open record %q: %v", r.Spec.ID, err)
		}
		st.Notification = r.Notification
		if err := o.eng.Open(st); err != nil {
			return fmt.Errorf("open record: %v", err)
		}
		o.open[st.ID], o.api[st.ID] = st, true
		if n, ok := strings.CutPrefix(st.ID, "s-"); ok {
			if k, err := strconv.Atoi(n); err == nil && k > o.next {
				o.next = k
			}
		}
		o.n.opened(st)
		o.m.statsOpen.Set(float64(len(o.open)))
		return nil
	case recClose:
		id := string(body)
		if err := o.eng.Close(id); err != nil {
			return fmt.Errorf("close record: %v", err)
		}
		delete(o.open, id)
		delete(o.api, id)
		o.m.statsOpen.Set(float64(len(o.open)))
		return o.n.closed(id)
	case recReload:
		cfg, err := config.LoadWith("logged config", bytes.NewReader(body), loadOptions)
		if err != nil {
			return fmt.Errorf("reload record: %v", err)
		}
		_, err = o.reload(cfg, body)
		return err
	}
	return fmt.Errorf("unknown record kind %q", rec[0])
}

// maybeSnapshot takes a snapshot when enough records or time passed since the last.
func (o *owner) maybeSnapshot() {
	if o.st == nil || o.sinceSnap == 0 {
		return
	}
	if (o.snapEvery > 0 && o.sinceSnap >= o.snapEvery) || (o.snapAfter > 0 && time.Since(o.lastSnap) >= o.snapAfter) {
		o.snapshot()
	}
}

// snapshot serializes the state on the owner goroutine and writes it in the background
// (one at a time: when one is still being written, this one waits for the next chance).
func (o *owner) snapshot() {
	select {
	case o.snapping <- struct{}{}:
	default:
		return
	}
	// Sized by the last snapshot, the buffer is allocated once instead of doubling (and
	// copying) its way up while the owner waits.
	var buf bytes.Buffer
	buf.Grow(o.snapSize + o.snapSize/8)
	h := snapHeader{Version: 1, Config: string(o.cfgText), API: []string{}, Next: o.next}
	for _, st := range o.eng.Statistics() {
		if o.api[st.ID] {
			h.API = append(h.API, st.ID)
		}
	}
	hb, _ := json.Marshal(h)
	buf.Write(hb)
	buf.WriteByte('\n')
	if err := o.eng.Snapshot(&buf); err != nil {
		<-o.snapping
		o.snapErr(err)
		return
	}
	seq := o.logged
	o.sinceSnap, o.lastSnap, o.snapSize = 0, time.Now(), buf.Len()
	go func() {
		defer func() { <-o.snapping }()
		if err := o.st.WriteSnapshot(seq, buf.Bytes()); err != nil {
			o.snapErr(err)
			return
		}
		o.m.snapshots.Inc()
	}()
}

// waitSnapshot waits for a snapshot being written (at shutdown).
func (s *Server) waitSnapshot() { s.waitSnapshotOf(s.own) }

func (s *Server) waitSnapshotOf(o *owner) {
	if o == nil || o.snapping == nil {
		return
	}
	o.snapping <- struct{}{}
	<-o.snapping
}

// sameDef reports whether two statistics have the same definition, by content.
func sameDef(a, b *config.Statistic) bool {
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

// ReloadResult says what a reload changed.
type ReloadResult struct {
	Kept     []string `json:"kept"`
	Opened   []string `json:"opened"`
	Closed   []string `json:"closed"`
	Reopened []string `json:"reopened"`
	// Skipped are new config statistics the engine does not compute (not opened).
	Skipped []string `json:"skipped"`
}

// reload switches to cfg (see the reload rules) and logs it; unchanged, it does nothing.
func (o *owner) reload(cfg *config.Config, text []byte) (ReloadResult, error) {
	res := ReloadResult{Kept: []string{}, Opened: []string{}, Closed: []string{}, Reopened: []string{}, Skipped: []string{}}
	if cfg == nil || cfg == o.cfg {
		return res, nil
	}
	if !reflect.DeepEqual(cfg.Topology, o.cfg.Topology) {
		return res, errors.New("the topology changed; reload does not change the topology (restart with a fresh data directory)")
	}
	want := map[string]*config.Statistic{}
	for _, st := range cfg.Statistics {
		want[st.ID] = st
	}
	changed := !bytes.Equal(text, o.cfgText)
	for _, old := range o.eng.Statistics() {
		id := old.ID
		if o.api[id] {
			if nw, err := cfg.NewStatistic(specOf(old)); err == nil {
				nw.Notification = old.Notification
				if sameDef(old, nw) {
					continue
				}
			}
		} else if nw, ok := want[id]; ok && sameDef(old, nw) {
			res.Kept = append(res.Kept, id)
			continue
		} else if ok {
			res.Reopened = append(res.Reopened, id)
		}
		o.eng.Close(id)
		delete(o.open, id)
		delete(o.api, id)
		if err := o.n.closed(id); err != nil {
			o.log.Warn("reload: notifying a closed statistic", "statistic", id, "err", err)
		}
		if !slicesContains(res.Reopened, id) {
			res.Closed = append(res.Closed, id)
		}
		changed = true
	}
	for _, st := range cfg.Statistics {
		if _, ok := o.open[st.ID]; ok {
			continue
		}
		if o.api[st.ID] {
			continue
		}
		if err := o.eng.Open(st); err != nil {
			o.log.Warn("reload: statistic not opened", "statistic", st.ID, "err", err)
			res.Skipped = append(res.Skipped, st.ID)
			continue
		}
		o.open[st.ID] = st
		o.n.opened(st)
		if !slicesContains(res.Reopened, st.ID) {
			res.Opened = append(res.Opened, st.ID)
		}
		changed = true
	}
	o.cfg, o.cfgText = cfg, text
	o.m.statsOpen.Set(float64(len(o.open)))
	if changed {
		if _, err := o.record(append([]byte{recReload}, text...)); err != nil {
			return res, err
		}
	}
	o.hub.flush()
	return res, nil
}

func slicesContains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ReloadError is a config reload refused: the config's positioned errors, or why the
// change is not supported.
type ReloadError struct {
	Errors []string
}

// Error joins the errors, one per line.
func (e *ReloadError) Error() string { return strings.Join(e.Errors, "\n") }

// Reload loads the config again with Options.Reload and switches to it (see the reload
// rules in durable.go). A config that does not load, or changes the topology, is refused
// with a *ReloadError and the running config stays.
func (s *Server) Reload(ctx context.Context) (ReloadResult, error) {
	if s.opts.Reload == nil {
		return ReloadResult{}, &ReloadError{Errors: []string{"this server has no config file to reload"}}
	}
	cfg, text, err := s.opts.Reload()
	if err != nil {
		s.m.reloads.WithLabelValues("refused").Inc()
		return ReloadResult{}, &ReloadError{Errors: strings.Split(strings.TrimSpace(err.Error()), "\n")}
	}
	var (
		res  ReloadResult
		rerr error
		seq  uint64
	)
	if err := s.do(ctx, func(o *owner) { res, rerr = o.reload(cfg, text); seq = o.logged }); err != nil {
		return ReloadResult{}, err
	}
	if rerr != nil {
		s.m.reloads.WithLabelValues("refused").Inc()
		return ReloadResult{}, &ReloadError{Errors: []string{rerr.Error()}}
	}
	if err := s.durable(seq); err != nil {
		return ReloadResult{}, err
	}
	s.cfg.Store(cfg)
	if cj, err := configJSON(cfg); err == nil {
		s.configJSON.Store(&cj)
	}
	s.m.reloads.WithLabelValues("ok").Inc()
	s.log.Info("config reloaded", "kept", len(res.Kept), "opened", len(res.Opened), "closed", len(res.Closed), "reopened", len(res.Reopened))
	return res, nil
}

// postReload handles POST /v1/config/reload: 200 with what changed, 400 {error, errors}
// when the config is refused (the running one stays).
func (s *Server) postReload(w http.ResponseWriter, r *http.Request) {
	res, err := s.Reload(r.Context())
	var re *ReloadError
	switch {
	case errors.As(err, &re):
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": "config refused; the running config stays", "errors": re.Errors})
	case err != nil:
		s.ownerError(w, err)
	default:
		s.writeJSON(w, http.StatusOK, res)
	}
}

// appendEvent appends e's NDJSON line to buf.
func appendEvent(buf []byte, e event.Event) ([]byte, error) {
	buf, err := event.AppendJSON(buf, e)
	return append(buf, '\n'), err
}
