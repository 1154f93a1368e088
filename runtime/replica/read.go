package replica

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/statkit/statkit/internal/clock"
)

// Reading a range of records beside Follow (interval history's catch-up re-applies the
// records after a snapshot through a second state machine while the live one follows).

// ErrLogEnds is wrapped by Read's error when the stream holds no record of the group up
// to the one asked for (they were never stored, or were removed without a trim floor).
var ErrLogEnds = errors.New("replica: the stream ends before the record asked for")

// Read calls fn for the group's records after `after` through `to`, in stream order,
// with a consumer of its own (an ephemeral, unacknowledged pull consumer, as Follow's),
// so that it runs beside Follow and leaves the follower's position alone. It rides out
// lost connections, leader changes and a consumer removed while fn was slow (for
// example a history writer waiting for its database) by starting again after the last
// record fn took, within ctx.
//
// It fails with an error wrapping ErrTrimmed when the group's records after `after`
// were trimmed (the trim floors are watched, as Follow does, and checked before reading
// and at every gap in the sequence: a trim records the floor before it purges), with ErrLogEnds when the stream
// holds no record of the group up to `to`, with fn's error as is, and with ctx's error.
func (l *Log) Read(ctx context.Context, after, to uint64, fn func(seq uint64, rec []byte) error) error {
	if to <= after {
		return nil
	}
	// The trim floors as they are now, and as they move while reading.
	stopWatch, err := l.watchFloors(ctx)
	if err != nil {
		return err
	}
	defer stopWatch()
	retry := clock.Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second}
	for {
		if err := l.checkFloor(after, 0); err != nil {
			return err
		}
		next, err := l.read(ctx, after, to, fn)
		if next > after {
			retry.Reset()
		}
		after = next
		if err == nil || after >= to {
			return nil
		}
		var ae *applyError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &ae):
			return ae.err
		case errors.Is(err, ErrTrimmed), errors.Is(err, ErrLogEnds),
			errors.Is(err, jetstream.ErrStreamNotFound), errors.Is(err, nats.ErrConnectionClosed):
			return fmt.Errorf("replica: reading records %d…%d: %w", after+1, to, err)
		}
		l.c.log.Warn("replica: reading records, starting again", "after", after, "to", to, "err", err)
		if err := clock.Sleep(ctx, retry.Next()); err != nil {
			return err
		}
	}
}

// read runs one consumer from after+1 until record `to` and returns the last record fn
// took (nil error: `to` was reached).
func (l *Log) read(ctx context.Context, after, to uint64, fn func(seq uint64, rec []byte) error) (uint64, error) {
	cons, it, done, err := l.consume(ctx, after, "creating a reader")
	if err != nil {
		return after, err
	}
	defer done()
	if cons.CachedInfo().NumPending == 0 {
		return after, fmt.Errorf("%w: no record of group %s after %d, %d asked for", ErrLogEnds, l.group.Name(), after, to)
	}
	var delivered uint64
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return after, err
		}
		md, err := m.Metadata()
		if err != nil {
			return after, err
		}
		if md.Sequence.Consumer != delivered+1 {
			return after, fmt.Errorf("%w: delivery %d after %d", errGap, md.Sequence.Consumer, delivered)
		}
		delivered = md.Sequence.Consumer
		seq := md.Sequence.Stream
		if seq <= after {
			continue
		}
		if seq > after+1 {
			if err := l.checkFloor(after, seq); err != nil {
				return after, err
			}
		}
		if seq > to {
			return after, nil // record `to` is not the group's: every one before it was read
		}
		if err := fn(seq, m.Data()); err != nil {
			return after, &applyError{err}
		}
		after = seq
		if seq == to {
			return after, nil
		}
		if md.NumPending == 0 {
			return after, fmt.Errorf("%w: the group's last record is %d, %d asked for", ErrLogEnds, seq, to)
		}
	}
}
