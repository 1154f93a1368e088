package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// snapshot is the observable state of an engine: clock, live instances, every value.
func snapshot(t *testing.T, e *Engine) string {
	t.Helper()
	out := e.Now().String()
	out += " live=" + jsonOf(t, e.live.n)
	for _, s := range e.Statistics() {
		v, err := e.Value(s.ID)
		require.NoError(t, err)
		out += " " + s.ID + "=" + jsonOf(t, v)
	}
	return out
}

// rejectStats covers historical, current and status statistics on the DN and agent.
func rejectStats() []*config.Statistic {
	return []*config.Statistic{
		statOf("n", category.TotalNumber, category.SubjectDNAction, object.TypeAgent, "1001", action.CallInbound),
		statOf("t", category.TotalAdjustedTime, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound),
		statOf("c", category.CurrentNumber, category.SubjectDNAction, object.TypePlace, "P1", action.CallInbound),
		statOf("s", category.TotalTime, category.SubjectAgentStatus, object.TypeAgent, "1001", action.CallInbound),
		statOf("state", category.CurrentState, category.SubjectAgentStatus, object.TypeAgent, "1001"),
	}
}

// rejectBase logs 1001 in and starts call c1 at 09:00:10.
func rejectBase() []*event.Event {
	return []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:10"), action.CallInbound, "7001", "c1"),
	}
}

// checkRejected applies bad and checks the code, that nothing changed, and that later
// events still apply: c1 ends at 09:01:10 and the agent's TotalNumber becomes 1.
func checkRejected(t *testing.T, bad *event.Event, code Code) {
	t.Helper()
	e := newEngine(t, rejectStats()...)
	applyAll(t, e, rejectBase())
	before := snapshot(t, e)
	changed := e.Changed(nil)
	err := e.Apply(bad)
	require.Error(t, err)
	assert.Equal(t, code, CodeOf(err), "error %v", err)
	var re *RejectError
	assert.True(t, errors.As(err, &re))
	assert.Equal(t, before, snapshot(t, e), "engine changed by a rejected event")
	assert.Empty(t, e.Changed(nil), "a rejected event touched statistics")
	assert.NotEmpty(t, changed)

	require.NoError(t, e.Apply(end(at("09:01:10"), action.CallInbound, "7001", "c1")))
	assert.Equal(t, 1.0, num(t, e, "n"))
	assert.Equal(t, 60.0, num(t, e, "t"))
	assert.Equal(t, 60.0, num(t, e, "s"))
	assert.Equal(t, 0.0, num(t, e, "c"))
}

func TestRejectEndWithoutStart(t *testing.T) {
	checkRejected(t, end(at("09:00:20"), action.CallInbound, "7001", "c9"), CodeEndWithoutStart)
}

func TestRejectDuplicateStart(t *testing.T) {
	// The second start of c1 is refused; c1 keeps its first start (09:00:10).
	checkRejected(t, begin(at("09:00:30"), action.CallInbound, "7001", "c1"), CodeDuplicateStart)
}

func TestRejectLateEvent(t *testing.T) {
	checkRejected(t, once(at("09:00:05"), action.CallAnsweredRegularDNs, "7001", "c1", 1), CodeLateEvent)
}

func TestRejectUnknownObject(t *testing.T) {
	t.Run("unknown DN", func(t *testing.T) {
		checkRejected(t, begin(at("09:00:20"), action.CallInbound, "9999", "c2"), CodeUnknownObject)
	})
	t.Run("unknown agent named", func(t *testing.T) {
		checkRejected(t, begin(at("09:00:20"), action.CallInbound, "7002", "c2", agent("nobody")), CodeUnknownObject)
	})
	t.Run("a queue addressed as a regular DN", func(t *testing.T) {
		checkRejected(t, once(at("09:00:20"), action.CallAnsweredRegularDNs, "x", "c2", 1, src(object.ClassRegularDN, "Support@SW1")), CodeUnknownObject)
	})
	t.Run("end on an unknown DN", func(t *testing.T) {
		checkRejected(t, end(at("09:00:20"), action.CallInbound, "9999", "c2"), CodeUnknownObject)
	})
}

func TestRejectInvalidEvent(t *testing.T) {
	checkRejected(t, mk(at("09:00:20"), action.CallInbound, event.PhaseNone, "7001", "c2"), CodeInvalidEvent)
}

// TestOpenRefusals: what Open cannot compute is refused with a clear error.
func TestOpenRefusals(t *testing.T) {
	sliding := statOf("x", category.TotalNumber, category.SubjectDNAction, object.TypeAgent, "1001", action.CallInbound)
	sliding.Profile = &config.TimeProfile{Name: "Last15", Type: config.ProfileSliding, Window: 900 * time.Second, Step: 7 * time.Second}
	selection := statOf("x", category.TotalNumber, category.SubjectDNAction, object.TypeAgent, "1001", action.CallInbound)
	selection.Profile = &config.TimeProfile{Name: "Last0", Type: config.ProfileSelection}
	sinceLogin := statOf("x", category.TotalNumber, category.SubjectDNAction, object.TypePlace, "P1", action.CallInbound)
	sinceLogin.Profile = &config.TimeProfile{Name: "Shift", Type: config.ProfileSinceLogin}
	filtered := statOf("x", category.TotalNumber, category.SubjectDNAction, object.TypeAgent, "1001", action.CallInbound)
	filtered.Filter = &config.Filter{Name: "Bad", Expr: `PairExists("Segment") && medium == "voice"`}
	formula := statOf("x", category.TotalCustomValue, category.SubjectDNAction, object.TypeAgent, "1001", action.CallInbound)
	formula.StatType.Formula = `data["Amount"] + "x"`
	customStatus := statOf("x", category.TotalCustomValue, category.SubjectAgentStatus, object.TypeAgent, "1001", action.CallInbound)
	customStatus.StatType.Formula = `1`
	cases := []struct {
		name string
		st   *config.Statistic
		msg  string
	}{
		{"sliding window not a multiple of the step", sliding, `time profile "Last15": Sliding window 15m0s is not a positive multiple of step 7s`},
		{"selection of nothing", selection, `time profile "Last0": Selection count 0 is not positive`},
		{"SinceLogin on a place", sinceLogin, `time profile "Shift": SinceLogin applies only to Agent objects, not Place`},
		{"filter that does not compile", filtered, `filter "Bad": unknown name medium (column 26 of the expression)`},
		{"formula that does not compile", formula, `formula "data[\"Amount\"] + \"x\"": invalid operation: + (mismatched types float64 and string) (column 16 of the expression)`},
		{"custom value on statuses", customStatus, "category TotalCustomValue needs subject DNAction"},
		{"unknown object", statOf("x", category.TotalNumber, category.SubjectDNAction, object.TypeAgent, "9", action.CallInbound), `unknown Agent "9"`},
		{"unsupported category", statOf("x", category.JavaCategory, category.SubjectDNAction, object.TypeQueue, "Support@SW1", action.CallDistributed), "category JavaCategory is not supported"},
		{"load balance without resources", statOf("x", category.LoadBalance, category.SubjectDNAction, object.TypeQueue, "Support@SW1", action.CallWait), "category LoadBalance needs a RelMask (the available resources)"},
		{"load balance of a queue's agents", statOf("x", category.LoadBalance1, category.SubjectDNAction, object.TypeQueue, "Support@SW1", action.CallWait), "category LoadBalance1 counts logged-in agents, which a Queue has not"},
		{"waiting-time estimate on statuses", statOf("x", category.EstimWaitingTime, category.SubjectDNStatus, object.TypeQueue, "Support@SW1", action.CallWait), "category EstimWaitingTime needs subject DNAction"},
		{"subject not for the object", statOf("x", category.TotalTime, category.SubjectAgentStatus, object.TypePlace, "P1", action.CallInbound), "subject AgentStatus does not apply to object type Place"},
		{"campaign subject", statOf("x", category.TotalTime, category.SubjectCampaignAction, object.TypeAgent, "1001", action.CallInbound), "subject CampaignAction applies to no statkit object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t)
			err := e.Open(c.st)
			require.Error(t, err)
			assert.Contains(t, err.Error(), `open statistic "x": `+c.msg)
			assert.Empty(t, e.Statistics())
		})
	}
	e := newEngine(t, statOf("x", category.TotalNumber, category.SubjectDNAction, object.TypeAgent, "1001", action.CallInbound))
	assert.ErrorContains(t, e.Open(statOf("x", category.TotalNumber, category.SubjectDNAction, object.TypeAgent, "1001")), "already open")
	assert.ErrorContains(t, e.Open(statOf("~x", category.TotalNumber, category.SubjectDNAction, object.TypeAgent, "1001", action.CallInbound)),
		`open statistic "~x": ids starting with ~ name the inputs of formulas`, "reserved for the engine")
	_, err := New(&config.Config{Topology: testTopology(), Statistics: []*config.Statistic{sliding, filtered}})
	assert.ErrorContains(t, err, "Sliding")
	assert.ErrorContains(t, err, "filter")
}

// TestOpenCloseChanged: Statistics lists open ones in open order; Changed reports touched
// statistics once, in first-touch order; Close forgets a statistic.
func TestOpenCloseChanged(t *testing.T) {
	e := newEngine(t,
		statOf("a", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound),
		statOf("b", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7002", action.CallInbound),
		statOf("c", category.CurrentNumber, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound),
	)
	ids := func() (out []string) {
		for _, s := range e.Statistics() {
			out = append(out, s.ID)
		}
		return out
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids())
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.CallInbound, "7001", "c1"),
		end(at("09:00:10"), action.CallInbound, "7001", "c1"),
	})
	assert.Equal(t, []string{"c", "a"}, e.Changed(nil))
	assert.Empty(t, e.Changed(nil))
	require.NoError(t, e.Close("b"))
	assert.Equal(t, []string{"a", "c"}, ids())
	_, err := e.Value("b")
	assert.ErrorIs(t, err, ErrUnknownStatistic)
	assert.ErrorIs(t, e.Close("b"), ErrUnknownStatistic)
	// The freed slot is reused by the next open, which starts from zero.
	require.NoError(t, e.Open(statOf("d", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound)))
	assert.Equal(t, []string{"a", "c", "d"}, ids())
	assert.Equal(t, 0.0, num(t, e, "d"))
	assert.Equal(t, 1.0, num(t, e, "a"))
}
