package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/sim"
)

// demoStatTypes, demoProfiles and demoRanges are what the demo adds to the stat types,
// time profiles and time ranges of sim.WriteConfig.
const (
	demoStatTypes = `
ServiceLevel:
  objects: [Queue, GroupQueues]
  category: ServiceFactor1
  subject: DNAction
  mainMask: [CallDistributed]
  relMask: [CallAbandoned]
  description: Calls distributed within 20 s over calls distributed plus calls abandoned after 20 s, in percent.
QueueCallsAnswered:
  objects: [Queue, GroupQueues]
  category: TotalNumber
  subject: DNAction
  mainMask: [CallAnswered]
  description: Calls answered by an agent today.
TimeInState:
  objects: [Agent]
  category: CurrentTime
  subject: AgentStatus
  mainMask: ["*"]
  description: Time the agent has been in its current state, in seconds.
`
	demoProfiles = `
Last15: {type: Sliding, window: 900, step: 60}
`
	demoRanges = `
SL20: "0-20"
`
)

// DemoConfig returns the built-in wallboard config of the simulated contact center c:
// the topology, stat types and statistics of sim.WriteConfig — per queue and for all
// queues calls entered, distributed, abandoned, waiting, average and longest wait; per
// agent group agents ready, on a call, not ready, in after-call work, calls answered and
// average handle time (AverageTime of CallInbound); per agent its current state — plus
// per queue and for all queues the service level of the last 15 minutes (ServiceFactor1,
// distributed within 20 s against abandoned after 20 s, Sliding profile Last15) and
// calls answered; per agent the time in its current state.
func DemoConfig(c sim.Config) (*config.Config, error) {
	cfg, _, err := DemoConfigText(c)
	return cfg, err
}

// DemoConfigText is DemoConfig, with the config's text (for Options.ConfigText, so that
// a demo's data directory can be replayed from its log).
func DemoConfigText(c sim.Config) (*config.Config, []byte, error) {
	var buf bytes.Buffer
	if err := sim.WriteConfig(&buf, c); err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	for _, sec := range []struct{ key, yaml string }{
		{"statTypes", demoStatTypes}, {"timeProfiles", demoProfiles}, {"timeRanges", demoRanges},
	} {
		if err := mergeMapping(&doc, sec.key, sec.yaml); err != nil {
			return nil, nil, fmt.Errorf("demo config: %w", err)
		}
	}
	stats := mapValue(&doc, "statistics")
	if stats == nil || stats.Kind != yaml.SequenceNode {
		return nil, nil, errors.New("demo config: sim.WriteConfig wrote no statistics")
	}
	t := sim.Topology(c)
	add := func(id, statType string, typ object.Type, objID string, more ...string) {
		stats.Content = append(stats.Content, statisticNode(id, statType, typ.String(), objID, more...))
	}
	for _, d := range t.DNs {
		if d.Type.ObjectType() == object.TypeQueue {
			add(d.ID+".ServiceLevel", "ServiceLevel", object.TypeQueue, d.ID, "profile", "Last15", "timeRange", "SL20")
			add(d.ID+".CallsAnswered", "QueueCallsAnswered", object.TypeQueue, d.ID)
		}
	}
	for _, g := range t.QueueGroups {
		add(g.ID+".ServiceLevel", "ServiceLevel", object.TypeGroupQueues, g.ID, "profile", "Last15", "timeRange", "SL20")
		add(g.ID+".CallsAnswered", "QueueCallsAnswered", object.TypeGroupQueues, g.ID)
	}
	for _, a := range t.Agents {
		add("Agent"+a.ID+".TimeInState", "TimeInState", object.TypeAgent, a.ID)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	cfg, err := config.LoadWith("demo.yaml", bytes.NewReader(out), machine.LoadOptions)
	if err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	return cfg, out, nil
}

// mergeMapping adds the entries of the YAML mapping text to the top-level mapping key
// of doc, creating it when absent.
func mergeMapping(doc *yaml.Node, key, text string) error {
	var extra yaml.Node
	if err := yaml.Unmarshal([]byte(text), &extra); err != nil {
		return err
	}
	m := mapValue(doc, key)
	if m == nil {
		root := doc.Content[0]
		m = &yaml.Node{Kind: yaml.MappingNode}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, m)
	}
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("%s is not a mapping", key)
	}
	m.Content = append(m.Content, extra.Content[0].Content...)
	return nil
}

// mapValue returns the value of key in the top-level mapping of doc, or nil.
func mapValue(doc *yaml.Node, key string) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// statisticNode builds {id, statType, object: {type, id}, more…} as a YAML flow mapping;
// more are key, value pairs.
func statisticNode(id, statType, typ, objID string, more ...string) *yaml.Node {
	str := func(s string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
	}
	key := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	obj := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle,
		Content: []*yaml.Node{key("type"), str(typ), key("id"), str(objID)}}
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle,
		Content: []*yaml.Node{key("id"), str(id), key("statType"), str(statType), key("object"), obj}}
	for i := 0; i+1 < len(more); i += 2 {
		n.Content = append(n.Content, key(more[i]), str(more[i+1]))
	}
	return n
}

// EventSource yields events in time order, waiting until each is due; *sim.Paced is one.
type EventSource interface {
	// Next returns the next event, io.EOF at the end, or ctx's error.
	Next(ctx context.Context) (event.Event, error)
}

// maxFeedBatch bounds the events Feed ingests as one batch.
const maxFeedBatch = 1024

// InputDemo is the input name of the demo simulator's batches.
const InputDemo = "demo"

// Feed ingests the events of src in process, as input "demo", through the same pipeline
// as every other input, until src ends or ctx is done (both return nil) or the server
// stops (ErrStopped). A goroutine reads src; the events that are due together (all those
// waiting when the previous batch was applied) form one batch, so a statistic that moves
// and moves back within one instant is not notified. Rejected and late events are logged;
// a simulator's events should have no rejection.
func (s *Server) Feed(ctx context.Context, src EventSource) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan event.Event, maxFeedBatch)
	srcErr := make(chan error, 1)
	go func() {
		defer close(events)
		for {
			ev, err := src.Next(ctx)
			if err != nil {
				srcErr <- err
				return
			}
			select {
			case events <- ev:
			case <-ctx.Done():
				srcErr <- ctx.Err()
				return
			}
		}
	}()
	n := 0
	for ev := range events {
		batch := []event.Event{ev} // a new slice: the server keeps the last one
	more:
		for len(batch) < maxFeedBatch {
			select {
			case ev, ok := <-events:
				if !ok {
					break more
				}
				batch = append(batch, ev)
			default:
				break more
			}
		}
		batch[0].Line = n + 1
		n += len(batch)
		res, err := s.IngestBatch(ctx, InputBatch{Input: InputDemo, Events: batch})
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			return fmt.Errorf("feed: %w", err)
		}
		for _, r := range res.Rejected {
			s.log.Warn("fed event rejected", "event", strconv.Itoa(r.Line), "code", r.Code, "reason", r.Reason)
		}
		if res.LateTotal > 0 {
			s.log.Info("fed events late: applied at the engine clock", "events", res.LateTotal)
		}
	}
	switch err := <-srcErr; {
	case errors.Is(err, io.EOF):
		s.log.Info("event source ended", "events", n)
		return nil
	case ctx.Err() != nil:
		return nil
	default:
		return fmt.Errorf("feed: %w", err)
	}
}
