package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"

	"github.com/statkit/statkit/runtime/cluster"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/replica"
	"github.com/statkit/statkit/runtime/server"
)

// replicaFlags are serve's flags for running as a replica on NATS JetStream
// (docs/replication.md).
type replicaFlags struct {
	nats      string
	stream    string
	creds     string
	tenants   listFlag
	advertise string
}

// addReplicaFlags registers the replication flags on fl.
func addReplicaFlags(fl *flag.FlagSet) *replicaFlags {
	f := &replicaFlags{}
	fl.StringVar(&f.nats, "nats", "", "run as a replica on NATS JetStream: URL[,URL…] of the NATS servers, or embedded (an in-process single-node server on 127.0.0.1:4222; embedded:HOST:PORT elsewhere) — docs/replication.md")
	fl.StringVar(&f.stream, "stream", replica.DefaultStream, "with --nats: the JetStream stream's name (and its subjects' prefix and buckets')")
	fl.StringVar(&f.creds, "nats-creds", "", "with --nats: a NATS credentials file (JWT and nkey)")
	fl.Var(&f.tenants, "tenants", "with --nats: the tenants this replica serves (default: every tenant of the config); repeat or separate with commas")
	fl.StringVar(&f.advertise, "advertise", "", "with --nats: the URL clients reach this replica's API at, announced in the replicas bucket (default: from --addr and the host name)")
	return f
}

// check refuses replication flags without --nats.
func (f *replicaFlags) check() error {
	if f.nats == "" && (len(f.tenants) > 0 || f.creds != "" || f.advertise != "" || f.stream != replica.DefaultStream) {
		return fmt.Errorf("%w: --stream, --nats-creds, --tenants and --advertise need --nats", errUsage)
	}
	if f.nats != "" {
		if _, err := replica.ParseSpec(f.nats); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	return nil
}

// replicaBodyMargin is room left in a record for a batch's header (rejections listed).
const replicaBodyMargin = 64 << 10

// start starts the node when --nats is given (nil, nil otherwise) and points opts at it:
// the log, the clock's lease, a body limit that fits a record. dataDir, when set, holds
// the snapshot cache (and an embedded server's store) instead of a local log.
func (f *replicaFlags) start(ctx context.Context, opts *server.Options, dataDir, addr, scheme string, log *slog.Logger) (*cluster.Node, error) {
	if f.nats == "" {
		return nil, nil
	}
	tenants, err := f.tenantsOf(opts.Config)
	if err != nil {
		return nil, err
	}
	adv := f.advertise
	if adv == "" { // until the listener's address is known (run)
		adv = advertiseURL(scheme, addr)
	}
	node, err := cluster.Start(ctx, cluster.Options{NATS: f.nats, Creds: f.creds, Stream: f.stream, Tenants: tenants,
		DataDir: dataDir, Advertise: adv, Logger: log})
	if err != nil {
		return nil, err
	}
	opts.Log, opts.HoldsClock = node.Log(), node.HoldsClock
	if limit := int64(node.MaxRecord() - replicaBodyMargin); opts.MaxBodyBytes > limit {
		log.Info("the body limit is lowered to fit a NATS message (max_payload); configure the NATS servers with max_payload: 8MB for larger batches",
			"max-body", limit)
		opts.MaxBodyBytes = max(limit, 1)
	}
	return node, nil
}

// tenantsOf returns the tenants to serve: --tenants, each a tenant of cfg, or all of cfg's.
func (f *replicaFlags) tenantsOf(cfg *config.Config) ([]string, error) {
	if len(f.tenants) == 0 {
		return slices.Clone(cfg.Topology.Tenants), nil
	}
	for _, t := range f.tenants {
		if !cfg.Topology.HasTenant(t) {
			return nil, fmt.Errorf("%w: --tenants: the config has no tenant %q (it has %v)", errUsage, t, cfg.Topology.Tenants)
		}
	}
	return f.tenants, nil
}

// run announces the replica at the address it listens on (ln, unless --advertise says
// otherwise) and campaigns for the clock's lease (lead, when not nil, runs while this
// replica holds it: the inputs); the function it returns ends the campaign, releasing the
// lease.
func (f *replicaFlags) run(ctx context.Context, node *cluster.Node, scheme string, ln net.Addr, lead func(ctx context.Context), log *slog.Logger) func() {
	if node == nil {
		return func() {}
	}
	if f.advertise == "" {
		node.SetAdvertise(advertiseURL(scheme, ln.String()))
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := node.Run(ctx, lead); err != nil {
			log.Error("replica: the clock's campaign stopped", "err", err)
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// advertiseURL is the URL a replica listening on addr announces: the host name for an
// unspecified host.
func advertiseURL(scheme, addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "://" + addr + "/"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}
