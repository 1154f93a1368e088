package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// The test topology:
//
//	tenant default
//	places P1 (DNs 7001, 7002), P2 (DN 7003); DN 7004 has no place
//	queue Support@SW1, routing point RP1@SW1
//	agents 1001, 1002; group Sales = {1001, 1002}, group Solo = {1002}
//	place group Floor1 = {P1, P2}; queue group AllQueues = {Support@SW1, RP1@SW1}
//	staging area SA1, workbin WB1
func testTopology() config.Topology {
	return config.Topology{
		Tenant:  "default",
		Tenants: []string{"default"},
		DNs: []*config.DN{
			{ID: "7001", Type: object.DNExtension, Place: "P1"},
			{ID: "7002", Type: object.DNExtension, Place: "P1"},
			{ID: "7003", Type: object.DNExtension, Place: "P2"},
			{ID: "7004", Type: object.DNACDPosition},
			{ID: "Support@SW1", Type: object.DNACDQueue},
			{ID: "RP1@SW1", Type: object.DNRoutingPoint},
		},
		Places:       []*config.Place{{ID: "P1"}, {ID: "P2"}},
		Agents:       []*config.Agent{{ID: "1001"}, {ID: "1002"}},
		StagingAreas: []*config.Object{{ID: "SA1"}},
		Workbins:     []*config.Object{{ID: "WB1"}},
		AgentGroups:  []*config.Group{{ID: "Sales", Members: []string{"1001", "1002"}}, {ID: "Solo", Members: []string{"1002"}}},
		PlaceGroups:  []*config.Group{{ID: "Floor1", Members: []string{"P1", "P2"}}},
		QueueGroups:  []*config.Group{{ID: "AllQueues", Members: []string{"Support@SW1", "RP1@SW1"}}},
	}
}

// day is the default test date.
var day = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// at returns the time "15:04:05[.000]" on the test day, UTC.
func at(clock string) event.Time {
	layout := "15:04:05"
	if len(clock) > 8 {
		layout = "15:04:05.000"
	}
	c, err := time.Parse(layout, clock)
	if err != nil {
		panic(err)
	}
	return event.TimeOf(day.Add(c.Sub(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC))))
}

// utc parses an RFC 3339 time.
func utc(s string) event.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return event.TimeOf(t)
}

// evOpt sets optional event fields.
type evOpt func(*event.Event)

func agent(id string) evOpt { return func(e *event.Event) { e.Agent = id } }
func place(id string) evOpt { return func(e *event.Event) { e.Place = id } }
func media(m string) evOpt  { return func(e *event.Event) { e.Media = m } }
func reason(r string) evOpt {
	return func(e *event.Event) { e.Data = event.Data{{Key: "ReasonCode", Value: r}} }
}
func src(c object.SourceClass, id string) evOpt {
	return func(e *event.Event) { e.Source = event.Source{Class: c, ID: id} }
}

// classOf guesses the source class of a test source id.
func classOf(id string) object.SourceClass {
	switch id {
	case "Support@SW1", "RP1@SW1":
		return object.ClassMediationDN
	}
	return object.ClassRegularDN
}

func mk(t event.Time, a action.ID, ph event.Phase, source, ixn string, opts ...evOpt) *event.Event {
	e := &event.Event{Time: t, Action: a, Phase: ph, Source: event.Source{Class: classOf(source), ID: source}, Interaction: ixn}
	for _, o := range opts {
		o(e)
	}
	return e
}

// begin, end and once build the start and end of a durable action and an instantaneous one.
func begin(t event.Time, a action.ID, source, ixn string, opts ...evOpt) *event.Event {
	return mk(t, a, event.PhaseStart, source, ixn, opts...)
}
func end(t event.Time, a action.ID, source, ixn string, opts ...evOpt) *event.Event {
	return mk(t, a, event.PhaseEnd, source, ixn, opts...)
}

// update builds an update of a durable action's data (set the keys of the options' Data).
func update(t event.Time, a action.ID, source, ixn string, opts ...evOpt) *event.Event {
	e := mk(t, a, event.PhaseUpdate, source, ixn, opts...)
	if e.Data == nil {
		e.Data = event.Data{}
	}
	return e
}
func once(t event.Time, a action.ID, source, ixn string, durSec float64, opts ...evOpt) *event.Event {
	e := mk(t, a, event.PhaseNone, source, ixn, opts...)
	if a.Kind() == action.KindRetrospective {
		e.Duration = int64(durSec * 1000)
	}
	return e
}

// maskOf builds a mask.
func maskOf(as ...action.ID) config.Mask {
	var m config.Mask
	for _, a := range as {
		m.Add(a)
	}
	return m
}

// statOf builds a statistic with the default profile.
func statOf(id string, cat category.Category, subj category.Subject, typ object.Type, objID string, mask ...action.ID) *config.Statistic {
	return &config.Statistic{ID: id, Object: config.ObjectRef{Type: typ, ID: objID}, Def: &config.Def{StatType: &config.StatType{Name: id, Category: cat, Subject: subj, MainMask: maskOf(mask...)}}}
}

// newEngine builds an engine on the test topology with stats open.
func newEngine(t testing.TB, stats ...*config.Statistic) *Engine {
	t.Helper()
	e, err := New(&config.Config{Topology: testTopology(), Statistics: stats})
	require.NoError(t, err)
	return e
}

// applyAll applies events, failing on a rejection.
func applyAll(t testing.TB, e *Engine, evs []*event.Event) {
	t.Helper()
	for i, ev := range evs {
		require.NoError(t, e.Apply(ev), "event %d (%v %v %v)", i, ev.Time, ev.Action, ev.Phase)
	}
}

// replayTo applies the events with time ≤ until, then advances the clock to until.
func replayTo(t testing.TB, e *Engine, evs []*event.Event, until event.Time) {
	t.Helper()
	for i, ev := range evs {
		if ev.Time > until {
			break
		}
		require.NoError(t, e.Apply(ev), "event %d (%v %v %v)", i, ev.Time, ev.Action, ev.Phase)
	}
	e.Advance(until)
}

// num returns statistic id's numeric value.
func num(t testing.TB, e *Engine, id string) float64 {
	t.Helper()
	v, err := e.Value(id)
	require.NoError(t, err)
	require.Nil(t, v.State, "statistic %s is structured", id)
	return v.Number
}

// jsonOf returns v's JSON.
func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
