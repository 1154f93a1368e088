package engine

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// Snapshots written before updates existed (versions 2 and 3) restore, and updates then
// follow the instances and statuses that were in progress.
//
// testdata/snapshot-v2.bin and snapshot-v2-idle.bin were written by the engine of commit
// 12dc2d6 (snapshot version 2), snapshot-v3*.bin by that of e5ab7c2 (version 3), from
// oldStats and oldBefore with the clock at 09:03 (the idle ones without events: the clock
// advanced to 09:00). To write them again, copy oldStats, oldBefore and
// TestWriteOldSnapshots into the tests of such an engine and run TestWriteOldSnapshots
// there with STATKIT_WRITE_OLD_SNAPSHOTS set.

// oldStats are the statistics of the old snapshots: a filtered status statistic (so that
// status attributes are kept) and filtered DNAction ones.
func oldStats() []*config.Statistic {
	return []*config.Statistic{
		xstat("nr", category.TotalTime, category.SubjectAgentStatus, object.TypeAgent, "1001",
			[]action.ID{action.NotReadyForNextCall}, filter(`PairExists("ReasonCode", "Break")`)),
		xstat("nrdn", category.TotalTime, category.SubjectDNStatus, object.TypeRegDN, "7001",
			[]action.ID{action.NotReadyForNextCall}, filter(`PairExists("ReasonCode", "Break")`)),
		xstat("vip", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7003",
			[]action.ID{action.CallInbound}, filter(`data["VIP"] == "yes"`)),
		xstat("viptime", category.TotalTime, category.SubjectDNAction, object.TypeRegDN, "7003",
			[]action.ID{action.CallInbound}, filter(`data["VIP"] == "yes"`)),
		xstat("vipnow", category.CurrentNumber, category.SubjectDNAction, object.TypeRegDN, "7003",
			[]action.ID{action.CallInbound}, filter(`data["VIP"] == "yes"`)),
	}
}

// oldBefore are the events before the old snapshot.
func oldBefore() []*event.Event {
	return []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:01:00"), action.NotReadyForNextCall, "7001", "", reason("Lunch")),
		begin(at("09:02:00"), action.CallInbound, "7003", "c1", data("VIP", "no")),
	}
}

// TestWriteOldSnapshots writes the old snapshots of this engine's version (see above); it
// does nothing unless STATKIT_WRITE_OLD_SNAPSHOTS is set, and refuses the versions with
// updates.
func TestWriteOldSnapshots(t *testing.T) {
	if os.Getenv("STATKIT_WRITE_OLD_SNAPSHOTS") == "" {
		t.Skip("writes testdata/snapshot-v*.bin only when STATKIT_WRITE_OLD_SNAPSHOTS is set")
	}
	if SnapshotVersion >= 4 {
		t.Skipf("this engine writes version %d snapshots, which have updates", SnapshotVersion)
	}
	e := newEngine(t, oldStats()...)
	applyAll(t, e, oldBefore())
	e.Advance(at("09:03:00"))
	var buf bytes.Buffer
	require.NoError(t, e.Snapshot(&buf))
	require.NoError(t, os.WriteFile(fmt.Sprintf("testdata/snapshot-v%d.bin", SnapshotVersion), buf.Bytes(), 0o644))
	idle := newEngine(t)
	idle.Advance(at("09:00:00"))
	buf.Reset()
	require.NoError(t, idle.Snapshot(&buf))
	require.NoError(t, os.WriteFile(fmt.Sprintf("testdata/snapshot-v%d-idle.bin", SnapshotVersion), buf.Bytes(), 0o644))
}

// oldAfter are the events after the old snapshot: the not-ready reason becomes Break at
// 09:04, the call VIP at 09:05; both end later.
func oldAfter() []*event.Event {
	return []*event.Event{
		update(at("09:04:00"), action.NotReadyForNextCall, "7001", "", data("ReasonCode", "Break")),
		update(at("09:05:00"), action.CallInbound, "7003", "c1", data("VIP", "yes")),
		end(at("09:06:00"), action.NotReadyForNextCall, "7001", ""),
		end(at("09:07:00"), action.CallInbound, "7003", "c1"),
	}
}

// TestRestoreOldFollowsUpdates: an engine restored from a version 2 or 3 snapshot lets
// updates reach the instances and statuses in progress when it was taken, exactly as an
// engine that never stopped. By hand: the reason is Break from 09:04 to 09:06 (120 s of
// not ready for the agent and its DN); the call is VIP from 09:05 to its end at 09:07
// (counted once, 120 s), in progress and VIP at 09:06.
func TestRestoreOldFollowsUpdates(t *testing.T) {
	for _, v := range []int{2, 3} {
		t.Run(fmt.Sprint("version", v), func(t *testing.T) {
			b, err := os.ReadFile(fmt.Sprintf("testdata/snapshot-v%d.bin", v))
			require.NoError(t, err)
			require.Equal(t, byte(v), b[len(snapMagic)])
			cfg := &config.Config{Topology: testTopology(), Statistics: oldStats()}
			cfg.Index()
			r, err := Restore(cfg, bytes.NewReader(b))
			require.NoError(t, err)
			ref := newEngine(t, oldStats()...)
			applyAll(t, ref, oldBefore())
			want := map[string]map[string]float64{
				"09:04:30": {"nr": 30, "nrdn": 30, "vip": 0, "viptime": 0, "vipnow": 0},
				"09:06:00": {"nr": 120, "nrdn": 120, "vip": 0, "viptime": 0, "vipnow": 1},
				"09:07:00": {"nr": 120, "nrdn": 120, "vip": 1, "viptime": 120, "vipnow": 0},
			}
			evs := oldAfter()
			for _, clock := range []string{"09:04:30", "09:06:00", "09:07:00"} {
				for _, e := range []*Engine{r, ref} {
					replayTo(t, e, dropApplied(evs, e.Now()), at(clock))
				}
				for id, v := range want[clock] {
					assert.Equal(t, v, num(t, r, id), "%s at %s (restored)", id, clock)
					assert.Equal(t, v, num(t, ref, id), "%s at %s (never stopped)", id, clock)
				}
			}
		})
	}
}

// TestRestoreReadsVersion1: version 1 (written before instance keys had an agent; with no
// instance in progress it reads as version 2), 2 and 3 snapshots restore; a version from
// the future is refused by name.
func TestRestoreReadsVersion1(t *testing.T) {
	for _, v := range []byte{3, 2, 1} {
		b, err := os.ReadFile(fmt.Sprintf("testdata/snapshot-v%d-idle.bin", max(v, 2)))
		require.NoError(t, err)
		b[len(snapMagic)] = v
		r, err := Restore(&config.Config{Topology: testTopology()}, bytes.NewReader(b))
		require.NoError(t, err, "version %d", v)
		assert.Equal(t, at("09:00:00"), r.Now())
	}
	b, err := os.ReadFile("testdata/snapshot-v3-idle.bin")
	require.NoError(t, err)
	b[len(snapMagic)] = SnapshotVersion + 1
	_, err = Restore(&config.Config{Topology: testTopology()}, bytes.NewReader(b))
	assert.ErrorContains(t, err, fmt.Sprintf("version %d, this engine reads versions 1 to %d", SnapshotVersion+1, SnapshotVersion))
}
