package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/store"
)

// Recovery, snapshots and reloads.
//
// The state is a deterministic function of the log's records (runtime/machine), so New
// recovers it from the log: it restores the newest usable snapshot (a machine snapshot:
// the config text, the API statistics, the pipeline's held events and idempotency keys,
// the engine), applies every record after it up to the log's last durable one, then
// reconciles what the options ask for with what the log says, through records of their
// own: a settings record when the pipeline settings changed (--reorder-window,
// --idempotency-window…), a reload record when the config file changed while the server
// was down (the reload rules below). A fresh durable log starts with a settings record
// and a reload record of the config (record 1 and 2, which change nothing), and a
// snapshot of the initial state is written, so that the log can be replayed from its
// start (statkit replay --log) as long as its first segment is kept.
// Data directories written before the pipeline ('E' event records, snapshot version 1)
// recover the same way.
//
// Every Options.SnapshotEvery records or Options.SnapshotInterval, and at a clean
// shutdown, the owner serializes a snapshot and a background goroutine hands it to the
// log, named by the last record it covers.
//
// Reload rules (POST /v1/config/reload, SIGHUP in statkit serve, and at recovery): the
// new config must load without error (else 400 with every positioned error, and the
// running config stays); its topology must equal the running one; then runtime/machine's
// rules apply (unchanged statistics keep their values, changed ones start over, new ones
// open, removed ones close; API statistics stay open when they still resolve to the same
// definition). A reload is a record: it takes effect where it is in the log, on every
// process that applies the log.

// errCaughtUp ends the recovery's Follow at the log's last record.
var errCaughtUp = errors.New("caught up")

// machineOptions are the options of the machine the server runs on the log — and of
// every other machine that applies it the same way (history's catch-up).
func (s *Server) machineOptions() machine.Options {
	mopts := machine.Options{Config: s.opts.Config, ConfigText: s.opts.ConfigText, Ingest: s.opts.settings(),
		Logger: s.log, Notifications: s.opts.Notifications != nil || s.hist != nil}
	if s.repl != nil {
		mopts.Serves = s.repl.Serves
	}
	return mopts
}

// recover builds the owner from the log: snapshot, records, reconciliation.
func (s *Server) recover() error {
	mopts := s.machineOptions()
	var mach *machine.Machine
	snap, err := s.lg.LoadSnapshot(func(seq uint64, payload []byte) error {
		m, err := machine.Restore(payload, mopts)
		if err != nil {
			return err
		}
		m.SetApplied(seq)
		mach = m
		return nil
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if mach == nil {
		if mach, err = machine.New(mopts); err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	if s.hist != nil {
		s.hist.begin(mach)
	}
	ctx := context.Background()
	last, err := s.lg.Last(ctx)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	replayed := 0
	if last > mach.Applied() {
		err := s.lg.Follow(ctx, mach.Applied(), func(seq uint64, rec []byte, _ any) error {
			res, err := mach.Apply(seq, rec, nil)
			if err != nil {
				return err
			}
			if s.hist != nil {
				s.hist.record(seq, res.Notifications)
			}
			replayed++
			if seq >= last {
				return errCaughtUp
			}
			return nil
		})
		if !errors.Is(err, errCaughtUp) {
			return fmt.Errorf("server: replaying the log: %w", err)
		}
	}
	s.own = s.newOwner(mach)
	s.applied.set(mach.Applied()) // WaitApplied after a restart waits for nothing already applied
	s.held.Store(int64(mach.Pipeline().Held()))
	fresh := s.durable && snap == 0 && last == 0 && mach.Applied() == 0
	if s.durable && !fresh {
		s.log.Info("recovered from the log", "snapshot", snap, "replayed", replayed, "statistics", mach.Len())
	}
	if fresh {
		// A new log starts with what it starts from — the pipeline's settings and the
		// config — so that it can be replayed from its first record once the initial
		// snapshot is gone (statkit replay --log). Both change nothing here.
		if err := s.applyNow(machine.AppendSettings(nil, mach.Settings()), nil); err != nil {
			return fmt.Errorf("server: starting the log: %w", err)
		}
		if s.opts.ConfigText != nil {
			if err := s.applyNow(machine.AppendReload(nil, s.opts.ConfigText), nil); err != nil {
				return fmt.Errorf("server: starting the log: %w", err)
			}
		}
	}
	if s.repl != nil {
		s.warnShared(mach)
		if fresh {
			s.own.snapshot()
			s.waitSnapshot()
		}
		return nil
	}
	// Reconcile the options with the log, through records.
	if want := s.opts.settings(); mach.Settings() != want {
		if err := s.applyNow(machine.AppendSettings(nil, want), nil); err != nil {
			return fmt.Errorf("server: recording the ingest settings: %w", err)
		}
	}
	if _, text := mach.Config(); s.opts.ConfigText != nil && !bytes.Equal(text, s.opts.ConfigText) {
		if cfg, _ := mach.Config(); machine.CheckReload(cfg, s.opts.Config) != nil {
			return fmt.Errorf("server: the config differs from the data directory's: %w", machine.ErrTopologyChanged)
		}
		p := newPending()
		p.dec.Config = s.opts.Config
		if err := s.applyNow(machine.AppendReload(nil, s.opts.ConfigText), p); err != nil {
			return fmt.Errorf("server: the config differs from the data directory's: %w", err)
		}
		if p.err != nil {
			return fmt.Errorf("server: the config differs from the data directory's: %w", p.err)
		}
	}
	if fresh {
		s.own.snapshot() // the initial state, with its config
		s.waitSnapshot()
	}
	return nil
}

// applyNow appends rec and applies it at once (before the owner goroutine runs). On a
// shared log (Replicated) it applies the log up to rec: other processes may have appended
// records before it.
func (s *Server) applyNow(rec []byte, p *pending) error {
	if p == nil {
		p = newPending()
	}
	seq, _, err := s.lg.Append(context.Background(), rec, "", p)
	if err != nil {
		return err
	}
	if s.repl != nil {
		if err := s.catchUp(seq); err != nil {
			return err
		}
		return p.err
	}
	s.own.apply(store.Entry{Seq: seq, Rec: rec, Local: p})
	return p.err
}

// setConfig publishes cfg as the config served (handlers read it without the owner).
func (s *Server) setConfig(cfg *config.Config, text []byte) {
	s.cfg.Store(cfg)
	s.cfgText.Store(&text)
	if cj, err := configJSON(cfg); err == nil {
		s.configJSON.Store(&cj)
	}
}

// maybeSnapshot takes a snapshot when enough records or time passed since the last.
func (o *owner) maybeSnapshot() {
	if !o.snapshots || o.sinceSnap == 0 {
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
	if err := o.mach.Snapshot(&buf); err != nil {
		<-o.snapping
		o.snapErr(err)
		return
	}
	seq := o.mach.Applied()
	o.sinceSnap, o.lastSnap, o.snapSize = 0, time.Now(), buf.Len()
	go func() {
		defer func() { <-o.snapping }()
		if err := o.s.lg.WriteSnapshot(seq, buf.Bytes()); err != nil {
			o.snapErr(err)
			return
		}
		o.m.snapshots.Inc()
	}()
}

// waitSnapshot waits for a snapshot being written (at shutdown).
func (s *Server) waitSnapshot() {
	if o := s.own; o != nil {
		o.snapping <- struct{}{}
		<-o.snapping
	}
}

// ReloadResult says what a reload changed.
type ReloadResult = machine.ReloadResult

// ReloadError is a config reload refused: the config's positioned errors, or why the
// change is not supported.
type ReloadError struct {
	Errors []string
}

// Error joins the errors, one per line.
func (e *ReloadError) Error() string { return strings.Join(e.Errors, "\n") }

// Reload loads the config again with Options.Reload and switches to it (see the reload
// rules). A config that does not load, or changes the topology, is refused with a
// *ReloadError and the running config stays. The reload is a record of the log: it
// returns once the record is durable and applied.
func (s *Server) Reload(ctx context.Context) (ReloadResult, error) {
	if s.opts.Reload == nil {
		return ReloadResult{}, &ReloadError{Errors: []string{"this server has no config file to reload"}}
	}
	if err := s.failed(); err != nil {
		return ReloadResult{}, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	cfg, text, err := s.opts.Reload()
	if err != nil {
		s.m.reloads.WithLabelValues("refused").Inc()
		return ReloadResult{}, &ReloadError{Errors: strings.Split(strings.TrimSpace(err.Error()), "\n")}
	}
	if err := machine.CheckReload(s.cfg.Load(), cfg); err != nil {
		s.m.reloads.WithLabelValues("refused").Inc()
		return ReloadResult{}, &ReloadError{Errors: []string{err.Error()}}
	}
	if s.repl != nil {
		if err := s.reloadSettings(ctx); err != nil {
			return ReloadResult{}, err
		}
	}
	if cur := s.cfgText.Load(); cur != nil && *cur != nil && bytes.Equal(*cur, text) {
		s.m.reloads.WithLabelValues("ok").Inc()
		res := ReloadResult{Kept: []string{}, Opened: []string{}, Closed: []string{}, Reopened: []string{}, Skipped: []string{}}
		for _, st := range s.cfg.Load().Statistics {
			res.Kept = append(res.Kept, st.ID)
		}
		return res, nil // the same text: nothing to change, nothing to log
	}
	p := newPending()
	p.dec.Config = cfg
	if _, _, err := s.appendRecord(ctx, machine.AppendReload(nil, text), "", p); err != nil {
		return ReloadResult{}, err
	}
	if p.err != nil {
		s.m.reloads.WithLabelValues("refused").Inc()
		return ReloadResult{}, &ReloadError{Errors: []string{p.err.Error()}}
	}
	res := ReloadResult{}
	if p.reload != nil {
		res = *p.reload
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
