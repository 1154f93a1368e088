package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/replica"
)

// Options configure a Node.
type Options struct {
	// NATS is statkit serve's --nats: "embedded", "embedded:HOST:PORT" or URL[,URL…]
	// (replica.ParseSpec).
	NATS string
	// Creds is a NATS credentials file (--nats-creds), or empty.
	Creds string
	// Stream names the stream, its subjects' prefix and its buckets (--stream; default
	// replica.DefaultStream).
	Stream string
	// Tenants are the tenants this replica serves (--tenants; statkit serve gives every
	// tenant of the config by default). Required.
	Tenants []string
	// DataDir, when set, holds the local cache of the group's snapshots
	// (DataDir/replica/<stream>/<group>) and, with an embedded server, its store
	// (DataDir/nats). Without it an embedded server stores in a temporary directory.
	DataDir string
	// Advertise is the URL clients reach this replica's API at, announced in the
	// replicas bucket.
	Advertise string
	// ID names this replica (default host-pid-random).
	ID string
	// LeaseTTL, KeepSnapshots: see replica.Options (defaults 3 s and 2).
	LeaseTTL      time.Duration
	KeepSnapshots int
	// Logger receives the node's logs (nil: slog.Default()).
	Logger *slog.Logger
}

// Node is a replica's connection to the deployment: the stream, its group's lease, its
// announcement, and its Log.
type Node struct {
	opts  Options
	log   *slog.Logger
	emb   *replica.Embedded
	c     *replica.Client
	rl    *replica.Log
	lease *replica.Lease
	lg    *Log

	bg     context.CancelFunc // ends the announcement
	bgDone sync.WaitGroup
	adv    atomic.Pointer[string] // the URL announced
}

// refreshEvery is how often the status (/healthz, /metrics) is checked.
const refreshEvery = 500 * time.Millisecond

// Start connects to NATS (starting the embedded server first when asked), opens the
// stream and buckets, claims the group's tenants — failing with a *replica.OverlapError
// when another group serves one of them — and announces the replica.
func Start(ctx context.Context, opts Options) (*Node, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if len(opts.Tenants) == 0 {
		return nil, errors.New("cluster: no tenant to serve")
	}
	spec, err := replica.ParseSpec(opts.NATS)
	if err != nil {
		return nil, err
	}
	n := &Node{opts: opts, log: opts.Logger}
	n.SetAdvertise(opts.Advertise)
	if spec.Embedded {
		dir := ""
		if opts.DataDir != "" {
			dir = filepath.Join(opts.DataDir, "nats")
		}
		if n.emb, err = replica.StartEmbedded(spec.Listen, dir); err != nil {
			return nil, err
		}
		spec.URLs = []string{n.emb.URL()}
		n.log.Info("embedded NATS JetStream server", "url", n.emb.URL(), "store", dir)
	}
	n.c, err = replica.Connect(ctx, replica.Options{URLs: spec.URLs, Creds: opts.Creds, Stream: opts.Stream,
		LeaseTTL: opts.LeaseTTL, KeepSnapshots: opts.KeepSnapshots, ID: opts.ID, Logger: opts.Logger})
	if err != nil {
		n.Close()
		return nil, err
	}
	if n.rl, err = n.c.Log(opts.Tenants...); err != nil {
		n.Close()
		return nil, err
	}
	g := n.rl.Group()
	if err := n.rl.Claim(ctx); err != nil {
		n.Close()
		return nil, err
	}
	n.lease = n.c.Lease(g.Name())
	n.lg = &Log{n: n, rl: n.rl, home: g.Home()}
	if opts.DataDir != "" {
		dir := filepath.Join(opts.DataDir, "replica", n.c.Stream(), g.Name())
		id := fmt.Sprintf("stream %s created %s\ngroup %s\n", n.c.Stream(), n.c.StreamCreated().UTC().Format(time.RFC3339Nano), g.Name())
		keep := opts.KeepSnapshots
		if keep <= 0 {
			keep = replica.DefaultKeepSnapshots
		}
		if n.lg.cache, err = openCache(dir, id, keep, n.log); err != nil {
			n.Close()
			return nil, err
		}
	}
	n.rl.SetTrimLimit(n.trimLimit)
	n.rl.SetRetentionPin(n.retentionPin)
	n.lg.refresh(ctx)
	bctx, cancel := context.WithCancel(context.Background())
	n.bg = cancel
	n.bgDone.Add(1)
	go func() {
		defer n.bgDone.Done()
		// Announced from the start: a replica catching up holds back trimming of the
		// records it still needs (trimLimit).
		err := n.c.Announce(bctx, n.describe)
		if err != nil && bctx.Err() == nil {
			n.log.Error("cluster: announcing this replica", "err", err)
		}
	}()
	n.log.Info("replica", "id", n.c.ID(), "stream", n.c.Stream(), "group", g.Name(), "replicas", n.c.Replicas())
	return n, nil
}

// Log returns the replica's log (the server's Options.Log).
func (n *Node) Log() *Log { return n.lg }

// Client returns the node's JetStream client.
func (n *Node) Client() *replica.Client { return n.c }

// HoldsClock reports whether this replica holds its group's clock now (the server's
// Options.HoldsClock).
func (n *Node) HoldsClock() bool { return n.lg.holdsClock() }

// MaxRecord is the largest record the NATS servers take (the server's body limit must
// stay below it).
func (n *Node) MaxRecord() int { return n.c.MaxRecord() }

// SetAdvertise sets the URL announced for this replica's API (Options.Advertise).
func (n *Node) SetAdvertise(url string) { n.adv.Store(&url) }

// describe is the replica's announcement.
func (n *Node) describe() replica.Member {
	st := n.lg.ReplicaStatus()
	m := replica.Member{Group: n.rl.Group().Name(), Tenants: n.rl.Group().Tenants(), URL: *n.adv.Load(),
		Applied: n.rl.Status().Applied, CaughtUp: st.CaughtUp, Leader: n.lease.Held()}
	if pin, ok := n.lg.pinned(); ok {
		m.Pin = &pin
	}
	return m
}

// trimLimit is the lowest record the group's live replicas have applied (this one
// included): the stream is not trimmed past it.
func (n *Node) trimLimit(ctx context.Context) (uint64, error) {
	limit := n.rl.Status().Applied
	ms, err := n.c.Members(ctx)
	if err != nil {
		return 0, err
	}
	name := n.rl.Group().Name()
	for _, m := range ms {
		if m.Group == name {
			limit = min(limit, m.Applied)
		}
	}
	return limit, nil
}

// Run campaigns for the group's lease until ctx ends, then releases it. While this
// replica holds it, ticks are appended (HoldsClock) and lead, when not nil, runs with a
// context that ends when the lease is lost. Run also renews the group's tenant claims
// and checks the replica's status every half second.
func (n *Node) Run(ctx context.Context, lead func(ctx context.Context)) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.maintain(ctx)
	}()
	err := n.lease.Run(ctx, func(lctx context.Context) {
		// Continue the chain of ticks from the last one in the stream.
		last, _, err := n.rl.Last(lctx, machine.KindTick)
		if err != nil {
			if lctx.Err() == nil {
				n.log.Error("cluster: reading the last tick; not ticking", "err", err)
			}
			return
		}
		n.lg.setChain(true, last)
		defer n.lg.setChain(false, 0)
		n.log.Info("cluster: this replica holds the clock", "group", n.rl.Group().Name(), "lastTick", last)
		if lead != nil {
			lead(lctx)
		}
		<-lctx.Done()
	})
	wg.Wait()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// maintain checks the status and renews the tenant claims until ctx ends.
func (n *Node) maintain(ctx context.Context) {
	t := time.NewTicker(refreshEvery)
	defer t.Stop()
	claimEvery := n.c.LeaseTTL()
	lastClaim := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n.lg.refresh(ctx)
		if time.Since(lastClaim) < claimEvery {
			continue
		}
		lastClaim = time.Now()
		cctx, cancel := context.WithTimeout(ctx, claimEvery)
		err := n.rl.Claim(cctx)
		cancel()
		var oe *replica.OverlapError
		if errors.As(err, &oe) {
			n.log.Error("cluster: another group claimed a tenant of this one; read-only from now on", "err", err)
			n.lg.fail(err)
		}
	}
}

// Close closes the NATS connection (a lease this replica holds is not released: it
// expires; cancel Run's context first for a clean stop) and stops an embedded server.
func (n *Node) Close() error {
	if n.bg != nil {
		n.bg()
		n.bgDone.Wait()
	}
	if n.c != nil {
		n.c.Close()
	}
	if n.emb != nil {
		n.emb.Shutdown()
	}
	return nil
}

// Kill closes the NATS connection at once, without releasing the lease, removing the
// replica's announcement or writing a last snapshot: what a crash of the process does to
// the deployment. The other replicas take the lease over once it expires (LeaseTTL).
// For failure tests and the failover benchmark (internal/perf/failoverbench); the server
// over the node fails read-only and should be stopped.
func (n *Node) Kill() {
	if n.c != nil {
		n.c.Close()
	}
	if n.bg != nil {
		n.bg()
		n.bgDone.Wait()
	}
}
