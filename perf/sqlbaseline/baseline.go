package main

import (
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// The SQL baseline: what a team without a statistics server does. Every event is a row of
// an events table; the topology is a table saying which source DNs reach which objects
// (obj_src, with the object type's bit so that an action reaches only the object types
// its applicability allows); at each refresh one query per stat type recomputes the
// values of all its objects from the whole table.

// schema creates the tables. kind is d(urable), m(omentary) or r(etrospective); phase is
// start, end or ”; reach is the action's object.TypeSet.
const schema = `
CREATE TABLE events (t INTEGER NOT NULL, action TEXT NOT NULL, kind TEXT NOT NULL, phase TEXT NOT NULL,
	src TEXT NOT NULL, ixn TEXT NOT NULL, dur INTEGER NOT NULL, reach INTEGER NOT NULL);
CREATE TABLE obj_src (obj TEXT NOT NULL, typ INTEGER NOT NULL, bit INTEGER NOT NULL, src TEXT NOT NULL);
CREATE INDEX events_action ON events (action, phase, t);
CREATE INDEX events_instance ON events (action, src, ixn, phase, t);
CREATE INDEX obj_src_src ON obj_src (src);
`

// store is the events table and the topology table in an in-memory SQLite database.
type store struct {
	db *sql.DB
}

// objKey names an object in obj_src.
func objKey(typ object.Type, id string) string { return typ.String() + ":" + id }

// newStore creates the database and loads the topology.
func newStore(t *config.Topology) (*store, error) {
	db, err := sql.Open("sqlite", "file:baseline?mode=memory")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one in-memory database, one connection
	if _, err := db.Exec(schema); err != nil {
		return nil, err
	}
	s := &store{db: db}
	tx, err := db.Begin()
	if err != nil {
		return nil, err
	}
	ins, err := tx.Prepare(`INSERT INTO obj_src (obj, typ, bit, src) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	add := func(typ object.Type, id, src string) error {
		_, err := ins.Exec(objKey(typ, id), int(typ), int64(1)<<typ, src)
		return err
	}
	agentDN := map[string]string{}
	placeDN := map[string]string{}
	for _, d := range t.DNs {
		if d.Place != "" {
			placeDN[d.Place] = d.ID
		}
	}
	for i, a := range t.Agents { // sim topology: agent i works at place i
		agentDN[a.ID] = placeDN[t.Places[i].ID]
	}
	var errs []error
	for _, d := range t.DNs {
		errs = append(errs, add(d.Type.ObjectType(), d.ID, d.ID), add(object.TypeTenant, t.Tenant, d.ID))
	}
	for _, a := range t.Agents {
		errs = append(errs, add(object.TypeAgent, a.ID, agentDN[a.ID]))
	}
	for _, g := range t.AgentGroups {
		for _, m := range g.Members {
			errs = append(errs, add(object.TypeGroupAgents, g.ID, agentDN[m]))
		}
	}
	for _, g := range t.QueueGroups {
		for _, m := range g.Members {
			errs = append(errs, add(object.TypeGroupQueues, g.ID, m))
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return s, tx.Commit()
}

// insert adds events to the events table in one transaction.
func (s *store) insert(evs []event.Event) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	ins, err := tx.Prepare(`INSERT INTO events (t, action, kind, phase, src, ixn, dur, reach) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	for i := range evs {
		ev := &evs[i]
		kind := map[action.Kind]string{action.KindDurable: "d", action.KindMomentary: "m", action.KindRetrospective: "r"}[ev.Action.Kind()]
		if _, err := ins.Exec(int64(ev.Time), ev.Action.Name(), kind, ev.Phase.String(), ev.Source.ID, ev.Interaction,
			ev.Duration, int64(ev.Action.Reaches())); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`ANALYZE`); err != nil {
		return err
	}
	return tx.Commit()
}

// sqlCategories are the categories the baseline recomputes.
var sqlCategories = map[category.Category]bool{
	category.TotalNumber: true, category.TotalTime: true, category.AverageTime: true,
	category.MaxTime: true, category.MinTime: true,
	category.CurrentNumber: true, category.CurrentTime: true, category.CurrentMaxTime: true,
	category.CurrentAverageTime: true,
}

// sqlObjects are the object types the baseline's obj_src covers.
var sqlObjects = object.TypeSetOf(object.TypeQueue, object.TypeGroupQueues, object.TypeTenant,
	object.TypeGroupAgents, object.TypeAgent)

// eligible reports whether the baseline recomputes st: a DNAction statistic of a
// supported category, with the Default profile (Growing from midnight), on a covered
// object type.
func eligible(st *config.Statistic) bool {
	t := st.StatType
	return t.Subject == category.SubjectDNAction && sqlCategories[t.Category] && sqlObjects.Has(st.Object.Type) &&
		st.Profile != nil && st.Profile.Name == config.DefaultProfileName && st.Filter == nil && t.MediaType == ""
}

// query is one SQL statement of a refresh: a category over a mask, for every object of
// the types that use it.
type query struct {
	cat   category.Category
	mask  []string
	types []int
	stats []*config.Statistic
	text  string
}

// plan groups the statistics by (category, mask) into queries.
func plan(stats []*config.Statistic) []*query {
	byKey := map[string]*query{}
	var out []*query
	for _, st := range stats {
		names := maskNames(&st.StatType.MainMask)
		k := st.StatType.Category.String() + "|" + strings.Join(names, ",")
		q := byKey[k]
		if q == nil {
			q = &query{cat: st.StatType.Category, mask: names}
			byKey[k] = q
			out = append(out, q)
		}
		q.stats = append(q.stats, st)
		typ := int(st.Object.Type)
		found := false
		for _, x := range q.types {
			found = found || x == typ
		}
		if !found {
			q.types = append(q.types, typ)
		}
	}
	for _, q := range out {
		q.text = q.sql()
	}
	return out
}

// maskNames returns the action names of a mask, sorted.
func maskNames(m *config.Mask) []string {
	seen := map[string]bool{}
	var names []string
	for _, a := range m.Actions() {
		if n := a.Name(); !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// sql builds the statement; its parameters are :start (the interval's start) and :now.
// Each row is (object, n, sum, max, min) in milliseconds.
func (q *query) sql() string {
	in := "'" + strings.Join(q.mask, "','") + "'"
	types := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(q.types)), ","), "[]")
	if q.cat.Kind() == category.KindCurrent {
		// Durable mask instances started and not ended by now.
		return `SELECT o.obj, COUNT(*), COALESCE(SUM(:now - s.t), 0), COALESCE(MAX(:now - s.t), 0), COALESCE(MIN(:now - s.t), 0)
FROM events s JOIN obj_src o ON o.src = s.src AND (s.reach & o.bit) <> 0
WHERE s.action IN (` + in + `) AND s.kind = 'd' AND s.phase = 'start' AND s.t <= :now AND o.typ IN (` + types + `)
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.action = s.action AND e.src = s.src AND e.ixn = s.ixn
                  AND e.phase = 'end' AND e.t >= s.t AND e.t <= :now)
GROUP BY o.obj`
	}
	// Mask instances completing in [start, now]: momentary (no duration), retrospective
	// (its duration), durable ends (end minus the latest start of the same instance).
	return `WITH c AS (
  SELECT e.src, e.reach,
    CASE e.kind WHEN 'r' THEN e.dur WHEN 'm' THEN NULL ELSE e.t - (
      SELECT MAX(s.t) FROM events s WHERE s.action = e.action AND s.src = e.src AND s.ixn = e.ixn
        AND s.phase = 'start' AND s.t <= e.t) END AS d
  FROM events e
  WHERE e.action IN (` + in + `) AND (e.kind <> 'd' OR e.phase = 'end') AND e.t >= :start AND e.t <= :now)
SELECT o.obj, COUNT(*), COALESCE(SUM(c.d), 0), COALESCE(MAX(c.d), 0), COALESCE(MIN(c.d), 0)
FROM c JOIN obj_src o ON o.src = c.src AND (c.reach & o.bit) <> 0
WHERE o.typ IN (` + types + `)
GROUP BY o.obj`
}

// agg is one object's row.
type agg struct{ n, sum, max, min int64 }

// value turns an object's aggregate into the statistic's value, as the engine does.
func (q *query) value(a agg) float64 {
	switch q.cat {
	case category.TotalNumber, category.CurrentNumber:
		return float64(a.n)
	case category.TotalTime, category.CurrentTime:
		return float64(a.sum) / 1000
	case category.AverageTime, category.CurrentAverageTime:
		if a.n == 0 {
			return 0
		}
		return math.Round(float64(a.sum)/float64(a.n)) / 1000
	case category.MaxTime, category.CurrentMaxTime:
		return float64(a.max) / 1000
	case category.MinTime:
		return float64(a.min) / 1000
	}
	return math.NaN()
}

// refresh runs every query at now (interval from start) and returns each statistic's
// value by id.
func (s *store) refresh(qs []*query, start, now event.Time, out map[string]float64) error {
	for _, q := range qs {
		rows, err := s.db.Query(q.text, sql.Named("start", int64(start)), sql.Named("now", int64(now)))
		if err != nil {
			return fmt.Errorf("%v %v: %w", q.cat, q.mask, err)
		}
		byObj := map[string]agg{}
		for rows.Next() {
			var obj string
			var a agg
			if err := rows.Scan(&obj, &a.n, &a.sum, &a.max, &a.min); err != nil {
				rows.Close()
				return err
			}
			byObj[obj] = a
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, st := range q.stats {
			out[st.ID] = q.value(byObj[objKey(st.Object.Type, st.Object.ID)])
		}
	}
	return nil
}

// check compares the SQL values with the engine's, returning the number equal and the
// first mismatches.
func check(e *engine.Engine, stats []*config.Statistic, vals map[string]float64) (int, []string, error) {
	ok := 0
	var bad []string
	for _, st := range stats {
		v, err := e.Value(st.ID)
		if err != nil {
			return 0, nil, err
		}
		if sv := vals[st.ID]; sv == v.Number {
			ok++
		} else if len(bad) < 5 {
			bad = append(bad, fmt.Sprintf("%s: SQL %v, engine %v", st.ID, sv, v.Number))
		}
	}
	return ok, bad, nil
}
