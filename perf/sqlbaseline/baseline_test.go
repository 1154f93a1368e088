package main

import (
	"testing"
	"time"

	"github.com/statkit/statkit/internal/perf"
)

// The SQL baseline recomputes the same values as the engine on the S workload: the
// comparison is between equal results. (No timing: speed is measured by `go run .`.)
func TestSQLMatchesEngine(t *testing.T) {
	s, err := prepare(perf.S, options{n: 1000, at: 50 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.stats) < 100 || len(s.queries) < 10 {
		t.Fatalf("only %d statistics in %d queries", len(s.stats), len(s.queries))
	}
	vals := map[string]float64{}
	if err := s.store.refresh(s.queries, s.start, s.now, vals); err != nil {
		t.Fatal(err)
	}
	ok, bad, err := check(s.eng, s.stats, vals)
	if err != nil {
		t.Fatal(err)
	}
	if ok != len(s.stats) {
		t.Errorf("%d of %d values differ: %v", len(s.stats)-ok, len(s.stats), bad)
	}
	nonzero := 0
	for _, v := range vals {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero < len(vals)/2 {
		t.Errorf("only %d of %d values are non-zero: the comparison would be vacuous", nonzero, len(vals))
	}
}
