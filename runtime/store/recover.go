package store

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Loss is one stretch of the log that recovery cannot restore: records missing or
// unreadable, or records intact on disk that cannot be applied because records before
// them are missing.
type Loss struct {
	// First and Last are the records concerned; Last is 0 when how far they go is unknown
	// (the rest of a segment cannot be read, or a segment is missing at the end).
	First, Last uint64
	// From and To bound when the records were appended (zero when unknown: version 1
	// segments do not record it).
	From, To time.Time
	// Intact says the records are readable but follow missing ones.
	Intact bool
	// What says what happened, naming the file and offset.
	What string
}

// String describes the loss in one line.
func (l Loss) String() string {
	var b strings.Builder
	switch {
	case l.Last == 0:
		fmt.Fprintf(&b, "records from %d on", l.First)
	case l.Last == l.First:
		fmt.Fprintf(&b, "record %d", l.First)
	default:
		fmt.Fprintf(&b, "records %d–%d (%d)", l.First, l.Last, l.Last-l.First+1)
	}
	if l.Intact {
		b.WriteString(" are intact but follow missing records")
	} else {
		b.WriteString(" are lost")
	}
	if l.What != "" {
		b.WriteString(": " + l.What)
	}
	switch {
	case !l.From.IsZero() && !l.To.IsZero():
		fmt.Fprintf(&b, " (appended between %s and %s)", stamp(l.From), stamp(l.To))
	case !l.From.IsZero():
		fmt.Fprintf(&b, " (appended after %s)", stamp(l.From))
	case !l.To.IsZero():
		fmt.Fprintf(&b, " (appended before %s)", stamp(l.To))
	}
	return b.String()
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// LossError is Open refusing a data directory whose log cannot be restored completely:
// starting would serve values that miss acknowledged records. It wraps ErrCorrupt.
// Nothing in the directory was changed; Options.RecoverLossy starts from End instead.
type LossError struct {
	Dir string
	// Base is the snapshot the consistent state starts from (0: the empty state) and End
	// its last record: what RecoverLossy would start with.
	Base, End uint64
	// Lost lists what cannot be restored, in log order.
	Lost []Loss
}

// Error says what is lost.
func (e *LossError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s: the log cannot be restored completely:", e.Dir)
	for _, l := range e.Lost {
		b.WriteString("\n  - " + l.String())
	}
	fmt.Fprintf(&b, "\nthe consistent state ends at record %d (%s); nothing in the directory was changed", e.End, baseName(e.Base))
	return b.String()
}

// Unwrap returns ErrCorrupt.
func (e *LossError) Unwrap() error { return ErrCorrupt }

func baseName(base uint64) string {
	if base == 0 {
		return "the log from its first record"
	}
	return fmt.Sprintf("snapshot %d and the log after it", base)
}

// logSeg is a log segment and what recovery found in it.
type logSeg struct {
	segment
	sc segScan
	// overlap: the segment starts at or before a record an earlier one holds.
	overlap bool
}

// plan is the outcome of recovery's analysis.
type plan struct {
	base, end uint64 // the consistent state: snapshot base, then the log to record end
	lost      []Loss
	harmless  []string // damage that loses nothing (covered by the snapshot, or junk)
	badSnaps  []segment
	badWhy    []string
}

// analyse scans the segments and the snapshots and works out the consistent state.
func (s *Store) analyse(segs []segment, snaps []segment) ([]logSeg, plan, error) {
	var p plan
	ls := make([]logSeg, len(segs))
	maxSeen := uint64(0) // the highest record an earlier segment holds
	for i, sg := range segs {
		data, err := os.ReadFile(sg.path)
		if err != nil {
			return nil, p, fmt.Errorf("store: %w", err)
		}
		sc, _ := scanData(data, sg.first, i == len(segs)-1, nil)
		ls[i] = logSeg{segment: sg, sc: sc}
		if i > 0 && sg.first <= maxSeen {
			ls[i].overlap = true
			continue
		}
		maxSeen = max(maxSeen, sc.lastSeq(sg.first))
	}
	// The newest valid snapshot reaches at least as far as any older one (a chain of
	// records from an older one through it continues from it), so it is the base.
	for i := len(snaps) - 1; i >= 0; i-- {
		if err := checkSnapshot(snaps[i]); err != nil {
			p.badSnaps = append(p.badSnaps, snaps[i])
			p.badWhy = append(p.badWhy, err.Error())
			continue
		}
		p.base = snaps[i].first
		break
	}
	runs := allRuns(ls)
	p.end = reach(runs, p.base)

	// What is beyond the consistent state.
	times := func(seq uint64) time.Time { return runTime(runs, seq) }
	cur := p.end + 1
	for i := 0; i < len(runs); i++ {
		r := runs[i]
		if r.last < cur {
			continue
		}
		if r.first > cur {
			p.lost = append(p.lost, Loss{First: cur, Last: r.first - 1, From: times(cur - 1), To: times(r.first),
				What: whyMissing(ls, p.badSnaps, cur)})
		}
		// Runs that continue one another are one intact stretch.
		j := i
		for j+1 < len(runs) && runs[j+1].first == runs[j].last+1 {
			j++
		}
		p.lost = append(p.lost, Loss{First: max(r.first, cur), Last: runs[j].last, From: time0(r.t0), To: time0(runs[j].t1),
			Intact: true, What: "in " + runFiles(ls, max(r.first, cur), runs[j].last)})
		cur, i = runs[j].last+1, j
	}
	// Records known to have existed beyond every readable one: before a segment's first
	// record, before a seal's, and up to a damaged snapshot's.
	known := uint64(0)
	for _, l := range ls {
		if !l.overlap && l.first > 0 {
			known = max(known, l.first-1, l.sc.sealed-min(l.sc.sealed, 1))
		}
	}
	for _, sn := range p.badSnaps {
		known = max(known, sn.first)
	}
	if known >= cur {
		p.lost = append(p.lost, Loss{First: cur, Last: known, From: times(cur - 1), What: whyMissing(ls, p.badSnaps, cur)})
		cur = known + 1
	}
	// And an unknown number after them: the unreadable rest of the last segment, or the
	// segment a seal names, missing.
	if n := len(ls); n > 0 && !ls[n-1].overlap {
		lastSeg := ls[n-1]
		if d := lastSeg.sc.damage; len(d) > 0 && d[len(d)-1].next == 0 {
			dd := d[len(d)-1]
			p.lost = append(p.lost, Loss{First: max(dd.seq, cur), From: times(max(dd.seq, cur) - 1),
				What: fmt.Sprintf("%s from offset %d (%d bytes) cannot be read (%s); it held records from %d on, how many is unknown",
					lastSeg.path, dd.off, dd.end-dd.off, dd.why, dd.seq)})
		} else if lastSeg.sc.sealed != 0 {
			p.lost = append(p.lost, Loss{First: max(lastSeg.sc.sealed, cur), From: times(max(lastSeg.sc.sealed, cur) - 1),
				What: fmt.Sprintf("%s says the log continues in %s, which is missing; how many records it held is unknown", lastSeg.path, segName(lastSeg.sc.sealed))})
		}
	}
	for _, l := range ls {
		if l.overlap {
			p.lost = append(p.lost, Loss{First: l.first, Last: l.sc.lastSeq(l.first), What: fmt.Sprintf(
				"%s holds records an earlier segment holds too (which copy is right is unknown)", l.path)})
		}
	}
	slices.SortStableFunc(p.lost, func(a, b Loss) int {
		if a.First != b.First {
			return cmpU(a.First, b.First)
		}
		return cmpU(a.Last, b.Last)
	})
	// Damage that loses nothing: within records the snapshot covers, or junk between
	// consecutive records. (Other damage is the cause of a loss reported above.)
	for i, l := range ls {
		for _, d := range l.sc.damage {
			if last := damagedLast(ls, i, d); last >= d.seq && last > p.end {
				continue
			}
			p.harmless = append(p.harmless, fmt.Sprintf("%s at offset %d (%d bytes, record %d): %s", l.path, d.off, d.end-d.off, d.seq, d.why))
		}
	}
	return ls, p, nil
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func time0(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// allRuns returns the readable runs of the segments that do not overlap, in order.
func allRuns(ls []logSeg) []run {
	var runs []run
	for _, l := range ls {
		if !l.overlap {
			runs = append(runs, l.sc.runs...)
		}
	}
	return runs
}

// reach returns the last record of the consistent state that starts from snapshot base:
// the records after it, as far as they are contiguous.
func reach(runs []run, base uint64) uint64 {
	end := base
	for _, r := range runs {
		if r.first <= end+1 && r.last > end {
			end = r.last
		}
	}
	return end
}

// floor returns the lowest record b such that the log from b+1 reaches end (reach is
// monotone in its base).
func floor(runs []run, end uint64) uint64 {
	best := end
	for _, b := range append([]uint64{0}, firstsMinusOne(runs)...) {
		if b < best && reach(runs, b) >= end {
			best = b
		}
	}
	return best
}

func firstsMinusOne(runs []run) []uint64 {
	out := make([]uint64, 0, len(runs))
	for _, r := range runs {
		out = append(out, r.first-1)
	}
	return out
}

// runTime returns the append time of record seq when a run starts or ends with it.
func runTime(runs []run, seq uint64) time.Time {
	for _, r := range runs {
		if r.first == seq {
			return time0(r.t0)
		}
		if r.last == seq {
			return time0(r.t1)
		}
	}
	return time.Time{}
}

// runFiles names the segments holding records first…last.
func runFiles(ls []logSeg, first, last uint64) string {
	var names []string
	for _, l := range ls {
		if l.overlap || len(l.sc.runs) == 0 {
			continue
		}
		if l.sc.runs[0].first <= last && l.sc.lastSeq(l.first) >= first {
			names = append(names, l.path)
		}
	}
	return strings.Join(names, ", ")
}

// damagedLast returns the last record damage d (in segment i) may have held:
// math.MaxUint64 when unknown (the rest of the last segment), d.seq-1 when none.
func damagedLast(ls []logSeg, i int, d damage) uint64 {
	switch {
	case d.next > 0:
		return d.next - 1
	case i+1 < len(ls):
		return ls[i+1].first - 1
	}
	return math.MaxUint64
}

// whyMissing says why record seq is in no readable run.
func whyMissing(ls []logSeg, badSnaps []segment, seq uint64) string {
	for i, l := range ls {
		for _, d := range l.sc.damage {
			if d.seq <= seq && seq <= damagedLast(ls, i, d) {
				return fmt.Sprintf("%s is damaged at offset %d (%d bytes): %s", l.path, d.off, d.end-d.off, d.why)
			}
		}
	}
	for i, l := range ls {
		if l.sc.sealed == seq && (i+1 == len(ls) || ls[i+1].first != seq) {
			return fmt.Sprintf("%s says the log continues in %s, which is missing", l.path, segName(seq))
		}
	}
	for _, sn := range badSnaps {
		if sn.first >= seq {
			return fmt.Sprintf("the log had lost them and only the damaged snapshot %s covered them", sn.path)
		}
	}
	for i, l := range ls {
		if i+1 < len(ls) && l.sc.lastSeq(l.first) < seq && ls[i+1].first > seq {
			return fmt.Sprintf("no segment holds them (a segment between %s and %s is missing)", filepath.Base(l.path), filepath.Base(ls[i+1].path))
		}
	}
	if len(ls) > 0 && ls[0].first > seq {
		return fmt.Sprintf("the log starts at record %d (%s) and no usable snapshot covers the records before it", ls[0].first, filepath.Base(ls[0].path))
	}
	return "no segment holds them"
}

func segName(first uint64) string { return fmt.Sprintf("%020d.log", first) }

// checkSnapshot reads snapshot file sn through and checks its framing and checksum
// (without keeping the payload).
func checkSnapshot(sn segment) error {
	_, err := readSnapshotWith(sn, false)
	return err
}

// recover scans the log and the snapshots, refuses (LossError) or, with RecoverLossy,
// drops what cannot be restored, repairs a torn tail and opens the log for appending.
func (s *Store) recover() error {
	segs, err := s.list(".log")
	if err != nil {
		return err
	}
	snaps, err := s.list(".snap")
	if err != nil {
		return err
	}
	ls, p, err := s.analyse(segs, snaps)
	if err != nil {
		return err
	}
	if len(p.lost) > 0 && !s.opts.RecoverLossy {
		return &LossError{Dir: s.opts.Dir, Base: p.base, End: p.end, Lost: p.lost}
	}
	for _, h := range p.harmless {
		s.log.Warn("store: damage in the log that loses nothing (the snapshot covers it, or it lies between two consecutive records)", "where", h)
	}
	s.base, s.end, s.dropped = p.base, p.end, p.lost
	s.floor = floor(allRuns(ls), p.end)
	s.written = p.end
	s.synced = p.end
	if s.opts.ReadOnly {
		for i, sn := range p.badSnaps {
			s.log.Warn("store: damaged snapshot", "snapshot", sn.path, "err", p.badWhy[i])
		}
		s.segs = segsOf(ls, p.end)
		return nil
	}
	for i, sn := range p.badSnaps {
		dest, err := s.moveAside(sn.path)
		if err != nil {
			return err
		}
		s.log.Warn("store: damaged snapshot moved aside", "snapshot", sn.path, "to", dest, "err", p.badWhy[i])
	}
	for _, l := range p.lost {
		s.log.Error("store: recovering lossily: dropped "+l.String(), "dir", s.opts.Dir)
	}
	// Keep the segments up to the consistent state's end, cut the one holding it after it,
	// and move the rest aside.
	var keep []logSeg
	for _, l := range ls {
		if l.overlap || (l.first > p.end && len(p.lost) > 0) {
			dest, err := s.moveAside(l.path)
			if err != nil {
				return err
			}
			s.log.Error("store: recovering lossily: segment moved aside", "segment", l.path, "to", dest)
			continue
		}
		keep = append(keep, l)
	}
	if n := len(keep); n > 0 {
		last := &keep[n-1]
		cut := int64(-1)
		switch {
		case len(p.lost) > 0:
			// Everything after record end (or, when it holds none of the records after
			// the snapshot, after its last record up to end).
			cut = cutOffset(last, p.end)
		case last.sc.torn >= 0:
			cut = last.sc.torn
			s.log.Warn("store: truncating a torn write at the end of the log", "segment", last.path, "offset", cut, "reason", last.sc.tornWhy)
		}
		if cut >= 0 && cut < last.sc.size {
			if err := s.cutSegment(last, cut, len(p.lost) > 0); err != nil {
				return err
			}
		}
	}
	s.segs = segsOf(keep, p.end)
	if n := len(keep); n > 0 {
		last := keep[n-1]
		if last.sc.size < int64(segHeader) { // a segment whose header was torn: write it again
			if err := s.rewriteHeader(last.path); err != nil {
				return err
			}
			last.sc.version, last.sc.size = segV2, int64(segHeader)
		}
		// Append to the last segment only when it is version 2 and ends with record end
		// (else the next record starts a new segment).
		if last.sc.version == segV2 && last.sc.sealed == 0 && last.sc.lastSeq(last.first) == p.end && len(last.sc.damage) == 0 {
			f, err := s.openFile(last.path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
			s.setFile(f, last.sc.size)
		}
	}
	if lastSeq := lastRecord(ls); p.end > lastSeq && len(p.lost) == 0 && lastSeq > 0 {
		s.log.Warn("store: the log ends before the newest snapshot; resuming after it", "log", lastSeq, "snapshot", p.base)
	}
	return nil
}

// lastRecord returns the highest readable record of the segments.
func lastRecord(ls []logSeg) uint64 {
	var last uint64
	for _, l := range ls {
		if !l.overlap {
			last = max(last, l.sc.lastSeq(l.first))
		}
	}
	return last
}

// segsOf returns the segments kept.
func segsOf(ls []logSeg, end uint64) []segment {
	out := make([]segment, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.segment)
	}
	return out
}

// cutOffset returns where segment l is cut so that it holds no record after end. (The
// consistent state never ends inside a run: a run that starts at or before end+1 and
// goes beyond would have been part of it.)
func cutOffset(l *logSeg, end uint64) int64 {
	cut := int64(segHeader)
	for _, r := range l.sc.runs {
		if r.last > end {
			break
		}
		cut = r.end
	}
	return cut
}

// cutSegment cuts segment l at offset cut (fsynced); when keepCut, the bytes cut are
// first saved in the lost directory.
func (s *Store) cutSegment(l *logSeg, cut int64, keepCut bool) error {
	if keepCut {
		data, err := os.ReadFile(l.path)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		dir, err := s.lostDir()
		if err != nil {
			return err
		}
		dest := filepath.Join(dir, filepath.Base(l.path)+".from-"+strconv.FormatInt(cut, 10))
		if err := writeFileSync(dest, data[cut:]); err != nil {
			return err
		}
		if err := syncDir(dir); err != nil {
			return err
		}
		s.log.Error("store: recovering lossily: segment cut; the bytes cut are kept", "segment", l.path, "offset", cut, "kept", dest)
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	err = f.Truncate(cut)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: cutting %s at offset %d: %w", l.path, cut, err)
	}
	l.sc.size = cut
	l.sc.torn = -1
	if l.sc.sealed != 0 && l.sc.sealAt >= cut {
		l.sc.sealed = 0
	}
	var runs []run
	for _, r := range l.sc.runs {
		if r.end <= cut {
			runs = append(runs, r)
		}
	}
	l.sc.runs = runs
	var dmg []damage
	for _, d := range l.sc.damage {
		if d.end <= cut {
			dmg = append(dmg, d)
		}
	}
	l.sc.damage = dmg
	return nil
}

// rewriteHeader writes the header of an empty version 2 segment into path, fsynced.
func (s *Store) rewriteHeader(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("store: repairing the header of %s: %w", path, err)
	}
	_, err = f.Write(segHeaderOf(segV2))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: repairing the header of %s: %w", path, err)
	}
	s.log.Warn("store: the last segment's header was torn; written again", "segment", path)
	return nil
}

// lostDir returns (creating it once) the directory where lossy recovery keeps what it
// drops: DIR/lost-<UTC time>.
func (s *Store) lostDir() (string, error) {
	if s.lost != "" {
		return s.lost, nil
	}
	base := filepath.Join(s.opts.Dir, "lost-"+s.now().UTC().Format("20060102T150405Z"))
	dir := base
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("store: %w", err)
		}
		dir = base + "-" + strconv.Itoa(i)
	}
	if err := syncDir(s.opts.Dir); err != nil {
		return "", err
	}
	s.lost = dir
	return dir, nil
}

// moveAside moves file path into the lost directory and returns its new path.
func (s *Store) moveAside(path string) (string, error) {
	dir, err := s.lostDir()
	if err != nil {
		return "", err
	}
	dest := filepath.Join(dir, filepath.Base(path))
	if err := os.Rename(path, dest); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return "", err
	}
	return dest, syncDir(s.opts.Dir)
}

// writeFileSync writes data to a new file path (0600) and fsyncs it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", path, err)
	}
	return nil
}
