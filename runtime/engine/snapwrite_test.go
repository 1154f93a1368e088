package engine

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// chunkWriter records the size of each write and fails once it has taken failAfter
// bytes (never when failAfter is 0).
type chunkWriter struct {
	bytes.Buffer
	writes    []int
	failAfter int
}

var errDiskFull = errors.New("disk full")

func (w *chunkWriter) Write(p []byte) (int, error) {
	if w.failAfter > 0 && w.Len()+len(p) > w.failAfter {
		return 0, errDiskFull
	}
	w.writes = append(w.writes, len(p))
	return w.Buffer.Write(p)
}

// TestSnapshotStreams: a large snapshot reaches the writer in chunks, not in one piece,
// the chunks make up exactly the snapshot, and a write error stops it and is returned.
func TestSnapshotStreams(t *testing.T) {
	e := newEngine(t)
	for i := range 20_000 {
		require.NoError(t, e.Open(statOf(fmt.Sprintf("stat-%05d", i), category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound)))
	}
	applyAll(t, e, []*event.Event{begin(at("09:00:00"), action.CallInbound, "7001", "c1")})

	var whole bytes.Buffer
	require.NoError(t, e.Snapshot(&whole))
	require.Greater(t, whole.Len(), 3*snapChunk, "the test needs a snapshot of several chunks")

	var w chunkWriter
	require.NoError(t, e.Snapshot(&w))
	assert.Equal(t, whole.Bytes(), w.Bytes(), "the chunks make up the snapshot")
	assert.GreaterOrEqual(t, len(w.writes), 3)
	for i, n := range w.writes {
		assert.LessOrEqual(t, n, 2*snapChunk, "write %d", i)
	}

	failing := chunkWriter{failAfter: 2 * snapChunk}
	assert.ErrorIs(t, e.Snapshot(&failing), errDiskFull)
	assert.Less(t, failing.Len(), whole.Len())
}
