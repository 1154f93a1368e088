package queuelog_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/queuelog"
)

func fields(rec *source.Record) string {
	var b strings.Builder
	for i, f := range rec.Fields {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(f.Name + "=" + f.Value)
	}
	return b.String()
}

func TestParse(t *testing.T) {
	f := gs.AsteriskQueueLog()
	var rec source.Record
	for _, tc := range []struct{ line, want string }{
		{"1767225600|1700.1|sales|NONE|ENTERQUEUE||5551234|1\r",
			"time=1767225600 callid=1700.1 queue=sales agent=NONE event=ENTERQUEUE url= callerid=5551234 position=1"},
		{"1767225600|1700.1|sales|NONE|ENTERQUEUE||5551234", // 1.4: no position
			"time=1767225600 callid=1700.1 queue=sales agent=NONE event=ENTERQUEUE url= callerid=5551234"},
		{"1767225600|NONE|NONE|NONE|QUEUESTART|", "time=1767225600 callid=NONE queue=NONE agent=NONE event=QUEUESTART data1="},
		{"1767225600|NONE|NONE|NONE|QUEUESTART", "time=1767225600 callid=NONE queue=NONE agent=NONE event=QUEUESTART"},
		{"1767225600|1.1|q|a|ATTENDEDTRANSFER|LINK|SIP/a-1|SIP/b-2|3|40|1", // method-dependent tail: data3…
			"time=1767225600 callid=1.1 queue=q agent=a event=ATTENDEDTRANSFER method=LINK target=SIP/a-1 data3=SIP/b-2 data4=3 data5=40 data6=1"},
		{"1767225600|1.1|q|a|CUSTOMEVENT|x|y", "time=1767225600 callid=1.1 queue=q agent=a event=CUSTOMEVENT data1=x data2=y"},
	} {
		require.NoError(t, queuelog.Parse(f, []byte(tc.line), &rec), tc.line)
		assert.Equal(t, tc.want, fields(&rec), tc.line)
	}
	err := queuelog.Parse(f, []byte("1767225600|1700.1|sales"), &rec)
	var rej *event.Rejection
	require.True(t, errors.As(err, &rej))
	assert.Equal(t, "bad_line", rej.Code)
	assert.Equal(t, "not a queue_log line: want epoch|callid|queue|agent|event|data…, got 3 field(s)", rej.Reason)
	err = queuelog.Parse(f, []byte(strings.Repeat("x", queuelog.MaxLine+1)), &rec)
	require.True(t, errors.As(err, &rej))
	assert.Equal(t, "line_too_long", rej.Code)
}

func TestReader(t *testing.T) {
	long := "1767225600|1.1|q|NONE|ENTERQUEUE|" + strings.Repeat("u", queuelog.MaxLine) + "|555"
	in := "1767225600|1.1|q|NONE|ENTERQUEUE||555\n\n" + long + "\nnot a line\n1767225601|1.1|q|NONE|ABANDON|1|1|1"
	r := queuelog.NewReader(gs.AsteriskQueueLog(), strings.NewReader(in))
	var rec source.Record
	require.NoError(t, r.Next(&rec))
	assert.Equal(t, 1, rec.Line)
	var rej *event.Rejection
	require.True(t, errors.As(r.Next(&rec), &rej))
	assert.Equal(t, rejection{3, "line_too_long"}, rejection{rej.Line, rej.Code})
	require.True(t, errors.As(r.Next(&rec), &rej))
	assert.Equal(t, rejection{4, "bad_line"}, rejection{rej.Line, rej.Code})
	require.NoError(t, r.Next(&rec), "a last line without its newline is read")
	assert.Equal(t, 5, rec.Line)
	v, _ := rec.Get("waittime")
	assert.Equal(t, "1", v)
	assert.ErrorIs(t, r.Next(&rec), io.EOF)
}

type rejection struct {
	line int
	code string
}

// quiet is a logger for followers under test.
func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func follow(t *testing.T, path string, pos []byte) *queuelog.Follower {
	t.Helper()
	fl, err := queuelog.Follow(path, pos, queuelog.FollowOptions{Poll: 2 * time.Millisecond, Logger: quiet()})
	require.NoError(t, err)
	t.Cleanup(func() { fl.Close() })
	return fl
}

// take reads batches until n lines came, returning them and the last position.
func take(t *testing.T, fl *queuelog.Follower, n int) ([]string, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var lines []string
	var pos []byte
	for len(lines) < n {
		b, err := fl.Next(ctx)
		require.NoError(t, err, "after %d of %d lines: %q", len(lines), n, lines)
		for _, f := range b.Frames {
			lines = append(lines, string(f.Data))
		}
		pos = b.Position
	}
	require.Len(t, lines, n, "exactly")
	return lines, pos
}

// none checks that no line is ready for a while.
func none(t *testing.T, fl *queuelog.Follower) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	b, err := fl.Next(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, b.Frames)
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestFollowTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue_log")
	appendTo(t, path, "a1\na2\na3-par")
	fl := follow(t, path, nil)
	got, _ := take(t, fl, 2)
	assert.Equal(t, []string{"a1", "a2"}, got)
	none(t, fl) // the torn line waits for its newline
	appendTo(t, path, "t\r\n\na4\n")
	got, _ = take(t, fl, 2)
	assert.Equal(t, []string{"a3-part", "a4"}, got, "the torn line completed, the blank line skipped")
}

func TestFollowRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "queue_log")
	appendTo(t, path, "a1\na2\n")
	fl := follow(t, path, nil)
	got, _ := take(t, fl, 2)
	assert.Equal(t, []string{"a1", "a2"}, got)
	// Asterisk writes a last line to the old file, renames it and creates a new one.
	appendTo(t, path, "a3\n")
	require.NoError(t, os.Rename(path, path+".1"))
	appendTo(t, path, "b1\nb2\n")
	got, _ = take(t, fl, 3)
	assert.Equal(t, []string{"a3", "b1", "b2"}, got, "the rest of the old file first")
	appendTo(t, path, "b3\n")
	got, _ = take(t, fl, 1)
	assert.Equal(t, []string{"b3"}, got)
}

func TestFollowTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue_log")
	appendTo(t, path, "a1-long-line\na2-long-line\n")
	fl := follow(t, path, nil)
	take(t, fl, 2)
	require.NoError(t, os.Truncate(path, 0)) // copytruncate
	appendTo(t, path, "b1\n")
	got, _ := take(t, fl, 1)
	assert.Equal(t, []string{"b1"}, got)
	// Truncated and written past the old offset between two looks: the head tells.
	require.NoError(t, os.WriteFile(path, []byte("c1-a-longer-line-than-before\nc2\n"), 0o644))
	got, _ = take(t, fl, 2)
	assert.Equal(t, []string{"c1-a-longer-line-than-before", "c2"}, got)
}

// TestFollowResume: a follower started from a saved position goes on exactly where the
// first one stopped — the same file, a rotated one found under its new name (with lines
// written to it after the position), or nothing to resume when the rotated file is gone.
func TestFollowResume(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "queue_log")
	appendTo(t, path, "a1\na2\na3\n")
	fl := follow(t, path, nil)
	got, pos := take(t, fl, 3)
	assert.Equal(t, []string{"a1", "a2", "a3"}, got)
	fl.Close()

	appendTo(t, path, "a4\n")
	fl = follow(t, path, pos)
	got, pos = take(t, fl, 1)
	assert.Equal(t, []string{"a4"}, got, "same file: from the offset")
	fl.Close()

	appendTo(t, path, "a5\n")
	require.NoError(t, os.Rename(path, filepath.Join(dir, "queue_log-20260101")))
	appendTo(t, path, "b1\n")
	fl = follow(t, path, pos)
	got, pos = take(t, fl, 2)
	assert.Equal(t, []string{"a5", "b1"}, got, "the rotated file's rest, then the new file")
	fl.Close()

	appendTo(t, path, "b2\n")
	require.NoError(t, os.Rename(path, filepath.Join(dir, "old")))
	require.NoError(t, os.Remove(filepath.Join(dir, "old")))
	appendTo(t, path, "c1\n")
	fl = follow(t, path, pos)
	got, _ = take(t, fl, 1)
	assert.Equal(t, []string{"c1"}, got, "the rotated file is gone: its b2 is lost (logged), the new file from its start")
	none(t, fl)

	_, err := queuelog.Follow(path, []byte("{"), queuelog.FollowOptions{})
	assert.ErrorContains(t, err, "bad position")
}

func TestFollowWaitsForTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue_log")
	fl := follow(t, path, nil)
	none(t, fl)
	appendTo(t, path, "a1\n")
	got, _ := take(t, fl, 1)
	assert.Equal(t, []string{"a1"}, got)
}

// TestFollowCrashes is the property behind a restart: lines are appended (and the file
// rotated now and then, a line sometimes written in two parts) while a follower reads;
// the follower "crashes" at random points — losing everything but the position of the
// last batch it committed, as a server keeps it with the batch in its log — and a new one
// resumes there. Every line is read exactly once, in order.
func TestFollowCrashes(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		dir := t.TempDir()
		path := filepath.Join(dir, "queue_log")
		var want, got []string
		var committed []byte
		fl := follow(t, path, nil)
		rotations := 0
		for step := 0; step < 200; step++ {
			switch r := rng.IntN(20); {
			case r < 10: // append a few lines, the last one maybe torn
				n := 1 + rng.IntN(4)
				var b strings.Builder
				for range n {
					line := fmt.Sprintf("%d|c%d|q|NONE|ENTERQUEUE||%d", 1767225600+len(want), len(want), rng.IntN(1000))
					want = append(want, line)
					b.WriteString(line + "\n")
				}
				s := b.String()
				if rng.IntN(3) == 0 {
					cut := 1 + rng.IntN(len(s)-1)
					appendTo(t, path, s[:cut])
					if drain(t, fl, &got, &committed, rng) {
						fl.Close()
						fl = follow(t, path, committed)
					}
					appendTo(t, path, s[cut:])
				} else {
					appendTo(t, path, s)
				}
			case r < 12: // rotate: rename the file away, a new one takes its name
				if _, err := os.Stat(path); err == nil {
					rotations++
					require.NoError(t, os.Rename(path, fmt.Sprintf("%s.%d", path, rotations)))
				}
			case r < 14: // crash: a new follower from the committed position
				fl.Close()
				fl = follow(t, path, committed)
			default:
				if drain(t, fl, &got, &committed, rng) {
					fl.Close()
					fl = follow(t, path, committed)
				}
			}
		}
		for len(got) < len(want) {
			before := len(got)
			if drain(t, fl, &got, &committed, rng) {
				fl.Close()
				fl = follow(t, path, committed)
				continue
			}
			if len(got) == before {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				b, err := fl.Next(ctx)
				cancel()
				require.NoError(t, err, "seed %d: %d of %d lines", seed, len(got), len(want))
				for _, f := range b.Frames {
					got = append(got, string(f.Data))
				}
				committed = b.Position
			}
		}
		require.Equal(t, want, got, "seed %d (%d rotations)", seed, rotations)
	}
}

// drain reads what is ready; each batch is committed (its lines kept, its position
// saved) or, now and then, lost in a crash before its commit: drain then reports true and
// the caller resumes from the last commit with a new follower.
func drain(t *testing.T, fl *queuelog.Follower, got *[]string, committed *[]byte, rng *rand.Rand) bool {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Millisecond)
		b, err := fl.Next(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return false
		}
		require.NoError(t, err)
		if rng.IntN(8) == 0 {
			return true // crashed before committing b
		}
		for _, f := range b.Frames {
			*got = append(*got, string(f.Data))
		}
		*committed = b.Position
	}
}

// TestFollowTwoRotations: the file is rotated twice before the follower looks again; it
// reads the old file's rest, the intermediate file (rotated away unread), then the new
// one. A compressed rotation is never read.
func TestFollowTwoRotations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "queue_log")
	appendTo(t, path, "a1\n")
	fl := follow(t, path, nil)
	take(t, fl, 1)
	appendTo(t, path, "a2\n")
	require.NoError(t, os.Rename(path, path+".1"))
	time.Sleep(5 * time.Millisecond) // file times apart, as rotations are
	appendTo(t, path, "b1\n")
	require.NoError(t, os.Rename(path, path+".2"))
	require.NoError(t, os.WriteFile(path+".0.gz", []byte("garbage\n"), 0o644))
	time.Sleep(5 * time.Millisecond)
	appendTo(t, path, "c1\n")
	got, _ := take(t, fl, 3)
	assert.Equal(t, []string{"a2", "b1", "c1"}, got)
	none(t, fl)
}
