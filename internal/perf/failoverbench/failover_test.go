package failoverbench

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// testLog is where a run's steps go: stderr with STATKIT_TEST_LOG set.
func testLog() *os.File {
	if os.Getenv("STATKIT_TEST_LOG") == "" {
		return nil
	}
	return os.Stderr
}

// A short run — one takeover with a 1 s lease, the bank day's first 2,000 events in
// batches of 50 — gives sane figures: the takeover after the kill and within the lease's
// bounds, the restarted replica's catch-up ending at the stream's last record with the
// values of both replicas equal (Run fails otherwise), and a section that says so.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node JetStream cluster and two replicas")
	}
	const ttl = time.Second
	opts := Options{Takeovers: 1, LeaseTTL: ttl, Events: 2000, Batch: 50, SnapshotEvery: 20, Restarts: 2}
	if f := testLog(); f != nil {
		opts.Log = f
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Takeovers) != 1 {
		t.Fatalf("%d takeovers, want 1", len(res.Takeovers))
	}
	// The lease's key expires a TTL after its holder's last renewal, which came at most
	// a third of a TTL before the kill: a takeover within half a TTL would mean that two
	// replicas held the clock at once. Later than a few TTLs and ticks, even on a loaded
	// machine, would mean the takeover does not work as documented.
	bound := 3*ttl + 2*res.TickInterval + 5*time.Second
	for _, tk := range res.Takeovers {
		if tk.Lease < ttl/2 || tk.Lease > bound {
			t.Errorf("lease taken over %v after the kill, want between %v and %v", tk.Lease, ttl/2, bound)
		}
		if tk.Tick < tk.Lease || tk.Tick > bound {
			t.Errorf("first tick %v after the kill (lease %v), want after the lease and within %v", tk.Tick, tk.Lease, bound)
		}
	}
	for _, cu := range []*CatchUp{res.Snapshot, res.Replay} {
		if cu == nil {
			t.Fatal("a catch-up scenario is missing")
		}
		if cu.Last == 0 || cu.Records != cu.Last-cu.Restored || len(cu.Restarts) != opts.Restarts {
			t.Errorf("%s: %+v", cu.Name, *cu)
		}
		for _, rs := range cu.Restarts {
			if rs.Start <= 0 || rs.Start > rs.Elapsed {
				t.Errorf("%s: a restart's start took %v, its catch-up %v", cu.Name, rs.Start, rs.Elapsed)
			}
		}
		// Every batch of the day is a record, fed while the replica was down.
		if cu.Last < uint64(res.Batches) {
			t.Errorf("%s: the stream's last record is %d, below the %d batches fed", cu.Name, cu.Last, res.Batches)
		}
		if cu.Statistics == 0 {
			t.Errorf("%s: no statistic compared", cu.Name)
		}
	}
	if r := res.Snapshot; r.Restored == 0 || r.Records > uint64(opts.SnapshotEvery)+10 {
		t.Errorf("snapshot: started from record %d and applied %d records, want a snapshot at most %d records (and a few ticks) old",
			r.Restored, r.Records, opts.SnapshotEvery)
	}
	if r := res.Replay; r.Restored != 0 || r.Records != r.Last || r.Batches != res.Batches || r.Events != res.Events || r.Ticks == 0 {
		t.Errorf("replay: started from record %d, applied %d records (%d batches, %d events, %d ticks), want the stream's start and the whole day",
			r.Restored, r.Records, r.Batches, r.Events, r.Ticks)
	}
	if r := res.Snapshot; uint64(r.Batches+r.Ticks) > r.Records || r.Events > res.Events {
		t.Errorf("snapshot: %d records applied, of which %d batches (%d events) and %d ticks", r.Records, r.Batches, r.Events, r.Ticks)
	}
	if res.Events != 2000 {
		t.Errorf("%d events fed, want 2000", res.Events)
	}
	var md bytes.Buffer
	if err := res.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Replication failover", "1 s", "snapshot", "replay", "2,000 events"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the section lacks %q:\n%s", want, md.String())
		}
	}
	if s := res.Summary(); !strings.Contains(s, "TTL 1 s") || !strings.Contains(s, "by replay") {
		t.Errorf("summary: %s", s)
	}
	t.Logf("%s\n%s", res.Summary(), md.String())
}
