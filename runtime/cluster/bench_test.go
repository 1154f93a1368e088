package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/replica/natstest"
)

// BenchmarkCatchUp measures what a replica that died costs when it comes back after the
// bank day (11,000 events in 431 batches of about 25) was fed to its group: the time from
// its start (connect, restore, catch up: what server.New does before serving) until it
// holds the group's state. "snapshot": the group's holder wrote a snapshot every 150
// records to the object store, so the replica restores the newest and applies the
// records after it — what happens; "replay": no snapshot, the whole day is applied from
// the stream — the worst case. The day is fed once per sub-benchmark, outside the timer.
//
//	go test -run '^$' -bench CatchUp -benchtime 5x ./runtime/cluster/
func BenchmarkCatchUp(b *testing.B) {
	cl, err := natstest.New(3)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Shutdown()
	runs := 0
	for _, c := range []struct {
		name      string
		snapEvery int
	}{{"snapshot", 150}, {"replay", -1}} {
		b.Run(c.name, func(b *testing.B) {
			day := loadBank(b, 25)
			runs++
			h := &harness{t: b, cl: cl, stream: fmt.Sprintf("bench-%s-%d", c.name, runs), bank: day, clock: &testClock{}, ttl: time.Second,
				text: day.text, tick: -1, snapEvery: c.snapEvery}
			feeder := h.start("feeder", "")
			eventually(b, waitLong, "the feeder holds the clock", func() bool { return feeder.node.lease.Held() })
			for i, bt := range day.batches {
				h.post(i, bt.body, fmt.Sprintf("d%d", i), feeder)
			}
			last, err := feeder.node.Log().Last(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if c.snapEvery > 0 {
				eventually(b, waitLong, "the last snapshot stored", func() bool {
					s, err := feeder.node.rl.Snapshots(context.Background())
					return err == nil && len(s) > 0 && s[len(s)-1] > last-uint64(c.snapEvery)
				})
			}
			b.ResetTimer()
			var applied uint64
			for i := range b.N {
				p := h.start(fmt.Sprintf("r%d", i), "")
				b.StopTimer()
				applied += last - p.node.lg.restored.seq
				p.stop()
				b.StartTimer()
			}
			b.ReportMetric(float64(applied)/float64(b.N), "records/op")
		})
	}
}
