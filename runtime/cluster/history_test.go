package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/history"
	"github.com/statkit/statkit/runtime/history/historytest"
	"github.com/statkit/statkit/runtime/replica"
	"github.com/statkit/statkit/runtime/server"
)

// Interval history on replicas: the rows a history database could not take in time are
// re-derived from the stream and the snapshots its retention pin kept (history.go).

// forEachBackend runs f against SQLite and PostgreSQL (skipped with a message without
// STATKIT_TEST_POSTGRES, except in CI); newDSN gives a fresh, empty database.
func forEachBackend(t *testing.T, f func(t *testing.T, newDSN func(*testing.T) string)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "history.db") })
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, func(t *testing.T) string { return historytest.PostgresDSN(t) })
	})
}

// historyOpts are a replica's history options in the tests: quick retries and position
// writes, a short flush at shutdown, and little memory for rows (past it they are
// re-derived from the stream).
func historyOpts(h *harness, dsn string) *server.HistoryOptions {
	return &server.HistoryOptions{DSN: dsn, Stream: "nats:" + h.stream, FlushTimeout: 300 * time.Millisecond,
		Writer: history.WriterOptions{MaxPending: 200, RetryMin: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond,
			PositionEvery: 20 * time.Millisecond}}
}

// formatRow is a stored interval as "statistic start end value".
func formatRow(id string, start, end time.Time, v float64) string {
	val := "null"
	if !math.IsNaN(v) {
		val = strconv.FormatFloat(v, 'f', -1, 64)
	}
	const f = "2006-01-02T15:04:05.000Z"
	return id + " " + start.UTC().Format(f) + " " + end.UTC().Format(f) + " " + val
}

// storedRows reads every interval stored in dsn, sorted.
func storedRows(t *testing.T, dsn string) []string {
	t.Helper()
	ctx := context.Background()
	st, err := history.Open(ctx, dsn, history.StoreOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	infos, err := st.Statistics(ctx, history.StatisticFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, si := range infos {
		ids = append(ids, si.ID)
	}
	ivs, err := st.Intervals(ctx, ids, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, iv := range ivs {
		out = append(out, formatRow(iv.Statistic, iv.Start, iv.End, iv.Value))
	}
	sort.Strings(out)
	return out
}

// referenceRows is what history must hold once the day's events are applied and the
// clock is at final: the events applied in order to a plain engine, advanced to final, a
// row for each reset-mode notification (the second computation the replicas' rows are
// checked against).
func referenceRows(t *testing.T, b *bank, final event.Time) []string {
	t.Helper()
	eng, err := engine.New(b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	eng.Notifications(nil)
	rec := history.NewRecorder(b.cfg.Statistic)
	out := []string{}
	take := func() {
		for _, r := range rec.Rows(nil, eng.Notifications(nil)) {
			out = append(out, formatRow(r.Statistic.ID, r.Start.Std(), r.End.Std(), r.Value))
		}
	}
	for i := range b.events {
		ev := b.events[i]
		if err := eng.Apply(&ev); err != nil {
			t.Fatalf("the bank day applies cleanly: line %d: %v", ev.Line, err)
		}
		take()
	}
	eng.Advance(final)
	take()
	sort.Strings(out)
	return out
}

// dbLock is a database held locked (historytest.LockDatabase); rowsEndingAt reads
// under the lock.
type dbLock struct{ *historytest.Lock }

// rowsEndingAt returns the statistics whose stored interval ends at r, read through the
// connection holding the lock (no writer can commit meanwhile).
func (l *dbLock) rowsEndingAt(t *testing.T, r event.Time) []string {
	t.Helper()
	rows, err := l.Conn.QueryContext(context.Background(), "SELECT statistic, end_at FROM intervals")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		var end any
		if err := rows.Scan(&id, &end); err != nil {
			t.Fatal(err)
		}
		var at time.Time
		switch v := end.(type) {
		case time.Time:
			at = v
		case string:
			at, err = time.Parse(time.RFC3339Nano, v)
		case []byte:
			at, err = time.Parse(time.RFC3339Nano, string(v))
		default:
			err = fmt.Errorf("end_at of %s: %T", id, end)
		}
		if err != nil {
			t.Fatal(err)
		}
		if at.Equal(r.Std()) {
			out = append(out, id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// historyHealth is /healthz's history object.
type historyHealth struct {
	State       string  `json:"state"`
	Committed   uint64  `json:"committed"`
	Applied     uint64  `json:"applied"`
	PendingRows int     `json:"pendingRows"`
	LostRecords uint64  `json:"lostRecords"`
	Error       *string `json:"error"`
}

// historyOf returns p's history status.
func historyOf(t *testing.T, p *proc) historyHealth {
	t.Helper()
	var hz struct{ History *historyHealth }
	if s, err := get(p, "/healthz", &hz); err != nil || s != http.StatusOK || hz.History == nil {
		t.Fatalf("%s: /healthz: %d %v %+v", p.name, s, err, hz.History)
	}
	return *hz.History
}

// waitHistory waits until p's history database holds every row of the records p has
// applied now (p writing history), and returns its status then.
func waitHistory(t *testing.T, p *proc) historyHealth {
	t.Helper()
	var hs historyHealth
	target := historyOf(t, p).Applied
	eventually(t, waitLong, p.name+"'s history commits what was applied", func() bool {
		hs = historyOf(t, p)
		return hs.State == "writing" && hs.Committed >= target
	})
	return hs
}

// feeder posts the bank's batches in order, the wall clock following.
type feeder struct {
	h    *harness
	next int
}

// feed posts the batches up to (not including) batch end.
func (f *feeder) feed(end int) {
	f.h.t.Helper()
	for ; f.next < end; f.next++ {
		bt := f.h.bank.batches[f.next]
		if a, _ := f.h.post(f.next, bt.body, fmt.Sprintf("b%d", f.next), nil); a.RejectedTotal != 0 || a.LateTotal != 0 {
			f.h.t.Fatalf("batch %d: %+v", f.next, a)
		}
		f.h.clock.set(bt.max)
	}
}

// end posts the rest of the day, moves the clock an hour past its end and waits until
// every live replica is there; it returns the engine time they settle at.
func (f *feeder) end() event.Time {
	f.h.t.Helper()
	f.feed(len(f.h.bank.batches))
	end := f.h.bank.events[len(f.h.bank.events)-1].Time + 3_600_000
	f.h.clock.set(end)
	final := end - 2000 // the ticks leave the engine the reorder window behind
	for _, p := range f.h.liveProcs() {
		f.h.settled(p, final)
	}
	return final
}

// objectSnapshots returns the object store's snapshots of p's group and the group's trim
// floor.
func objectSnapshots(t *testing.T, p *proc) ([]uint64, uint64) {
	t.Helper()
	ctx := context.Background()
	snaps, err := p.node.rl.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	floor, err := p.node.rl.Floor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return snaps, floor
}

// waitAll waits until every live replica has applied the group's last record.
func waitAll(t *testing.T, h *harness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	for _, p := range h.liveProcs() {
		if err := p.srv.WaitApplied(ctx); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
	}
}

// waitAnnounced waits until the replicas named in pins have announced a retention pin at
// least there (as p's node lists them).
func waitAnnounced(t *testing.T, p *proc, pins map[string]uint64) {
	t.Helper()
	eventually(t, waitLong, fmt.Sprintf("pins %v announced", pins), func() bool {
		ms, err := p.node.c.Members(context.Background())
		if err != nil {
			return false
		}
		n := 0
		for _, m := range ms {
			if want, ok := pins[m.ID]; ok && m.Pin != nil && *m.Pin >= want {
				n++
			}
		}
		return n == len(pins)
	})
}

// newestAtOrBefore returns the newest of seqs at or before pin, and whether there is one.
func newestAtOrBefore(seqs []uint64, pin uint64) (uint64, bool) {
	var out uint64
	ok := false
	for _, s := range seqs {
		if s <= pin {
			out, ok = s, true
		}
	}
	return out, ok
}

// TestHistoryOutage: two replicas, each writing history to its own database, the clock's
// holder one of them. Both databases refuse writes through a third of the day (several
// 15-minute resets) while snapshots are taken every few records and kept one at a time:
// history lags (past its memory each writer is to re-derive its rows from the stream),
// and the holder's retention keeps the object store's newest snapshot at or before the
// lowest writer's position — its own and the other's, as announced — and trims nothing
// after it, though both replicas applied far past it. Once the databases answer, every
// row of the day is in both, once, as the engine alone computes them, and nothing is
// lost; the pin released, the stream is trimmed past where the databases stood.
func TestHistoryOutage(t *testing.T) {
	b := loadBank(t, 200)
	final := b.events[len(b.events)-1].Time + 3_600_000 - 2000
	want := referenceRows(t, b, final)
	if len(want) < 2000 {
		t.Fatalf("the bank day has %d rows", len(want))
	}
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		dsns := map[string]string{"p1": newDSN(t), "p2": newDSN(t)}
		h := &harness{t: t, cl: shared(t), stream: streamOf(t), bank: b, clock: &testClock{}, ttl: time.Second,
			text: b.text, snapEvery: 10, keep: 1}
		h.history = func(name string, _ *Node) *server.HistoryOptions { return historyOpts(h, dsns[name]) }
		h.clock.set(b.events[0].Time)
		dir := t.TempDir()
		p1 := h.start("p1", filepath.Join(dir, "p1"))
		eventually(t, waitLong, "p1 holds the clock", p1.node.HoldsClock)
		p2 := h.start("p2", filepath.Join(dir, "p2"))
		f := &feeder{h: h}
		third := len(b.batches) / 3
		f.feed(third)
		waitAll(t, h)
		c1, c2 := waitHistory(t, p1).Committed, waitHistory(t, p2).Committed
		// The holder sees the other replica's pin as last announced (every lease TTL).
		waitAnnounced(t, p1, map[string]uint64{"p1": c1, "p2": c2})

		unlock1, unlock2 := historytest.LockDatabase(t, dsns["p1"]).Unlock, historytest.LockDatabase(t, dsns["p2"]).Unlock
		pos := map[*proc]uint64{p1: historyOf(t, p1).Committed, p2: historyOf(t, p2).Committed}
		f.feed(2 * third)
		for _, p := range []*proc{p1, p2} {
			hs := historyOf(t, p)
			if hs.Committed != pos[p] || hs.State != "catching-up" || hs.PendingRows > 200 {
				t.Fatalf("%s during the outage: %+v, want catching-up at %d", p.name, hs, pos[p])
			}
		}
		low := min(pos[p1], pos[p2])
		// The ticks go on, and with them snapshots and retention (a snapshot is written,
		// then the older ones are deleted): the listings are taken between two.
		var snaps, cached []uint64
		var floor, applied uint64
		deadline := time.Now().Add(waitLong)
		for {
			snaps, floor = objectSnapshots(t, p1)
			var err error
			if cached, err = p2.node.lg.cache.list(); err != nil {
				t.Fatal(err)
			}
			applied = min(historyOf(t, p1).Applied, historyOf(t, p2).Applied)
			if len(snaps) == 2 && snaps[1] > max(pos[p1], pos[p2]) && len(cached) == 2 && cached[1] > pos[p2] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %v: object store %v, p2's cache %v: want the newest snapshot past the databases' positions %d and %d and the pinned one",
					waitLong, snaps, cached, pos[p1], pos[p2])
			}
			time.Sleep(10 * time.Millisecond)
		}
		pinned, ok := newestAtOrBefore(snaps, low)
		if !ok || floor > pinned+1 {
			t.Fatalf("object store %v, floor %d: want the newest snapshot and the pinned one at or before %d, nothing trimmed after it", snaps, floor, low)
		}
		if min(applied, snaps[1]) <= max(pos[p1], pos[p2])+1 {
			t.Fatalf("the replicas applied %d, the newest snapshot is %d: without the pin retention would not have trimmed past the databases (%d, %d) anyway",
				applied, snaps[1], pos[p1], pos[p2])
		}
		if _, ok := newestAtOrBefore(cached, pos[p2]); !ok {
			t.Fatalf("p2's cache %v: want its newest snapshot and one at or before %d", cached, pos[p2])
		}
		t.Logf("during the outage: databases at %d and %d, replicas at %d; object store %v, floor %d; p2's cache %v",
			pos[p1], pos[p2], applied, snaps, floor, cached)

		unlock1()
		unlock2()
		waitHistory(t, p1)
		waitHistory(t, p2)
		f.end()
		for _, p := range []*proc{p1, p2} {
			hs := waitHistory(t, p)
			if hs.LostRecords != 0 || hs.Error != nil {
				t.Errorf("%s: %+v", p.name, hs)
			}
			got := storedRows(t, dsns[p.name])
			if !slices.Equal(got, want) {
				t.Errorf("%s: %d rows stored, want %d%s", p.name, len(got), len(want), rowDiff(got, want))
			}
		}
		eventually(t, waitLong, "the stream trimmed past where the databases stood", func() bool {
			_, floor = objectSnapshots(t, p1)
			return floor > max(pos[p1], pos[p2])+1
		})
	})
}

// rowDiff describes how got differs from want (a few rows each way).
func rowDiff(got, want []string) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, r := range got {
		g[r] = true
	}
	for _, r := range want {
		w[r] = true
	}
	var missing, extra []string
	for _, r := range want {
		if !g[r] && len(missing) < 5 {
			missing = append(missing, r)
		}
	}
	for _, r := range got {
		if !w[r] && len(extra) < 5 {
			extra = append(extra, r)
		}
	}
	return fmt.Sprintf("\nmissing: %s\nextra: %s", strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
}

// fed returns where a replica's engine settles once the feeder has posted batches
// [0, k) (k > 0) and the clock's ticks carry the wall time the feeder left,
// batches[k-1].max: the engine time and the number of events still held in the reorder
// buffer. A tick advances the engine to its wall time less the reorder window (2 s:
// TickLag is below it) and first releases every held event at or before that time and,
// besides, every event at or before the newest one that has waited the window in wall
// time since its batch's receipt (runtime/ingest's Pipeline.Tick). The feeder posts a
// batch with the clock where it left it — the previous batch's last event time, the
// day's first event time for the first batch — so a batch that came 2 s or more before
// the last one is released whole, and the engine stands at its last event when that is
// past the tick's time.
func (b *bank) fed(k int) (at event.Time, held int) {
	const window = 2000
	wall := b.batches[k-1].max
	at = wall - window
	recv := b.events[0].Time
	for i := range k {
		if recv <= wall-window {
			at = max(at, b.batches[i].max)
		}
		recv = b.batches[i].max
	}
	for _, ev := range b.events[:b.batches[k-1].last] {
		if ev.Time > at {
			held++
		}
	}
	return at, held
}

// resetBatch returns the first batch k at or after from whose post moves the replicas'
// engine (fed) across a 15-minute reset R, and R.
func resetBatch(t *testing.T, b *bank, from int) (int, event.Time) {
	t.Helper()
	const q = 15 * 60 * 1000
	for k := max(from, 1); k < len(b.batches); k++ {
		before, _ := b.fed(k)
		after, _ := b.fed(k + 1)
		if r := (before/q + 1) * q; r <= after {
			return k, r
		}
	}
	t.Fatal("no batch crosses a reset")
	return 0, 0
}

// rowsEnding returns the rows of rows whose interval ends at r.
func rowsEnding(rows []string, r event.Time) []string {
	var out []string
	for _, row := range rows {
		if f := strings.Fields(row); len(f) == 4 && f[2] == r.Std().UTC().Format("2006-01-02T15:04:05.000Z") {
			out = append(out, row)
		}
	}
	return out
}

// TestHistoryReplicaKilled: a replica writing history to its own database is killed
// right after a reset whose rows its database could not commit (held locked: a slow
// database), with a snapshot every few records and one kept; its last snapshot is past
// the reset. After the restart — which restores that snapshot — its writer re-derives the
// rows from the snapshot its retention pin kept in its cache and the stream after it,
// while the day goes on: the reset's rows appear, once, every row of the day is there,
// and nothing is lost.
func TestHistoryReplicaKilled(t *testing.T) {
	b := loadBank(t, 200)
	final := b.events[len(b.events)-1].Time + 3_600_000 - 2000
	want := referenceRows(t, b, final)
	k, reset := resetBatch(t, b, len(b.batches)/3)
	due := rowsEnding(want, reset)
	if len(due) == 0 {
		t.Fatalf("no row ends at the reset %v", reset)
	}
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		dsn := newDSN(t)
		h := &harness{t: t, cl: shared(t), stream: streamOf(t), bank: b, clock: &testClock{}, ttl: time.Second,
			text: b.text, snapEvery: 5, keep: 1}
		h.history = func(name string, _ *Node) *server.HistoryOptions {
			if strings.HasPrefix(name, "p2") {
				return historyOpts(h, dsn)
			}
			return nil
		}
		h.clock.set(b.events[0].Time)
		dir := t.TempDir()
		p1 := h.start("p1", filepath.Join(dir, "p1"))
		eventually(t, waitLong, "p1 holds the clock", p1.node.HoldsClock)
		p2 := h.start("p2", filepath.Join(dir, "p2"))
		f := &feeder{h: h}
		f.feed(k)
		at, held := b.fed(k)
		h.reached(p2, at, held)
		committed := waitHistory(t, p2).Committed
		waitAnnounced(t, p1, map[string]uint64{"p2": committed})

		unlock := historytest.LockDatabase(t, dsn).Unlock
		pos := historyOf(t, p2).Committed
		f.feed(k + 1) // the reset passes
		at, held = b.fed(k + 1)
		h.reached(p2, at, held)
		hs := historyOf(t, p2)
		if hs.Committed != pos || hs.Applied <= pos {
			t.Fatalf("p2 after the reset: %+v, want its database at %d", hs, pos)
		}
		p2.kill()
		unlock()
		stored := storedRows(t, dsn)
		if have := rowsEnding(stored, reset); len(have) != 0 {
			t.Fatalf("rows of the reset committed before the kill: %v", have)
		}

		p2 = h.start("p2b", filepath.Join(dir, "p2"))
		if c := p2.node.lg.restored; c.seq <= pos {
			t.Fatalf("p2 restarted from %+v, want a snapshot past its database's position %d", c, pos)
		}
		t.Logf("p2 killed with its database at %d, %d rows ending at %v due; restarted from %+v", pos, len(due), reset.Std().UTC(), p2.node.lg.restored)
		f.end()
		hs = waitHistory(t, p2)
		if hs.LostRecords != 0 || hs.Error != nil {
			t.Errorf("p2: %+v", hs)
		}
		got := storedRows(t, dsn)
		if !slices.Equal(got, want) {
			t.Errorf("%d rows stored, want %d%s", len(got), len(want), rowDiff(got, want))
		}
		if have := rowsEnding(got, reset); !slices.Equal(have, due) {
			t.Errorf("the reset's rows: %v, want %v", have, due)
		}
	})
}

// TestHistoryFailover: two replicas share one history database, written by the clock's
// holder (statkit serve does so for PostgreSQL). The holder is killed right after a reset
// its database could not commit; the other replica takes the clock, starts writing from
// the database's position and re-derives the missing rows from the stream: every row of
// the day once, none lost.
//
// The new holder's writer starts late on purpose (its Writes waits for a gate): only once
// the killed holder's announcement — its pin at the database's position — has expired and
// the new holder, holding the lease, has snapshotted and applied retention past it. Its
// own pin alone must then keep a snapshot at or before the database's position (the
// database's position, not the record it applied: the rows of the records after it were
// lost when it pinned that, about one run in eight without the gate).
func TestHistoryFailover(t *testing.T) {
	b := loadBank(t, 200)
	final := b.events[len(b.events)-1].Time + 3_600_000 - 2000
	want := referenceRows(t, b, final)
	k, reset := resetBatch(t, b, len(b.batches)/2)
	due := rowsEnding(want, reset)
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		dsn := newDSN(t)
		// A 2 s lease: a loaded machine's stall of a second does not move it before the kill.
		h := &harness{t: t, cl: shared(t), stream: streamOf(t), bank: b, clock: &testClock{}, ttl: 2 * time.Second,
			text: b.text, snapEvery: 5, keep: 1}
		var gate atomic.Bool // p2 may write history once it is open
		h.history = func(name string, node *Node) *server.HistoryOptions {
			o := historyOpts(h, dsn)
			o.Writes = func() bool { return node.HoldsClock() && (name == "p1" || gate.Load()) }
			return o
		}
		h.clock.set(b.events[0].Time)
		dir := t.TempDir()
		p1 := h.start("p1", filepath.Join(dir, "p1"))
		eventually(t, waitLong, "p1 holds the clock", p1.node.HoldsClock)
		p2 := h.start("p2", filepath.Join(dir, "p2"))
		f := &feeder{h: h}
		f.feed(k)
		waitAll(t, h)
		committed := waitHistory(t, p1).Committed
		eventually(t, waitLong, "p2 on standby", func() bool { return historyOf(t, p2).State == "standby" })
		waitAnnounced(t, p1, map[string]uint64{"p1": committed})

		lock := &dbLock{historytest.LockDatabase(t, dsn)}
		pos := historyOf(t, p1).Committed
		f.feed(k + 1) // the reset passes
		at, held := b.fed(k + 1)
		h.reached(p1, at, held)
		if hs := historyOf(t, p1); hs.Committed != pos || hs.Applied <= pos {
			t.Fatalf("p1 after the reset: %+v, want its database at %d", hs, pos)
		}
		p1.kill()
		// Read under the lock: once it is released p2, holding the clock, writes at once.
		if have := lock.rowsEndingAt(t, reset); len(have) != 0 {
			t.Fatalf("rows of the reset committed before the kill: %v", have)
		}
		lock.Unlock()
		eventually(t, waitLong, "p2 holds the clock", p2.node.HoldsClock)
		eventually(t, waitLong, "p1's announcement expired", func() bool {
			ms, err := p2.node.c.Members(context.Background())
			return err == nil && !slices.ContainsFunc(ms, func(m replica.Member) bool { return m.ID == "p1" })
		})
		applied := historyOf(t, p2).Applied
		eventually(t, waitLong, "p2 snapshots past its applied record", func() bool {
			snaps, _ := objectSnapshots(t, p2)
			return len(snaps) > 0 && snaps[len(snaps)-1] >= applied+10 // two snapshots: one retention done
		})
		if hs := historyOf(t, p2); hs.State != "standby" || hs.LostRecords != 0 {
			t.Fatalf("p2 before writing: %+v", hs)
		}
		gate.Store(true)
		eventually(t, waitLong, "p2 writes", func() bool { return historyOf(t, p2).State != "standby" })
		f.end()
		hs := waitHistory(t, p2)
		if hs.LostRecords != 0 || hs.Error != nil {
			t.Errorf("p2: %+v", hs)
		}
		got := storedRows(t, dsn)
		if !slices.Equal(got, want) {
			t.Errorf("%d rows stored, want %d%s", len(got), len(want), rowDiff(got, want))
		}
		if have := rowsEnding(got, reset); !slices.Equal(have, due) {
			t.Errorf("the reset's rows: %v, want %v", have, due)
		}
	})
}
