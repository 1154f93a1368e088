package engine

import "hash/maphash"

// idIndex finds an open statistic's slot by its id. It is an open-addressing hash table
// of slot numbers (linear probing, load at most 1/2) that compares ids through the
// slots' configs, so an entry costs 4 to 8 bytes where a map[string]int32 costs about 40:
// a million open statistics save some 30 MiB.
type idIndex struct {
	seed  maphash.Seed
	slots []int32 // slot number + 1; 0 is empty, tomb a deleted entry
	live  int     // entries
	used  int     // entries and tombs
}

// tomb marks a deleted entry, which probing passes over.
const tomb int32 = -1

// newIDIndex returns an empty index.
func newIDIndex() idIndex { return idIndex{seed: maphash.MakeSeed()} }

// get returns the slot of id; idOf returns the id of a slot.
func (x *idIndex) get(id string, idOf func(int32) string) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(x.slots) - 1)
	for i := maphash.String(x.seed, id) & mask; ; i = (i + 1) & mask {
		switch v := x.slots[i]; v {
		case 0:
			return 0, false
		case tomb:
		default:
			if idOf(v-1) == id {
				return v - 1, true
			}
		}
	}
}

// put adds id at slot si; id must not be in the index.
func (x *idIndex) put(id string, si int32, idOf func(int32) string) {
	if 2*(x.used+1) > len(x.slots) {
		x.resize(max(16, 2*(x.live+1)), idOf)
	}
	mask := uint64(len(x.slots) - 1)
	i := maphash.String(x.seed, id) & mask
	for x.slots[i] > 0 {
		i = (i + 1) & mask
	}
	if x.slots[i] == 0 {
		x.used++
	}
	x.slots[i] = si + 1
	x.live++
}

// del removes id, which is at slot si.
func (x *idIndex) del(id string, si int32) {
	mask := uint64(len(x.slots) - 1)
	for i := maphash.String(x.seed, id) & mask; ; i = (i + 1) & mask {
		switch x.slots[i] {
		case 0:
			return
		case si + 1:
			x.slots[i] = tomb
			x.live--
			return
		}
	}
}

// grow makes room for n more entries without a resize.
func (x *idIndex) grow(n int, idOf func(int32) string) {
	if 2*(x.used+n) > len(x.slots) {
		x.resize(2*(x.live+n), idOf)
	}
}

// resize rebuilds the table with at least min slots (a power of two), dropping tombs.
func (x *idIndex) resize(min int, idOf func(int32) string) {
	n := 16
	for n < min {
		n *= 2
	}
	old := x.slots
	x.slots, x.used = make([]int32, n), 0
	mask := uint64(n - 1)
	for _, v := range old {
		if v <= 0 {
			continue
		}
		i := maphash.String(x.seed, idOf(v-1)) & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = v
		x.used++
	}
}
