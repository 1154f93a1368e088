package queuelog_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/source/queuelog"
)

// A batch holds at most MaxBytes of lines (at least one line, however long), so that it
// fits one log record; resuming from each batch's position gives the lines after it.
func TestFollowMaxBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue_log")
	var lines []string
	for i, n := range []int{100, 100, 100, 1000, 100, 100, 100} {
		lines = append(lines, string(rune('a'+i))+strings.Repeat("x", n-1))
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	fl, err := queuelog.Follow(path, nil, queuelog.FollowOptions{MaxBytes: 250, Poll: time.Millisecond})
	require.NoError(t, err)
	defer fl.Close()
	var sizes []int
	var positions [][]byte
	for got := 0; got < len(lines); {
		b, err := fl.Next(context.Background())
		require.NoError(t, err)
		sizes = append(sizes, len(b.Frames))
		positions = append(positions, b.Position)
		for _, f := range b.Frames {
			assert.Equal(t, lines[got], string(f.Data))
			assert.Equal(t, got+1, f.Line)
			got++
		}
	}
	assert.Equal(t, []int{2, 1, 1, 2, 1}, sizes)
	for i, pos := range positions[:len(positions)-1] {
		r, err := queuelog.Follow(path, pos, queuelog.FollowOptions{MaxBytes: 1 << 20, Poll: time.Millisecond})
		require.NoError(t, err)
		b, err := r.Next(context.Background())
		require.NoError(t, err)
		r.Close()
		first := 0
		for _, n := range sizes[:i+1] {
			first += n
		}
		require.NotEmpty(t, b.Frames)
		assert.Equal(t, lines[first], string(b.Frames[0].Data), "after batch %d", i)
		assert.Equal(t, len(lines)-first, len(b.Frames))
	}
}
