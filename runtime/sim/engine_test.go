package sim_test

import (
	"testing"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/sim"
)

// The engine opens the statistics of the config WriteConfig writes and applies every
// simulated event without a rejection.
func TestEngineAcceptsEvents(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		cfg := sim.Config{Seed: seed, Agents: 30, Queues: 3, Groups: 4, Duration: 3 * time.Hour}
		c, err := sim.LoadConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e, err := engine.New(c)
		if err != nil {
			t.Fatal(err)
		}
		entered, abandoned := 0, 0
		events := collect(t, cfg)
		for i := range events {
			if err := e.Apply(&events[i]); err != nil {
				t.Fatalf("seed %d: event %d (%s %s on %s): %v", seed, i, events[i].Action, events[i].Phase, events[i].Source.ID, err)
			}
			switch events[i].Action {
			case action.CallEntered:
				entered++
			case action.CallAbandoned:
				abandoned++
			}
		}
		for id, want := range map[string]int{"AllQueues.CallsEntered": entered, "AllQueues.CallsAbandoned": abandoned} {
			v, err := e.Value(id)
			if err != nil {
				t.Fatalf("seed %d: %s: %v", seed, id, err)
			}
			if v.Number != float64(want) {
				t.Errorf("seed %d: %s = %v, want %d", seed, id, v, want)
			}
		}
	}
}
