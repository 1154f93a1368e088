package suggest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/internal/suggest"
)

func TestClosest(t *testing.T) {
	t.Parallel()
	stats := []string{"CallsAnswered", "CallsAbandoned", "AgentsReady", "ServiceLevel", "AgentState"}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"CallsAnswerd", "CallsAnswered", true},   // one deletion
		{"callsanswered", "CallsAnswered", true},  // case only
		{"CalsAbandonde", "CallsAbandoned", true}, // three edits in a long name
		{"AgentStat", "AgentState", true},
		{"ServiceLvl", "ServiceLevel", true},
		{"Revenue", "", false},                   // nothing near
		{"CallsAnswered", "", false},             // not a typo
		{"", "", false},                          // nothing typed
		{"Agents", "", false},                    // AgentsReady is 5 edits away
		{"CxllsAxswexed", "CallsAnswered", true}, // 3 edits: the limit for 13 characters
		{"CxllsAxswexxd", "", false},             // 4 edits: too far
	} {
		got, ok := suggest.Closest(tc.name, stats)
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
}

func TestClosestShortNames(t *testing.T) {
	t.Parallel()
	// Up to 4 characters, one edit: "s-1" is near "s-2", not "q-10".
	got, ok := suggest.Closest("s-1", []string{"q-10", "s-2", "sl"})
	assert.True(t, ok)
	assert.Equal(t, "s-2", got, "distance 1; sl is 2 edits away")
	_, ok = suggest.Closest("ab", []string{"xy"})
	assert.False(t, ok)
}

func TestClosestTiesAreDeterministic(t *testing.T) {
	t.Parallel()
	// "Cal" is one edit from both: the one that sorts first wins, whatever the order given.
	a, _ := suggest.Closest("Cal", []string{"Call", "Cat"})
	b, _ := suggest.Closest("Cal", []string{"Cat", "Call"})
	assert.Equal(t, "Call", a)
	assert.Equal(t, a, b)
}

func TestHint(t *testing.T) {
	t.Parallel()
	assert.Equal(t, ` (did you mean "Default"?)`, suggest.Hint("Defualt", []string{"Default", "Last15"}))
	assert.Equal(t, "", suggest.Hint("Monthly", []string{"Default", "Last15"}))
}
