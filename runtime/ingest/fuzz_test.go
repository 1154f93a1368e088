package ingest

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/event"
)

// FuzzPipeline drives a pipeline and the plain model with batches, ticks and flushes
// read from the input, snapshots and restores the pipeline halfway, and requires the
// same engine trace and late lines from both, and no event older than the engine clock.
func FuzzPipeline(f *testing.F) {
	f.Add([]byte{0, 10, 0, 3, 1, 200, 2, 5, 0, 0, 3})
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 255, 255, 1, 0, 0, 2, 0, 3, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		win := time.Duration(data[0]%8) * 500 * time.Millisecond
		data = data[1:]
		eng := &fakeEngine{}
		p := New(eng, Options{Window: win, KeyWindow: time.Minute, MaxKeys: 4})
		m := &model{win: event.Time(win.Milliseconds()), eng: &fakeEngine{}}
		var lates []Late
		cur, wall, line := event.Time(100_000), event.Time(1_000_000), 0
		half := len(data) / 2
		for i := 0; i+2 < len(data); i += 3 {
			if i >= half && half > 0 {
				snap, err := p.AppendSnapshot(nil)
				if err != nil {
					t.Fatal(err)
				}
				q, rest, err := Restore(eng, snap)
				if err != nil || len(rest) > 0 {
					t.Fatalf("restore: %v (%d bytes left)", err, len(rest))
				}
				p, half = q, 0
			}
			op, a, b := data[i], data[i+1], data[i+2]
			d := event.Time(int16(binary.LittleEndian.Uint16([]byte{a, b})))
			switch op % 4 {
			case 0, 1: // a batch of 1-4 events around the current time
				var evs []event.Event
				for k := range 1 + int(op/4%4) {
					line++
					evs = append(evs, ev(line, cur+d*event.Time(k+1)*7))
				}
				cur += max(d, 0)
				wall += event.Time(a)
				r := p.Batch(&Batch{Input: "f", Wall: wall, Events: slices.Clone(evs)})
				lates = append(lates, r.Answer.Late...)
				m.batch(evs, wall)
			case 2:
				wall += event.Time(a) * 20
				tk := Tick{Wall: wall, Time: cur + d, Advance: b%2 == 0}
				p.Tick(tk)
				m.tick(tk)
			case 3:
				p.Flush()
				m.release(event.Time(1 << 62))
			}
		}
		if !slices.Equal(m.eng.trace, eng.trace) {
			t.Fatalf("traces differ:\n%v\n%v", m.eng.trace, eng.trace)
		}
		if !slices.Equal(m.lates, lates) {
			t.Fatalf("late lines differ:\n%v\n%v", m.lates, lates)
		}
	})
}

// FuzzRestore: any bytes given to Restore give a pipeline or an error, never a panic.
func FuzzRestore(f *testing.F) {
	p := New(&fakeEngine{}, Options{Window: time.Second, MaxKeys: 10})
	p.Batch(&Batch{Input: "a", Key: "k", Wall: 5, Events: []event.Event{ev(1, 100), ev(2, 50)}})
	snap, err := p.AppendSnapshot(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(snap)
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		q, _, err := Restore(&fakeEngine{}, data)
		if err == nil {
			q.Flush()
		}
	})
}
