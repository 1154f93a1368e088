package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/replica"
	"github.com/statkit/statkit/runtime/server"
)

// Log is a replica's server.Log: its group's records in the JetStream stream (see the
// package documentation). It implements server.Replicated.
type Log struct {
	n     *Node
	rl    *replica.Log
	home  string
	cache *cache // nil without a data directory

	mu       sync.Mutex
	chain    bool   // the tick chain is known: this replica may tick (it holds the lease)
	lastTick uint64 // the last tick in the stream, as this replica knows it
	ticks    uint64 // the ticks this replica appended, to name them

	status atomic.Pointer[server.ReplicaStatus]
	failed atomic.Pointer[error]
	pin    atomic.Pointer[func() uint64] // the retention pin (SetRetentionPin); nil: none

	// tests: called around appends of records other than ticks; an error is the
	// append's (after: the record is stored, its acknowledgement is lost).
	beforeAppend, afterAppend func(tenant string, rec []byte) error

	restored candidate // the snapshot LoadSnapshot restored (Restored)
}

var (
	_ server.Replicated      = (*Log)(nil)
	_ server.ReplayLog       = (*Log)(nil)
	_ server.RetentionPinner = (*Log)(nil)
)

// Append stores rec under the group's home tenant; a tick is appended only by the clock's
// holder, chained to the last tick (server.ErrNotClockHolder otherwise).
func (l *Log) Append(ctx context.Context, rec []byte, id string, local any) (uint64, bool, error) {
	if len(rec) > 0 && rec[0] == machine.KindTick {
		return l.appendTick(ctx, rec)
	}
	return l.AppendTenant(ctx, l.home, rec, id, local)
}

// AppendTenant stores rec under tenant (see replica.Log.AppendLocal).
func (l *Log) AppendTenant(ctx context.Context, tenant string, rec []byte, id string, local any) (uint64, bool, error) {
	if err := l.Err(); err != nil {
		return 0, false, err
	}
	if l.beforeAppend != nil {
		if err := l.beforeAppend(tenant, rec); err != nil {
			return 0, false, err
		}
	}
	seq, dup, err := l.rl.AppendLocal(ctx, tenant, rec, id, local)
	if err == nil && l.afterAppend != nil {
		if err := l.afterAppend(tenant, rec); err != nil {
			return 0, false, err
		}
	}
	return seq, dup, err
}

// appendTick appends a tick after the last one, if this replica holds the clock.
func (l *Log) appendTick(ctx context.Context, rec []byte) (uint64, bool, error) {
	l.mu.Lock()
	if !l.chain || !l.n.lease.Held() {
		l.mu.Unlock()
		return 0, false, server.ErrNotClockHolder
	}
	last := l.lastTick
	l.ticks++
	id := "t:" + l.n.c.ID() + ":" + strconv.FormatUint(l.ticks, 10)
	l.mu.Unlock()
	seq, err := l.rl.AppendAfterID(ctx, rec, last, id)
	if errors.Is(err, replica.ErrConflict) {
		// Another replica ticked since: it held the clock meanwhile. Continue from its
		// last tick if this one still holds the lease (the next tick decides).
		l.n.log.Warn("cluster: another replica appended a tick; this one's is dropped", "expected", last)
		prev, _, lerr := l.rl.Last(ctx, machine.KindTick)
		l.mu.Lock()
		if lerr == nil && l.lastTick == last {
			l.lastTick = prev
		}
		l.mu.Unlock()
		return 0, false, server.ErrNotClockHolder
	}
	if err != nil {
		return 0, false, err
	}
	l.mu.Lock()
	if l.lastTick == last {
		l.lastTick = seq
	}
	l.mu.Unlock()
	return seq, false, nil
}

// setChain makes this replica the clock's holder from the last tick at seq (or, with ok
// false, not the holder).
func (l *Log) setChain(ok bool, last uint64) {
	l.mu.Lock()
	l.chain, l.lastTick = ok, last
	l.mu.Unlock()
}

// holdsClock reports whether this replica appends ticks now.
func (l *Log) holdsClock() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.chain && l.n.lease.Held()
}

// Follow delivers the group's records after seq after, in stream order, with what this
// process attached to the ones it appended.
func (l *Log) Follow(ctx context.Context, after uint64, apply func(seq uint64, rec []byte, local any) error) error {
	return l.rl.FollowLocal(ctx, after, apply)
}

// Last returns the sequence of the group's last record in the stream (within 10 s when
// ctx has no deadline: a shutdown with NATS out of reach does not wait for it longer).
func (l *Log) Last(ctx context.Context) (uint64, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	return l.rl.LastSeq(ctx)
}

// candidate is a snapshot a replica may start from.
type candidate struct {
	seq   uint64
	local bool // in the local cache, else in the object store
}

// LoadSnapshot offers the newest usable snapshot — the local cache's or the object
// store's, the cache's first at the same sequence — to load, falling back to older ones
// (a damaged one, one load refuses); snapshots the stream was trimmed past are not
// offered. With none accepted it returns 0, or an error wrapping replica.ErrTrimmed when
// the stream no longer holds the group's records from its start.
func (l *Log) LoadSnapshot(load func(seq uint64, payload []byte) error) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cands, floor, err := l.candidates(ctx)
	if err != nil {
		return 0, err
	}
	for _, c := range cands {
		if floor > 1 && c.seq+1 < floor {
			l.n.log.Info("cluster: snapshot not usable: the stream was trimmed past it", "seq", c.seq, "local", c.local, "floor", floor)
			continue
		}
		var payload []byte
		if c.local {
			payload, err = l.cache.read(c.seq)
		} else {
			payload, err = l.rl.ReadSnapshot(ctx, c.seq)
		}
		if err == nil {
			err = load(c.seq, payload)
		}
		if err == nil {
			where := "object store"
			if c.local {
				where = "local cache"
			}
			l.n.log.Info("cluster: restored a snapshot", "seq", c.seq, "from", where)
			l.restored = c
			return c.seq, nil
		}
		l.n.log.Warn("cluster: snapshot not usable, trying an older one", "seq", c.seq, "local", c.local, "err", err)
	}
	if floor > 1 {
		return 0, fmt.Errorf("%w: no usable snapshot of group %s, and the stream was trimmed below record %d", replica.ErrTrimmed, l.rl.Group().Name(), floor)
	}
	return 0, nil
}

// candidates returns the group's snapshots in the local cache and the object store,
// newest first (the cache's first at the same sequence), and the group's trim floor.
func (l *Log) candidates(ctx context.Context) ([]candidate, uint64, error) {
	floor, err := l.rl.Floor(ctx)
	if err != nil {
		return nil, 0, err
	}
	remote, err := l.rl.Snapshots(ctx)
	if err != nil {
		return nil, 0, err
	}
	var cands []candidate
	for _, s := range remote {
		cands = append(cands, candidate{seq: s})
	}
	if l.cache != nil {
		local, err := l.cache.list()
		if err != nil {
			return nil, 0, err
		}
		for _, s := range local {
			cands = append(cands, candidate{seq: s, local: true})
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int {
		switch {
		case a.seq != b.seq:
			if a.seq > b.seq {
				return -1
			}
			return 1
		case a.local == b.local:
			return 0
		case a.local:
			return -1
		}
		return 1
	})
	return cands, floor, nil
}

// WriteSnapshot stores the snapshot covering the stream up to seq in the local cache and,
// while this replica holds the lease, in the object store (which trims the stream).
func (l *Log) WriteSnapshot(seq uint64, payload []byte) error {
	var errs []error
	if l.cache != nil {
		errs = append(errs, l.cache.write(seq, payload, l.pinFunc()))
	}
	if l.n.lease.Held() {
		errs = append(errs, l.rl.WriteSnapshot(seq, payload))
	}
	return errors.Join(errs...)
}

// Restored returns the snapshot LoadSnapshot restored — its sequence (0: none, the
// group's records were applied from the stream's start) and whether it came from the
// local cache rather than the object store.
func (l *Log) Restored() (seq uint64, local bool) {
	return l.restored.seq, l.restored.local
}

// Err is non-nil once the log failed for good (the connection closed, records trimmed
// past, another group claimed a tenant of this one).
func (l *Log) Err() error {
	if p := l.failed.Load(); p != nil {
		return *p
	}
	return l.rl.Err()
}

func (l *Log) fail(err error) {
	l.failed.CompareAndSwap(nil, &err)
}

// Serves reports whether tenant is one of the group's.
func (l *Log) Serves(tenant string) bool { return l.rl.Group().Has(tenant) }

// ReplicaStatus returns the status last checked (every half second while Run runs).
func (l *Log) ReplicaStatus() server.ReplicaStatus {
	if p := l.status.Load(); p != nil {
		return *p
	}
	return server.ReplicaStatus{}
}

// refresh checks the replica's position and the lease's holder.
func (l *Log) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	n := l.n
	g := l.rl.Group()
	st := server.ReplicaStatus{ID: n.c.ID(), Stream: n.c.Stream(), Group: g.Name(), Tenants: g.Tenants(),
		HoldsLease: n.lease.Held(), Checked: time.Now().UTC()}
	lag, err := l.rl.Lag(ctx)
	if err != nil {
		lag = l.rl.Status()
	}
	st.Connected = lag.Connected && err == nil
	st.CaughtUp = st.Connected && lag.CaughtUp()
	st.LagRecords, st.LagSeconds = lag.Pending, lag.Behind.Seconds()
	if in, err := n.lease.Holder(ctx); err == nil {
		st.LeaseHolder = in.Holder
	} else if prev := l.status.Load(); prev != nil {
		st.LeaseHolder = prev.LeaseHolder
	}
	if st.HoldsLease {
		st.LeaseHolder = st.ID
	}
	l.status.Store(&st)
}
