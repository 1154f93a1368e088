package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/history"
	"github.com/statkit/statkit/runtime/history/historytest"
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

// lockDatabase makes dsn refuse history writes until unlock: SQLite through another
// connection holding an exclusive lock, PostgreSQL through a transaction holding the
// history tables locked (writes wait).
func lockDatabase(t *testing.T, dsn string) (unlock func()) {
	t.Helper()
	d, err := history.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var db *sql.DB
	stmts := []string{"BEGIN EXCLUSIVE"}
	if d.Backend == history.SQLite {
		db, err = sql.Open("sqlite", "file:"+d.Path)
	} else {
		db, err = sql.Open("pgx", d.URL)
		stmts = []string{"BEGIN", "LOCK TABLE statistics, intervals, positions IN ACCESS EXCLUSIVE MODE"}
	}
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	done := false
	unlock = func() {
		if done {
			return
		}
		done = true
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Error(err)
		}
		conn.Close()
		db.Close()
	}
	t.Cleanup(unlock)
	return unlock
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

		unlock1, unlock2 := lockDatabase(t, dsns["p1"]), lockDatabase(t, dsns["p2"])
		pos := map[*proc]uint64{p1: historyOf(t, p1).Committed, p2: historyOf(t, p2).Committed}
		f.feed(2 * third)
		for _, p := range []*proc{p1, p2} {
			hs := historyOf(t, p)
			if hs.Committed != pos[p] || hs.State != "catching-up" || hs.PendingRows > 200 {
				t.Fatalf("%s during the outage: %+v, want catching-up at %d", p.name, hs, pos[p])
			}
		}
		low := min(pos[p1], pos[p2])
		applied := min(historyOf(t, p1).Applied, historyOf(t, p2).Applied)
		var snaps []uint64
		var floor uint64
		eventually(t, waitLong, "the holder's retention ran past the databases' positions", func() bool {
			snaps, floor = objectSnapshots(t, p1)
			return len(snaps) > 0 && snaps[len(snaps)-1] > max(pos[p1], pos[p2])
		})
		pinned, ok := newestAtOrBefore(snaps, low)
		if !ok || len(snaps) != 2 || floor > pinned+1 {
			t.Fatalf("object store %v, floor %d: want the newest snapshot and the pinned one at or before %d, nothing trimmed after it", snaps, floor, low)
		}
		if applied <= snaps[len(snaps)-1] {
			t.Fatalf("the replicas applied %d, the newest snapshot is %d: without the pin retention would not have trimmed past the databases anyway", applied, snaps[len(snaps)-1])
		}
		cached, err := p2.node.lg.cache.list()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := newestAtOrBefore(cached, pos[p2]); !ok || len(cached) != 2 {
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
