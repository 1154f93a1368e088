package bankqueuelog

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/internal/bankday"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/queuelog"
)

var update = flag.Bool("update", false, "rewrite examples/asterisk from the bank day's CSV")

// dataPath is the real day's CSV, kept in the repository (examples/bank/README.md).
const dataPath = "../../examples/bank/anonymous-bank-one-day.csv"

func readCSV(t *testing.T) *bankday.Day {
	t.Helper()
	raw, err := os.ReadFile(dataPath)
	require.NoError(t, err, "the bank day's CSV is part of the repository")
	d, err := bankday.Parse(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Empty(t, d.Skipped)
	return d
}

var exampleDir = filepath.Join("..", "..", "examples", "asterisk")

// TestExampleFilesUpToDate keeps examples/asterisk (the committed queue_log and config, so
// the example reads nothing else) in step with the converter; -update rewrites them.
func TestExampleFilesUpToDate(t *testing.T) {
	d := readCSV(t)
	var ql bytes.Buffer
	require.NoError(t, Write(&ql, d))
	for name, want := range map[string][]byte{"queue_log": ql.Bytes(), "config.yaml": ConfigYAML(d)} {
		path := filepath.Join(exampleDir, name)
		if *update {
			require.NoError(t, os.MkdirAll(exampleDir, 0o755))
			require.NoError(t, os.WriteFile(path, want, 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go test ./internal/bankqueuelog -run ExampleFiles -update", path)
		}
	}
}

// mapped reads a queue_log through the mapper (topology-checked, reordered within 5 s) and
// returns the events; it fails on any rejection.
func mapped(t *testing.T, ql []byte, cfg *config.Config, opts source.Options) []event.Event {
	t.Helper()
	opts.Topology = &cfg.Topology
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m := source.NewMapper(gs.AsteriskQueueLog(), opts)
	evs := source.NewEvents(queuelog.NewReader(gs.AsteriskQueueLog(), bytes.NewReader(ql)), m, 5000)
	var out []event.Event
	for {
		ev, rej, err := evs.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej, "%+v", rej)
		out = append(out, ev)
	}
	assert.Empty(t, m.Stats().Unmapped)
	return out
}

// values applies events to a new engine for cfg and returns every statistic's value at
// each instant of ats (sorted), failing on any rejected event.
func values(t *testing.T, cfg *config.Config, evs []event.Event, ats []event.Time) map[string][]float64 {
	t.Helper()
	e, err := engine.New(cfg)
	require.NoError(t, err)
	out := map[string][]float64{}
	snap := func(at event.Time) {
		e.Advance(at)
		for _, s := range e.Statistics() {
			v, err := e.Value(s.ID)
			require.NoError(t, err)
			out[s.ID] = append(out[s.ID], v.Number)
		}
	}
	i := 0
	for _, ev := range evs {
		for ; i < len(ats) && ats[i] < ev.Time; i++ {
			snap(ats[i])
		}
		require.NoError(t, e.Apply(&ev), "%+v", ev)
	}
	for ; i < len(ats); i++ {
		snap(ats[i])
	}
	return out
}

// TestReplayExampleDay replays the converted real day and checks every queue and agent
// figure against what the CSV gives under the converter's rules, computed straight from
// its columns.
func TestReplayExampleDay(t *testing.T) {
	d := readCSV(t)
	var ql bytes.Buffer
	require.NoError(t, Write(&ql, d))
	cfg, err := config.Load("asterisk.yaml", bytes.NewReader(ConfigYAML(d)))
	require.NoError(t, err)
	evs := mapped(t, ql.Bytes(), cfg, source.Options{})
	midnight := event.TimeOf(bankday.Date().AddDate(0, 0, 1))
	got := values(t, cfg, evs, []event.Time{midnight - 1})

	type fig struct{ entered, distributed, abandoned, cleared, handled, talk, waitSum, members int }
	want := map[string]*fig{}
	get := func(k string) *fig {
		if want[k] == nil {
			want[k] = &fig{}
		}
		return want[k]
	}
	const day = 24 * 3600
	first, last, serves := map[string]int{}, map[string]int{}, map[string]map[string]bool{}
	for _, c := range d.Calls {
		q := bankday.QueueID(c.Type)
		served := c.Served() && (!c.Queued() || c.Outcome == "AGENT")
		if !c.Queued() && !served {
			continue
		}
		enter := c.QStart
		if !c.Queued() {
			enter = c.SerStart
		}
		for _, k := range []string{q, "AllQueues"} {
			get(k).entered++
			switch {
			case served:
				connect := max(c.SerStart, enter)
				if connect < day {
					get(k).distributed++
					get(k).waitSum += connect - enter
				}
			case c.Outcome == "HANG" && c.QExit < day:
				get(k).abandoned++
			case c.Outcome != "HANG" && c.QExit < day:
				get(k).cleared++
			}
		}
		if served {
			connect := max(c.SerStart, enter)
			end := max(c.SerExit, connect)
			if f, ok := first[c.Server]; !ok || connect < f {
				first[c.Server] = connect
			}
			last[c.Server] = max(last[c.Server], end)
			if serves[c.Server] == nil {
				serves[c.Server] = map[string]bool{}
			}
			serves[c.Server][q] = true
			if end < day {
				for _, k := range []string{c.Server, "Agents"} {
					get(k).handled++
					get(k).talk += end - connect
				}
			}
		}
	}
	// An agent is a member of the queues it serves from a minute before its first call to a
	// minute after its last.
	for a, qs := range serves {
		if first[a]-60 <= day-1 && day-1 < last[a]+60 {
			for q := range qs {
				get(q).members++
				get("AllQueues").members++
			}
		}
	}
	checked := 0
	agents, queues := Agents(d)
	for _, q := range append(queues, "AllQueues") {
		w := get(q)
		assert.Equal(t, float64(w.entered), got[q+".CallsEntered"][0], q)
		assert.Equal(t, float64(w.distributed), got[q+".CallsDistributed"][0], q)
		assert.Equal(t, float64(w.abandoned), got[q+".CallsAbandoned"][0], q)
		assert.Equal(t, float64(w.cleared), got[q+".CallsCleared"][0], q)
		if w.distributed > 0 {
			assert.InDelta(t, float64(w.waitSum)/float64(w.distributed), got[q+".AverageWait"][0], 0.0005, q)
		}
		assert.Equal(t, float64(w.members), got[q+".AgentsLoggedIn"][0], q)
		checked++
	}
	for _, a := range append(agents, "Agents") {
		w := get(a)
		assert.Equal(t, float64(w.handled), got[a+".CallsHandled"][0], a)
		assert.Equal(t, float64(w.talk), got[a+".TalkTime"][0], a)
		checked++
	}
	assert.Greater(t, checked, 10)
	t.Logf("checked %d objects: %d entered, %d distributed, %d abandoned, %d cleared, %d handled",
		checked, want["AllQueues"].entered, want["AllQueues"].distributed, want["AllQueues"].abandoned, want["AllQueues"].cleared, want["Agents"].handled)
}

// randomDay makes a day of consistent calls (an answered call leaves the queue when its
// agent answers): some answered, some abandoned, some cleared, agents serving several
// queues.
func randomDay(rng *rand.Rand, n int) *bankday.Day {
	types := []string{"PS", "NW", "TT"}
	agents := []string{"ANN", "BEN", "CAT", "DAN"}
	d := &bankday.Day{}
	busy := map[string]int{} // the time each agent is free again
	t := 8 * 3600
	for i := range n {
		t += rng.IntN(90)
		c := bankday.Call{Line: i + 2, ID: "AA01/" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), Type: types[rng.IntN(len(types))],
			QStart: t, Server: "NO_SERVER"}
		wait := rng.IntN(120)
		switch r := rng.IntN(10); {
		case r < 6:
			a := agents[rng.IntN(len(agents))]
			start := max(t+wait, busy[a])
			c.QExit, c.Outcome, c.Server = start, "AGENT", a
			c.SerStart, c.SerExit = start, start+rng.IntN(400)
			busy[a] = c.SerExit
		case r < 9:
			c.QExit, c.Outcome = t+wait, "HANG"
		default:
			c.QExit, c.Outcome = t+wait, "PHANTOM"
		}
		d.Calls = append(d.Calls, c)
	}
	return d
}

// TestQueueLogMatchesNDJSON is the property that a queue_log and the NDJSON actions of
// the same calls give the same queue and agent statistics: the NDJSON comes from
// internal/bankday (an independent path), the queue_log from this converter, read back
// through the generated mapping. Some lines a second apart are swapped, as a busy
// Asterisk writes them; the reorder window puts them back. The agents' DNs are mapped
// (bankday names them D-<agent>).
func TestQueueLogMatchesNDJSON(t *testing.T) {
	for seed := uint64(1); seed <= 25; seed++ {
		rng := rand.New(rand.NewPCG(seed, 15))
		d := randomDay(rng, 20+rng.IntN(60))
		cfg, err := config.Load("bank.yaml", bytes.NewReader(d.ConfigYAML()))
		require.NoError(t, err)
		want := d.Events()
		lines := Lines(d)
		swapped := 0
		for i := 0; i+1 < len(lines); i++ {
			a, b := lines[i], lines[i+1]
			if b.At == a.At+1 && callid(a) != callid(b) && rng.IntN(2) == 0 {
				lines[i], lines[i+1] = b, a
				swapped++
				i++
			}
		}
		var ql bytes.Buffer
		for _, l := range lines {
			ql.WriteString(l.Text + "\n")
		}
		dns := map[string]string{}
		for _, a := range cfg.Topology.Agents {
			dns[a.ID] = "D-" + a.ID
		}
		got := mapped(t, ql.Bytes(), cfg, source.Options{AgentDN: dns})
		var ats []event.Time
		end := max(want[len(want)-1].Time, got[len(got)-1].Time)
		for k := event.Time(1); k <= 4; k++ {
			ats = append(ats, want[0].Time+(end-want[0].Time)*k/4)
		}
		wv, gv := values(t, cfg, want, ats), values(t, cfg, got, ats)
		require.NotEmpty(t, wv)
		// Statistics filtered on attached data (bankday's events carry the service type as
		// data Type; a queue_log line has no such data) are not comparable.
		for _, st := range cfg.Statistics {
			if st.Filter != nil {
				delete(wv, st.ID)
			}
		}
		for _, id := range slices.Sorted(mapsKeys(wv)) {
			assert.Equal(t, wv[id], gv[id], "seed %d: %s (%d lines swapped)", seed, id, swapped)
		}
		if seed == 1 {
			assert.Greater(t, swapped, 0, "the property covers out-of-order lines")
		}
	}
}

func callid(l Line) string { return strings.Split(l.Text, "|")[1] }

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
