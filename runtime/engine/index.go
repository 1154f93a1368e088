package engine

import (
	"math/bits"

	"github.com/statkit/statkit/generated/action"
)

// actWords is the number of 64-bit words of a set of action IDs (IDs are below
// action.Count+1).
const actWords = (action.Count + 64) / 64

// actIndex lists the statistics of one object and subject kind by the actions of their
// main mask, so that an action (or a status change) visits only the statistics that count
// it. has is the set of indexed actions and pre[w] the number of them in the words
// before w; lists[i] holds the statistics of the i-th indexed action in ID order, so an
// action's list is found by counting the bits below it, without a search.
type actIndex struct {
	has   [actWords]uint64
	pre   [actWords]uint8
	lists [][]int32
}

// find returns the position of a among the indexed actions, or where it would be
// inserted, and whether it is indexed.
func (x *actIndex) find(a action.ID) (int, bool) {
	w := uint(a) >> 6
	if w >= actWords {
		return len(x.lists), false
	}
	bit := uint64(1) << (uint(a) & 63)
	return int(x.pre[w]) + bits.OnesCount64(x.has[w]&(bit-1)), x.has[w]&bit != 0
}

// get returns the statistics counting action a.
func (x *actIndex) get(a action.ID) []int32 {
	w := uint(a) >> 6
	if w >= actWords {
		return nil
	}
	bit := uint64(1) << (uint(a) & 63)
	if x.has[w]&bit == 0 {
		return nil
	}
	return x.lists[int(x.pre[w])+bits.OnesCount64(x.has[w]&(bit-1))]
}

// add indexes statistic si under action a, which must be a valid ID.
func (x *actIndex) add(a action.ID, si int32) {
	i, ok := x.find(a)
	if !ok {
		w := uint(a) >> 6
		x.has[w] |= 1 << (uint(a) & 63)
		for v := w + 1; v < actWords; v++ {
			x.pre[v]++
		}
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

// empty reports whether no statistic was ever indexed.
func (x *actIndex) empty() bool { return len(x.lists) == 0 }

// bitset is a set of small non-negative integers (statistic slots).
type bitset []uint64

// grow makes room for members below n.
func (b *bitset) grow(n int) {
	if w := (n + 63) / 64; w > len(*b) {
		*b = append(*b, make([]uint64, w-len(*b))...)
	}
}

// has reports whether i is in the set.
func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

// set adds i, which must be below the size grown to.
func (b bitset) set(i int32) { b[i>>6] |= 1 << (uint(i) & 63) }

// clear removes i.
func (b bitset) clear(i int32) { b[i>>6] &^= 1 << (uint(i) & 63) }
