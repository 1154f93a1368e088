package machine

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/ingest"
)

// snapVersion is the version of the snapshots Snapshot writes; Restore reads 1 too.
const snapVersion = 2

// snapHeader is the first line of a machine snapshot.
type snapHeader struct {
	Version int    `json:"version"`
	Config  string `json:"config,omitempty"`
	// API lists the statistics opened through the API, in open order; Owners their
	// owners (those that have one).
	API    []string          `json:"api"`
	Owners map[string]string `json:"owners,omitempty"`
	Next   int               `json:"next"`
	// Positions are the inputs' positions; Applied the last record applied.
	Positions map[string][]byte `json:"positions,omitempty"`
	Applied   uint64            `json:"applied,omitempty"`
	// Sources are the source inputs' mappers (agent presence, calls in progress).
	Sources map[string]sourceSnap `json:"sources,omitempty"`
}

// Snapshot appends the machine's state to buf: a JSON header line, the pipeline's state
// (uvarint length, then the bytes) and the engine's snapshot.
func (m *Machine) Snapshot(buf *bytes.Buffer) error {
	h := snapHeader{Version: snapVersion, Config: string(m.cfgText), API: []string{}, Next: m.next,
		Applied: m.applied}
	for _, st := range m.eng.Statistics() {
		if owner, ok := m.api[st.ID]; ok {
			h.API = append(h.API, st.ID)
			if owner != "" {
				if h.Owners == nil {
					h.Owners = map[string]string{}
				}
				h.Owners[st.ID] = owner
			}
		}
	}
	if len(m.pos) > 0 {
		h.Positions = m.pos
	}
	var err error
	if h.Sources, err = m.sourcesSnapshot(); err != nil {
		return err
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("machine: snapshot header: %w", err)
	}
	buf.Write(hb)
	buf.WriteByte('\n')
	if m.scratch, err = m.pipe.AppendSnapshot(m.scratch[:0]); err != nil {
		return err
	}
	var n [binary.MaxVarintLen64]byte
	buf.Write(n[:binary.PutUvarint(n[:], uint64(len(m.scratch)))])
	buf.Write(m.scratch)
	if cap(m.scratch) > 1<<20 {
		m.scratch = nil // a big key table: do not keep its buffer between snapshots
	}
	return m.eng.Snapshot(buf)
}

// Restore rebuilds a machine from a snapshot payload (version 2, or version 1 from
// before the pipeline: its pipeline starts empty with zero settings, so the caller's
// settings differ and are logged as a settings record). The snapshot's config is used
// when it carries one, else opts.Config.
func Restore(payload []byte, opts Options) (*Machine, error) {
	line, rest, ok := bytes.Cut(payload, []byte("\n"))
	if !ok {
		return nil, errors.New("machine: snapshot without a header line")
	}
	var h snapHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("machine: snapshot header: %v", err)
	}
	if h.Version != 1 && h.Version != snapVersion {
		return nil, fmt.Errorf("machine: snapshot header version %d, this machine reads 1 and %d", h.Version, snapVersion)
	}
	m := newMachine(opts)
	cfg, text := opts.Config, opts.ConfigText
	if h.Config != "" {
		c, err := config.LoadWith("snapshot config", strings.NewReader(h.Config), LoadOptions)
		if err != nil {
			return nil, fmt.Errorf("machine: the snapshot's config: %v", err)
		}
		cfg, text = c, []byte(h.Config)
	}
	if cfg == nil {
		return nil, errors.New("machine: the snapshot has no config and none is given")
	}
	var pipeState []byte
	if h.Version == snapVersion {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, errors.New("machine: snapshot: the pipeline's state is cut short")
		}
		pipeState, rest = rest[k:k+int(n)], rest[k+int(n):]
	}
	eng, err := engine.Restore(cfg, bytes.NewReader(rest))
	if err != nil {
		return nil, fmt.Errorf("machine: %w", err)
	}
	m.eng, m.cfg, m.cfgText, m.next, m.applied = eng, cfg, text, h.Next, h.Applied
	for _, st := range eng.Statistics() {
		m.open[st.ID] = st
	}
	for _, id := range h.API {
		if _, ok := m.open[id]; !ok {
			return nil, fmt.Errorf("machine: snapshot: API statistic %q is not open", id)
		}
		m.api[id] = h.Owners[id]
	}
	for in, p := range h.Positions {
		m.pos[in] = p
	}
	if err := m.restoreSources(h.Sources); err != nil {
		return nil, err
	}
	if pipeState != nil {
		p, extra, err := ingest.Restore(m.driven(), pipeState)
		if err != nil {
			return nil, fmt.Errorf("machine: %w", err)
		}
		if len(extra) > 0 {
			return nil, errors.New("machine: snapshot: data after the pipeline's state")
		}
		m.pipe = p
	} else {
		m.pipe = ingest.New(m.driven(), ingest.Options{})
	}
	m.start()
	return m, nil
}

// SetApplied sets the sequence number of the last record applied: that of the snapshot a
// version 1 machine was restored from (they did not record it).
func (m *Machine) SetApplied(seq uint64) { m.applied = seq }
