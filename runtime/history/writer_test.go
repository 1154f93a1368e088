package history

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runWriter starts w.Run and returns a stop function that cancels it and waits.
func runWriter(t *testing.T, w *Writer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			err := <-done
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
	t.Cleanup(stop)
	return stop
}

// flush waits for the writer with a generous bound (a failure, not a measure).
func flush(t *testing.T, w *Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, w.Flush(ctx))
}

// feed applies the log's records (from, to] live and hands each one's rows to w.
func feed(t *testing.T, l *testLog, w *Writer, from, to uint64) {
	t.Helper()
	require.NoError(t, l.run(from, to, true, func(seq uint64, rows []Row) error { w.Add(seq, rows); return nil }))
}

// TestWriterBankDay: the real bank day through the writer leaves exactly the rows the
// recorder produced, and the position of the last record.
func TestWriterBankDay(t *testing.T) {
	l := bankLog(t)
	want := l.reference(t)
	// One row per 15-minute interval closed by the day's events (from the first event's
	// interval to the last reset before the last event) for each of the report's 42
	// statistics.
	first, last := l.recs[0].ev.Time.Std(), l.recs[len(l.recs)-1].ev.Time.Std()
	intervals := int(last.Truncate(15*time.Minute).Sub(first.Truncate(15*time.Minute)) / (15 * time.Minute))
	require.Len(t, want, intervals*42)
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		st := openStore(t, newDSN(t))
		w, err := NewWriter(context.Background(), st, 0, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
		require.NoError(t, err)
		runWriter(t, w)
		feed(t, l, w, 0, l.size())
		flush(t, w)
		assert.Equal(t, want, storedRows(t, st))
		pos, ok, err := st.Position(context.Background(), "log")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, l.size(), pos)
		assert.Equal(t, Status{Committed: l.size(), Added: l.size()}, w.Status())
	})
}

// TestWriterRestartCatchesUp: a writer stopped without flushing (the process ended) loses
// nothing: the next one finds the database behind the snapshot the machine restarts
// from and re-derives the missing rows from the log; the live records after the
// snapshot then follow. Every row is stored once.
func TestWriterRestartCatchesUp(t *testing.T) {
	l := bankLog(t)
	want := l.reference(t)
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		st := openStore(t, newDSN(t))
		ctx := context.Background()
		w, err := NewWriter(ctx, st, 0, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
		require.NoError(t, err)
		stop := runWriter(t, w)
		feed(t, l, w, 0, 3000)
		flush(t, w)
		stop()
		// Records the machine applied but whose rows never reached the database.
		w.Add(3001, nil) // ignored: the writer stopped
		pos, _, err := st.Position(ctx, "log")
		require.NoError(t, err)
		require.Equal(t, uint64(3000), pos)

		// The restarted machine restores its newest snapshot (after record 6000).
		l.snapshotAll(t)
		const snap = 6000
		w2, err := NewWriter(ctx, st, snap, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
		require.NoError(t, err)
		assert.True(t, w2.Status().CatchingUp)
		runWriter(t, w2)
		feed(t, l, w2, snap, l.size())
		flush(t, w2)
		assert.Equal(t, want, storedRows(t, st))
		assert.Zero(t, w2.Status().Lost)

		// A third start from an older snapshot than the position: the rows it re-applies
		// are already stored and ignored.
		w3, err := NewWriter(ctx, st, 1000, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
		require.NoError(t, err)
		assert.Equal(t, l.size(), w3.Status().Committed)
		runWriter(t, w3)
		feed(t, l, w3, 1000, l.size())
		flush(t, w3)
		assert.Equal(t, want, storedRows(t, st))
	})
}

// TestWriterLostRecords: when the log no longer holds a snapshot at or before the
// database's position, the rows of the records in between cannot be re-derived; the
// writer says so (Status.Lost, an error log) and stores everything after.
func TestWriterLostRecords(t *testing.T) {
	l := bankLog(t)
	st := openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	ctx := context.Background()
	w, err := NewWriter(ctx, st, 0, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
	require.NoError(t, err)
	stop := runWriter(t, w)
	feed(t, l, w, 0, 2200)
	flush(t, w)
	stop()
	l.snapshotAll(t)
	l.oldest = 4000 // retention removed the snapshots before 4000
	w2, err := NewWriter(ctx, st, 8000, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
	require.NoError(t, err)
	runWriter(t, w2)
	feed(t, l, w2, 8000, l.size())
	flush(t, w2)
	assert.Equal(t, uint64(4000-2200), w2.Status().Lost)
	// Rows of records up to 2200 and after 4000 are stored; those in between are not.
	var kept []Row
	require.NoError(t, l.run(0, l.size(), false, func(seq uint64, rows []Row) error {
		if seq <= 2200 || seq > 4000 {
			kept = append(kept, rows...)
		}
		return nil
	}))
	assert.Equal(t, formatRows(kept), storedRows(t, st))
}

// crashEnv carries the DSN to the child process of TestWriterCrash.
const crashEnv = "HISTORY_CRASH_DSN"

// crashAt is the write transaction (counting those with rows) the child dies in.
const crashAt = 40

// TestWriterCrashChild is the child of TestWriterCrash: it writes the bank day and is
// killed with SIGKILL inside its 40th row transaction, after the rows are written and
// before COMMIT.
func TestWriterCrashChild(t *testing.T) {
	dsn := os.Getenv(crashEnv)
	if dsn == "" {
		t.Skip("the child process of TestWriterCrash")
	}
	l := bankLog(t)
	st := openStore(t, dsn)
	n := 0
	st.beforeCommit = func(b *batch) {
		if len(b.rows) == 0 {
			return
		}
		if n++; n == crashAt {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		}
	}
	w, err := NewWriter(context.Background(), st, 0, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
	require.NoError(t, err)
	runWriter(t, w)
	feed(t, l, w, 0, l.size())
	flush(t, w)
	t.Fatal("the child was to be killed before the end")
}

// TestWriterCrash kills a writing process between a reset and its database commit
// (SIGKILL inside the transaction): the database holds every instant before and nothing
// of that one; after a restart that catches up from the log every row is there, once.
func TestWriterCrash(t *testing.T) {
	l := bankLog(t)
	want := l.reference(t)
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		dsn := newDSN(t)
		cmd := exec.Command(os.Args[0], "-test.run=^TestWriterCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dsn)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "the child must die: %s", out)
		ws, ok := ee.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "killed by SIGKILL: %v\n%s", ee, out)

		st := openStore(t, dsn)
		ctx := context.Background()
		got := storedRows(t, st)
		// The committed instants are the first crashAt−1 of the reference, whole.
		instants := distinctEnds(want)
		require.Greater(t, len(instants), crashAt)
		var before []string
		for _, r := range want {
			if endOf(r) < instants[crashAt-1] {
				before = append(before, r)
			}
		}
		assert.Equal(t, before, got, "every instant before the crash, none of the one in flight")
		pos, ok, err := st.Position(ctx, "log")
		require.NoError(t, err)
		require.True(t, ok)

		// Restart: the machine restores its newest snapshot; history catches up.
		l.snapshotAll(t)
		snap := l.size() / l.every * l.every
		require.Greater(t, snap, pos)
		w, err := NewWriter(ctx, st, snap, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
		require.NoError(t, err)
		runWriter(t, w)
		feed(t, l, w, snap, l.size())
		flush(t, w)
		assert.Equal(t, want, storedRows(t, st), "every row after the restart, once")
	})
}

// distinctEnds returns the sorted distinct end times of formatted rows.
func distinctEnds(rows []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		e := endOf(r)
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	sortStrings(out)
	return out
}

// endOf returns the end time of a formatted row ("id start end value").
func endOf(row string) string {
	var f [4]string
	n := 0
	start := 0
	for i := 0; i <= len(row) && n < 4; i++ {
		if i == len(row) || row[i] == ' ' {
			f[n] = row[start:i]
			n++
			start = i + 1
		}
	}
	return f[2]
}

// outage makes a database unreachable and reachable again for a writer: SQLite by
// another connection holding an exclusive lock, PostgreSQL by a proxy in front of the
// server that drops every connection and refuses new ones.
type outage struct {
	dsn      string // the DSN the writer uses
	down, up func()
}

func newOutage(t *testing.T, dsn string) *outage {
	t.Helper()
	d, err := ParseDSN(dsn)
	require.NoError(t, err)
	if d.Backend == SQLite {
		o := &outage{dsn: dsn}
		var conn *sql.Conn
		var db *sql.DB
		o.down = func() {
			db, err = sql.Open("sqlite", "file:"+d.Path)
			require.NoError(t, err)
			conn, err = db.Conn(context.Background())
			require.NoError(t, err)
			_, err = conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE")
			require.NoError(t, err)
		}
		o.up = func() {
			_, err := conn.ExecContext(context.Background(), "ROLLBACK")
			require.NoError(t, err)
			conn.Close()
			db.Close()
		}
		return o
	}
	return newProxyOutage(t, dsn)
}

// newProxyOutage puts a Unix-socket proxy in front of the PostgreSQL server of dsn.
func newProxyOutage(t *testing.T, dsn string) *outage {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	host := q.Get("host")
	require.True(t, filepath.IsAbs(host), "the outage test proxies a Unix-socket DSN (host=/dir), not %q", host)
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	target := filepath.Join(host, ".s.PGSQL."+port)
	dir, err := os.MkdirTemp("", "pgproxy")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, ".s.PGSQL."+port))
	require.NoError(t, err)
	var down atomic.Bool
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	track := func(c net.Conn, on bool) {
		mu.Lock()
		defer mu.Unlock()
		if on {
			conns[c] = true
		} else {
			delete(conns, c)
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if down.Load() {
				c.Close() // refused
				continue
			}
			s, err := net.Dial("unix", target)
			if err != nil {
				c.Close()
				continue
			}
			track(c, true)
			track(s, true)
			go func() { _, _ = io.Copy(s, c); s.Close(); c.Close(); track(s, false); track(c, false) }()
			go func() { _, _ = io.Copy(c, s); s.Close(); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	q.Set("host", dir)
	u.RawQuery = q.Encode()
	return &outage{
		dsn: u.String(),
		down: func() {
			down.Store(true)
			mu.Lock()
			for c := range conns {
				c.Close()
			}
			mu.Unlock()
		},
		up: func() { down.Store(false) },
	}
}

// TestWriterOutage: the database refuses writes for a while. The machine goes on (every
// Add returns while the database is down), history lags — past MaxPending the writer
// drops what it holds and later re-derives it from the log — and once the database is
// back it catches up: every row, once.
func TestWriterOutage(t *testing.T) {
	l := bankLog(t)
	want := l.reference(t)
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		o := newOutage(t, newDSN(t))
		st, err := Open(context.Background(), o.dsn, StoreOptions{Logger: quietLog(), busyTimeout: 20 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		w, err := NewWriter(context.Background(), st, 0, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l,
			MaxPending: 500, RetryMin: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond})
		require.NoError(t, err)
		runWriter(t, w)
		feed(t, l, w, 0, 2000)
		flush(t, w)
		o.down()
		applied := make(chan struct{})
		go func() {
			defer close(applied)
			feed(t, l, w, 2000, l.size())
		}()
		select {
		case <-applied:
		case <-time.After(time.Minute):
			o.up()
			t.Fatal("the machine was held up by the database outage")
		}
		s := w.Status()
		assert.Less(t, s.Committed, l.size(), "history lags during the outage")
		assert.True(t, s.CatchingUp, "past MaxPending the rows come from the log later")
		assert.LessOrEqual(t, s.Pending, 500)
		o.up()
		flush(t, w)
		assert.Equal(t, want, storedRows(t, st))
		s = w.Status()
		assert.Equal(t, l.size(), s.Committed)
		assert.Zero(t, s.Lost)
		assert.NoError(t, s.Err)
	})
}

// TestReplayWriterBlocks: a writer without Replayer (a backfill) holds at most
// MaxPending rows, waiting instead of dropping.
func TestReplayWriterBlocks(t *testing.T) {
	l := bankLog(t)
	st := openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	w, err := NewWriter(context.Background(), st, 0, WriterOptions{Logger: quietLog(), MaxPending: 50})
	require.NoError(t, err)
	runWriter(t, w)
	maxSeen := 0
	require.NoError(t, l.run(0, l.size(), false, func(seq uint64, rows []Row) error {
		w.Add(seq, rows)
		maxSeen = max(maxSeen, w.Status().Pending)
		return nil
	}))
	flush(t, w)
	assert.LessOrEqual(t, maxSeen, 50+42, "at most MaxPending, or one record's rows")
	assert.Equal(t, l.reference(t), storedRows(t, st))
	_, ok, err := st.Position(context.Background(), "")
	require.NoError(t, err)
	assert.False(t, ok, "a backfill records no position")
	assert.False(t, errors.Is(err, sql.ErrNoRows))
}

// TestWriterMissed: records whose rows were never handed to the writer (applied before
// it existed, or dropped by its caller) are re-derived from the log once Missed names
// them; without a Replayer they are counted as lost and the rest is stored.
func TestWriterMissed(t *testing.T) {
	l := bankLog(t)
	want := l.reference(t)
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		st := openStore(t, newDSN(t))
		w, err := NewWriter(context.Background(), st, 0, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
		require.NoError(t, err)
		runWriter(t, w)
		feed(t, l, w, 0, 1200)
		w.Missed(1200) // at or below what it holds: nothing to do
		l.snapshotAll(t)
		w.Missed(5000)
		w.Add(4000, nil) // at or below what Missed covered: ignored
		feed(t, l, w, 5000, l.size())
		flush(t, w)
		assert.Equal(t, want, storedRows(t, st))
		assert.Zero(t, w.Status().Lost)
	})
	st := openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	w, err := NewWriter(context.Background(), st, 0, WriterOptions{Logger: quietLog()})
	require.NoError(t, err)
	runWriter(t, w)
	require.NoError(t, l.run(0, l.size(), false, func(seq uint64, rows []Row) error {
		if seq <= 1000 || seq > 3000 {
			w.Add(seq, rows)
		} else if seq == 3000 {
			w.Missed(3000)
		}
		return nil
	}))
	flush(t, w)
	assert.Equal(t, uint64(2000), w.Status().Lost)
	var kept []Row
	require.NoError(t, l.run(0, l.size(), false, func(seq uint64, rows []Row) error {
		if seq <= 1000 || seq > 3000 {
			kept = append(kept, rows...)
		}
		return nil
	}))
	assert.Equal(t, formatRows(kept), storedRows(t, st))
}

// TestWriterFlushAfterLastWrite: a Flush that wakes on the last commit while the writer
// has not yet said it is done with that write returns once it has — it does not wait for
// a progress that will never come.
func TestWriterFlushAfterLastWrite(t *testing.T) {
	l := bankLog(t)
	st := openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	w, err := NewWriter(context.Background(), st, 0, WriterOptions{Stream: "log", Logger: quietLog(), Replayer: l})
	require.NoError(t, err)
	var n atomic.Int32      // Flushes done
	w.afterWrite = func() { // a slow scheduler, while the test flushes
		if n.Load() < 5 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	runWriter(t, w)
	require.NoError(t, l.run(0, l.size(), false, func(seq uint64, rows []Row) error {
		w.Add(seq, rows)
		if len(rows) == 0 || n.Load() >= 5 {
			return nil
		}
		defer n.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return w.Flush(ctx)
	}))
	require.Equal(t, int32(5), n.Load())
}
