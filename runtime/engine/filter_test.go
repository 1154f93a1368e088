package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// TestFilters: statistics with a filter count only the instances it holds for. The
// calls on DN 7001 (agent 1001 logged in, place P1):
//
//	c1  voice, Segment Gold, Language Spanish   09:01:00 → 09:02:00
//	c2  chat,  Segment Silver                   09:01:30 → 09:03:30
//	c3  voice, no data                          09:02:30 → 09:03:00
//	answered calls a1 (Amount 75, voice) and a2 (Amount 20) at 09:04:00, 5 s each
//
// and on DN 7004 (no place, nobody logged in) c4, voice, Segment Gold, 09:01:00 → 09:01:10.
func TestFilters(t *testing.T) {
	evs := []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:01:00"), action.CallInbound, "7001", "c1", media("voice"), data("Segment", "Gold", "Language", "Spanish")),
		begin(at("09:01:00"), action.CallInbound, "7004", "c4", media("voice"), data("Segment", "Gold")),
		end(at("09:01:10"), action.CallInbound, "7004", "c4"),
		begin(at("09:01:30"), action.CallInbound, "7001", "c2", media("chat"), data("Segment", "Silver")),
		end(at("09:02:00"), action.CallInbound, "7001", "c1"),
		begin(at("09:02:30"), action.CallInbound, "7001", "c3", media("voice")),
		end(at("09:03:00"), action.CallInbound, "7001", "c3"),
		end(at("09:03:30"), action.CallInbound, "7001", "c2"),
		once(at("09:04:00"), action.CallAnsweredRegularDNs, "7001", "a1", 5, data("Amount", "75"), media("voice")),
		once(at("09:04:00"), action.CallAnsweredRegularDNs, "7001", "a2", 5, data("Amount", "20")),
	}
	cases := []struct {
		name   string
		filter string
		obj    object.Type
		id     string
		n, t   float64 // TotalNumber and TotalTime of CallInbound at 09:05
		cur    float64 // CurrentNumber at 09:01:45
	}{
		{"no filter", "true", object.TypeRegDN, "7001", 3, 60 + 120 + 30, 2},
		{"data", `data["Segment"] == "Gold"`, object.TypeRegDN, "7001", 1, 60, 1},
		{"a missing key is empty", `data["Segment"] == ""`, object.TypeRegDN, "7001", 1, 30, 0},
		{"media", `media == "voice"`, object.TypeRegDN, "7001", 2, 90, 1},
		{"PairExists(key, value)", `PairExists("Segment", "Silver")`, object.TypeRegDN, "7001", 1, 120, 1},
		{"PairExists(key)", `PairExists("Segment")`, object.TypeRegDN, "7001", 2, 180, 2},
		{"DOMAIN §4.3: SpanishLanguage", `PairExists("Language","Spanish")`, object.TypeRegDN, "7001", 1, 60, 1},
		{"DESIGN: Gold voice", `PairExists("Segment","Gold") && media == "voice"`, object.TypeTenant, "default", 2, 70, 1},
		{"agent (logged in at the start)", `agent == "1001"`, object.TypeTenant, "default", 3, 210, 2},
		{"place", `place == "P1"`, object.TypeTenant, "default", 3, 210, 2},
		{"source", `source == "7004"`, object.TypeTenant, "default", 1, 10, 0},
		{"interaction and action", `interaction in ["c1", "c4"] && action == "CallInbound"`, object.TypeTenant, "default", 2, 70, 1},
		{"no match: never counted", `data["Segment"] == "Platinum"`, object.TypeRegDN, "7001", 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := filter(c.filter)
			e := newEngine(t,
				xstat("n", category.TotalNumber, category.SubjectDNAction, c.obj, c.id, inbound, f),
				xstat("t", category.TotalTime, category.SubjectDNAction, c.obj, c.id, inbound, f),
				xstat("cur", category.CurrentNumber, category.SubjectDNAction, c.obj, c.id, inbound, f),
				xstat("adj", category.TotalAdjustedNumber, category.SubjectDNAction, c.obj, c.id, inbound, f),
				xstat("peak", category.MaxNumber, category.SubjectDNAction, c.obj, c.id, inbound, f),
			)
			replayTo(t, e, evs, at("09:01:45"))
			assert.Equal(t, c.cur, num(t, e, "cur"), "CurrentNumber")
			replayTo(t, e, evs[5:], at("09:05:00"))
			assert.Equal(t, c.n, num(t, e, "n"), "TotalNumber")
			assert.Equal(t, c.t, num(t, e, "t"), "TotalTime")
			assert.Equal(t, c.n, num(t, e, "adj"), "TotalAdjustedNumber")
			if c.n == 0 {
				assert.Equal(t, 0.0, num(t, e, "peak"), "a durable instance the filter refuses is never counted")
			}
		})
	}
	t.Run("retrospective, with number()", func(t *testing.T) {
		e := newEngine(t,
			xstat("n", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", answered, filter(`number(data["Amount"]) > 50`)),
			xstat("sum", category.TotalCustomValue, category.SubjectDNAction, object.TypeRegDN, "7001", answered, filter(`media != "voice"`), amount),
		)
		applyAll(t, e, evs)
		assert.Equal(t, 1.0, num(t, e, "n"))
		assert.Equal(t, 20.0, num(t, e, "sum"))
	})
}

// TestFilterEvaluatedOnce: a retrospective action is tested once, at completion, however
// many statistics (with the same filter) it reaches; a durable instance once, at its
// start, for its start and its end.
func TestFilterEvaluatedOnce(t *testing.T) {
	gold := filter(`PairExists("Segment", "Gold")`)
	var stats []*config.Statistic
	for _, o := range queueObjects {
		stats = append(stats,
			xstat(o.typ.String()+"/n", category.TotalNumber, category.SubjectDNAction, o.typ, o.id, distributed, gold),
			xstat(o.typ.String()+"/w", category.CurrentNumber, category.SubjectDNAction, o.typ, o.id, waiting, gold),
		)
	}
	e := newEngine(t, stats...)
	q := "Support@SW1"
	require.NoError(t, e.Apply(once(at("09:00:00"), action.CallDistributed, q, "w1", 4, data("Segment", "Gold"))))
	assert.Equal(t, 1, e.ex.evals, "one retrospective action, three statistics")
	require.NoError(t, e.Apply(begin(at("09:00:01"), action.CallWait, q, "w2", data("Segment", "Bronze"))))
	require.NoError(t, e.Apply(end(at("09:00:05"), action.CallWait, q, "w2")))
	assert.Equal(t, 2, e.ex.evals, "one durable instance: tested at its start only")
	for _, o := range queueObjects {
		assert.Equal(t, 1.0, num(t, e, o.typ.String()+"/n"))
		assert.Equal(t, 0.0, num(t, e, o.typ.String()+"/w"))
	}
}

// TestStatusFilter: status subjects filter on the data of the instance deciding each
// status when it began. Agent 1002 is not ready for Lunch 09:00:10 → 09:05 (statusScenario),
// then for Break from 09:06 on.
func TestStatusFilter(t *testing.T) {
	lunch := filter(`data["ReasonCode"] == "Lunch"`)
	e := newEngine(t,
		xstat("t", category.TotalTime, agentStat, groupSales, "Sales", notReady, lunch),
		xstat("n", category.TotalNumber, agentStat, groupSales, "Sales", notReady, lunch),
		xstat("cur", category.CurrentNumber, agentStat, groupSales, "Sales", notReady, lunch),
		xstat("dn", category.TotalTime, dnStat, object.TypeRegDN, "7003", notReady, lunch),
		xstat("place", category.CurrentNumber, placeStat, object.TypeGroupPlaces, "Floor1", notReady, lunch),
		xstat("ixn", category.CurrentDistinctNumber, agentStat, groupSales, "Sales", []action.ID{action.CallInbound}),
	)
	e.Advance(at("08:00:00"))
	evs := append(statusScenario(), begin(at("09:06:00"), action.NotReadyForNextCall, "7003", "", reason("Break")))
	replayTo(t, e, evs, at("09:03:00"))
	// Opened while the Lunch status is in progress: status attributes are kept from then on.
	late := newEngine(t)
	late.Advance(at("08:00:00"))
	replayTo(t, late, evs, at("09:03:00"))
	require.NoError(t, late.Open(xstat("cur", category.CurrentNumber, agentStat, groupSales, "Sales", notReady, lunch)))
	assert.Equal(t, 1.0, num(t, late, "cur"))
	assert.Equal(t, 170.0, num(t, e, "t"))
	assert.Equal(t, 1.0, num(t, e, "cur"))
	assert.Equal(t, 1.0, num(t, e, "place"))
	assert.Equal(t, 1.0, num(t, e, "ixn"), "1001 on call c1")
	replayTo(t, e, evs[6:], at("09:07:00"))
	assert.Equal(t, 290.0, num(t, e, "t"))
	assert.Equal(t, 1.0, num(t, e, "n"))
	assert.Equal(t, 0.0, num(t, e, "cur"), "the Break is not counted")
	assert.Equal(t, 290.0, num(t, e, "dn"))
	assert.Equal(t, 0.0, num(t, e, "place"))
	assert.Equal(t, 0.0, num(t, e, "ixn"))
}
