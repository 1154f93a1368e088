package cluster

import (
	"bytes"
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
)

// cache is a replica's local cache of its group's snapshots, in a directory of the data
// directory: "<seq, 20 digits>.snap" files, each the magic "SKRSNAP1", the sequence it
// covers and the payload's length (little-endian uint64s), the payload and a CRC-32C of
// all that. The file "stream" names the stream's incarnation (name, creation time) and the
// group: a cache of another incarnation (the stream was deleted and created again, its
// sequences started over) or group is emptied, never used.
type cache struct {
	dir  string
	keep int
	log  *slog.Logger
}

const cacheMagic = "SKRSNAP1"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// openCache opens (creating) the cache in dir for the stream incarnation and group that
// identity names.
func openCache(dir, identity string, keep int, log *slog.Logger) (*cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cluster: snapshot cache: %w", err)
	}
	c := &cache{dir: dir, keep: max(keep, 1), log: log}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "tmp-*")); len(tmps) > 0 {
		for _, t := range tmps { // a write cut short
			os.Remove(t)
		}
	}
	idFile := filepath.Join(dir, "stream")
	have, err := os.ReadFile(idFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cluster: snapshot cache: %w", err)
	}
	if string(have) != identity {
		seqs, err := c.list()
		if err != nil {
			return nil, err
		}
		if len(have) > 0 && len(seqs) > 0 {
			log.Warn("cluster: the snapshot cache is of another stream or group; emptying it", "dir", dir)
		}
		for _, s := range seqs {
			if err := os.Remove(c.path(s)); err != nil {
				return nil, fmt.Errorf("cluster: snapshot cache: %w", err)
			}
		}
		if err := writeFileSync(dir, idFile, []byte(identity)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *cache) path(seq uint64) string { return filepath.Join(c.dir, fmt.Sprintf("%020d.snap", seq)) }

// list returns the sequences of the cached snapshots, oldest first.
func (c *cache) list() ([]uint64, error) {
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("cluster: snapshot cache: %w", err)
	}
	var seqs []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".snap")
		if !ok || len(name) != 20 {
			continue
		}
		if s, err := strconv.ParseUint(name, 10, 64); err == nil {
			seqs = append(seqs, s)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// write stores payload as the snapshot covering seq (durably: written, synced, renamed)
// and keeps the newest c.keep and, when pin is not nil, the newest at or before pin() —
// the oldest when none is (the local store's rule, runtime/store/pin.go: what history's
// catch-up restores; a pin of 0 is a position not known yet, as before the history
// database answers at a restart, and the snapshot its real position needs must stay).
func (c *cache) write(seq uint64, payload []byte, pin func() uint64) error {
	b := make([]byte, 0, len(cacheMagic)+16+len(payload)+4)
	b = append(b, cacheMagic...)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(payload)))
	b = append(b, payload...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	if err := writeFileSync(c.dir, c.path(seq), b); err != nil {
		return err
	}
	seqs, err := c.list()
	if err != nil {
		return err
	}
	pinned := -1
	if pin != nil {
		p := pin()
		pinned = 0 // none at or before the pin: the oldest
		for i, s := range seqs {
			if s <= p {
				pinned = i
			}
		}
	}
	for i, s := range seqs[:max(len(seqs)-c.keep, 0)] {
		if i == pinned {
			continue
		}
		if err := os.Remove(c.path(s)); err != nil {
			return fmt.Errorf("cluster: snapshot cache: %w", err)
		}
	}
	return nil
}

// read returns the payload of the cached snapshot covering seq, checked.
func (c *cache) read(seq uint64) ([]byte, error) {
	b, err := os.ReadFile(c.path(seq))
	if err != nil {
		return nil, fmt.Errorf("cluster: snapshot cache: %w", err)
	}
	h := len(cacheMagic) + 16
	if len(b) < h+4 || !bytes.Equal(b[:len(cacheMagic)], []byte(cacheMagic)) {
		return nil, fmt.Errorf("cluster: %s: not a cached snapshot", c.path(seq))
	}
	s := binary.LittleEndian.Uint64(b[len(cacheMagic):])
	n := binary.LittleEndian.Uint64(b[len(cacheMagic)+8:])
	if s != seq || n != uint64(len(b)-h-4) {
		return nil, fmt.Errorf("cluster: %s: header does not match the file", c.path(seq))
	}
	if crc32.Checksum(b[:len(b)-4], castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, fmt.Errorf("cluster: %s: checksum mismatch", c.path(seq))
	}
	return b[h : len(b)-4], nil
}

// writeFileSync writes name in dir durably: a temporary file, synced, renamed over name,
// and the directory synced.
func writeFileSync(dir, name string, b []byte) error {
	tmp, err := os.CreateTemp(dir, "tmp-*")
	if err != nil {
		return fmt.Errorf("cluster: snapshot cache: %w", err)
	}
	_, err = io.Copy(tmp, bytes.NewReader(b))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cluster: snapshot cache: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cluster: snapshot cache: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cluster: snapshot cache: %w", err)
	}
	return nil
}
