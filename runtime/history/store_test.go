package history

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/event"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		in      string
		backend Backend
		path    string
		err     string
	}{
		{in: "sqlite:history.db", backend: SQLite, path: "history.db"},
		{in: "sqlite:///var/lib/statkit/h.db", backend: SQLite, path: "/var/lib/statkit/h.db"},
		{in: "postgres://u:secret@db:5432/stats?sslmode=disable", backend: Postgres},
		{in: "postgresql://u@/stats?host=/run/postgresql", backend: Postgres},
		{in: "sqlite:", err: "needs a file path"},
		{in: "sqlite:a.db?mode=ro", err: "may not contain"},
		{in: "postgres://u:secret@db:5432", err: "names no database"},
		{in: "mysql://u@db/x", err: "want sqlite:PATH or postgres://"},
		{in: "", err: "want sqlite:PATH"},
	} {
		d, err := ParseDSN(tc.in)
		if tc.err != "" {
			require.Error(t, err, tc.in)
			assert.Contains(t, err.Error(), tc.err, tc.in)
			assert.NotContains(t, err.Error(), "secret", "a password never reaches an error")
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.backend, d.Backend, tc.in)
		assert.Equal(t, tc.path, d.Path, tc.in)
		assert.NotContains(t, d.String(), "secret")
	}
}

// smallRows runs the small config and events through the recorder and a writer into a
// fresh database of the backend, closing the clock at 09:30.
func smallStore(t *testing.T, dsn string) *Store {
	t.Helper()
	st := openStore(t, dsn)
	l := newTestLog(t, "testdata/small.yaml", "testdata/small.ndjson", event.TimeOf(at("09:30")))
	ctx, cancel := context.WithCancel(context.Background())
	w, err := NewWriter(ctx, st, 0, WriterOptions{Logger: quietLog()})
	require.NoError(t, err)
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	require.NoError(t, l.run(0, l.size(), true, func(seq uint64, rows []Row) error { w.Add(seq, rows); return nil }))
	require.NoError(t, w.Flush(ctx))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.NoError(t, st.SaveReports(context.Background(), l.cfg.Reports))
	return st
}

// at is 2026-01-05 at hh:mm UTC, the small test's day.
func at(hhmm string) time.Time {
	t, err := time.Parse(time.RFC3339, "2026-01-05T"+hhmm+":00Z")
	if err != nil {
		panic(err)
	}
	return t
}

// TestSmallDay checks the rows of a hand-computed case: a retrospective action exactly
// at a reset counts in the new interval, the average is over the interval's actions only,
// a statistic in changes mode is not recorded.
func TestSmallDay(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		st := smallStore(t, newDSN(t))
		assert.Equal(t, []string{
			"q.asa 2026-01-05T09:00:00.000Z 2026-01-05T09:15:00.000Z 7.5",
			"q.asa 2026-01-05T09:15:00.000Z 2026-01-05T09:30:00.000Z 30.5",
			"q.offered 2026-01-05T09:00:00.000Z 2026-01-05T09:15:00.000Z 2",
			"q.offered 2026-01-05T09:15:00.000Z 2026-01-05T09:30:00.000Z 1",
		}, storedRows(t, st))
		infos, err := st.Statistics(context.Background(), StatisticFilter{})
		require.NoError(t, err)
		require.Len(t, infos, 2)
		assert.Equal(t, StatisticInfo{
			Statistic: Statistic{ID: "q.asa", StatType: "SpeedOfAnswer", Category: "AverageTime", ObjectType: "Queue",
				ObjectID: "Q", Profile: "Q15"},
			FirstRecorded: at("09:00"), LastRecorded: at("09:30"),
		}, infos[0])
		v, err := st.Version(context.Background())
		require.NoError(t, err)
		assert.Equal(t, SchemaVersion, v)
	})
}

// TestUpsert: writing an interval again replaces it, never adds a row; the statistic's
// recorded range only widens.
func TestUpsert(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		st := openStore(t, newDSN(t))
		ctx := context.Background()
		s := &Statistic{ID: "x", StatType: "T", Category: "TotalNumber", ObjectType: "Queue", ObjectID: "Q", Profile: "P"}
		row := func(from, to string, v float64) Row {
			return Row{Statistic: s, Start: event.TimeOf(at(from)), End: event.TimeOf(at(to)), Value: v}
		}
		require.NoError(t, st.write(ctx, &batch{rows: []Row{row("09:15", "09:30", 4)}, stream: "log", seq: 7}))
		require.NoError(t, st.write(ctx, &batch{rows: []Row{row("09:00", "09:15", 1)}, stream: "log", seq: 5}))
		require.NoError(t, st.write(ctx, &batch{rows: []Row{row("09:15", "09:30", 5)}, stream: "log", seq: 9}))
		assert.Equal(t, []string{
			"x 2026-01-05T09:00:00.000Z 2026-01-05T09:15:00.000Z 1",
			"x 2026-01-05T09:15:00.000Z 2026-01-05T09:30:00.000Z 5",
		}, storedRows(t, st))
		infos, err := st.Statistics(ctx, StatisticFilter{ID: "x"})
		require.NoError(t, err)
		require.Len(t, infos, 1)
		assert.Equal(t, at("09:00"), infos[0].FirstRecorded)
		assert.Equal(t, at("09:30"), infos[0].LastRecorded)
		pos, ok, err := st.Position(ctx, "log")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, uint64(9), pos, "the position never moves back (5 after 7)")
		_, ok, err = st.Position(ctx, "other")
		require.NoError(t, err)
		assert.False(t, ok)
	})
}

// TestUndefinedValue: an undefined value is SQL NULL and JSON null.
func TestUndefinedValue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		st := openStore(t, newDSN(t))
		ctx := context.Background()
		s := &Statistic{ID: "sl", StatType: "SL", Category: "ServiceFactor1", ObjectType: "Queue", ObjectID: "Q",
			Profile: "P", TimeRange: "SL20", Filter: "Gold"}
		require.NoError(t, st.write(ctx, &batch{rows: []Row{
			{Statistic: s, Start: event.TimeOf(at("09:00")), End: event.TimeOf(at("09:15")), Value: math.NaN()},
			{Statistic: &Statistic{ID: "n", Profile: "P"}, Start: event.TimeOf(at("09:00")), End: event.TimeOf(at("09:15")), Value: -0.25},
		}}))
		var nulls int
		require.NoError(t, st.db.QueryRow(`SELECT COUNT(*) FROM intervals WHERE value IS NULL`).Scan(&nulls))
		assert.Equal(t, 1, nulls)
		resp, err := st.History(ctx, Query{Statistics: []string{"sl", "n"}, From: at("00:00"), To: at("23:00")})
		require.NoError(t, err)
		b, err := json.Marshal(resp)
		require.NoError(t, err)
		assert.JSONEq(t, `{"from":"2026-01-05T00:00:00.000Z","to":"2026-01-05T23:00:00.000Z","truncated":false,"series":[
			{"statistic":"sl","statType":"SL","category":"ServiceFactor1","object":{"type":"Queue","id":"Q"},"profile":"P",
			 "timeRange":"SL20","filter":"Gold","firstRecorded":"2026-01-05T09:00:00.000Z","lastRecorded":"2026-01-05T09:15:00.000Z",
			 "intervals":[{"start":"2026-01-05T09:00:00.000Z","end":"2026-01-05T09:15:00.000Z","value":null}]},
			{"statistic":"n","statType":"","category":"","object":{"type":"","id":""},"profile":"P",
			 "timeRange":null,"filter":null,"firstRecorded":"2026-01-05T09:00:00.000Z","lastRecorded":"2026-01-05T09:15:00.000Z",
			 "intervals":[{"start":"2026-01-05T09:00:00.000Z","end":"2026-01-05T09:15:00.000Z","value":-0.25}]}]}`, string(b))
	})
}

// TestMigrateFromV1 opens a database at schema version 1 holding rows, then opens it
// with this statkit: it is migrated to the current version, the rows are kept and the
// new tables work.
func TestMigrateFromV1(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		dsn := newDSN(t)
		ctx := context.Background()
		old, err := Open(ctx, dsn, StoreOptions{Logger: quietLog(), version: 1})
		require.NoError(t, err)
		v, err := old.Version(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, v)
		_, err = old.db.Exec(old.d.q(`INSERT INTO intervals (statistic, start_at, end_at, value) VALUES (?, ?, ?, ?)`),
			"x", old.d.timeArg(at("09:00")), old.d.timeArg(at("09:15")), 3.0)
		require.NoError(t, err)
		_, _, err = old.Position(ctx, "log")
		require.Error(t, err, "version 1 has no positions table")
		require.NoError(t, old.Close())

		st := openStore(t, dsn)
		v, err = st.Version(ctx)
		require.NoError(t, err)
		assert.Equal(t, SchemaVersion, v)
		var steps int
		require.NoError(t, st.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&steps))
		assert.Equal(t, SchemaVersion, steps, "each step is recorded once")
		assert.Equal(t, []string{"x 2026-01-05T09:00:00.000Z 2026-01-05T09:15:00.000Z 3"}, storedRows(t, st))
		require.NoError(t, st.write(ctx, &batch{stream: "log", seq: 3}))
		pos, ok, err := st.Position(ctx, "log")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, uint64(3), pos)

		// Opening again migrates nothing; a newer schema is refused.
		st2 := openStore(t, dsn)
		require.NoError(t, st2.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&steps))
		assert.Equal(t, SchemaVersion, steps)
		_, err = st2.db.Exec(st2.d.q(`INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)`),
			SchemaVersion+1, "future", st2.d.timeArg(time.Now()))
		require.NoError(t, err)
		_, err = Open(ctx, dsn, StoreOptions{Logger: quietLog()})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "newer than this statkit's")
	})
}

func TestHistoryQuery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		st := smallStore(t, newDSN(t))
		ctx := context.Background()
		now := at("12:00")
		get := func(qs string) (*Response, error) {
			v, err := url.ParseQuery(qs)
			require.NoError(t, err)
			q, err := ParseQuery(v, now)
			if err != nil {
				return nil, err
			}
			return st.History(ctx, q)
		}
		// to defaults to now, from to a day before: both intervals.
		r, err := get("statistic=q.offered")
		require.NoError(t, err)
		require.Len(t, r.Series, 1)
		assert.Len(t, r.Series[0].Intervals, 2)
		assert.False(t, r.Truncated)
		// Intervals ending in (from, to]: only the one ending at 09:30.
		r, err = get("statistic=q.offered&from=2026-01-05T09:15:00Z&to=2026-01-05T09:30:00Z")
		require.NoError(t, err)
		require.Len(t, r.Series[0].Intervals, 1)
		assert.Equal(t, 1.0, *r.Series[0].Intervals[0].Value)
		// By stat type and object: the recorded statistics of a wallboard tile.
		r, err = get("statType=Offered&objectType=Queue&objectId=Q")
		require.NoError(t, err)
		require.Len(t, r.Series, 1)
		assert.Equal(t, "q.offered", r.Series[0].Statistic)
		r, err = get("statType=Offered&objectType=Queue&objectId=nope")
		require.NoError(t, err)
		assert.Empty(t, r.Series)
		// The limit cuts over all series and says so.
		r, err = get("statistic=q.offered&statistic=q.asa&limit=3")
		require.NoError(t, err)
		require.Len(t, r.Series, 2)
		assert.Len(t, r.Series[0].Intervals, 2)
		assert.Len(t, r.Series[1].Intervals, 1)
		assert.True(t, r.Truncated)
		r, err = get("statistic=q.offered&statistic=q.asa&limit=4")
		require.NoError(t, err)
		assert.False(t, r.Truncated, "an exact fit is not truncated")
		// A statistic not recorded.
		_, err = get("statistic=q.live")
		var nr *NotRecordedError
		require.ErrorAs(t, err, &nr)
		assert.Equal(t, "q.live", nr.Statistic)
	})
}

func TestParseQueryErrors(t *testing.T) {
	now := at("12:00")
	for qs, param := range map[string]string{
		"":                                      "statistic",
		"statType=A&objectType=Queue":           "statistic",
		"statistic=a&statType=A":                "statistic",
		"statistic=a&from=yesterday":            "from",
		"statistic=a&to=2026-01-05":             "to",
		"statistic=a&from=2026-01-05T13:00:00Z": "from",
		"statistic=a&from=2020-01-05T00:00:00Z": "from",
		"statistic=a&limit=0":                   "limit",
		"statistic=a&limit=1e3":                 "limit",
		"statistic=a&limit=1&limit=2":           "limit",
		"statistic=a&stat=b":                    "stat",
		"statistic=":                            "statistic",
	} {
		v, err := url.ParseQuery(qs)
		require.NoError(t, err)
		_, err = ParseQuery(v, now)
		var qe *QueryError
		require.ErrorAs(t, err, &qe, qs)
		assert.Equal(t, param, qe.Param, qs)
	}
	q, err := ParseQuery(url.Values{"statistic": {"a"}, "from": {"2026-01-05T10:00:00+01:00"}}, now)
	require.NoError(t, err)
	assert.Equal(t, at("09:00"), q.From, "offsets are read and the times kept in UTC")
	assert.Equal(t, now, q.To)
	assert.Equal(t, DefaultQueryLimit, q.Limit)
}

func TestReportsRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		st := smallStore(t, newDSN(t))
		reports, zones, err := st.Reports(context.Background())
		require.NoError(t, err)
		require.Len(t, reports, 1)
		r := reports[0]
		assert.Equal(t, "R", r.Name)
		assert.Equal(t, "Small", r.Title)
		require.Len(t, r.Rows, 1)
		assert.Equal(t, "Q", r.Rows[0].Label)
		assert.Equal(t, "q.offered", r.Rows[0].Statistics[0])
		assert.Equal(t, "q.asa", r.Rows[0].Statistics[4])
		assert.Equal(t, "", r.Rows[0].Statistics[1])
		assert.Equal(t, "UTC", zones["R"].String())
	})
}
