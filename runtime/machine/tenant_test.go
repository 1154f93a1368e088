package machine

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
)

const twoTenants = `topology:
  tenant: a
  tenants: [b]
  agents: [{id: "1"}, {id: "2", tenant: b}]
statTypes: {Talk: {objects: [Agent, Tenant], category: TotalTime, subject: DNAction, mainMask: [CallInbound]}}
statistics:
  - {id: a1, statType: Talk, object: {type: Agent, id: "1"}}
  - {id: b2, statType: Talk, object: {type: Agent, id: "2"}}
  - {id: tb, statType: Talk, object: {type: Tenant, id: b}}
`

// A machine that serves tenant a opens only a's statistics, from the config, from a
// reload and from an open record; every other machine of the same tenants decides alike.
func TestServesOnlyItsTenants(t *testing.T) {
	load := func(text string) *config.Config {
		cfg, err := config.LoadWith("t.yaml", strings.NewReader(text), LoadOptions)
		require.NoError(t, err)
		return cfg
	}
	cfg := load(twoTenants)
	m, err := New(Options{Config: cfg, ConfigText: []byte(twoTenants), Serves: func(t string) bool { return t == "a" }})
	require.NoError(t, err)
	ids := func() []string {
		var out []string
		for _, st := range m.Statistics() {
			out = append(out, st.ID)
		}
		return out
	}
	assert.Equal(t, []string{"a1"}, ids())

	// An open record on tenant b's agent is refused (a result, not an error).
	st, err := cfg.NewStatistic(config.StatisticSpec{StatType: "Talk", Object: config.ObjectSpec{Type: "Agent", ID: "2"}})
	require.NoError(t, err)
	res, err := m.Apply(1, AppendOpen(nil, st, ""), nil)
	require.NoError(t, err)
	assert.Nil(t, res.Opened)
	assert.True(t, errors.Is(res.Err, ErrOtherTenant), "%v", res.Err)
	st, err = cfg.NewStatistic(config.StatisticSpec{StatType: "Talk", Object: config.ObjectSpec{Type: "Agent", ID: "1"}})
	require.NoError(t, err)
	res, err = m.Apply(2, AppendOpen(nil, st, ""), nil)
	require.NoError(t, err)
	require.NotNil(t, res.Opened)
	assert.Equal(t, "s-1", res.Opened.ID, "the refused open used no id")

	// A reload adding a statistic on each tenant opens a's only.
	text2 := twoTenants + "  - {id: a1b, statType: Talk, object: {type: Tenant, id: a}}\n  - {id: b2b, statType: Talk, object: {type: Agent, id: \"2\"}}\n"
	res, err = m.Apply(3, AppendReload(nil, []byte(text2)), nil)
	require.NoError(t, err)
	require.NoError(t, res.Err)
	assert.Equal(t, []string{"a1b"}, res.Reload.Opened)
	assert.Empty(t, res.Reload.Closed)
	assert.ElementsMatch(t, []string{"a1", "s-1", "a1b"}, ids())

	// Without Serves, every statistic opens.
	all, err := New(Options{Config: cfg})
	require.NoError(t, err)
	assert.Equal(t, 3, all.Len())
}
