package replica

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/statkit/statkit/internal/clock"
)

// Member is a replica as it announces itself in the key-value bucket <stream>_replicas,
// so that a client (or a load balancer's discovery) finds the replicas of a tenant.
type Member struct {
	// ID is the replica's Options.ID.
	ID string `json:"id"`
	// Group is the name of the group it serves, Tenants its tenants.
	Group   string   `json:"group"`
	Tenants []string `json:"tenants"`
	// URL is where its HTTP API listens (as clients should reach it).
	URL string `json:"url"`
	// Applied is the last record it applied, CaughtUp whether it was caught up, Leader
	// whether it held the group's lease, when it last announced itself (Updated).
	Applied  uint64    `json:"applied"`
	CaughtUp bool      `json:"caughtUp"`
	Leader   bool      `json:"leader"`
	Updated  time.Time `json:"updated"`
	// Pin, when set, is the oldest record this replica's interval history may still need
	// to re-derive rows from (its database's position; with a database the replicas
	// share, that position as it last read it while another replica writes, since it may
	// take over writing): the group's trimming keeps the newest snapshot at or before it
	// and every record after it (Log.SetRetentionPin). Absent: no history.
	Pin *uint64 `json:"pin,omitempty"`
}

// memberKey makes a key-value key of a replica id (letters, digits, '-', '_', '=', '/',
// '.'; anything else becomes '_').
func memberKey(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_=/.", c) >= 0) {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// Announce publishes this replica in the members bucket every LeaseTTL, with what
// describe returns then (ID and Updated are filled in), until ctx ends; then it removes
// it. An announcement not renewed for three LeaseTTLs expires.
func (c *Client) Announce(ctx context.Context, describe func() Member) error {
	key := memberKey(c.opts.ID)
	for {
		m := describe()
		m.ID, m.Updated = c.opts.ID, time.Now().UTC()
		b, _ := json.Marshal(m)
		pctx, cancel := context.WithTimeout(ctx, c.opts.LeaseTTL)
		_, err := c.members.Put(pctx, key, b)
		cancel()
		if err != nil && ctx.Err() == nil && !transient(err) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("replica: announcing %s: %w", c.opts.ID, err)
		}
		if err := clock.Sleep(ctx, c.opts.LeaseTTL); err != nil {
			dctx, dcancel := context.WithTimeout(context.Background(), time.Second)
			_ = c.members.Delete(dctx, key)
			dcancel()
			return err
		}
	}
}

// Members returns the replicas announced now, sorted by group then id.
func (c *Client) Members(ctx context.Context) ([]Member, error) {
	lister, err := c.members.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replica: listing members: %w", err)
	}
	defer lister.Stop()
	var out []Member
	for key := range lister.Keys() {
		e, err := c.members.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("replica: reading member %s: %w", key, err)
		}
		var m Member
		if json.Unmarshal(e.Value(), &m) != nil {
			continue
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Member) int {
		if c := strings.Compare(a.Group, b.Group); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// ReplicasOf returns the members serving tenant, caught-up ones first.
func ReplicasOf(members []Member, tenant string) []Member {
	var out []Member
	for _, m := range members {
		if slices.Contains(m.Tenants, tenant) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b Member) int {
		switch {
		case a.CaughtUp == b.CaughtUp:
			return 0
		case a.CaughtUp:
			return -1
		}
		return 1
	})
	return out
}
