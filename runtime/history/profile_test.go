package history

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// TestIntervalsMatchEngine keeps the recorder's interval starts in step with the
// engine's resets: across both daylight-saving changes of Europe/Paris, on profiles with
// a period, with reset times in the skipped and the repeated hour, each reset
// notification's start (computed here) is the instant of the statistic's previous one.
func TestIntervalsMatchEngine(t *testing.T) {
	profiles := map[string]string{
		"P15":   `{type: Growing, period: 900, timezone: Europe/Paris}`,
		"P40":   `{type: Growing, reset: ["00:10"], period: 2400, timezone: Europe/Paris}`,
		"Skip":  `{type: Growing, reset: ["02:30", "12:00"], timezone: Europe/Paris}`,
		"Twice": `{type: Growing, reset: ["02:30", "02:45"], timezone: Europe/Paris}`,
	}
	var doc strings.Builder
	doc.WriteString("topology:\n  dns: [{id: Q, type: ACDQueue}]\nstatTypes:\n")
	doc.WriteString("  N: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}\ntimeProfiles:\n")
	for name, p := range profiles {
		fmt.Fprintf(&doc, "  %s: %s\n", name, p)
	}
	doc.WriteString("statistics:\n")
	for name := range profiles {
		fmt.Fprintf(&doc, "  - {id: %s, statType: N, object: {type: Queue, id: Q}, profile: %s, notification: {mode: reset}}\n", name, name)
	}
	cfg, err := config.Load("dst.yaml", strings.NewReader(doc.String()))
	require.NoError(t, err)
	for _, day := range []string{"2026-03-28T12:00:00Z", "2026-10-24T12:00:00Z"} {
		eng, err := engine.New(cfg)
		require.NoError(t, err)
		eng.Notifications(nil)
		rec := NewRecorder(cfg.Statistic)
		start, err := time.Parse(time.RFC3339, day)
		require.NoError(t, err)
		prev := map[string]event.Time{}
		var ns []engine.Notification
		checked := 0
		for i := 0; i < 2*24*60/7; i++ {
			ev := event.Event{Time: event.TimeOf(start.Add(time.Duration(i) * 7 * time.Minute)), Action: mustAction(t, "CallEntered"),
				Source: event.Source{Class: mediationDN(), ID: "Q"}, Interaction: fmt.Sprint("c", i)}
			require.NoError(t, eng.Apply(&ev))
			ns = eng.Notifications(ns[:0])
			for _, r := range rec.Rows(nil, ns) {
				if p, ok := prev[r.Statistic.ID]; ok {
					require.Equal(t, p.String(), r.Start.String(), "%s: the interval ending at %s", r.Statistic.ID, r.End)
					checked++
				}
				prev[r.Statistic.ID] = r.End
			}
		}
		// 48 hours: about 190 of P15, 70 of P40, 3 each of Skip and Twice.
		assert.Greater(t, checked, 250, day)
	}
}

// TestIntervals lists a report's slots: a day in Jerusalem in 15 minutes.
func TestIntervals(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Jerusalem")
	require.NoError(t, err)
	p := &config.TimeProfile{Name: "Q", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Period: 15 * time.Minute, Location: loc}
	from := time.Date(1999, 1, 4, 0, 0, 0, 0, loc)
	slots := Intervals(p, from, from.AddDate(0, 0, 1))
	require.Len(t, slots, 96)
	assert.True(t, slots[0][0].Equal(from))
	assert.True(t, slots[95][1].Equal(from.AddDate(0, 0, 1)))
	for i := 1; i < len(slots); i++ {
		assert.True(t, slots[i][0].Equal(slots[i-1][1]))
	}
	end, ok := IntervalEnd(p, from.Add(time.Minute))
	assert.True(t, ok)
	assert.True(t, end.Equal(from.Add(15*time.Minute)))
}

func mustAction(t *testing.T, name string) action.ID {
	t.Helper()
	id, err := action.Lookup(name, object.ClassMediationDN, "", 0)
	require.NoError(t, err)
	return id
}

func mediationDN() object.SourceClass { return object.ClassMediationDN }
