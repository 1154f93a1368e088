// Package history keeps every interval's final value in a SQL database — SQLite embedded
// (sqlite:PATH, modernc.org/sqlite, pure Go) or PostgreSQL (postgres://…, jackc/pgx) —
// for interval reports (statkit report), trend charts (GET /v1/history, the wallboard)
// and any reporting tool that reads SQL.
//
// # What is recorded
//
// Every statistic whose notification mode is reset (config: Growing profiles and
// historical categories only): at each reset instant R the engine notifies the final
// value of the interval ending at R, and the Recorder turns that notification into a Row
// (statistic, start, end, value). Other modes are not recorded: what a site keeps is
// visible and reviewable in its config. Structured values (CurrentState) are never
// recorded — they are current categories, which the config refuses in reset mode — so
// the schema has no column for them. An undefined value (a 0/0 ratio) is SQL NULL (JSON
// null). The interval's start is the engine's (Notification.From): the profile's reset
// before R, or the statistic's open when it opened during the interval (through the API,
// or by a reload that added or changed it), whose first row then covers [open, R).
//
// # Schema (version 2)
//
//	intervals(statistic TEXT, start_at, end_at, value DOUBLE PRECISION NULL,
//	          PRIMARY KEY (statistic, start_at))           index intervals_by_end(end_at)
//	statistics(statistic TEXT PRIMARY KEY, stat_type, category, object_type, object_id,
//	           profile, time_range NULL, filter NULL, first_recorded, last_recorded)
//	positions(stream TEXT PRIMARY KEY, seq BIGINT, updated_at)
//	reports(report, title, time_zone, row_index, label, column_name, statistic,
//	        PRIMARY KEY (report, row_index, column_name))
//	schema_migrations(version INTEGER PRIMARY KEY, description, applied_at)
//
// Times are UTC: in SQLite TEXT in RFC 3339 with exactly three decimals
// ("2026-11-26T09:15:00.000Z", so text order is time order), in PostgreSQL timestamptz.
// statistics describes each recorded id as last defined (a reload may change it);
// first_recorded is the start of its earliest stored interval and last_recorded the end
// of its latest. reports holds the config's report definitions (SaveReports), so the
// database describes itself to tools without the config. Open creates the schema or
// migrates it step by step (each step a transaction recorded in schema_migrations, under
// the backend's write lock, so processes starting together migrate once) and refuses a
// database newer than itself. SQLite runs in WAL mode: any SQLite client reads it while
// statkit writes.
//
// # Writing
//
// A Writer runs on its own goroutine (Run). The goroutine applying records (the state
// machine's owner) calls Add(seq, rows) after each record with the rows it produced
// (possibly none); Add only queues. The writer commits one transaction per reset
// instant: the rows as upserts on (statistic, start_at) — a replayed interval replaces
// the row, never adds one — the statistics' descriptions, and the log position: the
// record's seq when it is the record's last instant, seq−1 before (every earlier record
// is committed). A position advanced by records without rows is written at most every
// WriterOptions.PositionEvery. A database error is retried with backoff; nothing is
// dropped and the caller never waits. Rows wait in memory up to MaxPending; past it the
// writer drops what it holds and marks the range (position, last seq] to be re-derived
// from the log (below). Status reports the lag, the last error and rows lost.
//
// # Catching up from the log
//
// The database's position P is the log seq up to which every row is committed. Rows of
// records after P are re-derived, never stored elsewhere: the Replayer (the server
// implements it over its Log) restores a state machine from the newest snapshot at or
// before P, applies the records after it through the position wanted and emits their
// rows, exactly as the live machine did — the engine is deterministic, so they are the
// same rows. This needs the log to keep a snapshot at or before P and the records after
// it: the store's retention is pinned by Writer.Pin. (A dedicated record kind was
// rejected: rows are derived data, and logging them would grow the log by every
// statistic at every reset and make replicas disagree on who appends them.) It runs:
//
//   - at start: NewWriter(after = the snapshot the live machine restored) with P < after
//     catches up (P, after] on the writer's goroutine while the server serves; Adds of
//     records up to P (a snapshot older than P) are ignored; a database without a
//     position (a new history) starts at after — statkit replay --log --history
//     backfills what came before;
//   - after an outage that filled MaxPending: the dropped range is re-derived once the
//     database answers again, while newer records queue again;
//   - after records whose rows the caller could not hand over (Missed: the server
//     applied them before its database answered, or while another process wrote).
//
// If the log no longer holds what is needed (retention not pinned, a lost snapshot), the
// writer logs an error naming the records whose rows are missing and counts them
// (Status.Lost); it never stops.
//
// A backfill (statkit replay --history) has no log: its writer records no position and
// makes Add wait instead of dropping when the database is slow.
//
// # Reading
//
// ParseQuery reads GET /v1/history's parameters and History answers with Response:
//
//	GET /v1/history?statistic=ID[&statistic=ID…][&from=T][&to=T][&limit=N]
//	GET /v1/history?statType=NAME&objectType=TYPE&objectId=ID[&from=T][&to=T]
//	→ {"from", "to", "truncated",
//	   "series": [{"statistic", "statType", "category", "object": {"type", "id"},
//	               "profile", "timeRange", "filter", "firstRecorded", "lastRecorded",
//	               "intervals": [{"start", "end", "value"}]}]}
//
// The intervals are those ending in (from, to], in time order; to defaults to now and
// from to a day before. A wallboard tile (a stat type on an object) finds its recorded
// series by statType and object: its sparkline starts from today's intervals (from =
// local midnight) and its bar chart is the intervals themselves. A named statistic that
// is not recorded is a *NotRecordedError (404); a bad parameter a *QueryError (400).
// Store.Intervals and Store.Statistics are the building blocks (statkit report uses
// them).
package history
