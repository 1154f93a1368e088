// Package store keeps statkit's durable state in a data directory: an append-only log
// of records (the server's accepted event batches, clock ticks, statistic opens and
// closes, config reloads) and periodic snapshots of the engine. On start, the newest valid
// snapshot is loaded and the log after it replayed, so a restart or a crash gives back
// exactly the state that was acknowledged — or the store refuses to start and says what
// is lost; it never starts with a state that silently misses acknowledged records.
//
// # Log
//
// The log is a sequence of records numbered 1, 2, 3, … It is split in segment files
// named by the number of their first record, "%020d.log", of about Options.SegmentBytes
// each (64 MiB by default; a segment is closed once it is larger). A segment starts with
// an 8-byte header, the magic "SKLOG\x00\x00" and the format version (1 or 2), then its
// records, each framed little-endian:
//
//	length  uint32   payload length in bytes (at most MaxRecord)
//	crc     uint32   CRC-32C (Castagnoli) of what follows it in the frame
//	seq     uint64   the record's number (the previous one's plus one)
//	time    int64    version 2 only: when the record was appended (Unix ns, wall clock)
//	payload [length]byte
//
// Version 2 is written; version 1 (no time) is still read, and a log that ends in a
// version 1 segment continues in a new version 2 one. A version 2 segment that was
// closed ends with a seal: a frame whose length is 0xFFFFFFFF and whose seq is the first
// record of the next segment, written once that segment exists and is durable. A sealed
// last segment therefore means the newest segment was removed.
//
// Data files are created 0600 and the directory 0700. Open refuses a directory it cannot
// write (it creates, fsyncs and removes a probe file), unless Options.ReadOnly.
//
// # Recovery
//
// Open scans every segment and checks headers, record numbers and checksums; after a
// damaged stretch it looks for the next readable frame, so the records after it are
// still found. Then it works out the consistent state: the newest valid snapshot (the
// base; none: the empty state) and the records after it as far as they are contiguous.
// The sequence must be contiguous from the snapshot restored across segments: a record
// that is missing or unreadable stops it.
//
// A torn write is the only damage repaired silently: in the last segment, a frame cut
// short, a tail of zero bytes, or a complete last record whose checksum fails and whose
// end is whole zero sectors (what a crash leaves of a write it cut), with nothing
// readable after it. The segment is truncated before it, with a warning; a torn header
// is written again and fsynced. A complete last record with a bad checksum is damage.
//
// Everything else that loses records — a gap in the numbers, a missing or zeroed
// segment, a damaged record, records that only a damaged snapshot covered, a sealed
// last segment, two segments holding the same records — makes Open fail with a
// *LossError (wrapping ErrCorrupt) that lists what is lost: the records, the files and
// offsets, and when the records were appended (bounded by the neighbouring records'
// times; unknown in version 1 segments). Nothing is changed in the directory then.
// Damage that loses nothing (within records the snapshot covers) is logged as a warning.
//
// With Options.RecoverLossy, Open instead starts from the consistent state and drops
// what follows it: segments after it are moved, and the bytes cut from the segment that
// holds its end are copied, into DIR/lost-<UTC time>/ (nothing is deleted); each drop is
// logged at error level and Recovery reports them. Damaged snapshots are moved there too
// (they would otherwise count as the newest in retention).
//
// What recovery cannot see: the newest segment cut at a record boundary, or removed
// together with every sealed segment pointing at it, looks like a shorter log; so does
// a flipped bit that makes the last record's length larger (it reads as a torn write).
//
// # Log and Reader
//
// The server runs on a Log (log.go): group-committed appends that return once durable,
// and Follow, which delivers the durable records in order; MemLog is the same in memory
// for a server without a data directory. A Reader (reader.go) reads a directory without
// changing it, for statkit replay --log (Options.ReadOnly opens a Store that way too,
// with the full recovery analysis). Every writer frames records in format 2.
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
//   - FsyncInterval: the syncer fsyncs every Options.FsyncInterval (default 2ms) while
//     records are unsynced; WaitDurable waits for that fsync. Nothing acknowledged is lost
//     either; acknowledgements take up to the interval longer, and a busy server makes
//     far fewer fsyncs. The interval is what every acknowledgement waits under load, so
//     it bounds what a client that waits for its answer before sending the next batch can
//     post: four such clients posting 500 events a batch reached 147k events/s with 10 ms
//     and 298k/s with 2 ms (statkit bench's HTTP ingest), on a disk whose fsync takes
//     0.26 ms (p50) — at most 500 fsyncs a second cost such a disk little.
//   - FsyncNone: records are durable for WaitDurable once written to the operating system,
//     which writes them back when it decides (typically within 30 s on Linux). A crash of
//     the process loses nothing; a power failure or kernel crash loses what the kernel
//     had not written yet, acknowledged or not.
//
// A write or fsync failure (disk full, I/O error) is sticky: the store refuses every
// later Append and WaitDurable with it, and Err reports it, until the process restarts
// and recovery reads what reached the disk. After a failed fsync the kernel's state of
// the file is unknown, so the store never retries it. Close gives up on a disk that does
// not answer after Options.CloseTimeout and returns an error.
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
// kept snapshot is removed — except what the retention pin needs (SetRetentionPin, for
// history's catch-up: the newest snapshot at or before the pin and the log after it). LoadSnapshot offers the valid snapshots newest first and
// falls back to an older one (with a warning) when the loader refuses one — but only to
// one from which the log is contiguous to its end.
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
	DefaultFsyncInterval = 2 * time.Millisecond
	DefaultKeepSnapshots = 2
	DefaultCloseTimeout  = 10 * time.Second
	// MaxRecord bounds a record's payload; a longer length field is damage.
	MaxRecord = 256 << 20
)

// Options configure a Store.
type Options struct {
	// Dir is the data directory, created (0700) when missing. Required.
	Dir string
	// Fsync is the fsync policy (default FsyncAlways).
	Fsync Policy
	// FsyncInterval is the group commit period of FsyncInterval (default 2ms).
	FsyncInterval time.Duration
	// SegmentBytes is the size beyond which a segment is closed (default 64 MiB).
	SegmentBytes int64
	// KeepSnapshots is how many snapshots are kept (default 2, at least 1).
	KeepSnapshots int
	// RecoverLossy makes Open start from the consistent state when records cannot be
	// restored, dropping (moving aside) what follows it, instead of failing.
	RecoverLossy bool
	// ReadOnly opens the directory without changing anything: no probe, no repair, no
	// appends or snapshots; Replay reads the consistent state (with RecoverLossy, up to
	// its end).
	ReadOnly bool
	// CloseTimeout bounds Close's wait for the disk (default 10s).
	CloseTimeout time.Duration
	// Logger receives warnings (nil: slog.Default()).
	Logger *slog.Logger
	// Now is the wall clock of the records' append times (nil: time.Now).
	Now func() time.Time

	// openFile opens files for writing (tests inject failing ones; nil: os.OpenFile).
	openFile func(name string, flag int, perm os.FileMode) (file, error)
}

// file is what the store writes a segment through.
type file interface {
	io.Writer
	Sync() error
	Close() error
}

const snapMagic = "SKSNAP\x00\x01"

// ErrCorrupt is wrapped by the errors of damage Open or Replay refuses.
var ErrCorrupt = errors.New("store: corrupt data")

// segment is one log or snapshot file.
type segment struct {
	first uint64 // its first record's number (a snapshot: the last record it covers)
	path  string
}

// Recovery is what Open found.
type Recovery struct {
	// Base is the newest valid snapshot (0: none) and End the last record of the
	// consistent state Open started from.
	Base, End uint64
	// Dropped lists what RecoverLossy dropped (empty otherwise).
	Dropped []Loss
	// LostDir is where the dropped files were moved ("" when nothing was).
	LostDir string
}

// Store is an open data directory. Append, Sync and WriteSnapshot may be called from one
// goroutine at a time (the server's owner); WaitDurable from any.
type Store struct {
	opts Options
	log  *slog.Logger

	// Set by recovery, then read-only.
	base, end uint64 // the consistent state recovery found
	floor     uint64 // the log is contiguous from floor+1 to its end
	dropped   []Loss
	lost      string // the lost directory ("" until needed)

	mu      sync.Mutex
	cond    *sync.Cond
	segs    []segment
	f       file // the segment being appended to (nil: the next record starts a new one)
	w       *bufio.Writer
	size    int64
	written uint64 // last record written to the OS
	synced  uint64 // last record durable under the policy
	err     error  // a write or fsync failure: the store refuses further work
	closed  bool
	kick    chan struct{}
	done    chan struct{}
	buf     []byte
	pin     func() uint64 // the retention pin (pin.go); nil: none
}

// Open opens (creating when needed) the data directory and recovers its log (see the
// package documentation). A log that cannot be restored completely is a *LossError
// unless Options.RecoverLossy.
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
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = DefaultCloseTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.openFile == nil {
		opts.openFile = func(name string, flag int, perm os.FileMode) (file, error) { return os.OpenFile(name, flag, perm) }
	}
	s := &Store{opts: opts, log: opts.Logger, kick: make(chan struct{}, 1), done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	if opts.ReadOnly {
		if _, err := os.Stat(opts.Dir); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	} else {
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if st, err := os.Stat(opts.Dir); err == nil && st.Mode().Perm()&0o077 != 0 {
			s.log.Warn("store: the data directory is readable by other users; chmod 700 it", "dir", opts.Dir, "mode", st.Mode().Perm().String())
		}
		if err := s.probe(); err != nil {
			return nil, err
		}
	}
	if err := s.recover(); err != nil {
		if s.f != nil {
			s.f.Close()
		}
		return nil, err
	}
	go s.syncer()
	return s, nil
}

// probe checks that the directory takes a durable write: it creates a file, writes and
// fsyncs it, removes it and fsyncs the directory.
func (s *Store) probe() error {
	path := filepath.Join(s.opts.Dir, ".probe")
	f, err := s.opts.openFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err == nil {
		_, err = f.Write([]byte("statkit\n"))
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if rerr := os.Remove(path); err == nil {
			err = rerr
		}
	}
	if err == nil {
		err = syncDir(s.opts.Dir)
	}
	if err != nil {
		return fmt.Errorf("store: the data directory %s is not writable: %w", s.opts.Dir, err)
	}
	return nil
}

func (s *Store) now() time.Time { return s.opts.Now() }

// openFile opens a file for writing through the injectable opener.
func (s *Store) openFile(name string, flag int, perm os.FileMode) (file, error) {
	return s.opts.openFile(name, flag, perm)
}

// setFile makes f, of size bytes, the segment appended to.
func (s *Store) setFile(f file, size int64) {
	s.f, s.size = f, size
	s.w = bufio.NewWriterSize(f, 1<<20)
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

// scan reads segment sg, calling fn (when non-nil) for each readable record in order,
// and returns what it found.
func scan(sg segment, last bool, fn func(seq uint64, t int64, rec []byte) error) (segScan, error) {
	data, err := os.ReadFile(sg.path)
	if err != nil {
		return segScan{}, fmt.Errorf("store: %w", err)
	}
	return scanData(data, sg.first, last, fn)
}

// LastSeq returns the number of the last record written (0 when none).
func (s *Store) LastSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

// Recovery returns what Open found and, with RecoverLossy, dropped.
func (s *Store) Recovery() Recovery {
	return Recovery{Base: s.base, End: s.end, Dropped: slices.Clone(s.dropped), LostDir: s.lost}
}

// Err returns the store's failure (a write or fsync error), nil while it works.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Replay calls fn for every log record after record after, in order, up to the last one
// written. It checks that the records follow one another from after+1 across segments,
// and fails with ErrCorrupt at the first one missing (the log does not reach back to
// after+1, or has a gap).
func (s *Store) Replay(after uint64, fn func(seq uint64, rec []byte) error) error {
	s.mu.Lock()
	if s.w != nil {
		if err := s.w.Flush(); err != nil {
			s.mu.Unlock()
			return fmt.Errorf("store: %w", err)
		}
	}
	segs := slices.Clone(s.segs)
	limit := s.written
	s.mu.Unlock()
	next := after + 1
	for i, sg := range segs {
		if next > limit {
			break
		}
		if i+1 < len(segs) && segs[i+1].first <= next {
			continue // holds only records up to after
		}
		_, err := scan(sg, i == len(segs)-1, func(seq uint64, _ int64, rec []byte) error {
			if seq < next || seq > limit {
				return nil
			}
			if seq != next {
				return fmt.Errorf("%w: %s: record %d follows record %d: records %d–%d are missing", ErrCorrupt, sg.path, seq, next-1, next, seq-1)
			}
			next++
			return fn(seq, rec)
		})
		if err != nil {
			return err
		}
	}
	if next <= limit {
		return fmt.Errorf("%w: %s: the log holds records up to %d; records %d–%d are missing", ErrCorrupt, s.opts.Dir, next-1, next, limit)
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
	if s.opts.ReadOnly {
		return 0, errors.New("store: opened read-only")
	}
	for _, r := range recs {
		if len(r) > MaxRecord {
			return 0, fmt.Errorf("store: record of %d bytes is over the limit", len(r))
		}
	}
	t := s.now().UnixNano()
	for _, r := range recs {
		if s.f == nil || s.size >= s.opts.SegmentBytes {
			if err := s.rotate(); err != nil {
				s.err = err
				return 0, err
			}
		}
		seq := s.written + 1
		b := appendFrame(s.buf[:0], seq, t, r)
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

// rotate starts a new segment (mu held): it creates it with its header, fsyncs it and
// the directory, then seals the current one (when there is one), fsyncs and closes it.
func (s *Store) rotate() error {
	first := s.written + 1
	path := filepath.Join(s.opts.Dir, segName(first))
	if s.f != nil {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	f, err := s.openFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := f.Write(segHeaderOf(segV2)); err != nil {
		f.Close()
		return fmt.Errorf("store: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store: fsync: %w", err)
	}
	if err := syncDir(s.opts.Dir); err != nil {
		f.Close()
		return err
	}
	if old := s.f; old != nil {
		// The seal goes last, once the next segment is durable: a sealed segment without
		// a successor is then damage, never a crash during rotation.
		_, err := old.Write(sealFrame(first, s.now().UnixNano()))
		if err == nil && s.opts.Fsync != FsyncNone {
			err = old.Sync()
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("store: sealing a segment: %w", err)
		}
		if s.opts.Fsync != FsyncNone {
			s.synced = s.written
			s.cond.Broadcast()
		}
		old.Close()
	}
	s.setFile(f, int64(segHeader))
	if n := len(s.segs); n > 0 && s.segs[n-1].first == first {
		s.segs[n-1].path = path // an empty segment recovery kept but could not append to
	} else {
		s.segs = append(s.segs, segment{first: first, path: path})
	}
	return nil
}

// syncer is the goroutine that fsyncs the log under FsyncAlways and FsyncInterval.
func (s *Store) syncer() {
	defer close(s.done)
	if s.opts.Fsync == FsyncNone || s.opts.ReadOnly {
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

// Close syncs the log and closes the store. When the disk does not answer within
// Options.CloseTimeout it gives up and returns an error (the records written since the
// last fsync may not be durable); the blocked fsync is left behind.
func (s *Store) Close() error {
	done := make(chan error, 1)
	go func() { done <- s.close() }()
	t := time.NewTimer(s.opts.CloseTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		// (Not under mu: a frozen fsync may hold it.)
		return fmt.Errorf("store: closing %s: the disk did not answer within %v; the records written since the last fsync may not be durable", s.opts.Dir, s.opts.CloseTimeout)
	}
}

func (s *Store) close() error {
	var err error
	if !s.opts.ReadOnly {
		err = s.Sync()
	}
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
	if s.opts.ReadOnly {
		return errors.New("store: opened read-only")
	}
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
	tmp, err := os.CreateTemp(s.opts.Dir, "snap-*.tmp") // 0600
	if err != nil {
		return fmt.Errorf("store: snapshot: %w", err)
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

// retain removes the snapshots beyond the newest KeepSnapshots (but the one the
// retention pin needs) and the segments the oldest kept one covers entirely, and
// leftover temporary files.
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
	drop, covered := s.retention(snaps) // the newest KeepSnapshots, and the pinned one (pin.go)
	for _, sn := range drop {
		if err := os.Remove(sn.path); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	if covered == 0 {
		if len(drop) > 0 {
			return syncDir(s.opts.Dir)
		}
		return nil
	}
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

// LoadSnapshot offers the valid snapshots to load, newest first, until load accepts one,
// and returns the record number it covers. It returns 0 and no error when there is no
// snapshot, or none was accepted and the log reaches back to record 1. It offers only
// snapshots from which the log is contiguous to its end: falling back to an older one
// never replays across a gap. A snapshot load refuses is skipped with a warning.
func (s *Store) LoadSnapshot(load func(seq uint64, payload []byte) error) (uint64, error) {
	snaps, err := s.list(".snap")
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	written := s.written
	s.mu.Unlock()
	var refused []string
	for i := len(snaps) - 1; i >= 0; i-- {
		sn := snaps[i]
		if sn.first > written {
			continue // damage recovery reported (read-only) or beyond the log
		}
		if sn.first < s.floor {
			refused = append(refused, fmt.Sprintf("%s: the log after it has a gap (it starts again at record %d)", sn.path, s.floor+1))
			break // older ones are before the gap too
		}
		payload, err := readSnapshot(sn)
		if err == nil {
			err = load(sn.first, payload)
		}
		if err == nil {
			return sn.first, nil
		}
		s.log.Warn("store: snapshot not usable, trying an older one", "snapshot", sn.path, "err", err)
		refused = append(refused, fmt.Sprintf("%s: %v", sn.path, err))
	}
	if s.floor == 0 {
		return 0, nil
	}
	return 0, fmt.Errorf("%w: %s: no usable snapshot, and the log before record %d is gone: %s", ErrCorrupt, s.opts.Dir, s.floor+1, strings.Join(refused, "; "))
}

// readSnapshot reads and checks snapshot file sn.
func readSnapshot(sn segment) ([]byte, error) { return readSnapshotWith(sn, true) }

// readSnapshotWith reads and checks snapshot file sn; keep says whether the payload is
// returned (else the file is read through a checksum only).
func readSnapshotWith(sn segment, keep bool) ([]byte, error) {
	f, err := os.Open(sn.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < int64(len(snapMagic))+20 {
		return nil, fmt.Errorf("%w: %s: not a statkit snapshot (bad magic, version or size)", ErrCorrupt, sn.path)
	}
	head := make([]byte, len(snapMagic)+16)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, err
	}
	if string(head[:len(snapMagic)]) != snapMagic {
		return nil, fmt.Errorf("%w: %s: not a statkit snapshot (bad magic, version or size)", ErrCorrupt, sn.path)
	}
	seq := binary.LittleEndian.Uint64(head[8:])
	n := binary.LittleEndian.Uint64(head[16:])
	if seq != sn.first || n != uint64(size-int64(len(head))-4) {
		return nil, fmt.Errorf("%w: %s: header does not match the file", ErrCorrupt, sn.path)
	}
	h := crc32.New(castagnoli)
	h.Write(head)
	var payload []byte
	if keep {
		payload = make([]byte, n)
		if _, err := io.ReadFull(f, payload); err != nil {
			return nil, err
		}
		h.Write(payload)
	} else if _, err := io.CopyN(h, f, int64(n)); err != nil {
		return nil, err
	}
	var sum [4]byte
	if _, err := io.ReadFull(f, sum[:]); err != nil {
		return nil, err
	}
	if h.Sum32() != binary.LittleEndian.Uint32(sum[:]) {
		return nil, fmt.Errorf("%w: %s: checksum mismatch", ErrCorrupt, sn.path)
	}
	return payload, nil
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
