package engine

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// TestSlotIndexAgainstMap drives a slotIndex and a map with the same random puts,
// deletes and reuses of slots, and checks every lookup agrees, through resizes — with a
// good hash, and with a poor one (a few hash values) whose long probe runs wrap around
// the table and make every delete shift entries back.
func TestSlotIndexAgainstMap(t *testing.T) {
	seed := maphash.MakeSeed()
	t.Run("maphash", func(t *testing.T) {
		checkSlotIndex(t, func(id string) uint64 { return maphash.String(seed, id) }, 3000, 20_000)
	})
	t.Run("poor", func(t *testing.T) {
		checkSlotIndex(t, func(id string) uint64 { return maphash.String(seed, id)%7 + 1<<20 - 3 }, 200, 4000)
	})
}

// checkSlotIndex grows the index to about size entries in steps steps, then churns it.
func checkSlotIndex(t *testing.T, hash func(string) uint64, size, steps int) {
	rng := rand.New(rand.NewPCG(3, 9))
	var x slotIndex[string]
	ids := map[int32]string{} // slot → id of the live entries
	want := map[string]int32{}
	idOf := func(si int32) string { return ids[si] }
	hashOf := func(si int32) uint64 { return hash(ids[si]) }
	var free []int32
	next := int32(0)
	check := func(step int) {
		t.Helper()
		for id, si := range want {
			if got, ok := x.get(id, hash(id), idOf); !ok || got != si {
				t.Fatalf("step %d: get(%q) = %d, %v; want %d", step, id, got, ok, si)
			}
		}
		if _, ok := x.get("absent", hash("absent"), idOf); ok {
			t.Fatalf("step %d: absent id found", step)
		}
		if x.n != len(want) || 2*x.n > len(x.slots) {
			t.Fatalf("step %d: %d entries (want %d) in %d positions", step, x.n, len(want), len(x.slots))
		}
	}
	for step := range steps {
		// Grow to about size entries, then hover around it.
		if len(want) > 0 && rng.IntN(size+len(want)) >= size {
			for id, si := range want { // delete one
				x.del(si, hash(id), hashOf)
				delete(want, id)
				delete(ids, si)
				free = append(free, si)
				break
			}
		} else {
			id := fmt.Sprintf("stat-%d", rng.IntN(50_000))
			if _, dup := want[id]; dup {
				continue
			}
			si := next
			if n := len(free); n > 0 {
				si, free = free[n-1], free[:n-1]
			} else {
				next++
			}
			ids[si] = id
			want[id] = si
			x.put(si, hash(id), hashOf)
		}
		if step%97 == 0 {
			check(step)
		}
	}
	check(-1)
	// Churn at a constant count never resizes: deletes leave no tombstones behind.
	positions := len(x.slots)
	for step := range 10 * size {
		for id, si := range want {
			x.del(si, hash(id), hashOf)
			delete(want, id)
			id = fmt.Sprintf("churn-%d", step)
			ids[si] = id
			want[id] = si
			x.put(si, hash(id), hashOf)
			break
		}
	}
	check(-2)
	if len(x.slots) != positions {
		t.Fatalf("churn resized the table: %d → %d positions", positions, len(x.slots))
	}
	x.grow(100_000, hashOf)
	if len(x.slots) < 2*(x.n+100_000) {
		t.Fatalf("grow: %d positions for %d entries and 100,000 more", len(x.slots), x.n)
	}
	check(-3)
}
