package bankday

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/spec"
)

// The waiting-time estimate over the real bank day (examples/bank, in the repository):
// each call that waits in a queue gets, at its arrival, the queue's EstimatedWait
// statistic (EstimWaitingTime) and three baselines computed here from the events
// themselves; the errors are measured against the wait of every call that was answered.
//
// The baselines, each 0 before it has an answered call to go by:
//   - the day's average answered wait so far, over all queues and over the call's queue;
//   - the last answered call's wait in the queue (LES, last to enter service);
//   - Asterisk's announced hold time (app_queue.c, recalc_holdtime): per queue, the first
//     answered wait when no call was answered or abandoned before it, then
//     (3 × old + new) / 4 in whole seconds (a shift by 2) at each answer.
//
// An estimate that is undefined (no answered wait yet) counts as 0, as the baselines do.

// ewtMethod is one way to predict a call's wait, with its predictions by call.
type ewtMethod struct {
	name string
	pred map[string]float64 // by queue|interaction
}

// ewtFigures are a method's errors over the answered calls, in seconds.
type ewtFigures struct {
	name     string
	mae, p90 float64
	n        int
}

// figures measures m against the actual waits.
func (m ewtMethod) figures(actual map[string]float64) ewtFigures {
	var errs []float64
	for k, w := range actual {
		errs = append(errs, math.Abs(m.pred[k]-w))
	}
	slices.Sort(errs)
	sum := 0.0
	for _, x := range errs {
		sum += x
	}
	// The 90th percentile by nearest rank: the smallest error at least 90 % of the calls
	// do not exceed.
	p90 := errs[int(math.Ceil(0.9*float64(len(errs))))-1]
	return ewtFigures{name: m.name, mae: sum / float64(len(errs)), p90: p90, n: len(errs)}
}

// measureEWT replays examples/bank and returns the figures of the estimate and of the
// baselines, the estimate first.
func measureEWT(t *testing.T) []ewtFigures {
	t.Helper()
	dir := "../../examples/bank/"
	cfg, err := config.LoadFile(dir + "config.yaml")
	require.NoError(t, err)
	e, err := engine.New(cfg)
	require.NoError(t, err)
	f, err := os.Open(dir + "events.ndjson")
	require.NoError(t, err)
	defer f.Close()

	est := ewtMethod{"EstimWaitingTime (queue-length regression)", map[string]float64{}}
	dayAll := ewtMethod{"day's average answered wait so far, all queues", map[string]float64{}}
	dayQueue := ewtMethod{"day's average answered wait so far, the queue", map[string]float64{}}
	les := ewtMethod{"last answered call's wait in the queue", map[string]float64{}}
	asterisk := ewtMethod{"Asterisk's announced hold time", map[string]float64{}}
	type queue struct {
		sum, answered, abandoned int64 // answered waits (s), answers, abandons
		last, hold               int64 // the last answered wait, Asterisk's holdtime (s)
	}
	queues := map[string]*queue{}
	var sumAll, nAll int64
	actual := map[string]float64{}
	dec := event.NewDecoder(f, event.Options{Resolver: e})
	for {
		ev, rej, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej)
		id := ev.Source.ID
		key := id + "|" + ev.Interaction
		q := queues[id]
		if q == nil {
			q = &queue{}
			queues[id] = q
		}
		if ev.Action == action.CallWait && ev.Phase == event.PhaseStart {
			v, err := e.Value(id + ".EstimatedWait")
			require.NoError(t, err)
			est.pred[key] = v.Number // 0 when undefined
			if nAll > 0 {
				dayAll.pred[key] = float64(sumAll) / float64(nAll)
			}
			if q.answered > 0 {
				dayQueue.pred[key] = float64(q.sum) / float64(q.answered)
			}
			les.pred[key] = float64(q.last)
			asterisk.pred[key] = float64(q.hold)
		}
		require.NoError(t, e.Apply(&ev))
		switch ev.Action {
		case action.CallDistributed:
			w := ev.Duration / 1000 // whole seconds in this data set
			require.Equal(t, w*1000, ev.Duration)
			actual[key] = float64(w)
			if q.answered+q.abandoned == 0 {
				q.hold = w
			} else {
				q.hold = (q.hold<<2 - q.hold + w) >> 2
			}
			q.answered++
			q.sum += w
			q.last = w
			sumAll += w
			nAll++
		case action.CallAbandoned:
			q.abandoned++
		}
	}
	require.Len(t, actual, 1243, "the answered calls of the day")
	var out []ewtFigures
	for _, m := range []ewtMethod{est, dayAll, dayQueue, les, asterisk} {
		out = append(out, m.figures(actual))
	}
	return out
}

// TestEstimatedWaitOnTheBankDay: the estimate beats every baseline on the real day, in
// mean absolute error and at the 90th percentile, and the reference publishes these
// figures.
func TestEstimatedWaitOnTheBankDay(t *testing.T) {
	figs := measureEWT(t)
	var table strings.Builder
	for _, f := range figs {
		line := ewtRow(f)
		table.WriteString(line + "\n")
		t.Log(line)
	}
	est := figs[0]
	for _, b := range figs[1:] {
		assert.Less(t, est.mae, b.mae, "mean absolute error against %s", b.name)
		assert.Less(t, est.p90, b.p90, "90th percentile against %s", b.name)
	}
	doc, err := fs.ReadFile(spec.Files, spec.CategoriesFile)
	require.NoError(t, err)
	for _, f := range figs {
		assert.True(t, strings.Contains(string(doc), ewtRow(f)),
			"spec/categories.yaml (EstimWaitingTime's details) publishes the measured figures, this row is missing:\n%s\nthe figures:\n%s", ewtRow(f), table.String())
	}
}

// ewtRow is a method's row in the table of spec/categories.yaml.
func ewtRow(f ewtFigures) string {
	return fmt.Sprintf("| %s | %.1f | %.1f |", f.name, f.mae, f.p90)
}
