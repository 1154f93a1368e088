package replica

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Attachments: what the process that appended a record hands its own follower with it
// (the server's decoded batch, so that it is not decoded twice). They are kept by message
// id from before the record is published until the follower delivers it, so a delivery
// that overtakes the publish acknowledgement finds its attachment too.

// localEntry holds one attachment; entries are compared by pointer, so that an
// attachment of any type can be withdrawn only by the append that registered it.
type localEntry struct{ v any }

// attach registers local under message id; it returns nil when another append of this
// process holds the id already (its attachment stays).
func (l *Log) attach(id string, local any) *localEntry {
	l.lmu.Lock()
	defer l.lmu.Unlock()
	if _, taken := l.locals[id]; taken {
		return nil
	}
	e := &localEntry{v: local}
	l.locals[id] = e
	return e
}

// detach withdraws e (if the follower has not taken it).
func (l *Log) detach(id string, e *localEntry) {
	l.lmu.Lock()
	defer l.lmu.Unlock()
	if l.locals[id] == e {
		delete(l.locals, id)
	}
}

// take returns and forgets the attachment of message id (nil when none).
func (l *Log) take(id string) any {
	l.lmu.Lock()
	defer l.lmu.Unlock()
	e, ok := l.locals[id]
	if !ok {
		return nil
	}
	delete(l.locals, id)
	return e.v
}

// AppendLocal is AppendTenant with an attachment: when this process's FollowLocal
// delivers the record, it hands local along with it. A duplicate (the record was stored
// before, under the same id) carries no attachment: the original is delivered, or was.
func (l *Log) AppendLocal(ctx context.Context, tenant string, rec []byte, id string, local any) (uint64, bool, error) {
	if len(rec) == 0 {
		return 0, false, errors.New("replica: empty record")
	}
	msgID := MsgID(tenant, id)
	var e *localEntry
	if local != nil {
		e = l.attach(msgID, local)
	}
	seq, dup, err := l.publish(ctx, Subject(l.c.opts.Stream, tenant, rec[0]), msgID, rec, nil)
	if e != nil && (err != nil || dup) {
		l.detach(msgID, e)
	}
	return seq, dup, err
}

// FollowLocal is Follow handing apply the attachment of each record this process
// appended with AppendLocal (nil for the others).
func (l *Log) FollowLocal(ctx context.Context, after uint64, apply func(seq uint64, rec []byte, local any) error) error {
	return l.FollowIDs(ctx, after, func(seq uint64, rec []byte, id string) error {
		var local any
		if id != "" {
			local = l.take(id)
		}
		return apply(seq, rec, local)
	})
}

// LastSeq returns the sequence of the last record of the group's tenants in the stream
// (0 when there is none).
func (l *Log) LastSeq(ctx context.Context) (uint64, error) {
	var last uint64
	for _, f := range l.group.filters(l.c.opts.Stream) {
		err := attempt(ctx, "last record on "+f, func(ctx context.Context) error {
			m, err := l.c.stream.GetLastMsgForSubject(ctx, f)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				return nil
			}
			if err == nil {
				last = max(last, m.Sequence)
			}
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	return last, nil
}

// Floor returns the group's trim floor: records below it may have been trimmed (0 or 1:
// nothing was). A snapshot covering a sequence below Floor()-1 cannot be caught up from.
func (l *Log) Floor(ctx context.Context) (uint64, error) {
	fs, err := l.readFloors(ctx)
	if err != nil {
		return 0, err
	}
	var f uint64
	for _, v := range fs {
		f = max(f, v)
	}
	return f, nil
}

// ReadSnapshot returns the payload of the group's snapshot covering the stream up to seq
// (the object store checks its digest).
func (l *Log) ReadSnapshot(ctx context.Context, seq uint64) ([]byte, error) {
	name := l.snapshotName(seq)
	b, err := l.c.snaps.GetBytes(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("replica: reading snapshot %s: %w", name, err)
	}
	return b, nil
}

// SetTrimLimit bounds trimming: after a snapshot, the group's records are trimmed up to
// the oldest snapshot kept and at most up to limit's answer (for example the lowest
// sequence the group's live replicas have applied, so that a replica running behind is
// not cut off). An error from limit skips that trim.
func (l *Log) SetTrimLimit(limit func(ctx context.Context) (uint64, error)) {
	l.mu.Lock()
	l.trimLimit = limit
	l.mu.Unlock()
}

// StreamCreated returns when the stream was created: with its name, it tells one
// incarnation of the stream from another (sequences start again in a new one), so that a
// local cache of snapshots is not used against another stream.
func (c *Client) StreamCreated() time.Time { return c.stream.CachedInfo().Created }
