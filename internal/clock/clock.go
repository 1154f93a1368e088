// Package clock holds the waits of statkit's retry and polling loops: a sleep that ends
// with its context, and the doubling backoff between attempts. It imports only the
// standard library, so any package may use it.
package clock

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx is done and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Backoff is the wait between the failed attempts of a retry loop: Next returns Min, then
// twice the previous wait, never more than Max; Reset starts again from Min (after a
// success). The zero Backoff waits nothing. A Backoff is not safe for concurrent use.
type Backoff struct {
	Min, Max time.Duration
	next     time.Duration
}

// Next returns the wait before the next attempt and doubles the one after it.
func (b *Backoff) Next() time.Duration {
	d := min(max(b.next, b.Min), b.Max)
	b.next = min(2*d, b.Max)
	return d
}

// Reset makes the next wait Min again.
func (b *Backoff) Reset() { b.next = 0 }
