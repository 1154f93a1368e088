package machine

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/input"
)

// KindFrames: 'F', a live source's batch as the platform sent it: a JSON header line
// (FramesHeader), then the frames, each a varint line delta (from the previous frame's
// line plus one), a varint receipt time delta (from the previous frame's, the first from
// the header's Wall), a uvarint length and the frame's bytes. The machine maps the frames
// to events itself, with the input's Mapper, whose state is in the machine's snapshots.
const KindFrames = 'F'

// FramesHeader is the first line of a frames record: everything about the source's
// batch that was decided when it was read.
type FramesHeader struct {
	// Input names the source ("asterisk-queue-log:/var/log/asterisk/queue_log"); Format
	// is its source format (spec/sources).
	Input  string `json:"in"`
	Format string `json:"fmt"`
	// Wall is the receipt wall time in Unix milliseconds (0: none).
	Wall int64 `json:"wall,omitempty"`
	// From is the input's position the batch continues from, Position the one after it.
	// A record whose From is not the input's position when it is applied is stale (two
	// processes read the same lines, or a source resumed from an older position): it is
	// not applied (ErrStalePosition), so a line is never counted twice.
	From     []byte `json:"from,omitempty"`
	Position []byte `json:"pos,omitempty"`
	// Until, when not 0, is the newest event time (Unix ms) accepted: a later event is
	// rejected as a future event (the receipt wall time plus the server's --max-skew).
	Until int64 `json:"until,omitempty"`
	// Attach lists the platform variables kept as attached data (source.Options.Attach).
	Attach []string `json:"attach,omitempty"`
	// Frames is the number of frames that follow.
	Frames int `json:"n"`
}

// ErrStalePosition is the Result.Err of a frames record that does not continue its
// input from the position the machine has for it: it was not applied.
var ErrStalePosition = errors.New("the source batch does not continue from the input's position (read twice, or by two processes): not applied")

// Bounds of a frames record, so that a corrupt one costs no more than its size.
const (
	maxFrames     = 1 << 20
	maxFrameBytes = 2 << 20
)

// AppendFrames appends the frames record of h and frames to dst (h.Frames is set to
// len(frames)).
func AppendFrames(dst []byte, h *FramesHeader, frames []source.Frame) ([]byte, error) {
	h.Frames = len(frames)
	hb, err := json.Marshal(h)
	if err != nil {
		return dst, fmt.Errorf("machine: frames header: %w", err)
	}
	dst = append(dst, KindFrames)
	dst = append(dst, hb...)
	dst = append(dst, '\n')
	line, recv := 0, event.Time(h.Wall)
	for _, f := range frames {
		if len(f.Data) > maxFrameBytes {
			return dst, fmt.Errorf("machine: a frame of %d bytes (at most %d)", len(f.Data), maxFrameBytes)
		}
		dst = binary.AppendVarint(dst, int64(f.Line-line-1))
		dst = binary.AppendVarint(dst, int64(f.Received-recv))
		dst = binary.AppendUvarint(dst, uint64(len(f.Data)))
		dst = append(dst, f.Data...)
		line, recv = f.Line, f.Received
	}
	return dst, nil
}

// DecodeFrames reads a frames record: its header and frames (whose Data alias rec).
func DecodeFrames(rec []byte) (FramesHeader, []source.Frame, error) {
	var h FramesHeader
	if len(rec) == 0 || rec[0] != KindFrames {
		return h, nil, errors.New("not a frames record")
	}
	line, b, ok := bytes.Cut(rec[1:], []byte{'\n'})
	if !ok {
		return h, nil, errors.New("frames record without a header line")
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, nil, fmt.Errorf("frames header: %v", err)
	}
	if h.Frames < 0 || h.Frames > maxFrames || h.Frames > len(b) {
		return h, nil, fmt.Errorf("frames header: %d frames in %d bytes", h.Frames, len(b))
	}
	frames := make([]source.Frame, 0, h.Frames)
	ln, recv := int64(0), int64(h.Wall)
	for range h.Frames {
		dl, n := binary.Varint(b)
		if n <= 0 {
			return h, nil, errors.New("frames record: bad line")
		}
		b = b[n:]
		dr, n := binary.Varint(b)
		if n <= 0 {
			return h, nil, errors.New("frames record: bad receipt time")
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > maxFrameBytes || size > uint64(len(b)-n) {
			return h, nil, errors.New("frames record: bad frame length")
		}
		b = b[n:]
		ln, recv = ln+dl+1, recv+dr
		if ln < 0 || ln > 1<<53 || recv < 0 || recv > int64(event.MaxTime) {
			return h, nil, errors.New("frames record: line or receipt time out of range")
		}
		frames = append(frames, source.Frame{Data: b[:size:size], Line: int(ln), Received: event.Time(recv)})
		b = b[size:]
	}
	if len(b) != 0 {
		return h, nil, fmt.Errorf("frames record: %d bytes after the last frame", len(b))
	}
	return h, frames, nil
}

// SourceResult is what applying a frames record did with the source's frames, besides
// the batch's answer (Result.Batch): the figures of this record alone.
type SourceResult struct {
	// Frames is the number of frames in the record.
	Frames int
	// Stale: the record did not continue the input's position and was not applied.
	Stale bool
	// Unmapped counts the frames of events no rule of the format maps, by event name.
	Unmapped map[string]int64
	// Updates counts the attached-data updates emitted (data changed during a call).
	Updates int64
	// Rejected counts the frames and events refused (decoding, mapping, future events)
	// by rejection code; the first ones are listed in the batch's answer.
	Rejected map[string]int
}

// sourceState is a source input's mapper.
type sourceState struct {
	f      *gs.Format
	dec    source.Decoder
	m      *source.Mapper
	attach []string
	stats  source.Stats // the mapper's counters after the previous record
}

// sourceSnap is a source input's mapper in a snapshot.
type sourceSnap struct {
	Format string          `json:"fmt"`
	Attach []string        `json:"attach,omitempty"`
	State  json.RawMessage `json:"state"`
}

// mapperFor returns input's mapper for format and attach, creating it, or making it
// anew with the old state when the attach list changed.
func (m *Machine) mapperFor(in, format string, attach []string) (*sourceState, error) {
	st := m.src[in]
	if st != nil && st.f.Name == format && slices.Equal(st.attach, attach) {
		st.m.SetTopology(&m.cfg.Topology)
		return st, nil
	}
	f, err := input.Format(format)
	if err != nil {
		return nil, err
	}
	dec, err := input.Decoder(f)
	if err != nil {
		return nil, err
	}
	ns := &sourceState{f: f, dec: dec, attach: slices.Clone(attach), m: m.newMapper(in, f, attach)}
	if st != nil && st.f.Name == format { // the same format: keep presence and calls
		state, err := st.m.MarshalBinary()
		if err != nil {
			return nil, err
		}
		if err := ns.m.UnmarshalBinary(state); err != nil {
			return nil, err
		}
	}
	ns.stats = ns.m.Stats()
	if m.src == nil {
		m.src = map[string]*sourceState{}
	}
	m.src[in] = ns
	return ns, nil
}

// newMapper returns a mapper of format f for input in, over the running topology.
func (m *Machine) newMapper(in string, f *gs.Format, attach []string) *source.Mapper {
	return source.NewMapper(f, source.Options{Topology: &m.cfg.Topology, Attach: slices.Clone(attach),
		Logger: m.log.With("input", in)})
}

// applyFrames maps a frames record's frames with its input's mapper and sequences the
// events as a batch.
func (m *Machine) applyFrames(seq uint64, rec []byte) error {
	h, frames, err := DecodeFrames(rec)
	if err != nil {
		return err
	}
	r := &m.res
	sr := &m.srcRes
	*sr = SourceResult{Frames: len(frames)}
	r.Source, r.Input = sr, h.Input
	if !bytes.Equal(h.From, m.pos[h.Input]) {
		sr.Stale, r.Err = true, ErrStalePosition
		return nil
	}
	st, err := m.mapperFor(h.Input, h.Format, h.Attach)
	if err != nil {
		// A format this build does not know (a log written by a later statkit): like an
		// unknown record kind, it cannot be applied.
		return fmt.Errorf("source %s: %w", h.Input, err)
	}
	evs, rejs := source.MapFrames(st.dec, st.m, frames, m.fevs[:0])
	m.fevs = evs[:0]
	var ans ingest.Answer
	for _, rj := range rejs {
		ans.AddRejection(*rj)
		sr.count(rj.Code)
	}
	if h.Until != 0 {
		kept := evs[:0]
		for _, ev := range evs {
			if ev.Time > event.Time(h.Until) {
				wall := event.Time(h.Wall)
				ans.AddRejection(event.Rejection{Line: ev.Line, Code: ingest.CodeFutureEvent,
					Reason: fmt.Sprintf("event at %v is %v ahead of the server clock at receipt (--max-skew)", ev.Time,
						time.Duration(ev.Time-wall)*time.Millisecond)})
				sr.count(ingest.CodeFutureEvent)
				continue
			}
			kept = append(kept, ev)
		}
		evs = kept
	}
	stats := st.m.Stats()
	for name, n := range stats.Unmapped {
		if d := n - st.stats.Unmapped[name]; d > 0 {
			if sr.Unmapped == nil {
				sr.Unmapped = map[string]int64{}
			}
			sr.Unmapped[name] = d
		}
	}
	sr.Updates = stats.Updates - st.stats.Updates
	st.stats = stats
	b := ingest.Batch{Seq: seq, Input: h.Input, Wall: event.Time(h.Wall), Events: evs,
		Rejected: ans.Rejected, RejectedTotal: ans.RejectedTotal}
	m.batch = m.pipe.Batch(&b)
	r.Batch, r.Outcome = &m.batch, m.batch.Outcome
	m.setPos(h.Input, h.Position)
	return nil
}

// count counts a refusal by code.
func (sr *SourceResult) count(code string) {
	if sr.Rejected == nil {
		sr.Rejected = map[string]int{}
	}
	sr.Rejected[code]++
}

// setPos records input's position (none when pos is empty).
func (m *Machine) setPos(in string, pos []byte) {
	if len(pos) == 0 {
		delete(m.pos, in)
		return
	}
	m.pos[in] = append([]byte(nil), pos...)
}

// sourcesSnapshot returns the source inputs' mappers for a snapshot (nil: none).
func (m *Machine) sourcesSnapshot() (map[string]sourceSnap, error) {
	if len(m.src) == 0 {
		return nil, nil
	}
	out := make(map[string]sourceSnap, len(m.src))
	for _, in := range slices.Sorted(maps.Keys(m.src)) {
		st := m.src[in]
		b, err := st.m.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("machine: source %s: %w", in, err)
		}
		out[in] = sourceSnap{Format: st.f.Name, Attach: st.attach, State: b}
	}
	return out, nil
}

// restoreSources rebuilds the source inputs' mappers of a snapshot.
func (m *Machine) restoreSources(snaps map[string]sourceSnap) error {
	for in, sn := range snaps {
		st, err := m.mapperFor(in, sn.Format, sn.Attach)
		if err != nil {
			return fmt.Errorf("machine: snapshot: source %s: %w", in, err)
		}
		if err := st.m.UnmarshalBinary(sn.State); err != nil {
			return fmt.Errorf("machine: snapshot: source %s: %w", in, err)
		}
	}
	return nil
}
