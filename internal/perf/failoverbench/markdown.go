package failoverbench

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Markdown writes the "Replication failover" section of docs/performance.md: a
// second-level heading, the setting, the takeover figures (minimum, median, maximum) and
// the catch-up figures, with the checks passed.
func (r Result) Markdown(w io.Writer) error {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## Replication failover (issue 17)\n\n")
	p("Two statkit replicas of one group on an in-process %d-node NATS JetStream cluster (loopback, file storage,\n", r.Nodes)
	p("the stream on every node), wired as `statkit serve --nats` wires them: lease TTL %s, a tick every %s;\n", dur(r.LeaseTTL), dur(r.TickInterval))
	p("GOMAXPROCS %d, the NATS servers in the same process. Method: `internal/perf/failoverbench` (package documentation).\n\n", r.CPUs)
	if len(r.Takeovers) > 0 {
		p("| lease takeover (%s), from the kill of the clock's holder | min | median | max |\n|---|--:|--:|--:|\n", plural(len(r.Takeovers), "time", "times"))
		row := func(what string, get func(Takeover) time.Duration) {
			var ds []time.Duration
			for _, tk := range r.Takeovers {
				ds = append(ds, get(tk))
			}
			slices.Sort(ds)
			p("| %s | %s | %s | %s |\n", what, dur(ds[0]), dur(ds[len(ds)/2]), dur(ds[len(ds)-1]))
		}
		row("until another replica holds the lease", func(tk Takeover) time.Duration { return tk.Lease })
		row("until a tick it appended is in the stream", func(tk Takeover) time.Duration { return tk.Tick })
		ttl := r.LeaseTTL
		p("\nThe holder dies without releasing its lease (its NATS connection drops), at a moment drawn in the third of\n")
		p("a TTL between two of its renewals; its lease's key expires a TTL after the last renewal, and the other replica\n")
		p("tries to create it every quarter TTL: a takeover takes between %s and %s, plus NATS's own delays; the\n", dur(ttl*2/3), dur(ttl*5/4))
		p("first tick follows within a tick interval.\n\n")
	}
	if r.Snapshot != nil || r.Replay != nil {
		p("| catch-up of a replica killed before a day was fed (%s events in %s POSTs) | started from | records applied | connect, restore, apply (`server.New`) | until applied = the stream's last: median (min–max) | values at the end |\n",
			thousands(r.Events), thousands(r.Batches))
		p("|---|---|--:|--:|--:|---|\n")
		for _, cu := range []*CatchUp{r.Snapshot, r.Replay} {
			if cu == nil {
				continue
			}
			what, from := "", ""
			if cu.SnapshotEvery > 0 {
				what = fmt.Sprintf("snapshot (the holder stores one in the object store every %d records)", cu.SnapshotEvery)
			} else {
				what = "replay (no snapshot: the whole stream)"
			}
			switch {
			case cu.Restored == 0:
				from = "the stream's first record"
			case cu.FromCache:
				from = fmt.Sprintf("its cache's snapshot at record %s of %s", thousands(int(cu.Restored)), thousands(int(cu.Last)))
			default:
				from = fmt.Sprintf("the object store's snapshot at record %s of %s", thousands(int(cu.Restored)), thousands(int(cu.Last)))
			}
			applied := fmt.Sprintf("%s: %s (%s), %s", thousands(int(cu.Records)),
				plural(cu.Batches, "batch", "batches"), plural(cu.Events, "event", "events"), plural(cu.Ticks, "tick", "ticks"))
			med := cu.Median()
			lo, hi := med.Elapsed, med.Elapsed
			for _, rs := range cu.Restarts {
				lo, hi = min(lo, rs.Elapsed), max(hi, rs.Elapsed)
			}
			p("| %s | %s | %s | %s | %s (%s–%s, %s) | %d statistics equal on both replicas and to the engine alone |\n",
				what, from, applied, dur(med.Start), dur(med.Elapsed), dur(lo), dur(hi), plural(len(cu.Restarts), "restart", "restarts"), cu.Statistics)
		}
		p("\nThe day is examples/bank, posted through the live replica while the other is down; the killed replica then\n")
		p("restarts from its data directory (and is killed and restarted again, to time it %d times; the records applied\n", len(r.firstCatchUp().Restarts))
		p("are the first restart's). The day is fed in seconds, so its stream holds few ticks; fed live, a day\n")
		p("holds a tick a second as well (about 61,000 over the bank's 17 hours). `statkit serve` snapshots every 10,000\n")
		p("records or 5 minutes (some 300 ticks and the batches of those minutes), which bounds what a restarted replica\n")
		p("applies after its snapshot; only a stream without a snapshot is replayed from its start.\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// Summary is the figures in a line, for a console: the takeovers' min/median/max and
// the catch-ups.
func (r Result) Summary() string {
	var b strings.Builder
	if len(r.Takeovers) > 0 {
		ds := make([]time.Duration, 0, len(r.Takeovers))
		for _, tk := range r.Takeovers {
			ds = append(ds, tk.Lease)
		}
		slices.Sort(ds)
		fmt.Fprintf(&b, "lease taken over in %s / %s / %s (min / median / max of %d, TTL %s)",
			dur(ds[0]), dur(ds[len(ds)/2]), dur(ds[len(ds)-1]), len(ds), dur(r.LeaseTTL))
	}
	for _, cu := range []*CatchUp{r.Snapshot, r.Replay} {
		if cu == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "caught up after %s events by %s in %s (median of %d; %s records)", thousands(r.Events), cu.Name,
			dur(cu.Median().Elapsed), len(cu.Restarts), thousands(int(cu.Records)))
	}
	return b.String()
}

// firstCatchUp returns the first catch-up scenario measured (nil: none).
func (r Result) firstCatchUp() *CatchUp {
	if r.Snapshot != nil {
		return r.Snapshot
	}
	return r.Replay
}

// plural is "1 batch", "2 batches".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// dur formats d for the section: "2.71 s", "45 ms", "850 µs".
func dur(d time.Duration) string {
	switch {
	case d >= time.Second && d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + " s"
	case d >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	case d >= 10*time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64) + " ms"
	case d >= time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64) + " µs"
}

// thousands formats n with commas: 11,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
