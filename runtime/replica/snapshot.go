package replica

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// snapshotName is the object name of the group's snapshot covering the stream up to seq.
func (l *Log) snapshotName(seq uint64) string {
	return fmt.Sprintf("%s/%020d", l.group.Name(), seq)
}

// metaSubject is the subject of an object's metadata in the snapshot bucket's stream
// (as nats.go's object store names it).
func (c *Client) metaSubject(name string) string {
	return "$O." + c.opts.Stream + "_snapshots.M." + base64.URLEncoding.EncodeToString([]byte(name))
}

// Snapshots returns the sequences of the group's snapshots in the object store, oldest
// first. It reads the object names from the bucket stream's subjects in one request
// (ObjectStore.List runs a consumer and waits forever on an empty bucket whose first
// request fails).
func (l *Log) Snapshots(ctx context.Context) ([]uint64, error) {
	pre := "$O." + l.c.opts.Stream + "_snapshots.M."
	var info *jetstream.StreamInfo
	err := attempt(ctx, "listing snapshots", func(ctx context.Context) error {
		var err error
		info, err = l.c.snapsStr.Info(ctx, jetstream.WithSubjectFilter(pre+">"))
		return err
	})
	if err != nil {
		return nil, err
	}
	prefix := l.group.Name() + "/"
	var seqs []uint64
	for subj := range info.State.Subjects {
		b, err := base64.URLEncoding.DecodeString(strings.TrimPrefix(subj, pre))
		if err != nil {
			continue
		}
		rest, ok := strings.CutPrefix(string(b), prefix)
		if !ok {
			continue
		}
		if seq, err := strconv.ParseUint(rest, 10, 64); err == nil && len(rest) == 20 {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// deleteSnapshot removes a snapshot: its chunks, then its metadata (which a deletion
// leaves behind, so that the bucket does not grow by one entry per snapshot ever taken).
func (l *Log) deleteSnapshot(ctx context.Context, seq uint64) error {
	name := l.snapshotName(seq)
	if err := l.c.snaps.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("replica: deleting snapshot %s: %w", name, err)
	}
	return attempt(ctx, "deleting snapshot "+name, func(ctx context.Context) error {
		return l.c.snapsStr.Purge(ctx, jetstream.WithPurgeSubject(l.c.metaSubject(name)))
	})
}

// opContext bounds an object-store or bucket operation the Log interface gives no
// context for: two minutes, or until the connection is closed.
func (l *Log) opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(l.c.done, 2*time.Minute)
}

// LoadSnapshot offers the group's snapshots to load, newest first, until load accepts
// one, and returns the sequence it covers. A snapshot that cannot be read (its digest
// does not match) or that load refuses is skipped with a warning. With no snapshot
// accepted it returns 0, or ErrTrimmed when a tenant of the group was trimmed (the
// stream no longer starts at its first record).
func (l *Log) LoadSnapshot(load func(seq uint64, payload []byte) error) (uint64, error) {
	ctx, cancel := l.opContext()
	defer cancel()
	seqs, err := l.Snapshots(ctx)
	if err != nil {
		return 0, err
	}
	for i := len(seqs) - 1; i >= 0; i-- {
		seq := seqs[i]
		name := l.snapshotName(seq)
		payload, err := l.c.snaps.GetBytes(ctx, name)
		if err == nil {
			err = load(seq, payload)
		}
		if err == nil {
			return seq, nil
		}
		l.c.log.Warn("replica: snapshot not usable, trying an older one", "snapshot", name, "err", err)
	}
	floors, err := l.readFloors(ctx)
	if err != nil {
		return 0, err
	}
	for t, f := range floors {
		if f > 1 {
			return 0, fmt.Errorf("%w: no usable snapshot of group %s, and tenant %s was trimmed below record %d",
				ErrTrimmed, l.group.Name(), t, f)
		}
	}
	return 0, nil
}

// WriteSnapshot stores payload as the group's snapshot covering the stream up to seq
// (object "<group>/<seq, 20 digits>"), then keeps the newest Options.KeepSnapshots and
// trims the group's tenants' records that the oldest one kept covers.
func (l *Log) WriteSnapshot(seq uint64, payload []byte) error {
	ctx, cancel := l.opContext()
	defer cancel()
	name := l.snapshotName(seq)
	_, err := l.c.snaps.Put(ctx, jetstream.ObjectMeta{
		Name:        name,
		Description: "statkit snapshot of group " + l.group.Name(),
		Metadata:    map[string]string{"seq": strconv.FormatUint(seq, 10)},
	}, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("replica: writing snapshot %s: %w", name, err)
	}
	return l.retain(ctx)
}

// retain deletes the group's snapshots beyond the newest KeepSnapshots — except the
// newest at or before the retention pin (SetRetentionPin) — and trims the stream below the
// oldest one kept, never past the trim limit (SetTrimLimit). While the pin is set with no
// snapshot at or before it, nothing is trimmed (the group's records from its start are
// then the only way back to the pin) and the oldest snapshot is kept: the pin only moves
// forward, and once past it that snapshot is the way back (a pin of 0 is a history
// position not known yet, as at a replica's start: deleting the snapshot its database's
// real position needs, the stream trimmed below it earlier, would lose the rows after it).
func (l *Log) retain(ctx context.Context) error {
	seqs, err := l.Snapshots(ctx)
	if err != nil {
		return err
	}
	if len(seqs) == 0 {
		return nil
	}
	l.mu.Lock()
	limit, pinFn := l.trimLimit, l.pin
	l.mu.Unlock()
	pinned, trim := -1, true
	if pinFn != nil {
		pin, ok, err := pinFn(ctx)
		if err != nil {
			l.c.log.Warn("replica: snapshots kept and records not trimmed now: the retention pin is unknown", "err", err)
			return nil
		}
		if ok {
			pinned, trim = retainedPin(seqs, pin)
		}
	}
	from := max(len(seqs)-l.c.opts.KeepSnapshots, 0) // seqs[from:] are the newest kept
	for i, s := range seqs[:from] {
		if i == pinned {
			continue
		}
		if err := l.deleteSnapshot(ctx, s); err != nil {
			return err
		}
	}
	if !trim {
		return nil
	}
	upto := seqs[from]
	if pinned >= 0 {
		upto = min(upto, seqs[pinned])
	}
	if limit != nil {
		lim, err := limit(ctx)
		if err != nil {
			l.c.log.Warn("replica: not trimming now: the trim limit is unknown", "err", err)
			return nil
		}
		upto = min(upto, lim)
	}
	if upto == 0 {
		return nil
	}
	return l.Trim(ctx, upto)
}

// retainedPin returns the index in seqs (oldest first) of the snapshot the pin keeps —
// the newest at or before pin — and whether the records up to it may be trimmed; with
// none at or before pin, the oldest (0) and false (see retain).
func retainedPin(seqs []uint64, pin uint64) (int, bool) {
	for i := len(seqs) - 1; i >= 0; i-- {
		if seqs[i] <= pin {
			return i, true
		}
	}
	return 0, false
}

// SetRetentionPin pins the group's snapshot retention (runtime/server's RetentionPinner,
// across replicas): after a snapshot, the newest one at or before pin's answer is kept
// besides the newest KeepSnapshots, and no record after it is trimmed; with no snapshot at
// or before it nothing is trimmed. ok false: no pin now. An error skips that retention
// (nothing deleted, nothing trimmed). Nil removes the pin.
func (l *Log) SetRetentionPin(pin func(ctx context.Context) (seq uint64, ok bool, err error)) {
	l.mu.Lock()
	l.pin = pin
	l.mu.Unlock()
}

// Trim removes the records of the group's tenants up to and including seq (a snapshot
// covers them). Each tenant's floor (seq+1: records below it are gone) is recorded in the
// trim bucket first, so that a follower that still needed them fails with ErrTrimmed
// instead of skipping them.
func (l *Log) Trim(ctx context.Context, seq uint64) error {
	floor := seq + 1
	for _, t := range l.group.tenants {
		key := TenantToken(t)
		if err := l.raiseFloor(ctx, key, floor); err != nil {
			return err
		}
		err := attempt(ctx, fmt.Sprintf("trimming tenant %s below %d", t, floor), func(ctx context.Context) error {
			return l.c.stream.Purge(ctx, jetstream.WithPurgeSubject(l.c.opts.Stream+"."+key+".>"), jetstream.WithPurgeSequence(floor))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// raiseFloor sets key's floor to at least floor (revision-checked, so concurrent writers
// never lower it).
func (l *Log) raiseFloor(ctx context.Context, key string, floor uint64) error {
	val := []byte(strconv.FormatUint(floor, 10))
	for {
		var done bool
		err := attempt(ctx, "recording the trim floor of "+key, func(ctx context.Context) error {
			e, err := l.c.trim.Get(ctx, key)
			switch {
			case errors.Is(err, jetstream.ErrKeyNotFound):
				_, err = l.c.trim.Create(ctx, key, val)
			case err == nil:
				if cur, _ := strconv.ParseUint(string(e.Value()), 10, 64); cur >= floor {
					done = true
					return nil
				}
				_, err = l.c.trim.Update(ctx, key, val, e.Revision())
			}
			if err == nil {
				done = true
			}
			if errors.Is(err, jetstream.ErrKeyExists) {
				return nil // another writer moved it: read it again
			}
			return err
		})
		if err != nil || done {
			return err
		}
	}
}

// readFloors returns the trim floors of the group's tenants (absent: 0).
func (l *Log) readFloors(ctx context.Context) (map[string]uint64, error) {
	out := map[string]uint64{}
	for _, t := range l.group.tenants {
		err := attempt(ctx, "reading the trim floor of "+t, func(ctx context.Context) error {
			e, err := l.c.trim.Get(ctx, TenantToken(t))
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return nil
			}
			if err == nil {
				out[t], _ = strconv.ParseUint(string(e.Value()), 10, 64)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
