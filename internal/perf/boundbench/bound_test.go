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
