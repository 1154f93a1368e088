package perf

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
)

// The mix has the configured size, unique ids, and covers the roles, profiles and
// categories it promises.
func TestMixShape(t *testing.T) {
	for _, s := range []Size{S, M} {
		topo, stats, evs, err := Cycle(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(stats) != s.Statistics {
			t.Fatalf("%s: %d statistics, want %d", s.Name, len(stats), s.Statistics)
		}
		ids := map[string]bool{}
		types := map[object.Type]int{}
		profiles := map[config.ProfileType]int{}
		cats := map[string]bool{}
		for _, st := range stats {
			if ids[st.ID] {
				t.Fatalf("%s: duplicate id %q", s.Name, st.ID)
			}
			ids[st.ID] = true
			types[st.Object.Type]++
			profiles[st.Profile.Type]++
			cats[st.StatType.Category.String()] = true
		}
		for _, typ := range []object.Type{object.TypeAgent, object.TypeRegDN, object.TypePlace, object.TypeGroupAgents,
			object.TypeGroupPlaces, object.TypeQueue, object.TypeGroupQueues, object.TypeTenant} {
			if types[typ] == 0 {
				t.Errorf("%s: no statistic on %v", s.Name, typ)
			}
		}
		if profiles[config.ProfileGrowing] == 0 || profiles[config.ProfileSliding] == 0 {
			t.Errorf("%s: profiles %v, want Growing and Sliding", s.Name, profiles)
		}
		if len(cats) < 15 {
			t.Errorf("%s: only %d categories", s.Name, len(cats))
		}
		if len(topo.Agents) != s.Agents || len(evs) < 10*s.Agents {
			t.Errorf("%s: %d agents, %d events", s.Name, len(topo.Agents), len(evs))
		}
	}
}

// The Growing numeric variant keeps only Growing profiles and numeric categories.
func TestMixGrowingNumeric(t *testing.T) {
	topo, _, _, err := Cycle(S)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range mix(&topo, 5_000, true) {
		c := st.StatType.Category
		if st.Profile.Type != config.ProfileGrowing || c.IsStructured() || c.UsesTimeRange() || c.UsesRelMask() {
			t.Fatalf("%s: %v %v in the Growing numeric mix", st.ID, st.Profile.Type, c)
		}
	}
}

// A cycle returns the engine to its initial state, so it can be replayed: the cyclic
// measurements run several cycles without a rejection, and the floor's recorded updates
// stay in range.
func TestCyclesReplay(t *testing.T) {
	w, err := Build(S, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 2*len(w.Events) + 17
	for name, f := range map[string]Func{"apply": w.Apply, "ndjson": w.NDJSON, "decode": w.Decode,
		"encoding/json": w.DecodeEncodingJSON, "floor": w.Floor} {
		if err := f(nopTimer{}, n); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if c, _ := w.Position(); c < 4 {
		t.Errorf("engine at cycle %d after 4 cycles' worth of apply and NDJSON", c)
	}
	if w.UpdatesPerAction() <= 0 {
		t.Error("no statistic updates recorded")
	}
}

// Measure calibrates n as go test -bench does and reports the median of its timed runs.
// The clock is a fake one that the measured function moves (1 µs per unit of work, or a
// cost per run), so the figures are exact whatever the load on the machine.
func TestMeasure(t *testing.T) {
	var now time.Time
	clock := func() time.Time { return now }
	var ns []int
	var sink []byte
	r, err := measure(func(_ Timer, n int) error {
		ns = append(ns, n)
		for range n {
			sink = make([]byte, 64)
			now = now.Add(time.Microsecond)
		}
		return nil
	}, 10*time.Millisecond, 3, clock)
	if err != nil {
		t.Fatal(err)
	}
	_ = sink
	// 1 unit takes 1 µs: n grows at most 100× a round, then aims 20% past 10 ms, capped at
	// 100× again: 1, 100, 10,000 (10 ms), then 3 timed runs of 10,000.
	if want := []int{1, 100, 10_000, 10_000, 10_000, 10_000}; !slices.Equal(ns, want) {
		t.Errorf("runs of %v units, want %v", ns, want)
	}
	if r.Runs != 3 || r.Ops != 10_000 || r.Elapsed != 10*time.Millisecond || r.NsPerOp() != 1000 {
		t.Errorf("result %+v, want 3 runs of 10,000 units in 10ms", r)
	}
	if a := r.AllocsPerOp(); a < 0.9 || a > 1.1 {
		t.Errorf("%v allocs/op, want 1", a)
	}

	// Timed runs costing 3, 1 and 2 µs a unit: the median run (2 µs) is reported, with the
	// spread of all three.
	costs := []time.Duration{time.Millisecond, 3 * time.Microsecond, time.Microsecond, 2 * time.Microsecond}
	run := 0
	r, err = measure(func(_ Timer, n int) error {
		now = now.Add(time.Duration(n) * costs[min(run, len(costs)-1)])
		run++
		return nil
	}, time.Millisecond, 3, clock)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops != 1 { // the calibration run took the minimum time
		t.Errorf("%d units a run, want 1", r.Ops)
	}
	if r.NsPerOp() != 2000 || r.Min != 1000 || r.Max != 3000 || r.Spread() != 1 {
		t.Errorf("median %v ns/op, min %v, max %v, spread %v; want 2000, 1000, 3000, 1", r.NsPerOp(), r.Min, r.Max, r.Spread())
	}
}

// The Markdown report is measured output: it has no generated-code header (the CI gate
// deletes such files), and it carries the machine, the tables, the targets and the
// command.
func TestMarkdown(t *testing.T) {
	res := Result{Sample: Sample{Ops: 1000, Elapsed: time.Millisecond, CPU: time.Millisecond}, Runs: 3}
	rep := &Report{Machine: ThisMachine(), Started: time.Now(), Count: 3, BenchTime: time.Second,
		Command:   "go run ./tools/statkit bench --workloads M",
		Workloads: []WorkloadInfo{{Size: M, Configured: 10, Open: 9, Refused: []Refusal{{"reason", 1}}, Memory: &Memory{BytesPerStat: 100}}},
		Rows:      []Row{{Size: "M", CPUs: 1, Engine: res, NDJSON: res, Decode: res, DecodeJSON: res, Floor: res}},
		Memory:    []*Memory{{Size: LGrowing.Name, Configured: 1_000_000, Open: 1_000_000, BytesPerGrowingNumeric: 100, RSS: 100 << 20}},
		SQLNote:   "not run", NotifyNote: "not run"}
	var b bytes.Buffer
	if err := rep.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if first, _, _ := strings.Cut(md, "\n"); strings.Contains(first, "Code generated") {
		t.Fatalf("first line %q is a generated-code header", first)
	}
	for _, want := range []string{"## Machine", "## Method", "## Figures", "## Comparisons", "## Targets", "## Commands",
		rep.Command, "| L: ≤ 128 bytes per open Growing numeric statistic | met |", "pending"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	var tb bytes.Buffer
	rep.Table(&tb)
	if !strings.Contains(tb.String(), "engine actions/s") {
		t.Errorf("table: %s", tb.String())
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
