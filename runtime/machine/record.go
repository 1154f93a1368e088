package machine

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
)

// Record kinds: byte 0 of a log record.
const (
	// KindBatch: 'B', a JSON header line (BatchHeader), then the batch's accepted NDJSON
	// lines as received; a line rejected at receipt is left empty, so that line numbers
	// stay those of the body.
	KindBatch = 'B'
	// KindTick: 'T', the clock: varint event time, varint wall time (Unix ms), one flags
	// byte (1: advance the engine clock to the event time; 0: a flush by wall time only).
	// The old form, a varint event time alone, advances.
	KindTick = 'T'
	// KindOpen: 'O', a statistic opened through the API (OpenRecord JSON).
	KindOpen = 'O'
	// KindClose: 'C', then the id of a statistic closed through the API.
	KindClose = 'C'
	// KindReload: 'R', then the new config's text (YAML).
	KindReload = 'R'
	// KindSettings: 'S', the pipeline's settings from now on (SettingsRecord JSON).
	KindSettings = 'S'
	// KindEvents: 'E', then NDJSON events applied in order without the pipeline: the
	// format of data directories written before the pipeline, still read.
	KindEvents = 'E'
)

// BatchHeader is the first line of a batch record: everything about the batch that was
// decided at receipt.
type BatchHeader struct {
	// Input names the input the batch came from ("http", "demo", a source's name).
	Input string `json:"in"`
	// Key is the idempotency key ("" for none); Sum identifies the body (Sum).
	Key string `json:"key,omitempty"`
	Sum uint64 `json:"sum,omitempty"`
	// Wall is the receipt wall time in Unix milliseconds (0: none).
	Wall int64 `json:"wall,omitempty"`
	// Line is the number of the body's first line (1 for a request body; a source's
	// batches continue its numbering).
	Line int `json:"line,omitempty"`
	// Rejected are the first ingest.MaxListed lines rejected at receipt (decoding, future
	// events) and RejectedTotal their number.
	Rejected      []event.Rejection `json:"rej,omitempty"`
	RejectedTotal int               `json:"rejn,omitempty"`
	// Position is the input's position after this batch (opaque to the machine; a source
	// resumes from it).
	Position []byte `json:"pos,omitempty"`
}

// AppendBatch appends the batch record of h and body (the NDJSON lines) to dst.
func AppendBatch(dst []byte, h *BatchHeader, body []byte) ([]byte, error) {
	hb, err := json.Marshal(h)
	if err != nil {
		return dst, fmt.Errorf("machine: batch header: %w", err)
	}
	dst = append(dst, KindBatch)
	dst = append(dst, hb...)
	dst = append(dst, '\n')
	return append(dst, body...), nil
}

// DecodeBatch splits a batch record into its header and body.
func DecodeBatch(rec []byte) (BatchHeader, []byte, error) {
	var h BatchHeader
	if len(rec) == 0 || rec[0] != KindBatch {
		return h, nil, errors.New("not a batch record")
	}
	line, body, ok := bytes.Cut(rec[1:], []byte{'\n'})
	if !ok {
		return h, nil, errors.New("batch record without a header line")
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, nil, fmt.Errorf("batch header: %v", err)
	}
	if h.Line < 0 || h.RejectedTotal < 0 {
		return h, nil, errors.New("batch header: negative line or count")
	}
	return h, body, nil
}

// DecodeEvents decodes a batch body (or an 'E' record's) with resolver, numbering the
// lines from first. Lines rejected at receipt are empty and skipped; a line the decoder
// refuses now (it accepted it at receipt) is returned as a rejection.
func DecodeEvents(body []byte, first int, resolver event.Resolver) ([]event.Event, []event.Rejection, error) {
	dec := event.NewDecoder(bytes.NewReader(body), event.Options{Resolver: resolver, MaxLineBytes: len(body) + 1})
	var (
		evs  []event.Event
		rejs []event.Rejection
	)
	off := max(first, 1) - 1
	for {
		ev, rej, err := dec.Next()
		switch {
		case err != nil:
			if errors.Is(err, io.EOF) {
				return evs, rejs, nil
			}
			return nil, nil, err
		case rej != nil:
			rej.Line += off
			rejs = append(rejs, *rej)
		default:
			ev.Line += off
			evs = append(evs, ev)
		}
	}
}

// AppendTick appends a tick record to dst.
func AppendTick(dst []byte, t ingest.Tick) []byte {
	dst = append(dst, KindTick)
	dst = binary.AppendVarint(dst, int64(t.Time))
	dst = binary.AppendVarint(dst, int64(t.Wall))
	if t.Advance {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// DecodeTick reads a tick record (either form).
func DecodeTick(rec []byte) (ingest.Tick, error) {
	if len(rec) == 0 || rec[0] != KindTick {
		return ingest.Tick{}, errors.New("not a tick record")
	}
	b := rec[1:]
	t, n := binary.Varint(b)
	if n <= 0 {
		return ingest.Tick{}, errors.New("bad tick record")
	}
	b = b[n:]
	if len(b) == 0 { // the old form
		return ingest.Tick{Time: event.Time(t), Advance: true}, nil
	}
	w, n := binary.Varint(b)
	if n <= 0 || len(b) != n+1 || b[n] > 1 {
		return ingest.Tick{}, errors.New("bad tick record")
	}
	return ingest.Tick{Time: event.Time(t), Wall: event.Time(w), Advance: b[n] == 1}, nil
}

// OpenRecord is the JSON of an open record. Spec.ID is empty in the records this
// machine's users append (the machine names the statistic "s-N" when it applies the
// record); older records carry the id that was given.
type OpenRecord struct {
	Spec         config.StatisticSpec `json:"spec"`
	Notification config.Notification  `json:"notification"`
	// Owner names the token that opened the statistic ("" without tokens).
	Owner string `json:"owner,omitempty"`
}

// AppendOpen appends the open record of st (its id left out) and owner to dst.
func AppendOpen(dst []byte, st *config.Statistic, owner string) []byte {
	sp := SpecOf(st)
	sp.ID = ""
	b, err := json.Marshal(OpenRecord{Spec: sp, Notification: st.Notification, Owner: owner})
	if err != nil { // plain strings and numbers always encode
		panic(err)
	}
	return append(append(dst, KindOpen), b...)
}

// AppendClose appends the close record of statistic id to dst.
func AppendClose(dst []byte, id string) []byte { return append(append(dst, KindClose), id...) }

// AppendReload appends the reload record of a config's text to dst.
func AppendReload(dst []byte, text []byte) []byte { return append(append(dst, KindReload), text...) }

// SettingsRecord is the JSON of a settings record: the pipeline's settings.
type SettingsRecord struct {
	WindowMs    int64 `json:"windowMs"`
	KeyWindowMs int64 `json:"keyWindowMs"`
	MaxKeys     int   `json:"maxKeys"`
	MaxKeyBytes int   `json:"maxKeyBytes"`
}

// AppendSettings appends the settings record of o to dst.
func AppendSettings(dst []byte, o ingest.Options) []byte {
	b, _ := json.Marshal(SettingsRecord{WindowMs: o.Window.Milliseconds(), KeyWindowMs: o.KeyWindow.Milliseconds(),
		MaxKeys: o.MaxKeys, MaxKeyBytes: o.MaxKeyBytes})
	return append(append(dst, KindSettings), b...)
}

// DecodeSettings reads a settings record.
func DecodeSettings(rec []byte) (ingest.Options, error) {
	if len(rec) == 0 || rec[0] != KindSettings {
		return ingest.Options{}, errors.New("not a settings record")
	}
	return decodeSettings(rec[1:])
}

// decodeSettings reads a settings record's payload.
func decodeSettings(body []byte) (ingest.Options, error) {
	var s SettingsRecord
	if err := json.Unmarshal(body, &s); err != nil {
		return ingest.Options{}, fmt.Errorf("settings record: %v", err)
	}
	if s.WindowMs < 0 || s.KeyWindowMs < 0 || s.MaxKeys < 0 || s.MaxKeyBytes < 0 {
		return ingest.Options{}, errors.New("settings record: a negative setting")
	}
	return ingest.Options{Window: time.Duration(s.WindowMs) * time.Millisecond, KeyWindow: time.Duration(s.KeyWindowMs) * time.Millisecond,
		MaxKeys: s.MaxKeys, MaxKeyBytes: s.MaxKeyBytes}, nil
}

// SpecOf names the parts of st.
func SpecOf(st *config.Statistic) config.StatisticSpec {
	sp := config.StatisticSpec{ID: st.ID, StatType: st.StatType.Name,
		Object: config.ObjectSpec{Type: st.Object.Type.String(), ID: st.Object.ID}}
	if st.Profile != nil {
		sp.Profile = st.Profile.Name
	}
	if st.TimeRange != nil {
		sp.TimeRange = st.TimeRange.Name
	}
	if st.Filter != nil {
		sp.Filter = st.Filter.Name
	}
	return sp
}
