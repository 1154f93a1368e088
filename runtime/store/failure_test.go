package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// mountTmpfs mounts a tmpfs of size bytes (read-only when ro) on a new directory and
// unmounts it when the test ends. It needs root: in CI (CI=true, as root) a failure to
// mount fails the test, elsewhere it skips.
func mountTmpfs(t *testing.T, size int, ro bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	require.NoError(t, os.Mkdir(dir, 0o700))
	var flags uintptr
	if ro {
		flags = syscall.MS_RDONLY
	}
	err := syscall.Mount("tmpfs", dir, "tmpfs", flags, fmt.Sprintf("size=%d,mode=0700", size))
	if err != nil {
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatalf("mounting a tmpfs as root in CI: %v", err)
		}
		t.Skipf("cannot mount a tmpfs here (%v): needs root; the injected failing writer test covers the store's side", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fillUntilFull appends 1000-byte records durably until the store fails, and returns the
// records acknowledged and the failure.
func fillUntilFull(t *testing.T, s *Store) ([][]byte, error) {
	t.Helper()
	var acked [][]byte
	for i := 1; i < 100000; i++ {
		r := bytes.Repeat([]byte{byte('a' + i%26)}, 1000)
		copy(r, fmt.Sprintf("record %d:", i))
		if _, err := s.AppendDurable(r); err != nil {
			return acked, err
		}
		acked = append(acked, r)
	}
	t.Fatal("the store never failed")
	return nil, nil
}

// checkRecovered reopens dir and checks that the log holds exactly the acknowledged
// records, then that it takes more.
func checkRecovered(t *testing.T, dir string, acked [][]byte) {
	t.Helper()
	s, err := Open(Options{Dir: dir, Logger: quiet()})
	require.NoError(t, err)
	var got [][]byte
	require.NoError(t, s.Replay(0, func(seq uint64, r []byte) error {
		got = append(got, bytes.Clone(r))
		return nil
	}))
	require.Equal(t, len(acked), len(got), "records recovered")
	require.Equal(t, acked, got)
	seq, err := s.AppendDurable([]byte("after"))
	require.NoError(t, err)
	require.Equal(t, uint64(len(acked)+1), seq)
	require.NoError(t, s.Close())
}

// A full disk (a real tmpfs): the append that does not fit fails, the failure is sticky
// (later appends fail even once space is back) and reported by Err; after a restart the
// log holds exactly the acknowledged records.
func TestDiskFullTmpfs(t *testing.T) {
	dir := mountTmpfs(t, 64<<10, false)
	s, err := Open(Options{Dir: dir, Logger: quiet()})
	require.NoError(t, err)
	acked, ferr := fillUntilFull(t, s)
	require.ErrorIs(t, ferr, syscall.ENOSPC)
	require.NotEmpty(t, acked)
	require.Less(t, len(acked), 64) // 64 KiB hold fewer than 64 records of 1 KB
	require.ErrorIs(t, s.Err(), syscall.ENOSPC)
	require.NoError(t, syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, "size=1m"))
	_, err = s.AppendDurable([]byte("more"))
	require.ErrorIs(t, err, syscall.ENOSPC, "the failure is sticky")
	require.ErrorIs(t, s.WaitDurable(uint64(len(acked)+1)), syscall.ENOSPC)
	s.Close()
	checkRecovered(t, dir, acked)
}

// disk is the state of an injected disk shared by its files: a byte budget after which
// writes fail with ENOSPC (after writing what fits, as a real short write does), a switch
// failing fsyncs with EIO, and one freezing them until thaw is closed.
type disk struct {
	mu       sync.Mutex
	budget   int
	failSync bool
	frozen   atomic.Bool
	thaw     chan struct{}
}

func newDisk(budget int) *disk { return &disk{budget: budget, thaw: make(chan struct{})} }

// failingFile is a file of an injected disk.
type failingFile struct {
	*os.File
	d *disk
}

func (f *failingFile) Write(b []byte) (int, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if len(b) <= f.d.budget {
		f.d.budget -= len(b)
		return f.File.Write(b)
	}
	n, _ := f.File.Write(b[:f.d.budget])
	f.d.budget = 0
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func (f *failingFile) Sync() error {
	if f.d.frozen.Load() {
		<-f.d.thaw
	}
	f.d.mu.Lock()
	fail := f.d.failSync
	f.d.mu.Unlock()
	if fail {
		return &os.PathError{Op: "sync", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Sync()
}

func (d *disk) set(fn func(d *disk)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fn(d)
}

// open is the store's file opener on the injected disk.
func (d *disk) open(name string, flag int, perm os.FileMode) (file, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &failingFile{File: f, d: d}, nil
}

// The same with a failing writer injected into the store (where no tmpfs can be
// mounted): the short write, the sticky failure, the exact recovery.
func TestDiskFullInjected(t *testing.T) {
	dir := t.TempDir()
	d := newDisk(50_000)
	opts := Options{Dir: dir, Logger: quiet(), SegmentBytes: 20_000, openFile: d.open}
	s, err := Open(opts)
	require.NoError(t, err)
	acked, ferr := fillUntilFull(t, s)
	require.ErrorIs(t, ferr, syscall.ENOSPC)
	require.Greater(t, len(acked), 40) // 50 000 bytes of 1 KB records over 3 segments
	require.Less(t, len(acked), 50)
	d.set(func(d *disk) { d.budget = 1 << 30 }) // space is back
	_, err = s.AppendDurable([]byte("more"))
	require.ErrorIs(t, err, syscall.ENOSPC, "the failure is sticky")
	require.ErrorIs(t, s.Err(), syscall.ENOSPC)
	s.Close()
	checkRecovered(t, dir, acked)
}

// A failed fsync is sticky too: the records waiting for it are not acknowledged, and no
// later one is.
func TestFsyncFailure(t *testing.T) {
	dir := t.TempDir()
	d := newDisk(1 << 30)
	s, err := Open(Options{Dir: dir, Logger: quiet(), openFile: d.open})
	require.NoError(t, err)
	_, err = s.AppendDurable([]byte("one"))
	require.NoError(t, err)
	d.set(func(d *disk) { d.failSync = true })
	_, err = s.AppendDurable([]byte("two"))
	require.ErrorIs(t, err, syscall.EIO)
	d.set(func(d *disk) { d.failSync = false })
	_, err = s.AppendDurable([]byte("three"))
	require.ErrorIs(t, err, syscall.EIO, "sticky: after a failed fsync the file's state is unknown")
	require.ErrorIs(t, s.Err(), syscall.EIO)
	s.Close()
}

// A durable store refuses a directory it cannot write: a read-only filesystem (root:
// a tmpfs mounted read-only), a directory without write permission (not root), and a
// probe write the disk refuses (injected).
func TestNotWritable(t *testing.T) {
	t.Run("read-only filesystem", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("mounting needs root; the permission case runs instead")
		}
		dir := mountTmpfs(t, 64<<10, true)
		_, err := Open(Options{Dir: dir, Logger: quiet()})
		require.ErrorContains(t, err, "is not writable")
		require.ErrorIs(t, err, syscall.EROFS)
		// Read-only opening works.
		s, err := Open(Options{Dir: dir, Logger: quiet(), ReadOnly: true})
		require.NoError(t, err)
		require.NoError(t, s.Close())
	})
	t.Run("permission", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes whatever the permissions; the read-only filesystem case runs instead")
		}
		dir := t.TempDir()
		require.NoError(t, os.Chmod(dir, 0o500))
		_, err := Open(Options{Dir: dir, Logger: quiet()})
		require.ErrorContains(t, err, "is not writable")
	})
	t.Run("fsync refused", func(t *testing.T) {
		d := newDisk(1 << 30)
		d.failSync = true
		_, err := Open(Options{Dir: t.TempDir(), Logger: quiet(), openFile: d.open})
		require.ErrorContains(t, err, "is not writable")
		require.ErrorIs(t, err, syscall.EIO)
	})
}

// Close gives up on a disk that does not answer (an fsync that never returns) after
// CloseTimeout, with an error.
func TestCloseFrozenDisk(t *testing.T) {
	d := newDisk(1 << 30)
	defer close(d.thaw)
	s, err := Open(Options{Dir: t.TempDir(), Logger: quiet(), CloseTimeout: 100 * time.Millisecond, openFile: d.open})
	require.NoError(t, err)
	_, err = s.AppendDurable([]byte("one"))
	require.NoError(t, err)
	d.frozen.Store(true)
	_, err = s.Append([]byte("two")) // written; its fsync never returns
	require.NoError(t, err)
	start := time.Now()
	err = s.Close()
	require.ErrorContains(t, err, "did not answer within 100ms")
	require.Less(t, time.Since(start), 5*time.Second)
}
