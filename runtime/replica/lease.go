package replica

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/statkit/statkit/internal/clock"
)

// Lease is a named lease in the key-value bucket <stream>_leases: at most one process
// holds it at a time. The holder renews it every third of Options.LeaseTTL with a
// revision-checked update; the bucket's TTL removes a key nobody renewed for LeaseTTL, and
// the other candidates, trying to create the key every quarter of LeaseTTL, take it over.
// The holder stops considering itself the holder LeaseTTL (less a tenth, for clock rates)
// after sending its last successful renewal, which is before the key can expire on the
// server: two processes never both hold it, short of a clock running a tenth too fast.
// (Records the holder appends are fenced besides: see Log.AppendAfter.)
type Lease struct {
	c   *Client
	key string

	mu    sync.Mutex
	held  bool
	until time.Time // the holder's deadline
	since time.Time
}

// LeaseInfo is what a lease's key holds.
type LeaseInfo struct {
	// Holder is the holding process's Options.ID ("" when nobody holds the lease).
	Holder string `json:"holder"`
	// Since is when it took the lease.
	Since time.Time `json:"since"`
	// Renewed is when it last renewed it.
	Renewed time.Time `json:"renewed"`
}

// Lease returns the lease of the given name (a group's clock and sources: the group's
// name). The name must be a valid key: letters, digits, '-', '_', '=', '/' and '.'.
func (c *Client) Lease(name string) *Lease { return &Lease{c: c, key: name} }

// Name returns the lease's name.
func (l *Lease) Name() string { return l.key }

// Held reports whether this process holds the lease now.
func (l *Lease) Held() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held && time.Now().Before(l.until)
}

// Holder reads who holds the lease (Holder "" when nobody does).
func (l *Lease) Holder(ctx context.Context) (LeaseInfo, error) {
	e, err := l.c.leases.Get(ctx, l.key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return LeaseInfo{}, nil
	}
	if err != nil {
		return LeaseInfo{}, fmt.Errorf("replica: reading lease %s: %w", l.key, err)
	}
	var in LeaseInfo
	if err := json.Unmarshal(e.Value(), &in); err != nil {
		return LeaseInfo{}, fmt.Errorf("replica: lease %s holds %q: %w", l.key, e.Value(), err)
	}
	if time.Since(e.Created()) > l.c.opts.LeaseTTL { // expired, not removed yet
		return LeaseInfo{}, nil
	}
	return in, nil
}

// Run campaigns for the lease until ctx ends. Each time this process gets it, Run calls
// lead in a goroutine with a context that ends when the lease is lost (or ctx ends) and
// waits for lead to return before campaigning again. When ctx ends while holding, the
// lease is released (deleted) so that another process takes it over at once.
func (l *Lease) Run(ctx context.Context, lead func(ctx context.Context)) error {
	ttl := l.c.opts.LeaseTTL
	poll, renew, margin := ttl/4, ttl/3, ttl/10
	for {
		rev, sent, err := l.acquire(ctx)
		if err != nil {
			return err
		}
		if rev == 0 {
			if err := clock.Sleep(ctx, poll); err != nil {
				return err
			}
			continue
		}
		now := time.Now()
		l.mu.Lock()
		l.held, l.until, l.since = true, sent.Add(ttl-margin), now
		l.mu.Unlock()
		l.c.log.Info("replica: lease taken", "lease", l.key, "holder", l.c.opts.ID)
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			lead(lctx)
		}()
		rev = l.hold(ctx, rev, renew, margin)
		cancel()
		<-done
		l.mu.Lock()
		l.held = false
		l.mu.Unlock()
		if ctx.Err() != nil {
			if rev != 0 {
				dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Second)
				if err := l.c.leases.Delete(dctx, l.key, jetstream.LastRevision(rev)); err != nil {
					l.c.log.Warn("replica: releasing the lease (it expires instead)", "lease", l.key, "err", err)
				}
				dcancel()
			}
			return ctx.Err()
		}
		l.c.log.Warn("replica: lease lost", "lease", l.key, "holder", l.c.opts.ID)
	}
}

// acquire tries once to create the lease's key; rev 0 means another process holds it.
func (l *Lease) acquire(ctx context.Context) (rev uint64, sent time.Time, err error) {
	now := time.Now()
	val, _ := json.Marshal(LeaseInfo{Holder: l.c.opts.ID, Since: now, Renewed: now})
	actx, cancel := context.WithTimeout(ctx, l.c.opts.LeaseTTL/3)
	defer cancel()
	rev, err = l.c.leases.Create(actx, l.key, val)
	switch {
	case err == nil:
		return rev, now, nil
	case ctx.Err() != nil:
		return 0, now, ctx.Err()
	case errors.Is(err, jetstream.ErrKeyExists) || transient(err) || errors.Is(err, context.DeadlineExceeded):
		return 0, now, nil
	}
	return 0, now, fmt.Errorf("replica: taking lease %s: %w", l.key, err)
}

// hold renews the lease until it is lost or ctx ends, and returns the last revision
// written (0 when the lease was lost).
func (l *Lease) hold(ctx context.Context, rev uint64, every, margin time.Duration) uint64 {
	ttl := l.c.opts.LeaseTTL
	next := time.Now().Add(every)
	for {
		l.mu.Lock()
		until, since := l.until, l.since
		l.mu.Unlock()
		wait := time.Until(next)
		if d := time.Until(until); d < wait {
			wait = d
		}
		if err := clock.Sleep(ctx, max(wait, 0)); err != nil {
			return rev
		}
		if !time.Now().Before(until) {
			return 0 // could not renew in time
		}
		sent := time.Now()
		val, _ := json.Marshal(LeaseInfo{Holder: l.c.opts.ID, Since: since, Renewed: sent})
		// Not derived from ctx: a renewal cut off by the end of ctx might still be stored,
		// and the release below would then name an old revision and be refused.
		actx, cancel := context.WithTimeout(context.Background(), time.Until(until))
		nrev, err := l.c.leases.Update(actx, l.key, val, rev)
		cancel()
		switch {
		case err == nil:
			rev = nrev
			l.mu.Lock()
			l.until = sent.Add(ttl - margin)
			l.mu.Unlock()
			next = sent.Add(every)
		case errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyNotFound):
			return 0 // expired and taken, or expired
		default:
			next = time.Now().Add(ttl / 20) // transient: try again soon
		}
	}
}

// LeadTicks appends the group's clock: for each value received from ticks it appends the
// record next returns, under the group's home tenant, chained with AppendAfter from the
// last record of the same kind in the stream (so that a new holder continues the chain
// and a stale one cannot extend it). next gets the previous tick record (nil when there
// is none yet) and the tick's time, and returns the next record (its first byte is the
// kind) or nil to skip this tick. LeadTicks returns when ctx ends (ctx.Err()), when
// another process appended a tick (ErrConflict: it holds the clock now), or on an error.
// Run it as a lease's lead function: Lease.Run(ctx, func(ctx) { log.LeadTicks(ctx, …) }).
func (l *Log) LeadTicks(ctx context.Context, kind byte, ticks <-chan time.Time, next func(prev []byte, now time.Time) []byte) error {
	last, prev, err := l.Last(ctx, kind)
	if err != nil {
		return err
	}
	for {
		var now time.Time
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now = <-ticks:
		}
		rec := next(prev, now)
		if rec == nil {
			continue
		}
		if rec[0] != kind {
			return fmt.Errorf("replica: a tick record of kind %q, want %q", rec[0], kind)
		}
		seq, err := l.AppendAfter(ctx, rec, last)
		if err != nil {
			return err
		}
		last, prev = seq, rec
	}
}
