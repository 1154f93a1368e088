package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/statkit/statkit/runtime/event"
)

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
