package replica

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/statkit/statkit/internal/clock"
)

// Errors of a Log.
var (
	// ErrConflict: AppendAfter found another record on the subject since the one
	// expected (another process appended a tick: this one lost the clock).
	ErrConflict = errors.New("replica: another record was appended to the subject since the one expected")
	// ErrTrimmed: the records a Follow needs were trimmed from the stream (a snapshot
	// covering them must be loaded first).
	ErrTrimmed = errors.New("replica: the stream was trimmed past the records needed")
	// ErrTooLarge: a record larger than Client.MaxRecord.
	ErrTooLarge = errors.New("replica: record larger than the NATS server's max_payload")
)

// Log is the ordered, durable record log of one group of tenants on JetStream (the
// server's Log): records are appended to the subjects of the group's tenants and followed
// in stream order. It is safe for concurrent use.
type Log struct {
	c     *Client
	group Group

	failed atomic.Pointer[error]

	mu      sync.Mutex
	applied uint64    // last record applied by Follow
	appTime time.Time // when it was stored
	pending uint64    // records of the group stored after it, as of its delivery
	floors  map[string]uint64
	// trimLimit bounds trimming (SetTrimLimit); nil: none.
	trimLimit func(ctx context.Context) (uint64, error)
	// pin holds back snapshot retention (SetRetentionPin); nil: none.
	pin func(ctx context.Context) (uint64, bool, error)

	lmu    sync.Mutex
	locals map[string]*localEntry // attachments by message id (local.go)
}

// Log returns the log of the group of the given tenants.
func (c *Client) Log(tenants ...string) (*Log, error) {
	g, err := NewGroup(tenants...)
	if err != nil {
		return nil, err
	}
	return &Log{c: c, group: g, floors: map[string]uint64{}, locals: map[string]*localEntry{}}, nil
}

// Group returns the log's group.
func (l *Log) Group() Group { return l.group }

// Client returns the client the log runs on.
func (l *Log) Client() *Client { return l.c }

// Err is non-nil once the log has failed for good (the connection was closed, the stream
// deleted, or records needed were trimmed): the server is then read-only.
func (l *Log) Err() error {
	if p := l.failed.Load(); p != nil {
		return *p
	}
	if l.c.nc.IsClosed() {
		return errors.New("replica: the NATS connection is closed")
	}
	return nil
}

func (l *Log) fail(err error) error {
	l.failed.CompareAndSwap(nil, &err)
	return err
}

// Append stores rec under the group's home tenant (see AppendTenant).
func (l *Log) Append(ctx context.Context, rec []byte, id string) (uint64, bool, error) {
	return l.AppendTenant(ctx, l.group.Home(), rec, id)
}

// AppendTenant stores rec on the subject of its kind (rec[0]) for tenant, which may be a
// tenant of another group (its replicas apply it, this log's follower never sees it), and
// returns its stream sequence once the stream's quorum has stored it. id, when not empty,
// is the record's idempotency id (the message id, scoped to the tenant): within the
// stream's duplicate window a second record with the same id is not stored and the
// original's sequence is returned with dup = true. Without an id a unique one is made, so
// that retries after a timeout or a lost connection (Append retries until ctx ends) never
// store a record twice.
func (l *Log) AppendTenant(ctx context.Context, tenant string, rec []byte, id string) (uint64, bool, error) {
	if len(rec) == 0 {
		return 0, false, errors.New("replica: empty record")
	}
	return l.publish(ctx, Subject(l.c.opts.Stream, tenant, rec[0]), MsgID(tenant, id), rec, nil)
}

// MsgID returns the JetStream message id of a record of tenant with idempotency id id:
// the id scoped by the tenant's token, or a unique id when id is empty.
func MsgID(tenant, id string) string {
	if id == "" {
		return "n:" + nuid.Next()
	}
	return TenantToken(tenant) + ":" + id
}

// AppendAfter stores rec on its kind's subject under the group's home tenant only if the
// last record on that subject is the one at sequence last (0: none), and returns its
// sequence; otherwise ErrConflict. The clock holder appends ticks this way, so that two
// processes that both believe they hold the clock (a holder paused past its lease and
// its successor) can never both extend the chain of ticks.
func (l *Log) AppendAfter(ctx context.Context, rec []byte, last uint64) (uint64, error) {
	return l.AppendAfterID(ctx, rec, last, "")
}

// AppendAfterID is AppendAfter with an idempotency id (see AppendTenant): the clock
// holder names its ticks, so that the stream tells which process appended each.
func (l *Log) AppendAfterID(ctx context.Context, rec []byte, last uint64, id string) (uint64, error) {
	if len(rec) == 0 {
		return 0, errors.New("replica: empty record")
	}
	home := l.group.Home()
	seq, _, err := l.publish(ctx, Subject(l.c.opts.Stream, home, rec[0]), MsgID(home, id), rec, &last)
	return seq, err
}

// Last returns the last record of the given kind under the group's home tenant and its
// sequence (0 and nil when there is none): a new clock holder continues from it.
func (l *Log) Last(ctx context.Context, kind byte) (uint64, []byte, error) {
	subj := Subject(l.c.opts.Stream, l.group.Home(), kind)
	var (
		seq  uint64
		data []byte
	)
	err := attempt(ctx, "last record on "+subj, func(ctx context.Context) error {
		m, err := l.c.stream.GetLastMsgForSubject(ctx, subj)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		if err == nil {
			seq, data = m.Sequence, m.Data
		}
		return err
	})
	return seq, data, err
}

// publish sends rec to subject with message id id (MsgID) and retries transient
// failures until ctx ends.
func (l *Log) publish(ctx context.Context, subject, id string, rec []byte, expect *uint64) (uint64, bool, error) {
	if err := l.Err(); err != nil {
		return 0, false, err
	}
	if len(rec) > l.c.MaxRecord() {
		return 0, false, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(rec), l.c.MaxRecord())
	}
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(id), jetstream.WithRetryAttempts(0)}
	if expect != nil {
		opts = append(opts, jetstream.WithExpectLastSequencePerSubject(*expect))
	}
	retry := clock.Backoff{Min: 50 * time.Millisecond, Max: time.Second}
	for {
		// Each attempt has its own deadline so a request lost in a leader change is
		// sent again; the message id makes the repeat harmless.
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ack, err := l.c.js.PublishMsg(actx, &nats.Msg{Subject: subject, Data: rec}, opts...)
		cancel()
		if err == nil {
			return ack.Sequence, ack.Duplicate, nil
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			switch apiErr.ErrorCode {
			case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
				return 0, false, ErrConflict
			case jetstream.JSErrCodeStreamMessageExceedsMaximum:
				return 0, false, fmt.Errorf("%w: %v", ErrTooLarge, err)
			case jetstream.JSErrCodeStreamNotFound:
				return 0, false, l.fail(fmt.Errorf("replica: appending to %s: %w", subject, err))
			}
		}
		if !transient(err) || ctx.Err() != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("%w (last attempt: %v)", ctx.Err(), err)
			}
			return 0, false, fmt.Errorf("replica: appending to %s: %w", subject, err)
		}
		if err := clock.Sleep(ctx, retry.Next()); err != nil {
			return 0, false, fmt.Errorf("replica: appending to %s: %w", subject, err)
		}
	}
}

// transient reports whether an operation that failed with err may succeed if tried again
// (no stream leader yet, a timeout, a reconnection under way).
func transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrBadSubscription) {
		return false
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// 503s (no leader, cluster not ready, request in flight) and a duplicate still
		// being proposed are worth another try; anything else is a refusal.
		return apiErr.Code == 503 || apiErr.Code == 408 || apiErr.ErrorCode == 10140
	}
	return true
}

// Follow calls apply for every record of the group's tenants with a sequence above
// after, in stream order, until ctx ends (it returns ctx.Err()) or apply fails (it
// returns apply's error). It rides out lost connections and leader changes by starting
// again after the last record applied; it returns ErrTrimmed (and the log fails) when
// records it still needs were trimmed from the stream.
func (l *Log) Follow(ctx context.Context, after uint64, apply func(seq uint64, rec []byte) error) error {
	return l.FollowIDs(ctx, after, func(seq uint64, rec []byte, _ string) error { return apply(seq, rec) })
}

// FollowIDs is Follow handing apply each record's message id too (MsgID: who appended a
// tick, which key a batch carried).
func (l *Log) FollowIDs(ctx context.Context, after uint64, apply func(seq uint64, rec []byte, id string) error) error {
	l.mu.Lock()
	l.applied = after
	l.mu.Unlock()
	stopWatch, err := l.watchFloors(ctx)
	if err != nil {
		return err
	}
	defer stopWatch()
	retry := clock.Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second}
	for {
		if err := l.checkFloor(after, 0); err != nil {
			return l.fail(err)
		}
		next, err := l.follow(ctx, after, apply)
		if next > after {
			retry.Reset()
		}
		after = next
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ae *applyError
		if errors.As(err, &ae) {
			return ae.err
		}
		if errors.Is(err, ErrTrimmed) {
			return l.fail(err)
		}
		if !transient(err) && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, nats.ErrConnectionClosed) {
				return l.fail(fmt.Errorf("replica: following the stream: %w", err))
			}
		}
		l.c.log.Warn("replica: following the stream, starting again", "after", after, "err", err)
		if err := clock.Sleep(ctx, retry.Next()); err != nil {
			return err
		}
	}
}

// applyError wraps an error of the apply function (Follow returns it as is).
type applyError struct{ err error }

func (e *applyError) Error() string { return e.err.Error() }

// errGap: a follower's consumer skipped a delivery (a message lost on its way); the
// follower starts again after the last record applied.
var errGap = errors.New("replica: a delivery was lost")

// follow runs one consumer from after+1 and returns the last sequence applied. The
// consumer is an ephemeral, unacknowledged pull consumer in memory (what nats.go's ordered
// consumer is), created here with a short deadline per attempt: a creation request lost in
// a busy cluster is sent again after 2 s, not after the 10 s the ordered consumer waits.
// Its deliveries are numbered: one missing (a gap in the consumer's sequence) ends it, as
// do missing heartbeats (its server died); Follow then starts a new one.
func (l *Log) follow(ctx context.Context, after uint64, apply func(seq uint64, rec []byte, id string) error) (uint64, error) {
	_, it, done, err := l.consume(ctx, after, "creating a follower")
	if err != nil {
		return after, err
	}
	defer done()
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
		if err := apply(seq, m.Data(), m.Headers().Get(jetstream.MsgIDHeader)); err != nil {
			return after, &applyError{err}
		}
		after = seq
		l.mu.Lock()
		l.applied, l.appTime, l.pending = seq, md.Timestamp, md.NumPending
		l.mu.Unlock()
	}
}

// consume creates a consumer of the group's records from after+1 (see follow) and starts
// pulling its messages; done stops the pulls and deletes the consumer.
func (l *Log) consume(ctx context.Context, after uint64, what string) (jetstream.Consumer, jetstream.MessagesContext, func(), error) {
	cfg := jetstream.ConsumerConfig{
		Name:              "statkit_" + nuid.Next(),
		FilterSubjects:    l.group.filters(l.c.opts.Stream),
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       after + 1,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: time.Minute,
		Replicas:          1,
		MemoryStorage:     true,
	}
	var cons jetstream.Consumer
	err := attemptWithin(ctx, 2*time.Second, what, func(ctx context.Context) error {
		c, err := l.c.js.CreateOrUpdateConsumer(ctx, l.c.opts.Stream, cfg)
		cons = c
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	remove := func() {
		go func() { // best effort: an inactive consumer goes after InactiveThreshold anyway
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = l.c.js.DeleteConsumer(dctx, l.c.opts.Stream, cfg.Name)
			cancel()
		}()
	}
	// Heartbeats every second: a consumer gone with its server is noticed within two.
	it, err := cons.Messages(jetstream.PullMaxMessagesWithBytesLimit(1000, 32<<20),
		jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second),
		jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		remove()
		return nil, nil, nil, err
	}
	return cons, it, func() { it.Stop(); remove() }, nil
}

// Status is a follower's position, for /healthz and /metrics.
type Status struct {
	// Connected: the client is connected to a NATS server.
	Connected bool `json:"connected"`
	// Applied is the sequence of the last record applied.
	Applied uint64 `json:"applied"`
	// Pending is how many records of the group were stored after it, as JetStream counted
	// them when it delivered it (an estimate: see Lag for an exact caught-up check).
	Pending uint64 `json:"pending"`
	// Behind is how long ago the oldest record not applied yet was stored, at most
	// (now less the storing time of the last record applied, when records are pending;
	// 0 when caught up).
	Behind time.Duration `json:"behind"`
}

// Lag returns the follower's position checked against the stream: whether a record of
// the group is stored after the last one applied (then Pending is at least 1), and how
// long ago the first such record was stored. Status is what the follower last learned
// from a delivery; Lag asks the server (one request per tenant of the group).
func (l *Log) Lag(ctx context.Context) (Status, error) {
	s := l.Status()
	var first uint64
	var stored time.Time
	for _, f := range l.group.filters(l.c.opts.Stream) {
		m, err := l.c.stream.GetMsg(ctx, s.Applied+1, jetstream.WithGetMsgSubject(f))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return s, fmt.Errorf("replica: lag: %w", err)
		}
		if first == 0 || m.Sequence < first {
			first, stored = m.Sequence, m.Time
		}
	}
	if first == 0 {
		s.Pending, s.Behind = 0, 0
	} else {
		s.Pending = max(s.Pending, 1)
		s.Behind = max(time.Since(stored), 0)
	}
	return s, nil
}

// CaughtUp reports whether no record is pending and the client is connected.
func (s Status) CaughtUp() bool { return s.Connected && s.Pending == 0 }

// Status returns the follower's position.
func (l *Log) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Status{Connected: l.c.Connected(), Applied: l.applied, Pending: l.pending}
	if l.pending > 0 && !l.appTime.IsZero() {
		s.Behind = max(time.Since(l.appTime), 0)
	}
	return s
}

// checkFloor fails when a record after `after` and before `next` (0: any) may have been
// trimmed: a tenant of the group was trimmed below a sequence above after+1.
func (l *Log) checkFloor(after, next uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, f := range l.floors {
		if f > after+1 && (next == 0 || next >= f) {
			return fmt.Errorf("%w: tenant %s was trimmed below record %d, the log is at %d", ErrTrimmed, t, f, after)
		}
	}
	return nil
}

// watchFloors keeps l.floors up to date with the trim bucket's keys of the group's
// tenants; it returns once the current values are loaded.
func (l *Log) watchFloors(ctx context.Context) (stop func(), err error) {
	keys := make([]string, 0, len(l.group.tenants))
	for _, t := range l.group.tenants {
		keys = append(keys, TenantToken(t))
	}
	for {
		stop, err := l.startWatch(ctx, keys)
		if err == nil {
			return stop, nil
		}
		if ctx.Err() != nil || !(transient(err) || errors.Is(err, context.DeadlineExceeded)) {
			return nil, fmt.Errorf("replica: watching the trim bucket: %w", err)
		}
		if err := clock.Sleep(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// startWatch starts one watcher and waits (5 s at most: a request lost in an election
// answers nothing) for its current values.
func (l *Log) startWatch(ctx context.Context, keys []string) (func(), error) {
	wctx, cancel := context.WithCancel(ctx)
	w, err := l.c.trim.WatchFiltered(wctx, keys)
	if err != nil {
		cancel()
		return nil, err
	}
	ready := make(chan struct{})
	go func() {
		defer w.Stop()
		initial := true
		for {
			select {
			case <-wctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil { // the current values are all in
					if initial {
						initial = false
						close(ready)
					}
					continue
				}
				f, err := strconv.ParseUint(string(e.Value()), 10, 64)
				if err != nil || e.Operation() != jetstream.KeyValuePut {
					continue
				}
				l.mu.Lock()
				l.floors[e.Key()] = max(l.floors[e.Key()], f)
				l.mu.Unlock()
			}
		}
	}()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-ready:
		return cancel, nil
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	case <-t.C:
		cancel()
		return nil, context.DeadlineExceeded
	}
}
