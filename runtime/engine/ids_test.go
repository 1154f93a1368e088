package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIDIndexAgainstMap drives idIndex and a map with the same random puts, deletes
// and reuses of slots, and checks every lookup agrees, through several resizes.
func TestIDIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	x := newIDIndex()
	ids := map[int32]string{} // slot → id of the live entries
	want := map[string]int32{}
	idOf := func(si int32) string { return ids[si] }
	var free []int32
	next := int32(0)
	for step := range 20_000 {
		if len(want) > 0 && rng.IntN(3) == 0 {
			for id, si := range want { // delete one
				x.del(id, si)
				delete(want, id)
				delete(ids, si)
				free = append(free, si)
				break
			}
		} else {
			id := fmt.Sprintf("stat-%d", rng.IntN(5000))
			if _, dup := want[id]; dup {
				if _, ok := x.get(id, idOf); !ok {
					t.Fatalf("step %d: %q missing", step, id)
				}
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
			x.put(id, si, idOf)
		}
		if step%97 == 0 {
			for id, si := range want {
				if got, ok := x.get(id, idOf); !ok || got != si {
					t.Fatalf("step %d: get(%q) = %d, %v; want %d", step, id, got, ok, si)
				}
			}
			if _, ok := x.get("absent", idOf); ok {
				t.Fatalf("step %d: absent id found", step)
			}
			if x.live != len(want) || 2*x.used > len(x.slots) {
				t.Fatalf("step %d: live %d (want %d), used %d of %d slots", step, x.live, len(want), x.used, len(x.slots))
			}
		}
	}
	x.grow(100_000, idOf)
	if len(x.slots) < 2*(x.live+100_000) {
		t.Fatalf("grow: %d slots for %d entries and 100,000 more", len(x.slots), x.live)
	}
	for id, si := range want {
		if got, ok := x.get(id, idOf); !ok || got != si {
			t.Fatalf("after grow: get(%q) = %d, %v; want %d", id, got, ok, si)
		}
	}
}
