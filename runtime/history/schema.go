package history

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SchemaVersion is the version of the schema this package writes and reads; Open migrates
// an older database up to it and refuses a newer one.
const SchemaVersion = 2

// migration is one step of the schema: the statements that take version-1 to version.
// Times are TEXT in SQLite (RFC 3339, UTC, always with milliseconds, so text order is time
// order) and timestamptz in PostgreSQL; {time} stands for that type.
type migration struct {
	version     int
	description string
	statements  []string
}

// migrations is the schema's history; a database records each step it applied in
// schema_migrations. Never edit a step once released: add one.
var migrations = []migration{
	{1, "intervals and statistics", []string{
		`CREATE TABLE statistics (
			statistic      TEXT PRIMARY KEY,
			stat_type      TEXT NOT NULL,
			category       TEXT NOT NULL,
			object_type    TEXT NOT NULL,
			object_id      TEXT NOT NULL,
			profile        TEXT NOT NULL,
			time_range     TEXT,
			filter         TEXT,
			first_recorded {time} NOT NULL,
			last_recorded  {time} NOT NULL
		)`,
		`CREATE TABLE intervals (
			statistic TEXT NOT NULL,
			start_at  {time} NOT NULL,
			end_at    {time} NOT NULL,
			value     DOUBLE PRECISION,
			PRIMARY KEY (statistic, start_at)
		)`,
	}},
	{2, "log positions, report definitions, intervals by time", []string{
		`CREATE TABLE positions (
			stream     TEXT PRIMARY KEY,
			seq        BIGINT NOT NULL,
			updated_at {time} NOT NULL
		)`,
		`CREATE TABLE reports (
			report      TEXT NOT NULL,
			title       TEXT NOT NULL,
			time_zone   TEXT NOT NULL,
			row_index   INTEGER NOT NULL,
			label       TEXT NOT NULL,
			column_name TEXT NOT NULL,
			statistic   TEXT NOT NULL,
			PRIMARY KEY (report, row_index, column_name)
		)`,
		`CREATE INDEX intervals_by_end ON intervals (end_at)`,
	}},
}

// dialect is what differs between the backends' SQL.
type dialect struct {
	backend Backend
}

// timeType is the column type of a time.
func (d dialect) timeType() string {
	if d.backend == Postgres {
		return "TIMESTAMPTZ"
	}
	return "TEXT"
}

// q rewrites a statement written with ? placeholders and {time} for the backend.
func (d dialect) q(s string) string {
	s = strings.ReplaceAll(s, "{time}", d.timeType())
	if d.backend != Postgres {
		return s
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// timeFormat is how SQLite stores a time: RFC 3339 in UTC with exactly three decimals, so
// that comparing the text compares the times.
const timeFormat = "2006-01-02T15:04:05.000Z"

// timeArg converts t to the backend's argument.
func (d dialect) timeArg(t time.Time) any {
	if d.backend == Postgres {
		return t.UTC()
	}
	return t.UTC().Format(timeFormat)
}

// timeCol scans a time column of either backend.
type timeCol struct{ t time.Time }

// Scan implements sql.Scanner.
func (c *timeCol) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		c.t = v.UTC()
		return nil
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	}
	return fmt.Errorf("history: a time column holds %T", src)
}

func (c *timeCol) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("history: a time column holds %q: %w", s, err)
	}
	c.t = t.UTC()
	return nil
}

// migrate brings the database to version target (SchemaVersion outside tests), each step
// in its own transaction with the version it reached recorded in schema_migrations. It
// holds the backend's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
// transaction lock), so processes starting together migrate once.
func (s *Store) migrate(ctx context.Context, target int) (int, error) {
	for {
		v, done, err := s.migrateStep(ctx, target)
		if err != nil || done {
			return v, err
		}
	}
}

// migrationLock is the PostgreSQL advisory lock key of migrations ("statkit" in ASCII).
const migrationLock = 0x73746174_6b6974

// migrateStep applies the next migration, if any, and reports the version reached.
func (s *Store) migrateStep(ctx context.Context, target int) (int, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("history: migrate: %w", err)
	}
	defer tx.Rollback()
	if s.d.backend == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return 0, false, fmt.Errorf("history: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.q(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version     INTEGER PRIMARY KEY,
		description TEXT NOT NULL,
		applied_at  {time} NOT NULL
	)`)); err != nil {
		return 0, false, fmt.Errorf("history: migrate: %w", err)
	}
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, false, fmt.Errorf("history: migrate: read version: %w", err)
	}
	cur := int(v.Int64)
	switch {
	case cur > SchemaVersion:
		return cur, false, fmt.Errorf("history: the database's schema is version %d, newer than this statkit's (%d): upgrade statkit", cur, SchemaVersion)
	case cur >= target:
		return cur, true, tx.Commit()
	}
	m := migrations[cur] // migrations[i] takes version i to i+1
	for _, stmt := range m.statements {
		if _, err := tx.ExecContext(ctx, s.d.q(stmt)); err != nil {
			return cur, false, fmt.Errorf("history: migrate to version %d (%s): %w", m.version, m.description, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)`),
		m.version, m.description, s.d.timeArg(s.now())); err != nil {
		return cur, false, fmt.Errorf("history: migrate to version %d: %w", m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return cur, false, fmt.Errorf("history: migrate to version %d: commit: %w", m.version, err)
	}
	s.log.Info("history: schema migrated", "version", m.version, "step", m.description)
	return m.version, m.version >= target, nil
}
