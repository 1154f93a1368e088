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
