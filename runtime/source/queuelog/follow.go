package queuelog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/statkit/statkit/internal/clock"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
)

// Position is where a Follower resumes: the identity of the file it read (device and
// inode, and a hash of its first bytes, which tells a new file from an old one when the
// file system reuses an inode) and the offset after the last line handed out.
type Position struct {
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Offset  int64  `json:"offset"`
	Line    int    `json:"line"` // the lines before Offset, to number the next ones
	Head    uint64 `json:"head"` // FNV-1a 64 of the file's first HeadLen bytes
	HeadLen int    `json:"headLen"`
}

// headMax is how many leading bytes identify a file's content.
const headMax = 256

// FollowOptions configure a Follower.
type FollowOptions struct {
	// Poll is how long Next waits before looking again when no complete line is ready;
	// 0 means 200 ms.
	Poll time.Duration
	// MaxBatch bounds the lines of one batch, MaxBytes their bytes (a batch has at least
	// one line); 0 means source.DefaultMaxBatch (4096), source.DefaultMaxBytes (1 MiB).
	MaxBatch int
	MaxBytes int
	// Logger receives rotation, truncation and lost-lines notices; nil is slog.Default().
	Logger *slog.Logger
	// Now stamps the frames' receipt times; nil is time.Now.
	Now func() time.Time
}

// Follower tails a queue_log file: it hands out complete lines only (a line torn
// mid-write waits for its newline), follows the file when it is rotated (renamed, and a
// new file created under its name: the rest of the old file is read first) or truncated
// (read again from the start), and resumes from a Position. It implements source.Source.
type Follower struct {
	path string
	opts FollowOptions
	log  *slog.Logger

	file     *os.File
	dev, ino uint64
	head     []byte // the file's first bytes, up to headMax
	readOff  int64  // bytes of the file read so far
	start    int64  // offset where pending begins
	line     int    // lines of the file up to start
	pending  []byte // the bytes of an incomplete line (at most MaxLine+1 of them are kept)
	ready    []ready
	buf      []byte
}

// ready is a complete line waiting to be handed out, with the position after it.
type ready struct {
	frame source.Frame
	end   int64
}

// Follow starts following path from pos (nil: from the beginning of the current file).
// A position whose file has been rotated away is looked for under another name in the
// same directory (the rotation renamed it) and read to its end first; when it cannot be
// found, or the file was truncated, the lost lines are logged and reading starts at the
// beginning of the current file.
func Follow(path string, pos []byte, opts FollowOptions) (*Follower, error) {
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = source.DefaultMaxBatch
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = source.DefaultMaxBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	fl := &Follower{path: path, opts: opts, log: opts.Logger, buf: make([]byte, 64<<10)}
	if fl.log == nil {
		fl.log = slog.Default()
	}
	fl.log = fl.log.With("source", "queue_log", "path", path)
	if pos == nil {
		return fl, fl.openCurrent()
	}
	var p Position
	if err := json.Unmarshal(pos, &p); err != nil {
		return nil, fmt.Errorf("queue_log %s: bad position: %w", path, err)
	}
	if err := fl.resume(p); err != nil {
		return nil, err
	}
	return fl, nil
}

// openCurrent opens the file now at path from its start; a missing file is waited for.
func (fl *Follower) openCurrent() error {
	f, err := os.Open(fl.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue_log: %w", err)
	}
	return fl.use(f, 0, 0)
}

// use makes f the file read, from offset off (line lines in).
func (fl *Follower) use(f *os.File, off int64, line int) error {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("queue_log: %w", err)
	}
	if fl.file != nil {
		fl.file.Close()
	}
	fl.file = f
	fl.dev, fl.ino = identity(fi)
	fl.readOff, fl.start, fl.line = off, off, line
	fl.pending = fl.pending[:0]
	fl.head = fl.head[:0]
	return nil
}

// resume positions the follower at p.
func (fl *Follower) resume(p Position) error {
	f, err := os.Open(fl.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("queue_log: %w", err)
	}
	if f != nil {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("queue_log: %w", err)
		}
		if dev, ino := identity(fi); dev == p.Dev && ino == p.Ino && matchesHead(f, p) {
			if fi.Size() < p.Offset {
				fl.log.Warn("queue_log was truncated since the position was saved; reading it again from the start",
					"offset", p.Offset, "size", fi.Size())
				return fl.use(f, 0, 0)
			}
			return fl.use(f, p.Offset, p.Line)
		}
	}
	// The file at path is another one: find the one read before, renamed by a rotation.
	if old := findRotated(fl.path, p); old != nil {
		fl.log.Info("resuming in the rotated queue_log, then the current one", "rotated", old.Name(), "offset", p.Offset)
		if f != nil {
			f.Close()
		}
		return fl.use(old, p.Offset, p.Line)
	}
	fl.log.Warn("the queue_log read before was rotated away and is not found beside it (compressed or deleted?): "+
		"its lines after the saved position are lost; reading the current file from the start", "offset", p.Offset)
	if f == nil {
		return nil
	}
	return fl.use(f, 0, 0)
}

// matchesHead reports whether f starts with the bytes whose hash p holds, and is at least
// as long as p's offset.
func matchesHead(f *os.File, p Position) bool {
	if p.HeadLen == 0 {
		return true
	}
	b := make([]byte, p.HeadLen)
	if _, err := f.ReadAt(b, 0); err != nil {
		return false
	}
	return hashOf(b) == p.Head
}

func hashOf(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// findRotated looks in path's directory for the file of position p under another name.
func findRotated(path string, p Position) *os.File {
	if p.Dev == 0 && p.Ino == 0 {
		return nil
	}
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if dev, ino := identity(fi); dev != p.Dev || ino != p.Ino || fi.Size() < p.Offset {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if matchesHead(f, p) {
			return f
		}
		f.Close()
	}
	return nil
}

// Next implements source.Source: it returns the complete lines available (at least one),
// waiting for them.
func (fl *Follower) Next(ctx context.Context) (source.Batch, error) {
	for {
		if len(fl.ready) == 0 {
			if err := fl.fill(); err != nil {
				return source.Batch{}, err
			}
		}
		if len(fl.ready) == 0 {
			switched, err := fl.checkFile()
			if err != nil {
				return source.Batch{}, err
			}
			if switched {
				continue
			}
		}
		if len(fl.ready) > 0 {
			return fl.batch()
		}
		if err := clock.Sleep(ctx, fl.opts.Poll); err != nil {
			return source.Batch{}, err
		}
	}
}

// batch hands out up to MaxBatch ready lines (and MaxBytes, at least one line) with the
// position after the last.
func (fl *Follower) batch() (source.Batch, error) {
	n, size := 0, 0
	for n < min(len(fl.ready), fl.opts.MaxBatch) {
		size += len(fl.ready[n].frame.Data)
		if n > 0 && size > fl.opts.MaxBytes {
			break
		}
		n++
	}
	b := source.Batch{Frames: make([]source.Frame, n)}
	for i := range n {
		b.Frames[i] = fl.ready[i].frame
	}
	last := fl.ready[n-1]
	fl.ready = append(fl.ready[:0], fl.ready[n:]...)
	pos, err := fl.position(last.end, last.frame.Line)
	if err != nil {
		return source.Batch{}, err
	}
	b.Position = pos
	return b, nil
}

// position encodes the position after offset end (line lines in).
func (fl *Follower) position(end int64, line int) ([]byte, error) {
	n := int(min(end, headMax))
	if len(fl.head) < n {
		fl.head = fl.head[:cap(fl.head)]
		if len(fl.head) < n {
			fl.head = make([]byte, n)
		}
		fl.head = fl.head[:n]
		if _, err := fl.file.ReadAt(fl.head, 0); err != nil {
			return nil, fmt.Errorf("queue_log: read its head: %w", err)
		}
	}
	p := Position{Dev: fl.dev, Ino: fl.ino, Offset: end, Line: line, Head: hashOf(fl.head[:n]), HeadLen: n}
	return json.Marshal(p)
}

// fill reads what the file has beyond readOff and queues its complete lines.
func (fl *Follower) fill() error {
	if fl.file == nil {
		return nil
	}
	if err := fl.checkTruncated(); err != nil {
		return err
	}
	now := event.TimeOf(fl.opts.Now())
	for len(fl.ready) < fl.opts.MaxBatch {
		n, err := fl.file.ReadAt(fl.buf, fl.readOff)
		if n > 0 {
			fl.split(fl.buf[:n], now)
		}
		if errors.Is(err, io.EOF) || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("queue_log: %w", err)
		}
	}
	return nil
}

// split consumes bytes read at readOff, queueing the lines they complete.
func (fl *Follower) split(b []byte, now event.Time) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			fl.keep(b)
			fl.readOff += int64(len(b))
			return
		}
		fl.keep(b[:i])
		fl.readOff += int64(i + 1)
		b = b[i+1:]
		fl.complete(fl.readOff, now)
	}
}

// keep adds bytes to the incomplete line, keeping at most MaxLine+1 of them.
func (fl *Follower) keep(b []byte) {
	if room := MaxLine + 1 - len(fl.pending); room > 0 {
		fl.pending = append(fl.pending, b[:min(len(b), room)]...)
	}
}

// complete queues the pending line, which ends at offset end.
func (fl *Follower) complete(end int64, now event.Time) {
	fl.line++
	line := bytes.TrimSuffix(fl.pending, []byte{'\r'})
	if len(line) > 0 {
		fl.ready = append(fl.ready, ready{frame: source.Frame{Data: bytes.Clone(line), Line: fl.line, Received: now}, end: end})
	} else if len(fl.ready) > 0 {
		fl.ready[len(fl.ready)-1].end = end // a blank line: the position moves past it
	}
	fl.pending, fl.start = fl.pending[:0], end
}

// checkFile looks at what is now at path: a new file (the one read was rotated: read the
// rest of the old one, then switch), a shorter file (truncated: read it again from the
// start), or the same file. It reports whether it switched files or queued lines.
func (fl *Follower) checkFile() (bool, error) {
	fi, err := os.Stat(fl.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // rotation in progress, or not created yet
	}
	if err != nil {
		return false, fmt.Errorf("queue_log: %w", err)
	}
	if fl.file == nil {
		return true, fl.openCurrent()
	}
	dev, ino := identity(fi)
	if dev != fl.dev || ino != fl.ino {
		// Rotated. Lines may have reached the old file since the last read.
		if err := fl.fill(); err != nil || len(fl.ready) > 0 {
			return len(fl.ready) > 0, err
		}
		if len(fl.pending) > 0 { // the old file ends without a newline: it will not grow any more
			fl.log.Warn("the rotated queue_log ends with a line without its newline; reading it as complete", "line", fl.line+1)
			fl.complete(fl.readOff, event.TimeOf(fl.opts.Now()))
			return true, nil
		}
		next, err := fl.nextFile()
		if err != nil {
			return false, err
		}
		if next == nil {
			return false, nil // the new file is not there yet
		}
		fl.log.Info("queue_log rotated; following the next file", "lines", fl.line, "next", next.Name())
		return true, fl.use(next, 0, 0)
	}
	return false, nil
}

// nextFile opens the file that follows the one just read to its end: a file of the
// directory named like the followed one (a rotated queue_log.1, queue_log-20260101, or the
// current queue_log), not compressed, last written after it — the earliest such, so that
// a file rotated away before it was read (two rotations while the follower was down or
// slow) is read in turn. Nil when there is none yet.
func (fl *Follower) nextFile() (*os.File, error) {
	fi, err := fl.file.Stat()
	if err != nil {
		return nil, fmt.Errorf("queue_log: %w", err)
	}
	after := fi.ModTime()
	dir, base := filepath.Split(fl.path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("queue_log: %w", err)
	}
	var best string
	var bestTime time.Time
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, base) || compressed(name) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if dev, ino := identity(info); dev == fl.dev && ino == fl.ino {
			continue
		}
		m := info.ModTime()
		if !m.After(after) && !(m.Equal(after) && name == base) {
			continue
		}
		// The earliest; on a tie the rotated one before the current file.
		if best == "" || m.Before(bestTime) || (m.Equal(bestTime) && best == base) {
			best, bestTime = name, m
		}
	}
	if best == "" {
		return nil, nil
	}
	f, err := os.Open(filepath.Join(dir, best))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue_log: %w", err)
	}
	return f, nil
}

// compressed reports whether a rotated file's name says it is compressed.
func compressed(name string) bool {
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".zip"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// checkTruncated starts the file read again from its start when it is now shorter than
// what was read, or starts with other bytes (truncated, then written past the old offset
// between two looks), before anything more is read from it.
func (fl *Follower) checkTruncated() error {
	if fl.readOff == 0 {
		return nil
	}
	fi, err := fl.file.Stat()
	if err != nil {
		return fmt.Errorf("queue_log: %w", err)
	}
	if fi.Size() >= fl.readOff && fl.sameHead() {
		return nil
	}
	fl.log.Warn("queue_log truncated (copytruncate?); reading it again from the start", "offset", fl.readOff, "size", fi.Size())
	fl.readOff, fl.start, fl.line = 0, 0, 0
	fl.pending = fl.pending[:0]
	fl.head = fl.head[:0]
	return nil
}

// sameHead reports whether the file still starts with the bytes it started with when they
// were first read: a file truncated and written again past the old offset between two
// looks is longer, but starts differently.
func (fl *Follower) sameHead() bool {
	n := int(min(fl.readOff, headMax))
	if n == 0 {
		return true
	}
	b := make([]byte, n)
	if _, err := fl.file.ReadAt(b, 0); err != nil {
		return false
	}
	if len(fl.head) < n {
		same := bytes.Equal(fl.head, b[:len(fl.head)])
		fl.head = b // more of them: remember
		return same
	}
	return bytes.Equal(fl.head[:n], b)
}

// Close implements source.Source.
func (fl *Follower) Close() error {
	if fl.file == nil {
		return nil
	}
	err := fl.file.Close()
	fl.file = nil
	return err
}
