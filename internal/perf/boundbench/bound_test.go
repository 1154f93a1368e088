package boundbench

import (
	"context"
	"testing"

	"github.com/statkit/statkit/internal/perf"
)

// History runs on S: the timed run writes rows (it fails otherwise), both medians are
// measured, and the result names what it covers. (No figure is judged.)
func TestHistory(t *testing.T) {
	r, err := History(context.Background(), Options{Size: perf.S, Runs: 1, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Events == 0 || r.Records == 0 || r.BaseTime <= 0 || r.WithTime <= 0 {
		t.Fatalf("nothing measured: %+v", r)
	}
	if len(r.Steps) != 1 || r.Steps[0].Time <= 0 {
		t.Errorf("steps %+v, want the notifications-only run", r.Steps)
	}
	if r.Produced == 0 || r.ProducedUnit != "rows written" {
		t.Errorf("produced %d %s", r.Produced, r.ProducedUnit)
	}
	t.Log(r.Summary())
}

// Replica runs on S: every timed record is read back from the stream.
func TestReplica(t *testing.T) {
	r, err := Replica(context.Background(), Options{Size: perf.S, Runs: 1, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Produced != int64(r.Records) || r.Records == 0 {
		t.Errorf("%d records read from the stream, %d appended", r.Produced, r.Records)
	}
	t.Log(r.Summary())
}

// BenchmarkBudgetsM runs statkit bench's budget measurements on M once per b.N:
//
//	go test -run '^$' -bench BudgetsM -benchtime 1x -cpu 1 ./internal/perf/boundbench/
func BenchmarkBudgetsM(b *testing.B) {
	for range b.N {
		for _, f := range []func(context.Context, Options) (*perf.BudgetResult, error){History, Replica} {
			r, err := f(context.Background(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Log(r.Summary())
		}
	}
}

// BenchmarkHistoryM is the history budget alone, for a profile:
//
//	go test -run '^$' -bench HistoryM -benchtime 1x -cpu 1 -cpuprofile cpu.out ./internal/perf/boundbench/
func BenchmarkHistoryM(b *testing.B) {
	for range b.N {
		r, err := History(context.Background(), Options{Runs: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.Log(r.Summary())
	}
}
