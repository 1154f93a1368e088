package sim_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// collect runs a simulation of cfg to its end and returns its events.
func collect(t testing.TB, cfg sim.Config) []event.Event {
	t.Helper()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	for e, ok := s.Next(); ok; e, ok = s.Next() {
		out = append(out, e)
	}
	return out
}

// encode returns the NDJSON of events.
func encode(t testing.TB, events []event.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := event.NewEncoder(&buf)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// loadConfig loads the config WriteConfig writes for cfg (LoadConfig).
func loadConfig(t testing.TB, cfg sim.Config) *config.Config {
	t.Helper()
	c, err := sim.LoadConfig(cfg)
	if err != nil {
		t.Fatalf("the written config does not load: %v", err)
	}
	return c
}

func TestDeterministic(t *testing.T) {
	cfg := sim.Config{Agents: 30, Queues: 3, Duration: 2 * time.Hour, Seed: 7}
	a, b := encode(t, collect(t, cfg)), encode(t, collect(t, cfg))
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	cfg.Seed = 8
	if c := encode(t, collect(t, cfg)); bytes.Equal(a, c) {
		t.Fatal("seeds 7 and 8 give the same events")
	}
	if len(a) == 0 {
		t.Fatal("no events")
	}
}

func TestEventsDecodeAgainstTopology(t *testing.T) {
	for _, cfg := range []sim.Config{
		{Seed: 1, Duration: 2 * time.Hour},
		{Seed: 2, Agents: 12, Queues: 5, Groups: 3, Duration: time.Hour},
		{Seed: 3, Agents: 7, Queues: 1, Groups: 1, Duration: time.Hour, Rate: 3},
		{Seed: 4, Agents: 40, Queues: 2, Groups: 6, Duration: 90 * time.Minute, Tenant: "Bank"},
	} {
		topo := loadConfig(t, cfg).Topology
		events := collect(t, cfg)
		dec := event.NewDecoder(bytes.NewReader(encode(t, events)), event.Options{Resolver: &topo})
		for i := 0; ; i++ {
			e, rej, err := dec.Next()
			if err != nil {
				if i != len(events) {
					t.Fatalf("seed %d: decoded %d of %d events: %v", cfg.Seed, i, len(events), err)
				}
				break
			}
			if rej != nil {
				t.Fatalf("seed %d: rejected: %s", cfg.Seed, rej.Error())
			}
			e.Line = 0
			if !sameEvent(e, events[i]) {
				t.Fatalf("seed %d: event %d decodes as %+v, want %+v", cfg.Seed, i, e, events[i])
			}
		}
	}
}

// sameEvent compares events field by field (Data by content).
func sameEvent(a, b event.Event) bool {
	if len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			return false
		}
	}
	return a.Time == b.Time && a.Action == b.Action && a.Phase == b.Phase && a.Source == b.Source &&
		a.Interaction == b.Interaction && a.Media == b.Media && a.Agent == b.Agent && a.Place == b.Place &&
		a.Duration == b.Duration
}

// instanceKey is a durable action instance.
type instanceKey struct {
	src         event.Source
	act         action.ID
	interaction string
}

func TestDurablePairingAndOrder(t *testing.T) {
	var cfgs []sim.Config
	for seed := uint64(1); seed <= 5; seed++ {
		cfgs = append(cfgs, sim.Config{Seed: seed, Agents: 25, Queues: 3, Duration: 3 * time.Hour})
	}
	// Under the demo's load agents log out and in again as staffing follows the load.
	for seed := uint64(6); seed <= 7; seed++ {
		cfgs = append(cfgs, sim.Demo(sim.Config{Seed: seed, Agents: 25, Queues: 3, Duration: 3 * time.Hour}))
	}
	for _, cfg := range cfgs {
		seed := cfg.Seed
		open := map[instanceKey]event.Time{}
		var last event.Time
		for i, e := range collect(t, cfg) {
			if e.Time < last {
				t.Fatalf("seed %d: event %d at %s is before %s", seed, i, e.Time, last)
			}
			last = e.Time
			k := instanceKey{e.Source, e.Action, e.Interaction}
			switch kind := e.Action.Kind(); {
			case kind == action.KindDurable && e.Phase == event.PhaseStart:
				if _, dup := open[k]; dup {
					t.Fatalf("seed %d: event %d: second start of %v", seed, i, k)
				}
				open[k] = e.Time
			case kind == action.KindDurable && e.Phase == event.PhaseEnd:
				if _, ok := open[k]; !ok {
					t.Fatalf("seed %d: event %d: end without start of %v", seed, i, k)
				}
				delete(open, k)
			case e.Phase != event.PhaseNone:
				t.Fatalf("seed %d: event %d: phase on %s action %s", seed, i, kind, e.Action)
			case kind == action.KindRetrospective && (e.Duration < 0 || event.Time(e.Duration) > e.Time-event.TimeOf(cfg.WithDefaults().Start)):
				t.Fatalf("seed %d: event %d: %s duration %d ms reaches before the start", seed, i, e.Action, e.Duration)
			}
			if e.Action.IsInteraction() != (e.Interaction != "") {
				t.Fatalf("seed %d: event %d: %s with interaction %q", seed, i, e.Action, e.Interaction)
			}
		}
	}
}

// stats are behaviour figures measured from an event stream.
type stats struct {
	entered, abandoned, answered int
	talkMean                     float64 // seconds
	utilisation                  float64 // share of logged-in time ringing, connected or in ACW
	notReady                     float64 // share of logged-in time not ready
	holds, consults              int
	perHour                      float64 // events per simulated hour
}

// measure computes stats from events, by pairing durable starts and ends.
func measure(events []event.Event, span time.Duration) stats {
	var st stats
	starts := map[instanceKey]event.Time{}
	var talk, loggedIn, busy, notReady float64
	loggedInSince := map[string]event.Time{}
	for _, e := range events {
		k := instanceKey{e.Source, e.Action, e.Interaction}
		var d float64
		if e.Phase == event.PhaseStart {
			starts[k] = e.Time
		} else if e.Phase == event.PhaseEnd {
			d = float64(e.Time-starts[k]) / 1000
			delete(starts, k)
		}
		switch {
		case e.Action == action.CallEntered:
			st.entered++
		case e.Action == action.CallAbandoned:
			st.abandoned++
		case e.Action == action.CallInbound && e.Phase == event.PhaseEnd:
			st.answered++
			talk += d
			busy += d
		case e.Action == action.CallRinging && e.Phase == event.PhaseEnd, e.Action == action.AfterCallWork && e.Phase == event.PhaseEnd:
			busy += d
		case e.Action == action.NotReadyForNextCall && e.Phase == event.PhaseEnd:
			notReady += d
		case e.Action == action.CallHeld:
			st.holds++
		case e.Action == action.CallConsultStarted:
			st.consults++
		case e.Action == action.LoggedIn && e.Phase == event.PhaseStart:
			loggedInSince[e.Source.ID] = e.Time
		case e.Action == action.LoggedIn && e.Phase == event.PhaseEnd:
			loggedIn += d
			delete(loggedInSince, e.Source.ID)
		}
	}
	end := events[len(events)-1].Time
	for _, t := range loggedInSince {
		loggedIn += float64(end-t) / 1000
	}
	st.talkMean = talk / float64(st.answered)
	st.utilisation = busy / loggedIn
	st.notReady = notReady / loggedIn
	st.perHour = float64(len(events)) / span.Hours()
	return st
}

func TestBehaviour(t *testing.T) {
	cfg := sim.Config{Seed: 11, Agents: 60, Queues: 4, Duration: 12 * time.Hour}
	events := collect(t, cfg)
	st := measure(events, cfg.Duration)
	abandon := float64(st.abandoned) / float64(st.entered)
	t.Logf("defaults (60 agents, %.1f calls/min): %d calls, %.1f%% abandoned, mean talk %.1f s, utilisation %.1f%%, not ready %.1f%%, %d holds, %d consults, %.0f events per simulated hour",
		sim.Config(cfg).WithDefaults().Rate, st.entered, 100*abandon, st.talkMean, 100*st.utilisation, 100*st.notReady, st.holds, st.consults, st.perHour)
	if abandon < 0.01 || abandon > 0.40 {
		t.Errorf("abandon ratio %.3f is outside [0.01, 0.40]", abandon)
	}
	if mean := sim.DefaultTalkMean.Seconds(); math.Abs(st.talkMean-mean) > 0.2*mean {
		t.Errorf("mean talk time %.1f s is not within 20%% of %.0f s", st.talkMean, mean)
	}
	if st.utilisation < 0.5 || st.utilisation > 0.98 {
		t.Errorf("utilisation %.3f is implausible", st.utilisation)
	}
	if st.notReady < 0.05 || st.notReady > 0.35 {
		t.Errorf("not-ready share %.3f is implausible", st.notReady)
	}
	if answered := float64(st.answered) / float64(st.entered); answered < 0.5 {
		t.Errorf("only %.2f of the calls were answered", answered)
	}
	if h := float64(st.holds) / float64(st.answered); h < 0.1 || h > 0.25 {
		t.Errorf("hold share %.3f, want about 0.15 + consults", h)
	}
	if st.consults == 0 {
		t.Error("no consultation calls")
	}
}

func TestReasonCodesAndLogouts(t *testing.T) {
	events := collect(t, sim.Config{Seed: 5, Agents: 40, Duration: 4 * time.Hour})
	reasons := map[string]int{}
	logins, logouts := 0, 0
	for _, e := range events {
		switch {
		case e.Action == action.NotReadyForNextCall && e.Phase == event.PhaseStart:
			r, _ := e.Data.Get(sim.ReasonKey)
			reasons[r]++
		case e.Action == action.LoggedIn && e.Phase == event.PhaseStart:
			logins++
			if e.Agent == "" {
				t.Fatal("LoggedIn start without agent")
			}
		case e.Action == action.LoggedIn && e.Phase == event.PhaseEnd:
			logouts++
		}
	}
	for _, r := range []string{"Break", "Training", "Lunch"} {
		if reasons[r] == 0 {
			t.Errorf("no not-ready period with reason %s (%v)", r, reasons)
		}
	}
	if logins != 40 || logouts == 0 || logouts > 25 {
		t.Errorf("%d logins and %d logouts for 40 agents", logins, logouts)
	}
}

func TestTopology(t *testing.T) {
	cfg := sim.Config{Agents: 6001, Queues: 20, Groups: 50, Tenant: "T"}
	topo := sim.Topology(cfg)
	if len(topo.Agents) != 6001 || len(topo.Places) != 6001 || len(topo.DNs) != 6021 || len(topo.AgentGroups) != 50 {
		t.Fatalf("topology sizes: %d agents, %d places, %d DNs, %d groups", len(topo.Agents), len(topo.Places), len(topo.DNs), len(topo.AgentGroups))
	}
	ids := map[string]bool{}
	for _, a := range topo.Agents {
		ids[a.ID] = true
	}
	for _, d := range topo.DNs {
		if ids[d.ID] {
			t.Fatalf("DN %s has an agent's id", d.ID)
		}
		if d.Tenant != "T" {
			t.Fatalf("DN %s in tenant %q", d.ID, d.Tenant)
		}
	}
	inGroups := map[string]int{}
	for _, g := range topo.AgentGroups {
		if len(g.Members) == 0 {
			t.Errorf("group %s is empty", g.ID)
		}
		for _, m := range g.Members {
			inGroups[m]++
		}
	}
	for _, a := range topo.Agents {
		if n := inGroups[a.ID]; n < 1 || n > 2 {
			t.Fatalf("agent %s is in %d groups", a.ID, n)
		}
	}
	small := sim.Topology(sim.Config{Agents: 3, Queues: 2})
	if small.Agents[0].ID != "1001" || small.DNs[0].ID != "7001" || small.DNs[0].Place != "P1001" ||
		small.DNs[3].ID != "Q1@SW1" || small.DNs[3].Type != object.DNACDQueue || small.QueueGroups[0].ID != sim.AllQueuesGroup {
		t.Fatalf("unexpected ids: %+v %+v %+v", small.Agents[0], small.DNs[0], small.DNs[3])
	}
	loaded := loadConfig(t, sim.Config{Agents: 300, Queues: 7, Groups: 9}).Topology
	if len(loaded.AgentGroups) != 9 || len(loaded.QueueGroups) != 1 || len(loaded.Agents) != 300 {
		t.Fatalf("loaded topology sizes: %d agent groups, %d queue groups, %d agents", len(loaded.AgentGroups), len(loaded.QueueGroups), len(loaded.Agents))
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []sim.Config{
		{Agents: -1},
		{Agents: 3, Groups: 4},
		{Rate: -2},
		{Duration: -time.Second},
		{RingMin: 10 * time.Second, RingMax: 3 * time.Second},
	} {
		if _, err := sim.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestRunStopsOnError(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 1, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = s.Run(context.Background(), func(event.Event) error {
		if n++; n == 100 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 100 {
		t.Fatalf("Run returned %v after %d events", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx, func(event.Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run on a cancelled context returned %v", err)
	}
}

func BenchmarkNext(b *testing.B) {
	cfg := sim.Config{Seed: 1, Agents: 1000, Queues: 20, Groups: 50, Duration: 24 * time.Hour}
	s, err := sim.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, ok := s.Next(); !ok {
			b.StopTimer()
			if s, err = sim.New(cfg); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func TestNegativeValuesTurnBehaviourOff(t *testing.T) {
	cfg := sim.Config{Seed: 9, Agents: 20, Duration: 2 * time.Hour, HoldProbability: -1, ConsultProbability: -1,
		BreaksPerHour: -1, LogoutFraction: -1, LoginSpread: -1}
	start := event.TimeOf(cfg.WithDefaults().Start)
	for _, e := range collect(t, cfg) {
		switch e.Action {
		case action.CallOnHold, action.CallHeld, action.CallConsult, action.CallDialing, action.NotReadyForNextCall, action.AgentLogout:
			t.Fatalf("%s happened although turned off", e.Action)
		case action.AgentLoginRegularDNs:
			if e.Time != start {
				t.Fatalf("login at %s, want all at %s", e.Time, start)
			}
		}
	}
}
