// Package store keeps statkit's durable state in a data directory: an append-only log
// of records (the server's accepted event batches, clock ticks, statistic opens and
// closes, config reloads) and periodic snapshots of the engine. On start, the newest valid
// snapshot is loaded and the log after it replayed, so a restart or a crash gives back
// exactly the state that was acknowledged.
//
// # Log
//
// The log is a sequence of records numbered 1, 2, 3, … It is split in segment files
// named by the number of their first record, "%020d.log", of about Options.SegmentBytes
// each (64 MiB by default; a segment is closed once it is larger). A segment starts with
// an 8-byte header, the magic "SKLOG" and the format version "\x00\x00\x01", then its
// records, each framed little-endian:
//
//	length  uint32   payload length in bytes (at most MaxRecord)
//	crc     uint32   CRC-32C (Castagnoli) of seq and payload
//	seq     uint64   the record's number (the previous one's plus one)
//	payload [length]byte
//
// Recovery scans every segment in order and checks headers, numbers and checksums. In
// the last segment, a record that is cut short, a tail of zero bytes, or a bad final record
// (nothing after it) is a torn write: the segment is truncated before it, with a warning,
// and appending resumes there. Any other damage — a bad record in an earlier segment, or
// one followed by more data, a gap in the numbers — is corruption in the middle of the
// log: Open refuses to start with an error naming the file and offset, and nothing is
// truncated (the operator decides; deleting the bad segment and every later one recovers
// the state up to it).
//
// # Fsync policy
//
// Append writes records to the operating system in order and returns their number;
// WaitDurable(seq) returns once record seq is durable under the policy, which is when the
// server acknowledges the events:
//
//   - FsyncAlways: a syncer goroutine fsyncs as soon as records are written (every
//     waiting batch is in the fsync that follows its write; concurrent batches share one,
//     which is group commit with no added delay). A power failure loses no acknowledged
//     record.
//   - FsyncInterval: the syncer fsyncs every Options.FsyncInterval (default 10ms) while
//     records are unsynced; WaitDurable waits for that fsync. Nothing acknowledged is lost
//     either; acknowledgements take up to the interval longer, and a busy server makes
//     far fewer fsyncs.
//   - FsyncNone: records are durable for WaitDurable once written to the operating system,
//     which writes them back when it decides (typically within 30 s on Linux). A crash of
//     the process loses nothing; a power failure or kernel crash loses what the kernel
//     had not written yet, acknowledged or not.
//
// # Snapshots
//
// WriteSnapshot stores a snapshot covering the log up to record seq in "%020d.snap":
//
//	magic   [8]byte  "SKSNAP\x00\x01" (format version 1)
//	seq     uint64   the last log record the snapshot covers
//	length  uint64   payload length
//	payload [length]byte  (the server's: a JSON header line, then an engine snapshot)
//	crc     uint32   CRC-32C of everything before it
//
// It first makes the log durable up to seq (so an older snapshot plus the log can always
// replace it), then writes a temporary file, fsyncs it, renames it into place and fsyncs
// the directory. Then it applies retention: only the newest Options.KeepSnapshots (default
// 2) snapshots are kept, and every segment whose records are all covered by the oldest
// kept snapshot is removed. LoadSnapshot tries the snapshots newest first and falls back
// to an older one (with a warning) when one is damaged or its payload is refused.
package store

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Policy is when the log is fsynced (see the package documentation).
type Policy uint8

// Fsync policies.
const (
	// FsyncAlways fsyncs before any record is reported durable.
	FsyncAlways Policy = iota
	// FsyncInterval fsyncs every Options.FsyncInterval (group commit).
	FsyncInterval
	// FsyncNone leaves write-back to the operating system.
	FsyncNone
)

// ParsePolicy returns the policy named always, interval or none.
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "always":
		return FsyncAlways, nil
	case "interval":
		return FsyncInterval, nil
	case "none":
		return FsyncNone, nil
	}
	return 0, fmt.Errorf("unknown fsync policy %q (always, interval or none)", s)
}

// String returns the policy's name.
func (p Policy) String() string {
	switch p {
	case FsyncAlways:
		return "always"
	case FsyncInterval:
		return "interval"
	case FsyncNone:
		return "none"
	}
	return "Policy(" + strconv.Itoa(int(p)) + ")"
}

// Defaults of Options.
const (
	DefaultSegmentBytes  = 64 << 20
	DefaultFsyncInterval = 10 * time.Millisecond
	DefaultKeepSnapshots = 2
	// MaxRecord bounds a record's payload; a longer length field is damage.
	MaxRecord = 256 << 20
)

// Options configure a Store.
type Options struct {
	// Dir is the data directory, created when missing. Required.
	Dir string
	// Fsync is the fsync policy (default FsyncAlways).
	Fsync Policy
	// FsyncInterval is the group commit period of FsyncInterval (default 10ms).
	FsyncInterval time.Duration
	// SegmentBytes is the size beyond which a segment is closed (default 64 MiB).
	SegmentBytes int64
	// KeepSnapshots is how many snapshots are kept (default 2, at least 1).
	KeepSnapshots int
	// Logger receives warnings (nil: slog.Default()).
	Logger *slog.Logger
}

const (
	segMagic  = "SKLOG\x00\x00\x01"
	snapMagic = "SKSNAP\x00\x01"
	frameHead = 16 // length, crc, seq
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by the errors of damage Open or Replay refuses.
var ErrCorrupt = errors.New("store: corrupt data")

// segment is one log file.
type segment struct {
	first uint64 // its first record's number
	path  string
}

// Store is an open data directory. Append, Sync and WriteSnapshot may be called from one
// goroutine at a time (the server's owner); WaitDurable from any.
type Store struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond
	segs    []segment
	f       *os.File // the segment being appended to
	w       *bufio.Writer
	size    int64
	written uint64 // last record written to the OS
	synced  uint64 // last record durable under the policy
	err     error  // a write or fsync failure: the store refuses further work
	closed  bool
	kick    chan struct{}
	done    chan struct{}
	buf     []byte
}

// Open opens (creating when needed) the data directory and recovers its log (see the
// package documentation).
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("store: no directory")
	}
	if opts.FsyncInterval <= 0 {
		opts.FsyncInterval = DefaultFsyncInterval
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if opts.KeepSnapshots <= 0 {
		opts.KeepSnapshots = DefaultKeepSnapshots
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{opts: opts, log: opts.Logger, kick: make(chan struct{}, 1), done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	if err := s.recover(); err != nil {
		return nil, err
	}
	go s.syncer()
	return s, nil
}

// list returns the directory's files with suffix ext named by a number, by number.
func (s *Store) list(ext string) ([]segment, error) {
	ents, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var out []segment
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ext)
		if !ok || e.IsDir() {
			continue
		}
		n, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, segment{first: n, path: filepath.Join(s.opts.Dir, e.Name())})
	}
	slices.SortFunc(out, func(a, b segment) int { return cmp.Compare(a.first, b.first) })
	return out, nil
}

// recover scans the segments, truncates a torn tail and opens the last segment for
// appending.
func (s *Store) recover() error {
	segs, err := s.list(".log")
	if err != nil {
		return err
	}
	snaps, err := s.list(".snap")
	if err != nil {
		return err
	}
	s.segs = segs
	next := uint64(0) // the number the next record must have, 0 before any
	for i, sg := range segs {
		last := i == len(segs)-1
		// A gap is allowed only where a snapshot covers it (the log had lost records a
		// snapshot covered, and appending resumed after the snapshot).
		covered := slices.ContainsFunc(snaps, func(sn segment) bool { return sn.first+1 >= sg.first && sn.first+1 >= next })
		if next != 0 && sg.first != next && !(sg.first > next && covered) {
			return fmt.Errorf("%w: %s starts at record %d, the previous segment ends at %d", ErrCorrupt, sg.path, sg.first, next-1)
		}
		end, n, err := scan(sg, last, nil)
		if err != nil {
			var torn *tornError
			if !last || !errors.As(err, &torn) {
				return err
			}
			s.log.Warn("store: truncating a torn write at the end of the log", "segment", sg.path, "offset", end, "reason", torn.why)
			if err := os.Truncate(sg.path, end); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		next = sg.first + n
	}
	if len(segs) > 0 {
		s.written = next - 1
		last := segs[len(segs)-1]
		f, err := os.OpenFile(last.path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("store: %w", err)
		}
		if st.Size() < int64(len(segMagic)) { // a segment whose header was torn
			if err := f.Truncate(0); err == nil {
				_, err = f.Write([]byte(segMagic))
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("store: %w", err)
			}
			st, _ = f.Stat()
		}
		s.f, s.size = f, st.Size()
		s.w = bufio.NewWriterSize(f, 1<<20)
	}
	// The snapshots may cover records the log lost (damage; WriteSnapshot fsyncs the log
	// first): resume after them.
	if n := len(snaps); n > 0 && snaps[n-1].first > s.written {
		s.log.Warn("store: the log ends before the newest snapshot; resuming after it", "log", s.written, "snapshot", snaps[n-1].first)
		s.written = snaps[n-1].first
		if s.f != nil {
			s.f.Close()
			s.f, s.w = nil, nil
		}
	}
	s.synced = s.written
	return nil
}

// tornError is damage at the very end of the log.
type tornError struct{ why string }

func (e *tornError) Error() string { return "torn write: " + e.why }

// scan reads segment sg, calling fn (when non-nil) for each record; it returns the offset
// after the last good record and the number of good records. In the last segment
// (last), damage with nothing valid after it is a *tornError.
func scan(sg segment, last bool, fn func(seq uint64, rec []byte) error) (int64, uint64, error) {
	data, err := os.ReadFile(sg.path)
	if err != nil {
		return 0, 0, fmt.Errorf("store: %w", err)
	}
	if len(data) < len(segMagic) {
		if last {
			return 0, 0, &tornError{"segment header cut short"}
		}
		return 0, 0, fmt.Errorf("%w: %s: segment header cut short", ErrCorrupt, sg.path)
	}
	if string(data[:len(segMagic)]) != segMagic {
		return 0, 0, fmt.Errorf("%w: %s: not a statkit log segment (bad magic or version)", ErrCorrupt, sg.path)
	}
	off := len(segMagic)
	seq := sg.first
	var n uint64
	bad := func(why string, tornPossible bool) (int64, uint64, error) {
		if last && tornPossible {
			return int64(off), n, &tornError{why}
		}
		return int64(off), n, fmt.Errorf("%w: %s at offset %d (record %d): %s", ErrCorrupt, sg.path, off, seq, why)
	}
	for off < len(data) {
		rest := data[off:]
		if allZero(rest) {
			return bad("zero bytes at the end", true)
		}
		if len(rest) < frameHead {
			return bad("record header cut short", true)
		}
		ln := binary.LittleEndian.Uint32(rest)
		sum := binary.LittleEndian.Uint32(rest[4:])
		if ln > MaxRecord {
			return bad("record length beyond the limit", true)
		}
		if int64(len(rest)) < frameHead+int64(ln) {
			return bad("record cut short", true)
		}
		body := rest[8 : frameHead+ln]
		if crc32.Checksum(body, castagnoli) != sum {
			return bad("checksum mismatch", len(rest) == frameHead+int(ln))
		}
		if got := binary.LittleEndian.Uint64(body); got != seq {
			return bad(fmt.Sprintf("record number %d, expected %d", got, seq), false)
		}
		if fn != nil {
			if err := fn(seq, body[8:]); err != nil {
				return int64(off), n, err
			}
		}
		off += frameHead + int(ln)
		seq++
		n++
	}
	return int64(off), n, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// LastSeq returns the number of the last record written (0 when none).
func (s *Store) LastSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

// Replay calls fn for every log record after record after, in order. It fails when the
// log does not reach back to after+1 (its segments were removed and no snapshot covers
// them).
func (s *Store) Replay(after uint64, fn func(seq uint64, rec []byte) error) error {
	s.mu.Lock()
	if s.w != nil {
		if err := s.w.Flush(); err != nil {
			s.mu.Unlock()
			return fmt.Errorf("store: %w", err)
		}
	}
	segs := slices.Clone(s.segs)
	s.mu.Unlock()
	if len(segs) > 0 && segs[0].first > after+1 {
		return fmt.Errorf("%w: the log starts at record %d; records %d… are gone and no snapshot covers them", ErrCorrupt, segs[0].first, after+1)
	}
	for i, sg := range segs {
		if i+1 < len(segs) && segs[i+1].first <= after+1 {
			continue // entirely covered
		}
		_, _, err := scan(sg, i == len(segs)-1, func(seq uint64, rec []byte) error {
			if seq <= after {
				return nil
			}
			return fn(seq, rec)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Append writes records to the log in order and returns the number of the last one. The
// records are not durable before WaitDurable says so.
func (s *Store) Append(recs ...[]byte) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	if s.closed {
		return 0, errors.New("store: closed")
	}
	for _, r := range recs {
		if len(r) > MaxRecord {
			return 0, fmt.Errorf("store: record of %d bytes is over the limit", len(r))
		}
	}
	for _, r := range recs {
		if s.f == nil || s.size >= s.opts.SegmentBytes {
			if err := s.rotate(); err != nil {
				s.err = err
				return 0, err
			}
		}
		seq := s.written + 1
		b := s.buf[:0]
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint64(b, seq)
		b = append(b, r...)
		binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
		if _, err := s.w.Write(b); err != nil {
			s.err = fmt.Errorf("store: %w", err)
			return 0, s.err
		}
		s.buf = b
		s.size += int64(len(b))
		s.written = seq
	}
	if err := s.w.Flush(); err != nil {
		s.err = fmt.Errorf("store: %w", err)
		return 0, s.err
	}
	if s.opts.Fsync == FsyncNone {
		s.synced = s.written
		s.cond.Broadcast()
	} else {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return s.written, nil
}

// rotate makes the current segment durable, closes it and starts a new one (mu held).
func (s *Store) rotate() error {
	if s.f != nil {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if s.opts.Fsync != FsyncNone {
			if err := s.f.Sync(); err != nil {
				return fmt.Errorf("store: fsync: %w", err)
			}
			s.synced = s.written
			s.cond.Broadcast()
		}
		s.f.Close()
	}
	first := s.written + 1
	path := filepath.Join(s.opts.Dir, fmt.Sprintf("%020d.log", first))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := f.Write([]byte(segMagic)); err != nil {
		f.Close()
		return fmt.Errorf("store: %w", err)
	}
	if err := syncDir(s.opts.Dir); err != nil {
		f.Close()
		return err
	}
	s.f, s.w, s.size = f, bufio.NewWriterSize(f, 1<<20), int64(len(segMagic))
	s.segs = append(s.segs, segment{first: first, path: path})
	return nil
}

// syncer is the goroutine that fsyncs the log under FsyncAlways and FsyncInterval.
func (s *Store) syncer() {
	defer close(s.done)
	if s.opts.Fsync == FsyncNone {
		return
	}
	var tick <-chan time.Time
	if s.opts.Fsync == FsyncInterval {
		t := time.NewTicker(s.opts.FsyncInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		if tick != nil {
			<-tick
		} else {
			<-s.kick
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		if s.synced < s.written && s.f != nil && s.err == nil {
			target, f := s.written, s.f
			s.mu.Unlock()
			err := f.Sync()
			s.mu.Lock()
			if err != nil && s.synced < target && s.f == f {
				s.err = fmt.Errorf("store: fsync: %w", err)
			} else if err == nil && s.synced < target {
				s.synced = target
			}
			s.cond.Broadcast()
		}
		s.mu.Unlock()
	}
}

// Sync makes every written record durable now (an fsync unless the policy is none).
func (s *Store) Sync() error { return s.sync(false) }

// sync fsyncs the written records; force fsyncs under FsyncNone too.
func (s *Store) sync(force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.f != nil && (force || s.opts.Fsync != FsyncNone && s.synced < s.written) {
		if err := s.f.Sync(); err != nil {
			s.err = fmt.Errorf("store: fsync: %w", err)
			return s.err
		}
	}
	s.synced = s.written
	s.cond.Broadcast()
	return nil
}

// WaitDurable waits until record seq is durable under the policy, and returns the
// store's failure if writing or syncing failed.
func (s *Store) WaitDurable(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.synced < seq && s.err == nil && !s.closed {
		s.cond.Wait()
	}
	if s.synced >= seq {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return errors.New("store: closed before the records were durable")
}

// AppendDurable appends records and returns once they are durable under the policy.
func (s *Store) AppendDurable(recs ...[]byte) (uint64, error) {
	seq, err := s.Append(recs...)
	if err != nil {
		return 0, err
	}
	return seq, s.WaitDurable(seq)
}

// Close syncs the log and closes the store.
func (s *Store) Close() error {
	err := s.Sync()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return err
	}
	s.closed = true
	if s.f != nil {
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	<-s.done
	return err
}

// syncDir fsyncs directory dir, so that file creations and renames in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: fsync %s: %w", dir, err)
	}
	return nil
}

// WriteSnapshot stores payload as the snapshot covering the log up to record seq, then
// applies retention (see the package documentation).
func (s *Store) WriteSnapshot(seq uint64, payload []byte) error {
	if err := s.sync(true); err != nil {
		return err
	}
	b := make([]byte, 0, len(snapMagic)+16+len(payload)+4)
	b = append(b, snapMagic...)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(payload)))
	b = append(b, payload...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	final := filepath.Join(s.opts.Dir, fmt.Sprintf("%020d.snap", seq))
	tmp, err := os.CreateTemp(s.opts.Dir, "snap-*.tmp")
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("store: snapshot: %w", err)
	}
	if err := syncDir(s.opts.Dir); err != nil {
		return err
	}
	return s.retain()
}

// retain removes the snapshots beyond the newest KeepSnapshots and the segments the
// oldest kept one covers entirely, and leftover temporary files.
func (s *Store) retain() error {
	snaps, err := s.list(".snap")
	if err != nil {
		return err
	}
	if tmps, _ := filepath.Glob(filepath.Join(s.opts.Dir, "snap-*.tmp")); len(tmps) > 0 {
		for _, t := range tmps {
			os.Remove(t)
		}
	}
	if len(snaps) > s.opts.KeepSnapshots {
		for _, sn := range snaps[:len(snaps)-s.opts.KeepSnapshots] {
			if err := os.Remove(sn.path); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		snaps = snaps[len(snaps)-s.opts.KeepSnapshots:]
	}
	if len(snaps) == 0 {
		return nil
	}
	covered := snaps[0].first
	s.mu.Lock()
	defer s.mu.Unlock()
	// Segment i is covered when the next one starts at or before covered+1; the segment
	// being appended to is never removed.
	for len(s.segs) > 1 && s.segs[1].first <= covered+1 {
		if err := os.Remove(s.segs[0].path); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		s.segs = s.segs[1:]
	}
	return syncDir(s.opts.Dir)
}

// LoadSnapshot offers the snapshots to load, newest first, until load accepts one, and
// returns the record number it covers (0 and no error when there is no snapshot, or
// none was accepted and the log still starts at record 1). A damaged snapshot, or one load
// refuses, is skipped with a warning.
func (s *Store) LoadSnapshot(load func(seq uint64, payload []byte) error) (uint64, error) {
	snaps, err := s.list(".snap")
	if err != nil {
		return 0, err
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		sn := snaps[i]
		payload, err := readSnapshot(sn)
		if err == nil {
			err = load(sn.first, payload)
		}
		if err == nil {
			return sn.first, nil
		}
		s.log.Warn("store: snapshot not usable, trying an older one", "snapshot", sn.path, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(snaps) > 0 && len(s.segs) > 0 && s.segs[0].first > 1 {
		return 0, fmt.Errorf("%w: no usable snapshot, and the log before record %d was removed", ErrCorrupt, s.segs[0].first)
	}
	return 0, nil
}

// readSnapshot reads and checks snapshot file sn.
func readSnapshot(sn segment) ([]byte, error) {
	b, err := os.ReadFile(sn.path)
	if err != nil {
		return nil, err
	}
	if len(b) < len(snapMagic)+20 || string(b[:len(snapMagic)]) != snapMagic {
		return nil, fmt.Errorf("%w: %s: not a statkit snapshot (bad magic, version or size)", ErrCorrupt, sn.path)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: %s: checksum mismatch", ErrCorrupt, sn.path)
	}
	seq := binary.LittleEndian.Uint64(b[8:])
	n := binary.LittleEndian.Uint64(b[16:])
	if seq != sn.first || n != uint64(len(body)-24) {
		return nil, fmt.Errorf("%w: %s: header does not match the file", ErrCorrupt, sn.path)
	}
	return body[24:], nil
}

// Snapshots returns the record numbers of the snapshots present, oldest first.
func (s *Store) Snapshots() ([]uint64, error) {
	snaps, err := s.list(".snap")
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(snaps))
	for i, sn := range snaps {
		out[i] = sn.first
	}
	return out, nil
}

var _ io.Closer = (*Store)(nil)
