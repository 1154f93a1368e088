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
		p("| lease takeover (%d times), from the kill of the clock's holder | min | median | max |\n|---|--:|--:|--:|\n", len(r.Takeovers))
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
		p("| catch-up of a replica killed before a day was fed (%s events in %s POSTs) | started from | records applied | connect, restore, apply (`server.New`) | until applied = the stream's last | values at the end |\n",
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
			p("| %s | %s | %s | %s | %s | %d statistics equal on both replicas and to the engine alone |\n",
				what, from, thousands(int(cu.Records)), dur(cu.Start), dur(cu.Elapsed), cu.Statistics)
		}
		p("\nThe day is examples/bank, posted through the live replica while the other is down; the killed replica then\n")
		p("restarts from its data directory. In production serve snapshots every 10,000 records or 5 minutes, which over a\n")
		p("live day's feed is a few hundred records at most.\n")
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
		fmt.Fprintf(&b, "caught up after %s events by %s in %s (%s records)", thousands(r.Events), cu.Name, dur(cu.Elapsed), thousands(int(cu.Records)))
	}
	return b.String()
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
