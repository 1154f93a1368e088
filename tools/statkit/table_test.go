package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

func TestHMS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		seconds float64
		want    string
	}{
		{0, "0:00:00"},
		{12, "0:00:12"},
		{12.4, "0:00:12.4"},
		{59.999, "0:00:59.999"},
		{59.9996, "0:01:00"}, // rounded to the millisecond
		{3723, "1:02:03"},    // 1 h 2 min 3 s
		{90000, "25:00:00"},  // hours go past a day
		{0.05, "0:00:00.05"},
		{-61, "-0:01:01"},
	} {
		assert.Equal(t, tc.want, hms(tc.seconds), "%v s", tc.seconds)
	}
}

func TestTableValue(t *testing.T) {
	t.Parallel()
	at := event.TimeOf(time.Date(2026, 11, 26, 9, 5, 0, 0, time.UTC))
	since := event.TimeOf(time.Date(2026, 11, 26, 9, 0, 3, 250_000_000, time.UTC))
	yesterday := event.TimeOf(time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC))
	assert.Equal(t, "0:01:30", tableValue(engine.Value{Number: 90}, category.UnitSeconds, &at))
	assert.Equal(t, "90", tableValue(engine.Value{Number: 90}, category.UnitCount, &at), "a count stays a number")
	assert.Equal(t, "87.5", tableValue(engine.Value{Number: 87.5}, category.UnitPercent, &at))

	group := &engine.State{Type: object.TypeGroupAgents, ID: "Sales", Status: action.None, Children: []engine.State{
		{Status: action.WaitForNextCall}, {Status: action.CallInbound}, {Status: action.WaitForNextCall}, {Status: action.None},
	}}
	assert.Equal(t, "none; 4 children: 2 WaitForNextCall, 1 CallInbound, 1 none",
		tableValue(engine.Value{State: group}, category.UnitStructured, &at), "children counted by status, most first")

	agent := &engine.State{Type: object.TypeAgent, ID: "1001", Status: action.NotReadyForNextCall, Since: since, Reason: "Lunch",
		Children: []engine.State{{Type: object.TypePlace, ID: "P1", Status: action.NotReadyForNextCall, Since: since}}}
	// 09:00:03.250 to 09:05:00 is 4 min 56.75 s.
	assert.Equal(t, "NotReadyForNextCall since 09:00:03.25 (0:04:56.75), reason Lunch; 1 child: 1 NotReadyForNextCall",
		tableValue(engine.Value{State: agent}, category.UnitStructured, &at))
	agent.Since, agent.Children = yesterday, nil
	assert.Equal(t, "NotReadyForNextCall since 2026-11-25 23:00:00 (10:05:00), reason Lunch",
		tableValue(engine.Value{State: agent}, category.UnitStructured, &at), "another day: the date too")
	agent.Since = 0
	assert.Equal(t, "NotReadyForNextCall, reason Lunch", tableValue(engine.Value{State: agent}, category.UnitStructured, nil),
		"no known time: no since")
}
