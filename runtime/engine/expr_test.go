package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/event"
)

// TestExprValues: the engine's attributes reach the expression environment, filter
// results are cached by slot, and each text is compiled once.
func TestExprValues(t *testing.T) {
	x := newExprs()
	a := &attrs{act: action.CallInbound, src: "7001", ixn: "c1", media: "voice", agent: "1001", place: "P1",
		data: event.Data{{Key: "k", Value: "first"}, {Key: "n", Value: "4"}}}
	p, err := x.filter(`action == "CallInbound" && source == "7001" && interaction == "c1" && agent == "1001" && place == "P1" && media == "voice" && data["k"] == "first"`)
	require.NoError(t, err)
	assert.True(t, x.holds(p, a))
	assert.True(t, x.holds(p, a))
	assert.Equal(t, 1, x.evals, "the second test reads the cache")
	again, err := x.filter(p.p.Text)
	require.NoError(t, err)
	assert.Same(t, p, again, "compiled once")
	f, err := x.formula(`data["n"] * 2`)
	require.NoError(t, err)
	assert.Equal(t, 8.0, x.value(f, a))
	_, err = x.filter(`media == 1`)
	assert.ErrorContains(t, err, "mismatched types")
}
