package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/statkit/statkit/runtime/event"
)

// Store is an open history database with its schema migrated. It is safe for concurrent
// use; writes normally go through a Writer.
type Store struct {
	db  *sql.DB
	d   dialect
	dsn DSN
	log *slog.Logger
	now func() time.Time // wall clock for applied_at / updated_at
	// beforeCommit, when set (tests), runs inside each write transaction before COMMIT.
	beforeCommit func(b *batch)
}

// StoreOptions adjust Open.
type StoreOptions struct {
	// Logger receives migration notes (default: slog.Default()).
	Logger *slog.Logger
	// version is the schema version to migrate to (tests of migrations); 0: SchemaVersion.
	version int
	// busyTimeout is SQLite's wait for a lock another connection holds (0: 5s).
	busyTimeout time.Duration
}

// Open connects to the database dsn names (see ParseDSN), creates or migrates its schema
// and returns the Store. A SQLite file is created when missing and opened in WAL mode, so
// any SQLite client can read it while statkit writes.
func Open(ctx context.Context, dsn string, opts StoreOptions) (*Store, error) {
	d, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{d: dialect{d.Backend}, dsn: d, log: opts.Logger, now: time.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	switch d.Backend {
	case SQLite:
		// busy_timeout: wait for another writer (a second process, a client holding a lock)
		// rather than fail at once; synchronous FULL: a committed position survives a power
		// failure (the log's retention may rely on it); _txlock=immediate: a write
		// transaction takes the write lock at BEGIN, so two writers never deadlock.
		busy := opts.busyTimeout
		if busy <= 0 {
			busy = 5 * time.Second
		}
		s.db, err = sql.Open("sqlite", "file:"+d.Path+"?_pragma=busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+
			")&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	case Postgres:
		s.db, err = sql.Open("pgx", d.URL)
	}
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", d, err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("history: connect to %s: %w", d, err)
	}
	target := opts.version
	if target == 0 {
		target = SchemaVersion
	}
	if _, err := s.migrate(ctx, target); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DSN returns the store's data source name (its password redacted by String).
func (s *Store) DSN() DSN { return s.dsn }

// DB returns the underlying database, for tools and tests that read it with SQL.
func (s *Store) DB() *sql.DB { return s.db }

// Version returns the schema version the database records.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("history: read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// Position returns the log position recorded for stream: every row that applying the
// records up to seq produced is in the database. ok is false when none was recorded.
func (s *Store) Position(ctx context.Context, stream string) (seq uint64, ok bool, err error) {
	var v int64
	err = s.db.QueryRowContext(ctx, s.d.q(`SELECT seq FROM positions WHERE stream = ?`), stream).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("history: read position of %q: %w", stream, err)
	}
	return uint64(v), true, nil
}

// batch is what one write transaction stores: the rows of one reset instant (possibly
// none) and, when stream is set, the log position they bring the history to.
type batch struct {
	rows   []Row
	stream string
	seq    uint64
}

// rowsPerInsert bounds the rows of one INSERT (4 parameters each), well under SQLite's
// and PostgreSQL's parameter limits.
const rowsPerInsert = 250

// write stores b in one transaction: each row's statistic description (first and last
// recorded widened), the rows as upserts keyed by (statistic, start_at), the position
// (never moved back).
func (s *Store) write(ctx context.Context, b *batch) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.writeStatistics(ctx, tx, b.rows); err != nil {
		return err
	}
	for i := 0; i < len(b.rows); i += rowsPerInsert {
		if err := s.writeIntervals(ctx, tx, b.rows[i:min(i+rowsPerInsert, len(b.rows))]); err != nil {
			return err
		}
	}
	if b.stream != "" {
		_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO positions (stream, seq, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (stream) DO UPDATE SET
				seq = CASE WHEN excluded.seq > positions.seq THEN excluded.seq ELSE positions.seq END,
				updated_at = excluded.updated_at`), b.stream, int64(b.seq), s.d.timeArg(s.now()))
		if err != nil {
			return fmt.Errorf("history: write position: %w", err)
		}
	}
	if s.beforeCommit != nil {
		s.beforeCommit(b)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: commit: %w", err)
	}
	return nil
}

// writeIntervals upserts rows (at most rowsPerInsert, distinct statistics).
func (s *Store) writeIntervals(ctx context.Context, tx *sql.Tx, rows []Row) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO intervals (statistic, start_at, end_at, value) VALUES `)
	args := make([]any, 0, 4*len(rows))
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?)")
		var v any
		if r.Defined() {
			v = r.Value
		}
		args = append(args, r.Statistic.ID, s.d.timeArg(r.Start.Std()), s.d.timeArg(r.End.Std()), v)
	}
	q.WriteString(` ON CONFLICT (statistic, start_at) DO UPDATE SET end_at = excluded.end_at, value = excluded.value`)
	if _, err := tx.ExecContext(ctx, s.d.q(q.String()), args...); err != nil {
		return fmt.Errorf("history: write intervals: %w", err)
	}
	return nil
}

// writeStatistics upserts the description of each statistic in rows.
func (s *Store) writeStatistics(ctx context.Context, tx *sql.Tx, rows []Row) error {
	const cols = 10
	for i := 0; i < len(rows); i += rowsPerInsert / 2 {
		part := rows[i:min(i+rowsPerInsert/2, len(rows))]
		var q strings.Builder
		q.WriteString(`INSERT INTO statistics (statistic, stat_type, category, object_type, object_id, profile,
			time_range, filter, first_recorded, last_recorded) VALUES `)
		args := make([]any, 0, cols*len(part))
		for j, r := range part {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			st := r.Statistic
			args = append(args, st.ID, st.StatType, st.Category, st.ObjectType, st.ObjectID, st.Profile,
				nullString(st.TimeRange), nullString(st.Filter), s.d.timeArg(r.Start.Std()), s.d.timeArg(r.End.Std()))
		}
		q.WriteString(` ON CONFLICT (statistic) DO UPDATE SET
			stat_type = excluded.stat_type, category = excluded.category,
			object_type = excluded.object_type, object_id = excluded.object_id, profile = excluded.profile,
			time_range = excluded.time_range, filter = excluded.filter,
			first_recorded = CASE WHEN excluded.first_recorded < statistics.first_recorded
				THEN excluded.first_recorded ELSE statistics.first_recorded END,
			last_recorded = CASE WHEN excluded.last_recorded > statistics.last_recorded
				THEN excluded.last_recorded ELSE statistics.last_recorded END`)
		if _, err := tx.ExecContext(ctx, s.d.q(q.String()), args...); err != nil {
			return fmt.Errorf("history: write statistics: %w", err)
		}
	}
	return nil
}

// nullString is s, or SQL NULL when empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Interval is one stored row of intervals.
type Interval struct {
	Statistic string
	Start     time.Time
	End       time.Time
	// Value is the interval's final value; NaN when undefined (SQL NULL).
	Value float64
}

// Defined reports whether the value is defined (not SQL NULL).
func (iv Interval) Defined() bool { return !math.IsNaN(iv.Value) }

// Intervals returns the stored rows of the given statistics whose interval ends in
// (from, to], ordered by statistic (in the order given) then start. At most limit rows
// (0: no limit) are returned.
func (s *Store) Intervals(ctx context.Context, statistics []string, from, to time.Time, limit int) ([]Interval, error) {
	if len(statistics) == 0 {
		return nil, nil
	}
	var out []Interval
	for _, id := range statistics {
		q := `SELECT start_at, end_at, value FROM intervals
			WHERE statistic = ? AND end_at > ? AND end_at <= ? ORDER BY start_at`
		args := []any{id, s.d.timeArg(from), s.d.timeArg(to)}
		if limit > 0 {
			q += ` LIMIT ?`
			args = append(args, limit-len(out))
		}
		rows, err := s.db.QueryContext(ctx, s.d.q(q), args...)
		if err != nil {
			return nil, fmt.Errorf("history: read intervals of %q: %w", id, err)
		}
		for rows.Next() {
			var st, en timeCol
			var v sql.NullFloat64
			if err := rows.Scan(&st, &en, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("history: read intervals of %q: %w", id, err)
			}
			iv := Interval{Statistic: id, Start: st.t, End: en.t, Value: math.NaN()}
			if v.Valid {
				iv.Value = v.Float64
			}
			out = append(out, iv)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, fmt.Errorf("history: read intervals of %q: %w", id, err)
		}
		rows.Close()
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// StatisticInfo is one row of statistics: what a recorded id measures.
type StatisticInfo struct {
	Statistic
	FirstRecorded time.Time // start of the earliest interval stored
	LastRecorded  time.Time // end of the latest interval stored
}

// Statistics returns the descriptions of the recorded statistics matching f, by id.
func (s *Store) Statistics(ctx context.Context, f StatisticFilter) ([]StatisticInfo, error) {
	q := `SELECT statistic, stat_type, category, object_type, object_id, profile, time_range, filter,
		first_recorded, last_recorded FROM statistics WHERE 1 = 1`
	var args []any
	for _, c := range []struct{ col, val string }{
		{"statistic", f.ID}, {"stat_type", f.StatType}, {"object_type", f.ObjectType}, {"object_id", f.ObjectID},
		{"profile", f.Profile},
	} {
		if c.val != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.val)
		}
	}
	q += ` ORDER BY statistic`
	rows, err := s.db.QueryContext(ctx, s.d.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("history: read statistics: %w", err)
	}
	defer rows.Close()
	var out []StatisticInfo
	for rows.Next() {
		var si StatisticInfo
		var tr, fi sql.NullString
		var first, last timeCol
		if err := rows.Scan(&si.ID, &si.StatType, &si.Category, &si.ObjectType, &si.ObjectID, &si.Profile,
			&tr, &fi, &first, &last); err != nil {
			return nil, fmt.Errorf("history: read statistics: %w", err)
		}
		si.TimeRange, si.Filter, si.FirstRecorded, si.LastRecorded = tr.String, fi.String, first.t, last.t
		out = append(out, si)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: read statistics: %w", err)
	}
	return out, nil
}

// StatisticFilter selects recorded statistics; empty fields match anything.
type StatisticFilter struct {
	ID, StatType, ObjectType, ObjectID, Profile string
}

// toTime converts an event time to a UTC time.Time.
func toTime(t event.Time) time.Time { return t.Std().UTC() }
