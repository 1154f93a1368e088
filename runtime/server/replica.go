package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/store"
)

// Replication (issue 17; runtime/cluster wires it over NATS JetStream, docs/replication.md
// is the operator's view).
//
// A Replicated log is shared: several processes — the replicas of a group of tenants —
// append to it and apply every record of their group in the same order, so they hold the
// same state. The server then:
//
//   - splits an events batch by the tenant of each event's source object before it is
//     appended: one batch record per tenant, under that tenant (AppendTenant), each
//     holding the batch's lines of its tenant (the others left empty, so line numbers stay
//     those of the body). Records of the tenants this replica serves are waited for and
//     answered line by line as every replica of the group computes them; the lines of
//     other tenants are answered as forwarded, with the sequence of their record: their
//     own replicas apply them. A batch of one tenant is one record, as without
//     replication. With an Idempotency-Key K, a single record's message id is "k:"+K; the
//     parts of a split batch have the id "s:"+K (the log scopes both by tenant) and the
//     key K+"\x00"+tenant in their header, so that parts never take each other for
//     duplicates and a retry, on any replica, makes the same records;
//   - opens only the statistics of the tenants it serves (machine Options.Serves);
//   - appends ticks only while it holds the clock (Options.HoldsClock): a log that finds
//     another process ticking refuses the tick with ErrNotClockHolder, which is dropped;
//   - at start, takes the group's config and pipeline settings from the log: a config
//     file or flags that differ are warned about, not appended (a replica started with
//     an old file must not revert the group); a reload (SIGHUP, POST /v1/config/reload)
//     appends this replica's config and settings for the whole group;
//   - reports the replica's position and the clock's lease in /healthz ("replica") and
//     /metrics (statkit_replica_*).

// Replicated is a Log shared by the replicas of a group of tenants (runtime/cluster).
type Replicated interface {
	Log
	// AppendTenant appends rec under tenant (which this process may not serve: its own
	// replicas apply it), with Append's contract otherwise. Append files a record under
	// the group as a whole (ticks, reloads, settings, statistics opened and closed).
	AppendTenant(ctx context.Context, tenant string, rec []byte, id string, local any) (seq uint64, dup bool, err error)
	// Serves reports whether this process's group serves tenant.
	Serves(tenant string) bool
	// ReplicaStatus returns the replica's position and the lease's holder, as last
	// checked (cheap: /healthz and every /metrics scrape call it).
	ReplicaStatus() ReplicaStatus
}

// ErrNotClockHolder is returned by a Replicated log's Append of a tick when this process
// does not hold the group's clock (any more): the tick is not appended.
var ErrNotClockHolder = errors.New("server: this replica does not hold the clock")

// ReplicaStatus is a replica's position in the shared log and who holds the group's
// clock, for /healthz and /metrics.
type ReplicaStatus struct {
	// ID names this replica; Stream, Group and Tenants are what it follows.
	ID      string   `json:"id"`
	Stream  string   `json:"stream"`
	Group   string   `json:"group"`
	Tenants []string `json:"tenants"`
	// Connected: to the log's servers (NATS).
	Connected bool `json:"connected"`
	// CaughtUp: no record of the group is stored after the last one applied.
	CaughtUp bool `json:"caughtUp"`
	// LagRecords is how many records of the group wait to be applied (as the log last
	// counted them; at least 1 when one is known to wait), LagSeconds how long ago the
	// oldest of them was stored.
	LagRecords uint64  `json:"lagRecords"`
	LagSeconds float64 `json:"lagSeconds"`
	// LeaseHolder is the replica holding the group's clock ("" when none does now);
	// HoldsLease whether it is this one.
	LeaseHolder string `json:"leaseHolder"`
	HoldsLease  bool   `json:"holdsLease"`
	// Checked is when this was learned.
	Checked time.Time `json:"checked"`
}

// Forwarded are the lines of an events batch stored for a tenant this replica does not
// serve: their own replicas apply them and know their outcome.
type Forwarded struct {
	Tenant string `json:"tenant"`
	// Lines counts the batch's lines of the tenant (accepted at receipt: they are in the
	// answer's accepted count); Sequence is their record's sequence in the log.
	Lines    int    `json:"lines"`
	Sequence uint64 `json:"sequence"`
}

// registerReplica exports the replica's status as metrics; applied is the sequence of the
// last record applied.
func (m *metrics) registerReplica(status func() ReplicaStatus, applied func() float64) {
	gauge := func(name, help string, f func(ReplicaStatus) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(status()) })
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	m.reg.MustRegister(
		gauge("statkit_replica_connected", "1 while the replica is connected to the log's servers (NATS).",
			func(s ReplicaStatus) float64 { return b(s.Connected) }),
		gauge("statkit_replica_caught_up", "1 when no record of the replica's group waits to be applied.",
			func(s ReplicaStatus) float64 { return b(s.CaughtUp) }),
		gauge("statkit_replica_pending_records", "Records of the replica's group stored and not applied yet.",
			func(s ReplicaStatus) float64 { return float64(s.LagRecords) }),
		gauge("statkit_replica_behind_seconds", "How long ago the oldest record not applied yet was stored (0 when caught up).",
			func(s ReplicaStatus) float64 { return s.LagSeconds }),
		gauge("statkit_replica_lease_held", "1 while this replica holds its group's clock (ticks, sources, snapshots in the object store).",
			func(s ReplicaStatus) float64 { return b(s.HoldsLease) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "statkit_replica_applied_sequence",
			Help: "Sequence, in the shared log, of the last record the replica applied."}, applied),
		gauge("statkit_replica_lease_holder_known", "1 when some replica holds the group's clock, 0 while none does (a takeover is under way).",
			func(s ReplicaStatus) float64 { return b(s.LeaseHolder != "") }),
	)
}

// part is one record of a batch routed by tenant.
type part struct {
	tenant string
	rec    []byte
	id     string   // the message id
	key    string   // the idempotency key in its header ("" for none)
	p      *pending // the served parts' attachment
	lines  int      // its events
	served bool
}

// routed is the outcome of a batch appended by tenant.
type routed struct {
	answer    ingest.Answer
	forwarded []Forwarded
	duplicate bool // every record was a duplicate: the first answer is repeated
	conflict  bool // the key was used for another body
	served    bool // a record was of a tenant this replica serves
}

// tenantOf returns the tenant of an accepted event (the default tenant for a source the
// topology does not know: the decoder refused those).
func (s *Server) tenantOf(ev *event.Event) string {
	topo := &s.cfg.Load().Topology
	if t, ok := topo.SourceTenant(ev.Source.Class, ev.Source.ID); ok {
		return t
	}
	return topo.Tenant
}

// split routes batch record rec (header h, accepted events evs, attachment p) by tenant:
// one part when every event is of one tenant (rec itself, with p), else a part per
// tenant in order of first appearance, those of other tenants first (so that an input's
// position, recorded with the served parts, moves only once the others are stored).
func (s *Server) split(rec []byte, p *pending) ([]part, error) {
	h, evs := p.dec.Header, p.dec.Events
	tenants := make([]string, len(evs))
	var order []string
	for i := range evs {
		tenants[i] = s.tenantOf(&evs[i])
		if !slices.Contains(order, tenants[i]) {
			order = append(order, tenants[i])
		}
	}
	if len(order) == 1 {
		pt := part{tenant: order[0], rec: rec, key: h.Key, lines: len(evs), served: s.repl.Serves(order[0])}
		if h.Key != "" {
			pt.id = "k:" + h.Key
		}
		if pt.served {
			pt.p = p
		} else if p.pooled { // nobody here applies them
			putEvents(p.dec.Events)
			p.dec.Events = nil
		}
		return []part{pt}, nil
	}
	_, body, err := machine.DecodeBatch(rec)
	if err != nil {
		return nil, err
	}
	// lineOf[i] is the body's line i (0-based, without its newline).
	var lineOf [][]byte
	for rest := body; len(rest) > 0; {
		l, r, _ := bytes.Cut(rest, []byte{'\n'})
		lineOf, rest = append(lineOf, l), r
	}
	first := max(h.Line, 1)
	var parts []part
	for _, t := range order {
		ph := *h
		ph.Rejected, ph.RejectedTotal = nil, 0 // answered once, from the receipt
		if h.Key != "" {
			ph.Key = h.Key + "\x00" + t
		}
		served := s.repl.Serves(t)
		if !served {
			ph.Position = nil
		}
		var pb []byte
		var pevs []event.Event
		next := 0 // the next body line to write
		for i := range evs {
			if tenants[i] != t {
				continue
			}
			at := evs[i].Line - first
			if at < 0 || at >= len(lineOf) {
				return nil, fmt.Errorf("server: event line %d is outside its batch", evs[i].Line)
			}
			for ; next < at; next++ {
				pb = append(pb, '\n')
			}
			pb = append(append(pb, lineOf[at]...), '\n')
			next = at + 1
			pevs = append(pevs, evs[i])
		}
		prec, err := machine.AppendBatch(nil, &ph, pb)
		if err != nil {
			return nil, err
		}
		pt := part{tenant: t, rec: prec, key: ph.Key, lines: len(pevs), served: served}
		if h.Key != "" {
			pt.id = "s:" + h.Key
		}
		if served {
			pt.p = newPending()
			hh := ph
			pt.p.dec.Header, pt.p.dec.Events = &hh, pevs
		}
		parts = append(parts, pt)
	}
	slices.SortStableFunc(parts, func(a, b part) int {
		switch {
		case a.served == b.served:
			return 0
		case b.served:
			return -1
		}
		return 1
	})
	if p.pooled { // the parts copied the events
		putEvents(p.dec.Events)
		p.dec.Events = nil
	}
	return parts, nil
}

// appendRouted appends batch record rec (attachment p) by tenant and waits for the
// records of the tenants this replica serves to be applied. receipt is the answer at
// receipt (the rejections decided then); the result composes it with every part's.
func (s *Server) appendRouted(ctx context.Context, rec []byte, p *pending, receipt ingest.Answer) (routed, error) {
	parts, err := s.split(rec, p)
	if err != nil {
		return routed{}, err
	}
	var out routed
	out.duplicate = true
	if len(parts) > 1 {
		out.answer = receipt
	}
	for _, pt := range parts {
		if !pt.served {
			if err := s.failed(); err != nil {
				return routed{}, fmt.Errorf("%w: %w", ErrFailed, err)
			}
			if !s.gate.enter() {
				return routed{}, ErrStopped
			}
			seq, dup, err := s.repl.AppendTenant(ctx, pt.tenant, pt.rec, pt.id, nil)
			s.gate.leave()
			if err != nil {
				if ctx.Err() != nil {
					return routed{}, ctx.Err()
				}
				s.fail(err)
				return routed{}, fmt.Errorf("%w: %w", ErrFailed, err)
			}
			out.duplicate = out.duplicate && dup
			out.forwarded = append(out.forwarded, Forwarded{Tenant: pt.tenant, Lines: pt.lines, Sequence: seq})
			a := ingest.Answer{Accepted: pt.lines}
			if len(parts) == 1 {
				a = receipt
				a.Accepted = pt.lines
			}
			mergeAnswer(&out.answer, a)
			continue
		}
		out.served = true
		_, dup, err := s.appendTo(ctx, pt.tenant, pt.rec, pt.id, pt.p)
		if errors.Is(err, errNoOutcome) && pt.key != "" {
			err, dup = nil, true // answered from the key table below
		}
		if err != nil {
			return routed{}, err
		}
		var res ingest.Result
		if dup {
			e, ok := s.own.mach.Keys().Lookup(pt.key)
			if !ok {
				return routed{}, errors.New("the batch was a duplicate whose answer is no longer known")
			}
			res = ingest.Result{Answer: e.Answer, Duplicate: e.Sum == pt.p.dec.Header.Sum, Conflict: e.Sum != pt.p.dec.Header.Sum}
		} else {
			if pt.p.err != nil {
				return routed{}, pt.p.err
			}
			res = pt.p.batch
		}
		out.conflict = out.conflict || res.Conflict
		out.duplicate = out.duplicate && (res.Duplicate || dup)
		mergeAnswer(&out.answer, res.Answer)
	}
	return out, nil
}

// mergeAnswer adds a's counts and lists to dst (lists in line order, at most
// ingest.MaxListed each).
func mergeAnswer(dst *ingest.Answer, a ingest.Answer) {
	dst.Accepted += a.Accepted
	dst.RejectedTotal += a.RejectedTotal
	dst.LateTotal += a.LateTotal
	if len(a.Rejected) > 0 {
		dst.Rejected = append(dst.Rejected, a.Rejected...)
		slices.SortStableFunc(dst.Rejected, func(x, y event.Rejection) int { return x.Line - y.Line })
		dst.Rejected = dst.Rejected[:min(len(dst.Rejected), ingest.MaxListed)]
	}
	if len(a.Late) > 0 {
		dst.Late = append(dst.Late, a.Late...)
		slices.SortStableFunc(dst.Late, func(x, y ingest.Late) int { return x.Line - y.Line })
		dst.Late = dst.Late[:min(len(dst.Late), ingest.MaxListed)]
	}
}

// ingestBatchRouted is IngestBatch's append of batch record rec (attachment p, answer at
// receipt receipt) on a replica: by tenant. When no event was of a tenant this replica
// serves, the input's position is recorded in a batch record of no event under the first
// tenant it serves, so that its source resumes after the batch.
func (s *Server) ingestBatchRouted(ctx context.Context, rec []byte, p *pending, receipt ingest.Answer) (BatchResult, error) {
	h := *p.dec.Header
	out, err := s.appendRouted(ctx, rec, p, receipt)
	if err != nil {
		return BatchResult{}, err
	}
	if !out.served && len(h.Position) > 0 {
		for _, t := range s.cfg.Load().Topology.Tenants {
			if !s.repl.Serves(t) {
				continue
			}
			ph := machine.BatchHeader{Input: h.Input, Wall: h.Wall, Line: h.Line, Position: h.Position}
			prec, err := machine.AppendBatch(nil, &ph, nil)
			if err != nil {
				return BatchResult{}, err
			}
			pp := newPending()
			pp.dec.Header = &ph
			if _, _, err := s.appendTo(ctx, t, prec, "", pp); err != nil {
				return BatchResult{}, err
			}
			break
		}
	}
	a := out.answer
	a.Normalize()
	return a, nil
}

// routedResponse is the body of POST /v1/events on a replica.
type routedResponse struct {
	eventsResponse
	// Forwarded lists the lines stored for tenants this replica does not serve.
	Forwarded []Forwarded `json:"forwarded,omitempty"`
}

// ingestRouted appends a decoded request body by tenant (see Replicated) and answers it;
// it returns the answer written (body nil when the request failed before an answer).
func (s *Server) ingestRouted(w http.ResponseWriter, r *http.Request, rec []byte, p *pending, receipt ingest.Answer, key string) (int, []byte) {
	out, err := s.appendRouted(r.Context(), rec, p, receipt)
	if err != nil {
		s.ownerError(w, err)
		return 0, nil
	}
	if out.conflict {
		s.writeKeyAnswer(w, key, 0, 1, 0, nil)
		return 0, nil
	}
	status, b := renderRouted(out)
	if out.duplicate {
		s.m.duplicates.Inc()
		w.Header().Set(ReplayedHeader, "true")
	}
	s.writeRaw(w, status, b)
	return status, b
}

// renderRouted returns the status and the body of a routed batch's answer.
func renderRouted(out routed) (int, []byte) {
	if len(out.forwarded) == 0 {
		return render(out.answer)
	}
	a := out.answer
	a.Normalize()
	b, err := json.Marshal(routedResponse{eventsResponse: eventsResponse{Answer: a}, Forwarded: out.forwarded})
	if err != nil { // plain strings and numbers always encode
		panic(err)
	}
	return a.Status(), append(b, '\n')
}

// catchUp applies the log up to record to (recovery, before the owner goroutine runs).
func (s *Server) catchUp(to uint64) error {
	if s.own.mach.Applied() >= to {
		return nil
	}
	err := s.lg.Follow(context.Background(), s.own.mach.Applied(), func(seq uint64, rec []byte, local any) error {
		s.own.apply(store.Entry{Seq: seq, Rec: rec, Local: local})
		if seq >= to {
			return errCaughtUp
		}
		return nil
	})
	if !errors.Is(err, errCaughtUp) {
		return fmt.Errorf("server: applying the log up to record %d: %w", to, err)
	}
	return nil
}

// warnShared says, at the start of a replica, where its options differ from the group's
// state in the shared log: the log's config and settings stay (a replica started with an
// old config file must not revert its group); a reload on this replica switches the
// group to its own.
func (s *Server) warnShared(mach *machine.Machine) {
	if want := s.opts.settings(); mach.Settings() != want {
		s.log.Warn("the group's ingest settings in the log differ from this replica's flags; the log's apply (a config reload on this replica records its own for the whole group)",
			"log", fmt.Sprintf("%+v", mach.Settings()), "flags", fmt.Sprintf("%+v", want))
	}
	if _, text := mach.Config(); s.opts.ConfigText != nil && !bytes.Equal(text, s.opts.ConfigText) {
		s.log.Warn("the group's config in the log differs from this replica's config file; the log's is served (a config reload on this replica switches the whole group to the file)")
	}
}

// reloadSettings appends this replica's ingest settings when the group's differ (a reload
// on a replica records its config and settings for the whole group).
func (s *Server) reloadSettings(ctx context.Context) error {
	want := s.opts.settings()
	var cur ingest.Options
	if err := s.do(ctx, func(o *owner) { cur = o.mach.Settings() }); err != nil {
		return err
	}
	if cur == want {
		return nil
	}
	if _, _, err := s.appendRecord(ctx, machine.AppendSettings(nil, want), "", newPending()); err != nil {
		return err
	}
	s.log.Info("ingest settings recorded for the group", "settings", fmt.Sprintf("%+v", want))
	return nil
}
