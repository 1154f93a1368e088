package engine

import "github.com/statkit/statkit/generated/action"

// actIndex lists the statistics of one object and subject kind by the actions of their
// main mask, so that an action (or a status change) visits only the statistics that count
// it. acts is sorted; lists[i] holds the statistics whose mask has acts[i].
type actIndex struct {
	acts  []action.ID
	lists [][]int32
}

// find returns the position of a in acts, or where it would be inserted.
func (x *actIndex) find(a action.ID) (int, bool) {
	lo, hi := 0, len(x.acts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if x.acts[m] < a {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(x.acts) && x.acts[lo] == a
}

// get returns the statistics counting action a.
func (x *actIndex) get(a action.ID) []int32 {
	if i, ok := x.find(a); ok {
		return x.lists[i]
	}
	return nil
}

// add indexes statistic si under action a.
func (x *actIndex) add(a action.ID, si int32) {
	i, ok := x.find(a)
	if !ok {
		x.acts = append(x.acts, 0)
		copy(x.acts[i+1:], x.acts[i:])
		x.acts[i] = a
		x.lists = append(x.lists, nil)
		copy(x.lists[i+1:], x.lists[i:])
		x.lists[i] = nil
	}
	x.lists[i] = append(x.lists[i], si)
}

// remove drops statistic si from action a's list.
func (x *actIndex) remove(a action.ID, si int32) {
	if i, ok := x.find(a); ok {
		x.lists[i] = removeInt32(x.lists[i], si)
	}
}
