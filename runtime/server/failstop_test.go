package server

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
	"github.com/statkit/statkit/runtime/store"
)

// failingLog is a store.Log whose appends fail once fail is set, as a full disk's do
// (nothing of the failed record reaches the disk).
type failingLog struct {
	*store.Log
	fail atomic.Bool
	err  atomic.Pointer[error]
}

var errDiskFull = errors.New("write: no space left on device (injected)")

func (l *failingLog) Append(ctx context.Context, rec []byte, id string, local any) (uint64, bool, error) {
	if l.fail.Load() {
		err := errDiskFull
		l.err.CompareAndSwap(nil, &err)
		return 0, false, err
	}
	return l.Log.Append(ctx, rec, id, local)
}

func (l *failingLog) Err() error {
	if p := l.err.Load(); p != nil {
		return *p
	}
	return l.Log.Err()
}

// smallDisk mounts a tmpfs of size bytes at a new directory when the test may (root,
// mount(8) present), and returns it and a function that grows it; ok is false when no
// tmpfs could be mounted.
func smallDisk(t *testing.T, size string) (dir string, grow func(), ok bool) {
	dir = filepath.Join(t.TempDir(), "disk")
	require.NoError(t, os.Mkdir(dir, 0o700))
	if os.Geteuid() != 0 {
		return "", nil, false
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("no tmpfs (%v: %s): a failing log is injected instead", err, strings.TrimSpace(string(out)))
		return "", nil, false
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir, func() {
		out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}, true
}

// A log that fails (a full disk) makes the server read-only: the failing POST and every
// later state change answer 503 with a JSON error that names the failure, /healthz
// answers 503, reads still work, and what the server shows is never ahead of the log: a
// restart on the same data directory shows exactly the same values.
func TestFailStop(t *testing.T) {
	sc := sim.Config{Seed: 12, Agents: 20, Queues: 2, Duration: 3 * time.Hour, LoginSpread: time.Minute}
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	batches := splitAtTimes(simEvents(t, sc), 60)

	dir, grow, tmpfs := smallDisk(t, "256k")
	var flog *failingLog
	if !tmpfs {
		dir = t.TempDir()
	}
	st := openStore(t, dir)
	opts := Options{Config: cfg, TickInterval: -1, Store: st, SnapshotEvery: -1, SnapshotInterval: -1,
		Reload: func() (*config.Config, []byte, error) { return cfg, []byte("x"), nil }}
	if !tmpfs {
		l, err := store.NewLog(st)
		require.NoError(t, err)
		flog = &failingLog{Log: l}
		opts.Log = flog
	}
	ts := startServer(t, opts, nil, nil)
	failedAt := -1
	for i, b := range batches {
		if flog != nil && i == 20 {
			flog.fail.Store(true)
		}
		status, body, _ := ts.post(ndjson(t, b))
		if status == http.StatusOK {
			continue
		}
		require.Equal(t, http.StatusServiceUnavailable, status, "%s", body)
		msg := errorBody(t, body).Error
		assert.Contains(t, msg, "no space left on device")
		assert.Contains(t, msg, "read-only")
		assert.NotContains(t, msg, dir, "the answer names no path")
		failedAt = i
		break
	}
	require.Positive(t, failedAt, "the disk never filled")
	t.Logf("the log failed at batch %d of %d (tmpfs: %v)", failedAt, len(batches), tmpfs)
	live := ts.allValues()

	status, _, _ := ts.post(ndjson(t, batches[failedAt+1]))
	assert.Equal(t, http.StatusServiceUnavailable, status)
	status, b := ts.do("POST", "/v1/statistics", "application/json", []byte(`{"statType":"CallsEntered","object":{"type":"Queue","id":"Q1@SW1"}}`))
	assert.Equal(t, http.StatusServiceUnavailable, status, "%s", b)
	status, _ = ts.do("DELETE", "/v1/statistics/"+cfg.Statistics[0].ID, "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	status, _ = ts.do("POST", "/v1/config/reload", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	status, h := ts.health()
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "failed", h["status"])
	assert.Contains(t, h["error"], "no space left on device")
	assert.Equal(t, float64(1), metricValue(t, ts.srv.m.failed))
	assert.Equal(t, live, ts.allValues(), "reads still work and nothing moved")
	require.NoError(t, ts.stop())
	st.Close() // may fail: the disk is full

	if tmpfs {
		grow()
	}
	st = openStore(t, dir)
	defer st.Close()
	ts = startServer(t, Options{Config: cfg, TickInterval: -1, Store: st}, nil, nil)
	assert.Equal(t, live, ts.allValues(), "a restart shows what the failed server showed")
	status, _, _ = ts.post(ndjson(t, batches[failedAt]))
	assert.Equal(t, http.StatusOK, status, "the unacknowledged batch is posted again")
}

// A durable server refuses to start on a data directory it cannot write (a read-only
// mount here, or a directory without write permission for a user who is not root).
func TestRefusesUnwritableDataDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(dir, 0o700))
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
			t.Skipf("root, and no read-only tmpfs: %v: %s", err, out)
		}
		t.Cleanup(func() { exec.Command("umount", dir).Run() })
	} else {
		require.NoError(t, os.Chmod(dir, 0o500))
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
	}
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		assert.Contains(t, err.Error(), "read-only") // the store refused already
		return
	}
	defer st.Close()
	_, err = New(Options{Config: loadSmall(t), Store: st})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot be written")
}

// forgetfulLog hands no record's attachment back (a Log breaking its contract).
type forgetfulLog struct{ *store.MemLog }

func (l forgetfulLog) Follow(ctx context.Context, after uint64, apply func(uint64, []byte, any) error) error {
	return l.MemLog.Follow(ctx, after, func(seq uint64, rec []byte, _ any) error { return apply(seq, rec, nil) })
}

// A log that does not hand back what was attached to a record never leaves a request
// hanging: the record applies (decoded again), a keyed batch is answered from the key
// table, another gets a 500 saying its outcome is unknown.
func TestLogWithoutAttachmentsDoesNotHang(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1, Log: forgetfulLog{store.NewMemLog()}}, nil, nil)
	status, b, _ := ts.post([]byte(evEntered+"\n"), IdempotencyHeader, "k")
	assert.Equal(t, http.StatusOK, status, "%s", b)
	status, b, _ = ts.post([]byte(evWaitStart + "\n"))
	assert.Equal(t, http.StatusInternalServerError, status, "%s", b)
	assert.Equal(t, "1", string(ts.peek("entered").Value))
	assert.Equal(t, "1", string(ts.peek("waiting").Value))
}
