package bankday

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

var update = flag.Bool("update", false, "rewrite examples/bank's config and events from its CSV")

// dataPath is the real day's CSV, kept in the repository with its provenance
// (examples/bank/README.md).
const dataPath = "../../examples/bank/anonymous-bank-one-day.csv"

func readCSV(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(dataPath)
	require.NoError(t, err, "the bank day's CSV is part of the repository")
	return raw
}

// expected holds per-object figures computed straight from the CSV columns (q_time,
// ser_time, outcome), independently of the event conversion, for what completes before
// local midnight (the Default profile resets then; a few calls spill past it).
type expected struct {
	entered, distributed, abandoned map[string]int
	waitSum                         map[string]int // seconds, distributed calls
	maxWait                         map[string]int
	handled, talk                   map[string]int // per agent; talk in seconds
	// calls are each agent's service spans [ser_start, ser_exit) in seconds, and
	// first/last the first start and the last end.
	calls       map[string][][2]int
	first, last map[string]int
}

func expectFromCSV(t *testing.T, raw []byte) expected {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	require.NoError(t, err)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	x := expected{map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{},
		map[string][][2]int{}, map[string]int{}, map[string]int{}}
	for _, r := range recs[1:] {
		q := r[col["type"]] + "@Bank"
		if r[col["q_start"]] != "0:00:00" {
			wait, err := strconv.Atoi(r[col["q_time"]])
			require.NoError(t, err)
			for _, k := range []string{q, "AllQueues"} {
				x.entered[k]++
				if seconds(t, r[col["q_start"]])+wait >= day {
					continue // the wait completes after midnight
				}
				x.maxWait[k] = max(x.maxWait[k], wait)
				switch r[col["outcome"]] {
				case "AGENT":
					x.distributed[k]++
					x.waitSum[k] += wait
				case "HANG":
					x.abandoned[k]++
				}
			}
		}
		if r[col["server"]] != "NO_SERVER" && r[col["ser_start"]] != "0:00:00" {
			talk, err := strconv.Atoi(r[col["ser_time"]])
			require.NoError(t, err)
			a, from := r[col["server"]], seconds(t, r[col["ser_start"]])
			x.calls[a] = append(x.calls[a], [2]int{from, from + talk})
			if f, ok := x.first[a]; !ok || from < f {
				x.first[a] = from
			}
			x.last[a] = max(x.last[a], from+talk)
			if seconds(t, r[col["ser_start"]])+talk >= day {
				continue
			}
			for _, k := range []string{r[col["server"]], "Agents"} {
				x.handled[k]++
				x.talk[k] += talk
			}
		}
	}
	return x
}

const day = 24 * 3600

// dayLen is day, for the functions where a parsed Day shadows it.
const dayLen = day

// unionSeconds is the length of the union of spans clipped to [0, day).
func unionSeconds(spans [][2]int, _ int) int {
	covered := make([]bool, day)
	n := 0
	for _, sp := range spans {
		for s := sp[0]; s < min(sp[1], day); s++ {
			if !covered[s] {
				covered[s] = true
				n++
			}
		}
	}
	return n
}

// covers is 1 when a span runs past the last second of the day, whose last millisecond
// the check instant (midnight − 1 ms) leaves out; 0 otherwise.
func covers(spans [][2]int, end int) int {
	for _, sp := range spans {
		if sp[0] <= end && sp[1] > end {
			return 1
		}
	}
	return 0
}

func b2i(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func seconds(t *testing.T, hms string) int {
	t.Helper()
	var h, m, s int
	_, err := fmt.Sscanf(hms, "%d:%d:%d", &h, &m, &s)
	require.NoError(t, err, hms)
	return h*3600 + m*60 + s
}

// TestReplayRealDay replays the whole real day through the engine and checks every queue
// and agent statistic against figures computed directly from the CSV.
func TestReplayRealDay(t *testing.T) {
	raw := readCSV(t)
	day, err := Parse(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Empty(t, day.Skipped)
	cfg, err := config.Load("bank.yaml", bytes.NewReader(day.ConfigYAML()))
	require.NoError(t, err)
	e, err := engine.New(cfg)
	require.NoError(t, err)
	midnight := event.TimeOf(Date().AddDate(0, 0, 1))
	for _, ev := range day.Events() {
		if ev.Time >= midnight {
			break
		}
		require.NoError(t, e.Apply(&ev), "event %+v", ev)
	}
	e.Advance(midnight - 1)
	x := expectFromCSV(t, raw)
	value := func(id string) float64 {
		v, err := e.Value(id)
		require.NoError(t, err, id)
		return v.Number
	}
	checked := 0
	for q, n := range x.entered {
		assert.Equal(t, float64(n), value(q+".CallsEntered"), q)
		assert.Equal(t, float64(x.distributed[q]), value(q+".CallsDistributed"), q)
		assert.Equal(t, float64(x.abandoned[q]), value(q+".CallsAbandoned"), q)
		if x.distributed[q] > 0 {
			assert.InDelta(t, float64(x.waitSum[q])/float64(x.distributed[q]), value(q+".AverageWait"), 0.0005, q)
		}
		if q != "AllQueues" {
			assert.Equal(t, float64(x.maxWait[q]), value(q+".LongestWait"), q)
		}
		checked++
	}
	for a, n := range x.handled {
		assert.Equal(t, float64(n), value(a+".CallsHandled"), a)
		assert.InDelta(t, float64(x.talk[a])/float64(n), value(a+".AverageHandleTime"), 0.0005, a)
		if a != "Agents" {
			assert.Equal(t, float64(x.talk[a]), value(a+".TalkTime"), a)
		}
		checked++
	}
	assert.Greater(t, checked, 10)
	// The formulas: abandon rate, average speed of answer, and each agent's occupancy —
	// the time on calls (however many at once) over the time logged in, which the
	// converter sets from a minute before the first call to a minute after the last.
	for q, n := range x.entered {
		assert.InDelta(t, 100*float64(x.abandoned[q])/float64(n), value(q+".AbandonRate"), 1e-9, q)
		if x.distributed[q] > 0 {
			assert.InDelta(t, float64(x.waitSum[q])/float64(x.distributed[q]), value(q+".SpeedOfAnswer"), 1e-9, q)
		}
	}
	const end = dayLen - 1 // the check instant, in seconds (e.Advance(midnight - 1 ms) is within it)
	var busyAll, loggedAll float64
	for a, spans := range x.calls {
		busy := float64(unionSeconds(spans, end)) - 0.001*float64(covers(spans, end))
		logged := float64(min(x.last[a]+60, dayLen)-(x.first[a]-60)) - 0.001*b2i(x.last[a]+60 >= dayLen)
		assert.InDelta(t, 100*busy/logged, value(a+".Occupancy"), 1e-9, a)
		busyAll += busy
		loggedAll += logged
	}
	assert.InDelta(t, 100*busyAll/loggedAll, value("Agents.Occupancy"), 1e-9)
	t.Logf("checked %d objects; day totals: %d queued, %d abandoned, %d served",
		checked, x.entered["AllQueues"], x.abandoned["AllQueues"], x.handled["Agents"])
}

// TestExampleFilesUpToDate keeps examples/bank's config and events (what the README's
// replay example reads) in step with its CSV and the converter; -update rewrites them.
func TestExampleFilesUpToDate(t *testing.T) {
	raw := readCSV(t)
	day, err := Parse(bytes.NewReader(raw))
	require.NoError(t, err)
	var events bytes.Buffer
	enc := event.NewEncoder(&events)
	for _, ev := range day.Events() {
		require.NoError(t, enc.Encode(ev))
	}
	dir := filepath.Join("..", "..", "examples", "bank")
	files := map[string][]byte{"config.yaml": day.ConfigYAML(), "events.ndjson": events.Bytes()}
	for name, want := range files {
		path := filepath.Join(dir, name)
		if *update {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(path, want, 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go test ./internal/bankday -run ExampleFiles -update", path)
		}
	}
}

func TestConfigYAMLQuotesIDs(t *testing.T) {
	day, err := Parse(strings.NewReader(sample))
	require.NoError(t, err)
	cfg, err := config.Load("mini.yaml", bytes.NewReader(day.ConfigYAML()))
	require.NoError(t, err, "%s", day.ConfigYAML())
	// one queue, all queues, two agents, the group; the 15-minute report for the queue
	// and for all queues
	assert.Len(t, cfg.Statistics, 8+7+4*2+3+6*2)
	require.Len(t, cfg.Reports, 1)
	assert.Len(t, cfg.Reports[0].Rows, 2)
}
