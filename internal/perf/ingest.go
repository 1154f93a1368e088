package perf

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
)

// ingestState is NDJSONIngest's: the pipeline, the batch being gathered and the number
// of batches (their idempotency keys).
type ingestState struct {
	pipe  *ingest.Pipeline
	batch []event.Event
	n     int64
	key   []byte
}

// NDJSONIngest is NDJSON through the ingest pipeline as statkit serve runs it (issue 13,
// and issue 19's budget for it): lines are read and decoded into batches of BatchSize,
// each batch is sequenced with an idempotency key under the default settings (a 2 s
// reorder window, keys kept 24 h), the events the window releases are applied, and the
// engine's Changed is drained after each batch. At the end of a call the window is
// flushed, so that the engine is where the other measurements expect it.
func (w *Workload) NDJSONIngest(t Timer, n int) error {
	if len(w.Events) == 0 {
		return ErrNoEvents
	}
	st := &w.ingest
	if st.pipe == nil {
		st.pipe = ingest.New(w.Engine, ingest.DefaultOptions())
		st.batch = make([]event.Event, 0, BatchSize)
	}
	for n > 0 {
		if w.bufCycle != w.cycle {
			t.StopTimer()
			err := w.encode(w.cycle)
			t.StartTimer()
			if err != nil {
				return err
			}
		}
		if w.decAt != w.k {
			if w.rd == nil {
				w.rd = bytes.NewReader(nil)
				w.dec = event.NewDecoder(w.rd, event.Options{Resolver: w.Engine})
			}
			w.rd.Reset(w.buf[w.lineAt[w.k]:])
			w.dec.Reset(w.rd)
			w.decAt = w.k
		}
		for ; n > 0 && w.k < len(w.Events); n-- {
			ev, rej, err := w.dec.Next()
			if err != nil {
				return fmt.Errorf("perf: NDJSON cycle %d line %d: %w", w.cycle, w.k, err)
			}
			if rej != nil {
				return fmt.Errorf("perf: NDJSON cycle %d line %d: %s", w.cycle, w.k, rej.Reason)
			}
			st.batch = append(st.batch, ev)
			if len(st.batch) == BatchSize {
				if err := w.sequence(); err != nil {
					return err
				}
			}
			w.k++
			w.decAt++
		}
		if w.k == len(w.Events) {
			w.k, w.cycle = 0, w.cycle+1
		}
	}
	if err := w.sequence(); err != nil {
		return err
	}
	if o := st.pipe.Flush(); len(o.Rejected) > 0 {
		return fmt.Errorf("perf: ingest: %v", o.Rejected[0].Rejection)
	}
	w.changed = w.Engine.Changed(w.changed[:0])
	return nil
}

// sequence hands the gathered batch to the pipeline with a key of its own.
func (w *Workload) sequence() error {
	st := &w.ingest
	if len(st.batch) == 0 {
		return nil
	}
	st.n++
	st.key = strconv.AppendInt(append(st.key[:0], 'b'), st.n, 10)
	r := st.pipe.Batch(&ingest.Batch{Input: "perf", Key: string(st.key), Wall: st.batch[len(st.batch)-1].Time, Events: st.batch})
	if len(r.Outcome.Rejected) > 0 || r.Answer.LateTotal > 0 {
		return fmt.Errorf("perf: ingest: %d rejected, %d late", len(r.Outcome.Rejected), r.Answer.LateTotal)
	}
	st.batch = st.batch[:0]
	w.changed = w.Engine.Changed(w.changed[:0])
	return nil
}
