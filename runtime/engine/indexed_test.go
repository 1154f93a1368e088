package engine

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/config"
)

// TestIndexedIsTheMasksUnion: indexed yields exactly the actions of the MainMask and the
// RelMask, ascending — the list Mask.Actions gives, computed here from action.AllIDs.
func TestIndexedIsTheMasksUnion(t *testing.T) {
	e := newEngine(t)
	r := rand.New(rand.NewPCG(7, 7))
	all := action.AllIDs()
	random := func(n int) config.Mask {
		var m config.Mask
		for range n {
			m.Add(all[r.IntN(len(all))])
		}
		return m
	}
	for i := range 200 {
		main := random(r.IntN(12))
		if i == 0 {
			for _, a := range all {
				main.Add(a) // every action, the last word included
			}
		}
		id, err := e.maskID(&main)
		require.NoError(t, err)
		s := &stat{mask: id}
		var want []action.ID
		var rel config.Mask
		if i%2 == 1 {
			rel = random(1 + r.IntN(6))
			s.ext = &statExt{rel: &rel}
		}
		for _, a := range all {
			if main.Has(a) || (s.ext != nil && rel.Has(a)) {
				want = append(want, a)
			}
		}
		assert.Equal(t, want, slices.Collect(e.indexed(s)), "case %d", i)
	}
}

// TestActIndexAgainstMap: an object's index, its lists end to end in one array, gives
// for every action the statistics a plain map of lists gives, in the same order, through
// random adds and removes over every action ID.
func TestActIndexAgainstMap(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 3))
	all := action.AllIDs()
	for round := range 50 {
		var x actIndex
		model := map[action.ID][]int32{}
		require.True(t, x.empty())
		for range 300 {
			a := all[r.IntN(len(all))]
			if round%2 == 0 {
				a = all[r.IntN(8)*20%len(all)] // a few actions, long lists
			}
			if l := model[a]; len(l) > 0 && r.IntN(3) == 0 {
				si := l[r.IntN(len(l))]
				x.remove(a, si)
				model[a] = slices.DeleteFunc(slices.Clone(l), func(v int32) bool { return v == si })
				continue
			}
			si := int32(r.IntN(1 << 20))
			if slices.Contains(model[a], si) {
				continue
			}
			x.add(a, si)
			model[a] = append(model[a], si)
		}
		require.False(t, x.empty())
		for _, a := range all {
			got := x.get(a)
			if len(model[a]) == 0 {
				assert.Empty(t, got, "action %v", a)
				continue
			}
			assert.Equal(t, model[a], got, "action %v", a)
		}
	}
}
