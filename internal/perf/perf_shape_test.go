package perf

import (
	"bytes"
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

// Measure calibrates and reports a median; the Stopwatch counts allocations.
func TestMeasure(t *testing.T) {
	var sink []byte
	r, err := Measure(func(_ Timer, n int) error {
		for range n {
			sink = make([]byte, 64)
		}
		return nil
	}, 10*time.Millisecond, 3)
	if err != nil {
		t.Fatal(err)
	}
	_ = sink
	if r.Runs != 3 || r.Ops == 0 || r.Elapsed < 10*time.Millisecond {
		t.Errorf("result %+v", r)
	}
	if a := r.AllocsPerOp(); a < 0.9 || a > 1.1 {
		t.Errorf("%v allocs/op, want 1", a)
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
