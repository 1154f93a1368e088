package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Segment format (see the package documentation).
const (
	segPrefix   = "SKLOG\x00\x00" // then the version byte
	segHeader   = len(segPrefix) + 1
	segV1       = 1 // frames: length, crc, seq, payload
	segV2       = 2 // frames: length, crc, seq, time, payload; a seal may end the segment
	frameHeadV1 = 16
	frameHeadV2 = 24
	// sealLen in a v2 frame's length field marks the seal: the segment is closed and the
	// log continues in the segment whose first record is the seal's seq.
	sealLen = 0xFFFFFFFF
	// sectorSize is the unit of a torn write: a write cut by a crash leaves whole sectors
	// unwritten, which read back as zeros (files are never preallocated or reused).
	sectorSize = 512
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segHeaderOf returns the header of a segment of version v.
func segHeaderOf(v byte) []byte { return append([]byte(segPrefix), v) }

// frameHead returns the size of a frame's head in a segment of version v.
func frameHead(v byte) int {
	if v == segV1 {
		return frameHeadV1
	}
	return frameHeadV2
}

// appendFrame appends a version 2 frame of record seq, appended at unix time t (ns).
func appendFrame(b []byte, seq uint64, t int64, payload []byte) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(t))
	b = append(b, payload...)
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(b[start+8:], castagnoli))
	return b
}

// sealFrame returns the seal of a segment followed by the one starting at record next.
func sealFrame(next uint64, t int64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, sealLen)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, next)
	b = binary.LittleEndian.AppendUint64(b, uint64(t))
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	return b
}

// run is a stretch of consecutive, readable records in one segment.
type run struct {
	first, last uint64 // record numbers
	off, end    int64  // offset of first's frame, offset after last's
	t0, t1      int64  // append times of first and last (unix ns; 0: unknown, version 1)
}

// damage is a stretch of a segment that does not read as the records expected there.
type damage struct {
	off, end int64  // from off to end (the next readable frame, or the end of the file)
	seq      uint64 // the record expected at off
	next     uint64 // the record (or seal) read at end; 0 when nothing readable follows
	why      string
}

// segScan is what scanning a segment found.
type segScan struct {
	version byte // 0: the header is unreadable
	size    int64
	runs    []run
	damage  []damage
	// torn, in the last segment only, is where a torn write begins (the file is cut
	// there at recovery); -1 when there is none.
	torn    int64
	tornWhy string
	// sealed is the first record of the next segment when the segment ends with a seal
	// (0: not sealed); sealAt is the seal's offset.
	sealed uint64
	sealAt int64
}

// end returns the offset after the last readable frame (records and seal).
func (sc *segScan) end() int64 {
	if sc.sealed != 0 {
		return sc.sealAt + frameHeadV2
	}
	if n := len(sc.runs); n > 0 {
		return sc.runs[n-1].end
	}
	return int64(segHeader)
}

// lastSeq returns the segment's last readable record (first-1 when none).
func (sc *segScan) lastSeq(first uint64) uint64 {
	if n := len(sc.runs); n > 0 {
		return sc.runs[n-1].last
	}
	return first - 1
}

// frame is one parsed frame.
type frame struct {
	seq     uint64
	t       int64
	payload []byte
	size    int
	seal    bool
}

// parseFrame reads the frame at data[off:] of a segment of version v. On failure it says
// why, and whether the failure may be a torn write (an incomplete frame reaching the end
// of the data).
func parseFrame(data []byte, off int, v byte) (f frame, why string, tornOK bool) {
	rest := data[off:]
	hd := frameHead(v)
	if allZero(rest) {
		return f, "zero bytes to the end of the segment", true
	}
	if len(rest) < hd {
		return f, "record header cut short", true
	}
	ln := binary.LittleEndian.Uint32(rest)
	sum := binary.LittleEndian.Uint32(rest[4:])
	if v == segV2 && ln == sealLen {
		if crc32.Checksum(rest[8:hd], castagnoli) != sum {
			return f, "seal checksum mismatch", false
		}
		f.seq, f.t = binary.LittleEndian.Uint64(rest[8:]), int64(binary.LittleEndian.Uint64(rest[16:]))
		f.size, f.seal = hd, true
		return f, "", false
	}
	if ln > MaxRecord {
		return f, fmt.Sprintf("record length %d beyond the limit", ln), false
	}
	if len(rest) < hd+int(ln) {
		return f, "record cut short", true
	}
	body := rest[8 : hd+int(ln)]
	if crc32.Checksum(body, castagnoli) != sum {
		// A complete record is a torn write only when it ends the data and its end is
		// whole zero sectors: the crash left them unwritten. A bit flip is damage.
		return f, "checksum mismatch", off+hd+int(ln) == len(data) && zeroSectorTail(data, off, off+hd+int(ln))
	}
	f.seq = binary.LittleEndian.Uint64(body)
	if v == segV2 {
		f.t = int64(binary.LittleEndian.Uint64(body[8:]))
	}
	f.payload, f.size = rest[hd:hd+int(ln)], hd+int(ln)
	return f, "", false
}

// zeroSectorTail reports whether data[start:end] ends with zero bytes from a sector
// boundary after start on (what a write cut by a crash leaves).
func zeroSectorTail(data []byte, start, end int) bool {
	z := end
	for z > start && data[z-1] == 0 {
		z--
	}
	if z == start {
		return true
	}
	k := (z + sectorSize - 1) / sectorSize * sectorSize
	return k < end
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// resync looks after a damaged stretch starting at off for the next readable frame whose
// record number is at least seq (a record or a seal), and returns its offset and frame.
func resync(data []byte, off int, v byte, seq uint64) (int, frame, bool) {
	hd := frameHead(v)
	span := uint64(len(data)-off)/uint64(hd) + 1 // no more records than that fit
	for p := off + 1; p+hd <= len(data); p++ {
		got := binary.LittleEndian.Uint64(data[p+8:])
		if got < seq || got-seq > span {
			continue
		}
		f, why, _ := parseFrame(data, p, v)
		if why == "" && f.seq == got {
			return p, f, true
		}
	}
	return 0, frame{}, false
}

// scanData scans the bytes of a segment whose first record is first, calling fn (when
// not nil) for each readable record in order. last says whether it is the log's last
// segment, where an incomplete frame with nothing readable after it is a torn write.
// Damage does not stop the scan: it resumes at the next readable frame, so records after
// a damaged one are still found (and the stretch between is reported).
func scanData(data []byte, first uint64, last bool, fn func(seq uint64, t int64, rec []byte) error) (segScan, error) {
	sc := segScan{size: int64(len(data)), torn: -1}
	if len(data) < segHeader {
		if last {
			sc.torn, sc.tornWhy = 0, "segment header cut short"
			return sc, nil
		}
		sc.damage = append(sc.damage, damage{off: 0, end: int64(len(data)), seq: first, why: "segment header cut short"})
		return sc, nil
	}
	v := data[len(segPrefix)]
	if string(data[:len(segPrefix)]) != segPrefix || (v != segV1 && v != segV2) {
		why := "not a statkit log segment (bad magic or version)"
		if allZero(data) {
			why = "the whole segment reads as zero bytes"
		}
		sc.damage = append(sc.damage, damage{off: 0, end: int64(len(data)), seq: first, why: why})
		return sc, nil
	}
	sc.version = v
	off, seq := segHeader, first
	var cur *run
	for off < len(data) {
		f, why, tornOK := parseFrame(data, off, v)
		if why == "" && !f.seal && f.seq != seq {
			why = fmt.Sprintf("record number %d, expected %d", f.seq, seq)
		}
		if why == "" && f.seal && f.seq != seq {
			why = fmt.Sprintf("seal names record %d, expected %d", f.seq, seq)
		}
		if why == "" && f.seal {
			sc.sealed, sc.sealAt = f.seq, int64(off)
			if off+f.size < len(data) {
				sc.damage = append(sc.damage, damage{off: int64(off + f.size), end: int64(len(data)), seq: seq, why: "data after the seal"})
			}
			break
		}
		if why != "" {
			cur = nil
			p, nf, ok := resync(data, off, v, seq)
			if !ok {
				if last && tornOK {
					sc.torn, sc.tornWhy = int64(off), why
				} else {
					sc.damage = append(sc.damage, damage{off: int64(off), end: int64(len(data)), seq: seq, why: why})
				}
				break
			}
			sc.damage = append(sc.damage, damage{off: int64(off), end: int64(p), seq: seq, next: nf.seq, why: why})
			off, seq = p, nf.seq
			continue
		}
		if fn != nil {
			if err := fn(f.seq, f.t, f.payload); err != nil {
				return sc, err
			}
		}
		if cur == nil {
			sc.runs = append(sc.runs, run{first: seq, off: int64(off), t0: f.t})
			cur = &sc.runs[len(sc.runs)-1]
		}
		off += f.size
		cur.last, cur.end, cur.t1 = seq, int64(off), f.t
		seq++
	}
	return sc, nil
}
