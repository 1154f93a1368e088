package engine

import (
	"math/bits"
	"slices"

	"github.com/statkit/statkit/generated/action"
)

// actWords is the number of 64-bit words of a set of action IDs (IDs are below
// action.Count+1).
const actWords = (action.Count + 64) / 64

// actIndex lists the statistics of one object and subject kind by the actions of their
// main mask, so that an action (or a status change) visits only the statistics that count
// it. has is the set of indexed actions and pre[w] the number of them in the words
// before w, so that an action's list is found by counting the bits below it, without a
// search. One array holds them all: n+1 offsets, then the lists end to end, the i-th
// indexed action's (in ID order) at buf[n+1+buf[i]:n+1+buf[i+1]] — one allocation per
// object and kind, not one per action (a million statistics over 30,000 objects save
// megabytes of slice headers).
type actIndex struct {
	has [actWords]uint64
	pre [actWords]uint8
	n   uint16 // indexed actions
	buf []int32
}

// find returns the position of a among the indexed actions, or where it would be
// inserted, and whether it is indexed.
func (x *actIndex) find(a action.ID) (int, bool) {
	w := uint(a) >> 6
	if w >= actWords {
		return int(x.n), false
	}
	bit := uint64(1) << (uint(a) & 63)
	return int(x.pre[w]) + bits.OnesCount64(x.has[w]&(bit-1)), x.has[w]&bit != 0
}

// get returns the statistics counting action a.
func (x *actIndex) get(a action.ID) []int32 {
	w, bit := uint(a)>>6, uint64(1)<<(uint(a)&63)
	if w >= actWords || x.has[w]&bit == 0 {
		return nil
	}
	i, base := int(x.pre[w])+bits.OnesCount64(x.has[w]&(bit-1)), int32(x.n)+1
	return x.buf[base+x.buf[i] : base+x.buf[i+1]]
}

// add indexes statistic si under action a, which must be a valid ID, at the end of a's
// list.
func (x *actIndex) add(a action.ID, si int32) {
	if x.buf == nil {
		x.buf = []int32{0}
	}
	i, ok := x.find(a)
	if !ok {
		w := uint(a) >> 6
		x.has[w] |= 1 << (uint(a) & 63)
		for v := w + 1; v < actWords; v++ {
			x.pre[v]++
		}
		x.buf = slices.Insert(x.buf, i+1, x.buf[i]) // an empty list at i
		x.n++
	}
	x.buf = slices.Insert(x.buf, int(x.n)+1+int(x.buf[i+1]), si)
	for k := i + 1; k <= int(x.n); k++ {
		x.buf[k]++
	}
}

// remove drops statistic si from action a's list (the list stays, empty or not).
func (x *actIndex) remove(a action.ID, si int32) {
	i, ok := x.find(a)
	if !ok {
		return
	}
	base := int(x.n) + 1
	lo, hi := base+int(x.buf[i]), base+int(x.buf[i+1])
	k := slices.Index(x.buf[lo:hi], si)
	if k < 0 {
		return
	}
	x.buf = slices.Delete(x.buf, lo+k, lo+k+1)
	for j := i + 1; j <= int(x.n); j++ {
		x.buf[j]--
	}
}

// empty reports whether no statistic was ever indexed.
func (x *actIndex) empty() bool { return x.buf == nil }

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
