package config_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
)

const examplePath = "testdata/example.yaml"

// loadExample loads testdata/example.yaml.
func loadExample(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.LoadFile(examplePath)
	require.NoError(t, err)
	return c
}

// mask builds the mask holding ids, written as text.
func mask(text []string, ids ...action.ID) config.Mask {
	m := config.Mask{Text: text}
	for _, id := range ids {
		m.Add(id)
	}
	return m
}

func TestExampleTopology(t *testing.T) {
	topo := loadExample(t).Topology
	assert.Equal(t, "default", topo.Tenant)
	assert.Equal(t, []string{"default"}, topo.Tenants)
	assert.Equal(t, []*config.DN{
		{ID: "7001", Type: object.DNExtension, Place: "P1", Tenant: "default"},
		{ID: "7002", Type: object.DNExtension, Place: "P2", Tenant: "default"},
		{ID: "Support@SW1", Type: object.DNACDQueue, Tenant: "default"},
		{ID: "Main@SW1", Type: object.DNRoutingPoint, Tenant: "default"},
	}, topo.DNs)
	assert.Equal(t, []*config.Place{{ID: "P1", Tenant: "default"}, {ID: "P2", Tenant: "default"}}, topo.Places)
	assert.Equal(t, []*config.Agent{
		{ID: "1001", Name: "Ann Lee", Tenant: "default"},
		{ID: "1002", Name: "Bo Chen", Tenant: "default"},
	}, topo.Agents)
	assert.Equal(t, []*config.Object{{ID: "Email_Inbound", Tenant: "default"}}, topo.StagingAreas)
	assert.Empty(t, topo.Workbins)
	assert.Equal(t, []*config.Group{{ID: "Sales", Tenant: "default", Members: []string{"1001", "1002"}}}, topo.AgentGroups)
	assert.Equal(t, []*config.Group{{ID: "Floor1", Tenant: "default", Members: []string{"P1", "P2"}}}, topo.PlaceGroups)
	assert.Equal(t, []*config.Group{{ID: "AllQueues", Tenant: "default", Members: []string{"Support@SW1", "Main@SW1"}}}, topo.QueueGroups)
}

func TestExampleStatTypes(t *testing.T) {
	c := loadExample(t)
	queues := object.TypeSetOf(object.TypeQueue, object.TypeGroupQueues)
	want := []*config.StatType{
		{Name: "CallsAnswered", Objects: queues, Category: category.TotalNumber, Subject: category.SubjectDNAction,
			MainMask: mask([]string{"CallDistributed"}, action.CallDistributed)},
		{Name: "AgentsReady", Objects: object.TypeSetOf(object.TypeGroupAgents), Category: category.CurrentNumber,
			Subject: category.SubjectAgentStatus, MainMask: mask([]string{"WaitForNextCall"}, action.WaitForNextCall)},
		{Name: "ServiceLevel", Objects: queues, Category: category.ServiceFactor1, Subject: category.SubjectDNAction,
			MainMask:    mask([]string{"CallDistributed"}, action.CallDistributed),
			RelMask:     mask([]string{"CallAbandoned"}, action.CallAbandoned),
			Description: "Calls distributed within the range over distributed plus abandoned after it."},
		{Name: "TalkTime", Objects: object.TypeSetOf(object.TypeAgent, object.TypeGroupAgents), Category: category.TotalTime,
			Subject: category.SubjectDNAction, MainMask: mask([]string{"CallInbound", "CallOutbound", "CallInternal"},
				action.CallInbound, action.CallOutbound, action.CallInternal)},
	}
	require.Len(t, c.StatTypes, 14)
	assert.Equal(t, want, c.StatTypes[:4])

	state := c.StatTypes[4]
	assert.Equal(t, "AgentState", state.Name)
	assert.Equal(t, []string{"*"}, state.MainMask.Text)
	for _, a := range state.MainMask.Actions() {
		assert.Equal(t, action.KindDurable, a.Kind(), "status masks keep durable rows only: %s", a)
		assert.True(t, a.Reaches().Has(object.TypeAgent), "%s reaches Agent", a)
	}
	assert.True(t, state.MainMask.Has(action.LoggedOut))
	assert.False(t, state.MainMask.Has(action.CallWait), "CallWait never reaches an agent")
	assert.False(t, state.MainMask.Has(action.CallAnsweredRegularDNs), "CallAnswered is not durable")
}

func TestExampleProfilesRangesFilters(t *testing.T) {
	c := loadExample(t)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	require.Len(t, c.TimeProfiles, 5)
	assert.Equal(t, []*config.TimeProfile{
		{Name: "Default", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Location: time.UTC},
		{Name: "Last15", Type: config.ProfileSliding, Window: 15 * time.Minute, Step: time.Minute},
		{Name: "Last10", Type: config.ProfileSelection, Count: 10},
		{Name: "Shift", Type: config.ProfileSinceLogin},
	}, c.TimeProfiles[:4])
	q := c.TimeProfiles[4]
	assert.Equal(t, "Quarter", q.Name)
	assert.Equal(t, config.ProfileGrowing, q.Type)
	assert.Equal(t, []time.Duration{0}, q.Resets)
	assert.Equal(t, 15*time.Minute, q.Period)
	assert.Equal(t, paris.String(), q.Location.String())

	assert.Equal(t, []*config.TimeRange{{Name: "SL20", Lo: 0, Hi: 20_000}}, c.TimeRanges)
	assert.Equal(t, []*config.Filter{{Name: "Gold", Expr: `PairExists("Segment","Gold") && media == "voice"`}}, c.Filters)
}

func TestExampleStatistics(t *testing.T) {
	c := loadExample(t)
	st := func(name string) *config.StatType { s, ok := c.StatType(name); require.True(t, ok, name); return s }
	tp := func(name string) *config.TimeProfile { p, ok := c.Profile(name); require.True(t, ok, name); return p }
	sl20, _ := c.TimeRange("SL20")
	gold, _ := c.Filter("Gold")
	changes := config.Notification{Mode: config.NotifyChanges}
	assert.Equal(t, []*config.Statistic{
		{ID: "q-answered", Object: config.ObjectRef{Type: object.TypeQueue, ID: "Support@SW1"}, Def: &config.Def{StatType: st("CallsAnswered"), Profile: tp("Default"), Notification: changes}},
		{ID: "sl", Object: config.ObjectRef{Type: object.TypeQueue, ID: "Support@SW1"}, Def: &config.Def{StatType: st("ServiceLevel"), Profile: tp("Last15"), TimeRange: sl20, Filter: gold, Notification: config.Notification{Mode: config.NotifyChanges, Insensitivity: 5}}},
		{ID: "q-answered-quarter", Object: config.ObjectRef{Type: object.TypeGroupQueues, ID: "AllQueues"}, Def: &config.Def{StatType: st("CallsAnswered"), Profile: tp("Quarter"), Notification: config.Notification{Mode: config.NotifyReset}}},
		{ID: "sales-ready", Object: config.ObjectRef{Type: object.TypeGroupAgents, ID: "Sales"}, Def: &config.Def{StatType: st("AgentsReady"), Profile: tp("Default"), Notification: config.Notification{Mode: config.NotifyNone}}},
		{ID: "ann-talk", Object: config.ObjectRef{Type: object.TypeAgent, ID: "1001"}, Def: &config.Def{StatType: st("TalkTime"), Profile: tp("Shift"), Notification: config.Notification{Mode: config.NotifyPeriodical, Period: 10 * time.Second}}},
		{ID: "sales-talk-last10", Object: config.ObjectRef{Type: object.TypeGroupAgents, ID: "Sales"}, Def: &config.Def{StatType: st("TalkTime"), Profile: tp("Last10"), Notification: changes}},
		{ID: "ann-state", Object: config.ObjectRef{Type: object.TypeAgent, ID: "1001"}, Def: &config.Def{StatType: st("AgentState"), Profile: tp("Default"), Notification: changes}},
		{ID: "q-abandon-rate", Object: config.ObjectRef{Type: object.TypeQueue, ID: "Support@SW1"}, Def: &config.Def{StatType: st("AbandonRate"), Profile: tp("Default"), Notification: changes}},
		{ID: "q-asa", Object: config.ObjectRef{Type: object.TypeQueue, ID: "Support@SW1"}, Def: &config.Def{StatType: st("SpeedOfAnswer"), Profile: tp("Default"), Notification: changes}},
		{ID: "q-ewt", Object: config.ObjectRef{Type: object.TypeQueue, ID: "Support@SW1"}, Def: &config.Def{StatType: st("EstimatedWait"), Profile: tp("Default"), Notification: changes}},
		{ID: "sales-occupancy", Object: config.ObjectRef{Type: object.TypeGroupAgents, ID: "Sales"}, Def: &config.Def{StatType: st("Occupancy"), Profile: tp("Default"), Notification: changes}},
	}, c.Statistics)
	rate := st("AbandonRate")
	require.NotNil(t, rate.Compiled, "formulas are compiled at load")
	assert.Equal(t, []*config.StatType{st("CallsAbandoned"), st("CallsEntered")}, []*config.StatType{rate.Inputs[0].StatType, rate.Inputs[1].StatType})
	s, ok := c.Statistic("sl")
	require.True(t, ok)
	assert.Same(t, c.Statistics[1], s)
	_, ok = c.Statistic("nope")
	assert.False(t, ok)
}

// TestDocExample keeps the package documentation's example equal to testdata/example.yaml.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	var lines []string
	for _, l := range strings.Split(string(doc), "\n") {
		if rest, ok := strings.CutPrefix(l, "//\t"); ok {
			lines = append(lines, rest)
		}
	}
	example, err := os.ReadFile(examplePath)
	require.NoError(t, err)
	var want []string
	for _, l := range strings.Split(strings.TrimRight(string(example), "\n"), "\n") {
		if l != "" {
			want = append(want, l)
		}
	}
	assert.Equal(t, want, lines, "doc.go's example differs from %s", examplePath)
}

func TestDefaultProfile(t *testing.T) {
	c := load(t, `topology: {agents: [{id: "1001"}]}
statTypes: {Talk: {objects: [Agent], category: TotalTime, subject: DNAction, mainMask: [CallInbound]}}
timeProfiles: {Hourly: {type: Growing, period: 3600}}
statistics: [{id: s, statType: Talk, object: {type: Agent, id: "1001"}}]
`)
	require.Len(t, c.TimeProfiles, 2, "Hourly, then the built-in Default")
	assert.Equal(t, "Hourly", c.TimeProfiles[0].Name)
	assert.Equal(t, config.DefaultProfile(), c.TimeProfiles[1])
	def, ok := c.Profile(config.DefaultProfileName)
	require.True(t, ok)
	assert.Same(t, def, c.Statistics[0].Profile, "a statistic naming no profile gets Default")

	hourly := c.TimeProfiles[0]
	assert.Equal(t, []time.Duration{0}, hourly.Resets, "a period starts at midnight")
	assert.Equal(t, time.Hour, hourly.Period)
	assert.Equal(t, time.UTC, hourly.Location)

	c = load(t, `timeProfiles: {Default: {type: Growing, reset: ["06:00", "02:30"], timezone: America/New_York}}`)
	require.Len(t, c.TimeProfiles, 1, "a defined Default replaces the built-in one")
	assert.Equal(t, []time.Duration{2*time.Hour + 30*time.Minute, 6 * time.Hour}, c.TimeProfiles[0].Resets, "sorted")
	assert.Equal(t, "America/New_York", c.TimeProfiles[0].Location.String())

	c = load(t, `{}`)
	assert.Equal(t, []*config.TimeProfile{config.DefaultProfile()}, c.TimeProfiles)
}

func TestDefaultTimeRange(t *testing.T) {
	const doc = `topology: {dns: [{id: "Q@SW1", type: ACDQueue}]}
statTypes: {SL: {objects: [Queue], category: ServiceFactor1, subject: DNAction, mainMask: [CallDistributed]}}
statistics: [{id: s, statType: SL, object: {type: Queue, id: "Q@SW1"}}]
`
	c := load(t, doc)
	assert.Equal(t, config.DefaultTimeRange(), c.Statistics[0].TimeRange)

	c = load(t, doc+`timeRanges: {Default: "0-30.5"}`)
	assert.Equal(t, &config.TimeRange{Name: "Default", Lo: 0, Hi: 30_500}, c.Statistics[0].TimeRange)
}

func TestAllErrorsReportedTogether(t *testing.T) {
	doc := `topology:
  dns: [{id: "7001", type: Phone, place: P9}]
statTypes:
  T: {objects: [Queue], category: TotalCount, subject: DNAction, mainMask: [CallTeleported]}
timeProfiles: {P: {type: Sliding, window: 100, step: 60}}
timeRanges: {R: "9-1"}
statistics:
  - {id: s, statType: T, object: {type: Queue, id: "Q@SW9"}, profile: Today}
  - {id: s, statType: Nope, object: {type: Agent, id: "1001"}}
`
	assert.Equal(t, render(t, doc, []want{
		at(`Phone`, `unknown DN type "Phone" (known: Extension, ACDPosition, VoIP, Chat, Email, ACDQueue, VirtualQueue, RoutingPoint)`),
		at(`P9`, `unknown place "P9"`),
		at(`TotalCount`, `unknown category "TotalCount"`),
		at(`CallTeleported`, `mainMask: unknown action "CallTeleported"`),
		at(`100`, `window 100 is not a multiple of step 60`),
		at(`"9-1"`, `time range "R": lower bound 9 is above upper bound 1`),
		at(`"Q@SW9"`, `no Queue "Q@SW9" in the topology`),
		at(`Today`, `unknown time profile "Today"`),
		atN(`s,`, 1, `duplicate statistic id "s" (first at line 8)`),
		at(`Nope`, `unknown stat type "Nope"`),
		at(`"1001"`, `no Agent "1001" in the topology`),
	}), loadErrors(t, doc, config.Options{}))
}

func TestHostileDocuments(t *testing.T) {
	bomb := `a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
`
	errs := loadErrors(t, bomb, config.Options{})
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "document expands to too many nodes (alias bomb?)")

	big := "filters:\n  F: '" + strings.Repeat("x", 8<<20) + "'\n"
	assert.Equal(t, []string{"c.yaml: document is larger than 8388608 bytes"}, loadErrors(t, big, config.Options{}))

	small := config.Options{}
	small.Limits.MaxBytes = 64
	assert.Equal(t, []string{"c.yaml: document is larger than 64 bytes"},
		loadErrors(t, "filters: {F: '"+strings.Repeat("x", 64)+"'}", small))

	assert.Equal(t, []string{"c.yaml:1:1: document is empty"}, loadErrors(t, "# nothing\n", config.Options{}))
	assert.Equal(t, []string{"c.yaml:2:1: only one YAML document is allowed"}, loadErrors(t, "{}\n---\n{}\n", config.Options{}))
}

func TestLoadFileErrors(t *testing.T) {
	_, err := config.LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrNotExist))

	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte("timeRanges: {R: x}\n"), 0o600))
	_, err = config.LoadFile(path)
	require.EqualError(t, err, path+`:1:17: time range "R": "x" is not lo-hi in seconds, e.g. 0-20`)
}

func TestSchemaIsJSON(t *testing.T) {
	var v map[string]any
	require.NoError(t, json.Unmarshal(config.Schema(), &v))
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", v["$schema"])
}

// TestSchemaIsTheDocsSchema checks that the loader validates with the schema editors get.
func TestSchemaIsTheDocsSchema(t *testing.T) {
	docs, err := os.ReadFile("../../docs/config.schema.json")
	require.NoError(t, err)
	assert.Equal(t, string(docs), string(config.Schema()))
}

// TestSchemaNameDefs checks that the schema's name tables the loader leaves to its own
// checks exist and hold enums, so a renamed $defs entry cannot silently change messages.
func TestSchemaNameDefs(t *testing.T) {
	var v struct {
		Defs map[string]struct {
			Enum  []string `json:"enum"`
			AnyOf []struct {
				Enum []string `json:"enum"`
			} `json:"anyOf"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(config.Schema(), &v))
	for name, want := range map[string]string{
		"objectType": "Queue", "dnType": "ACDQueue", "category": "TotalNumber", "subject": "Action", "maskEntry": "CallDistributed",
	} {
		def, ok := v.Defs[name]
		require.True(t, ok, "$defs/%s", name)
		enum := def.Enum
		if len(def.AnyOf) > 0 {
			enum = def.AnyOf[0].Enum
		}
		assert.Contains(t, enum, want, "$defs/%s", name)
	}
	assert.NotContains(t, v.Defs["category"].Enum, "JavaCategory", "unsupported categories are left out")
	assert.NotContains(t, v.Defs["subject"].Enum, "CampaignAction", "subjects that apply to nothing are left out")
}

// TestShapeErrorsHideNameErrors: an unknown name is reported by the name checks, which do
// not run while the document's shape is wrong; a name of the wrong type is a shape error.
func TestShapeErrorsHideNameErrors(t *testing.T) {
	doc := `statTypes:
  T: {objects: [Queue], category: TotalCount, subject: DNAction}
`
	assert.Equal(t, render(t, doc, []want{at(`{objects`, `statTypes.T: missing properties: 'mainMask'`)}),
		loadErrors(t, doc, config.Options{}))
	doc = `statTypes:
  T: {objects: [Queue], category: [TotalNumber], subject: DNAction, mainMask: [7]}
`
	assert.Equal(t, render(t, doc, []want{
		at(`[TotalNumber]`, `statTypes.T.category: expected string, but got array`),
		at(`7]`, `statTypes.T.mainMask[0]: expected string, but got number`),
	}), loadErrors(t, doc, config.Options{}))
}
