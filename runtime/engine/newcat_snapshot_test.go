package engine_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// newCatTypes are stat types of every category issue 20 defined, over the simulated
// center.
const newCatTypes = `  AbandonRate: {objects: [Queue, GroupQueues], category: Formula, formula: "100 * CallsAbandoned / CallsEntered"}
  AbandonPct: {objects: [Queue], category: Formula, formula: 'round(AbandonRate) + stat("CallsEntered", "Last15") / max(1, statistic("q1-entered"))'}
  EWT: {objects: [Queue, GroupQueues], category: EstimWaitingTime, subject: DNAction, mainMask: [CallWait], relMask: [CallDistributed]}
  ETC: {objects: [GroupAgents], category: EstimTimeToComplete, subject: DNAction, mainMask: [CallInbound]}
  Drain: {objects: [Queue], category: EstimTimeToEndCurrentNumber, subject: DNAction, mainMask: [CallWait]}
  Load: {objects: [GroupAgents], category: LoadBalance, subject: AgentStatus, mainMask: [CallInbound], relMask: [WaitForNextCall]}
  Load1: {objects: [GroupAgents], category: LoadBalance1, subject: DNAction, mainMask: [CallInbound]}
  Errors: {objects: [Queue], category: TotalNumberErrors, subject: DNAction, mainMask: ["*"]}
  AgentErrors: {objects: [GroupAgents], category: TotalNumberErrors, subject: DNAction, mainMask: ["*"]}
  PerHour: {objects: [GroupAgents], category: AverageNumberPerRelativeHour, subject: AgentStatus, mainMask: [CallInbound], relMask: ["*", "~LoggedOut"]}
  Distinct: {objects: [GroupAgents], category: TotalDistinctTime, subject: DNAction, mainMask: [CallInbound]}
  DistinctStatus: {objects: [GroupAgents], category: TotalDistinctTime, subject: AgentStatus, mainMask: [CallInbound]}
  Target: {objects: [GroupAgents], category: CurrentTargetState, subject: GroupStatus, mainMask: ["*"]}
`

const newCatSections = `timeProfiles:
  Last15: {type: Sliding, window: 900, step: 60}
  Last20: {type: Selection, count: 20}
`

const newCatStats = `  - {id: q1-entered, statType: CallsEntered, object: {type: Queue, id: "Q1@SW1"}}
  - {id: rate, statType: AbandonRate, object: {type: Queue, id: "Q1@SW1"}}
  - {id: rate-all, statType: AbandonRate, object: {type: GroupQueues, id: AllQueues}}
  - {id: pct, statType: AbandonPct, object: {type: Queue, id: "Q1@SW1"}, notification: {mode: periodical, period: 60}}
  - {id: ewt, statType: EWT, object: {type: Queue, id: "Q1@SW1"}}
  - {id: ewt-all, statType: EWT, object: {type: GroupQueues, id: AllQueues}}
  - {id: etc, statType: ETC, object: {type: GroupAgents, id: Group1}, profile: Last15}
  - {id: etc-sel, statType: ETC, object: {type: GroupAgents, id: Group1}, profile: Last20}
  - {id: drain, statType: Drain, object: {type: Queue, id: "Q1@SW1"}, profile: Last15}
  - {id: load, statType: Load, object: {type: GroupAgents, id: Group1}}
  - {id: load1, statType: Load1, object: {type: GroupAgents, id: Group1}}
  - {id: errors-q, statType: Errors, object: {type: Queue, id: "Q1@SW1"}}
  - {id: errors-g, statType: AgentErrors, object: {type: GroupAgents, id: Group1}, profile: Last15}
  - {id: per-hour, statType: PerHour, object: {type: GroupAgents, id: Group1}}
  - {id: distinct, statType: Distinct, object: {type: GroupAgents, id: Group1}}
  - {id: distinct-15, statType: Distinct, object: {type: GroupAgents, id: Group1}, profile: Last15}
  - {id: distinct-sel, statType: Distinct, object: {type: GroupAgents, id: Group1}, profile: Last20}
  - {id: distinct-status, statType: DistinctStatus, object: {type: GroupAgents, id: Group1}}
  - {id: target, statType: Target, object: {type: GroupAgents, id: Group1}}
`

// newCatFixture is a simulated center with statistics of the new categories, and its
// events.
func newCatFixture(t testing.TB, seed uint64) (*config.Config, []event.Event) {
	t.Helper()
	sc := sim.Config{Seed: seed, Agents: 12, Queues: 2, Duration: 3 * time.Hour, Start: sim.DefaultStart()}
	var buf bytes.Buffer
	require.NoError(t, sim.WriteConfig(&buf, sc))
	doc := buf.String()
	doc = strings.Replace(doc, "statTypes:\n", "statTypes:\n"+newCatTypes, 1)
	doc = strings.Replace(doc, "statistics:\n", newCatSections+"statistics:\n", 1)
	doc += newCatStats
	cfg, err := config.Load("newcat.yaml", strings.NewReader(doc))
	require.NoError(t, err)
	s, err := sim.New(sc)
	require.NoError(t, err)
	var evs []event.Event
	for e, ok := s.Next(); ok; e, ok = s.Next() {
		evs = append(evs, e)
	}
	return cfg, evs
}

// newCatStep applies event i, with a refused event now and then (for TotalNumberErrors),
// and drains the notifications every few events.
func newCatStep(t testing.TB, e *engine.Engine, evs []event.Event, i int, notes *[]engine.Notification) {
	t.Helper()
	require.NoError(t, e.Apply(&evs[i]))
	if i%41 == 0 {
		bad := event.Event{Time: evs[i].Time, Action: action.CallWait, Phase: event.PhaseEnd,
			Source: event.Source{Class: object.ClassMediationDN, ID: "Q1@SW1"}, Interaction: "never-started"}
		require.Equal(t, engine.CodeEndWithoutStart, engine.CodeOf(e.Apply(&bad)))
		bad.Action, bad.Source = action.CallInbound, event.Source{Class: object.ClassRegularDN, ID: "7001"}
		require.Equal(t, engine.CodeEndWithoutStart, engine.CodeOf(e.Apply(&bad)))
	}
	if i%37 == 0 && i+1 < len(evs) {
		e.Advance(evs[i+1].Time)
	}
	if i%5 == 0 {
		*notes = e.Notifications(*notes)
	}
}

// TestNewCategoriesSnapshot: the new categories' state (formula inputs, the waiting-time
// samples, completed durations, distinct spans, refusals) survives a snapshot: the
// restored engine gives the values and notifications of the uninterrupted one.
func TestNewCategoriesSnapshot(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		cfg, evs := newCatFixture(t, seed)
		cut := 200 + rand.New(rand.NewPCG(seed, 1)).IntN(len(evs)-400)
		ref, err := engine.New(cfg)
		require.NoError(t, err)
		var refNotes []engine.Notification
		for i := range evs {
			newCatStep(t, ref, evs, i, &refNotes)
			if i == cut-1 {
				refNotes = refNotes[:0]
			}
		}
		a, err := engine.New(cfg)
		require.NoError(t, err)
		var notes []engine.Notification
		for i := range cut {
			newCatStep(t, a, evs, i, &notes)
		}
		var buf bytes.Buffer
		require.NoError(t, a.Snapshot(&buf))
		b, err := engine.Restore(cfg, bytes.NewReader(buf.Bytes()))
		require.NoError(t, err, "seed %d cut %d", seed, cut)
		require.Equal(t, values(t, a), values(t, b), "seed %d: values right after restore", seed)
		var again bytes.Buffer
		require.NoError(t, b.Snapshot(&again))
		require.Equal(t, buf.Bytes(), again.Bytes(), "seed %d: snapshot of a restored engine", seed)
		notes = notes[:0]
		for i := cut; i < len(evs); i++ {
			newCatStep(t, b, evs, i, &notes)
		}
		final := values(t, ref)
		require.Equal(t, final, values(t, b), "seed %d cut %d: final values", seed, cut)
		require.Equal(t, len(refNotes), len(notes), "seed %d cut %d: notifications", seed, cut)
		for i := range refNotes {
			require.Equal(t, refNotes[i].Statistic, notes[i].Statistic)
			require.Equal(t, refNotes[i].At, notes[i].At)
			require.Equal(t, refNotes[i].Value.String(), notes[i].Value.String(), "notification %d", i)
			require.Equal(t, refNotes[i].Value.Undefined, notes[i].Value.Undefined, "notification %d", i)
		}
		// The scenario exercises the categories: most end the day with a value.
		defined := 0
		for id, v := range final {
			switch {
			case strings.Contains(id, "@SW1.") || strings.HasPrefix(id, "Group") || strings.HasPrefix(id, "AllQueues.") || id == "q1-entered":
			case v != "null" && v != "0":
				defined++
			default:
				t.Logf("seed %d: %s = %s", seed, id, v)
			}
		}
		require.Greater(t, defined, 13, "seed %d: %v", seed, final)
	}
}
