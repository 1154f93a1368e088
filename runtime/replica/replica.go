package replica

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/statkit/statkit/internal/clock"
)

// Defaults of Options.
const (
	DefaultStream          = "statkit"
	DefaultDuplicateWindow = 10 * time.Minute
	DefaultLeaseTTL        = 3 * time.Second
	DefaultKeepSnapshots   = 2
)

// Options configure a Client.
type Options struct {
	// URLs are the NATS servers to connect to (any of them; the client learns the rest
	// of the cluster). statkit serve takes them from --nats URL[,URL…].
	URLs []string
	// Creds is a NATS credentials file (--nats-creds), or empty.
	Creds string
	// Stream is the JetStream stream's name and subject prefix (--stream), default
	// DefaultStream. It names the buckets too: <Stream>_leases, <Stream>_trim,
	// <Stream>_replicas, <Stream>_tenants (key-value) and <Stream>_snapshots (object
	// store).
	Stream string
	// Replicas is the replication factor of a stream or bucket created by Connect; 0 means
	// min(3, cluster size). An existing stream keeps its own.
	Replicas int
	// DuplicateWindow is how long JetStream remembers a message id to refuse a duplicate
	// (default DefaultDuplicateWindow). Beyond it the engine's own idempotency key table
	// decides.
	DuplicateWindow time.Duration
	// LeaseTTL is how long a lease outlives its holder's last renewal (default
	// DefaultLeaseTTL): a dead holder's lease is taken over within about LeaseTTL plus a
	// quarter of it.
	LeaseTTL time.Duration
	// KeepSnapshots is how many snapshots of a group are kept (default 2); the stream is
	// trimmed below the oldest one kept.
	KeepSnapshots int
	// ID names this process in leases and logs (default host-pid-random).
	ID string
	// Name names the NATS connection (default "statkit <ID>").
	Name string
	// Logger receives warnings (default slog.Default()).
	Logger *slog.Logger
	// ConnectTimeout bounds Connect (default 10s).
	ConnectTimeout time.Duration
}

// Client is a connection to a JetStream deployment holding statkit's records: the stream
// of records, the snapshot object store, the lease and trim key-value buckets. It is safe
// for concurrent use; Log returns the view of one group of tenants.
type Client struct {
	opts     Options
	log      *slog.Logger
	nc       *nats.Conn
	js       jetstream.JetStream
	stream   jetstream.Stream
	replicas int
	leases   jetstream.KeyValue
	trim     jetstream.KeyValue
	members  jetstream.KeyValue
	tenants  jetstream.KeyValue // tenant token → the group serving it (claims.go)
	snaps    jetstream.ObjectStore
	snapsStr jetstream.Stream // the object store's stream, listed without a consumer

	// done ends when the connection is closed: operations bounded by a timeout alone
	// (opContext) end with it. An object store Put waits for its asynchronous
	// publications' acknowledgements, which a closed connection never delivers: a
	// replica stopping after losing its connection waited the whole timeout for its
	// last snapshot.
	done     context.Context
	closeNow context.CancelFunc
}

// Connect connects to NATS and opens (creating when missing) the stream and buckets.
func Connect(ctx context.Context, opts Options) (*Client, error) {
	if len(opts.URLs) == 0 {
		return nil, errors.New("replica: no NATS server URL")
	}
	if opts.Stream == "" {
		opts.Stream = DefaultStream
	}
	if err := checkName(opts.Stream); err != nil {
		return nil, err
	}
	if opts.DuplicateWindow <= 0 {
		opts.DuplicateWindow = DefaultDuplicateWindow
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.KeepSnapshots <= 0 {
		opts.KeepSnapshots = DefaultKeepSnapshots
	}
	if opts.ID == "" {
		opts.ID = defaultID()
	}
	if opts.Name == "" {
		opts.Name = "statkit " + opts.ID
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	c := &Client{opts: opts, log: opts.Logger}
	c.done, c.closeNow = context.WithCancel(context.Background())
	nopts := []nats.Option{
		nats.ClosedHandler(func(*nats.Conn) { c.closeNow() }),
		nats.Name(opts.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.Timeout(opts.ConnectTimeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				c.log.Warn("replica: disconnected from NATS", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			c.log.Info("replica: reconnected to NATS", "server", nc.ConnectedUrlRedacted())
		}),
	}
	if opts.Creds != "" {
		nopts = append(nopts, nats.UserCredentials(opts.Creds))
	}
	nc, err := nats.Connect(strings.Join(opts.URLs, ","), nopts...)
	if err != nil {
		c.closeNow()
		return nil, fmt.Errorf("replica: connecting to NATS %s: %w", strings.Join(opts.URLs, ","), err)
	}
	c.nc = nc
	if err := c.open(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// checkName checks a stream name: it prefixes subjects and names buckets.
func checkName(s string) error {
	if s == "" {
		return errors.New("replica: empty stream name")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("replica: stream name %q: only letters, digits, '-' and '_'", s)
		}
	}
	return nil
}

func defaultID() string {
	h, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", h, os.Getpid(), hex.EncodeToString(b[:]))
}

// attempt runs op with a per-attempt deadline and tries again on a transient failure
// (a request lost in a leader election answers nothing: only a deadline ends it) until
// ctx ends.
func attempt(ctx context.Context, what string, op func(ctx context.Context) error) error {
	return attemptWithin(ctx, 5*time.Second, what, op)
}

// attemptWithin is attempt with a deadline of d per attempt.
func attemptWithin(ctx context.Context, d time.Duration, what string, op func(ctx context.Context) error) error {
	retry := clock.Backoff{Min: 50 * time.Millisecond, Max: time.Second}
	for {
		actx, cancel := context.WithTimeout(ctx, d)
		err := op(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !(transient(err) || errors.Is(err, context.DeadlineExceeded)) {
			return fmt.Errorf("replica: %s: %w", what, err)
		}
		if err := clock.Sleep(ctx, retry.Next()); err != nil {
			return fmt.Errorf("replica: %s: %w", what, err)
		}
	}
}

// open creates or binds the stream and the buckets.
func (c *Client) open(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout+20*time.Second)
	defer cancel()
	js, err := jetstream.New(c.nc)
	if err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	c.js = js
	name := c.opts.Stream
	var found bool
	err = attempt(ctx, "stream "+name, func(ctx context.Context) error {
		st, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil
		}
		if err == nil {
			c.stream, found = st, true
		}
		return err
	})
	if err != nil {
		return err
	}
	if found {
		cfg := c.stream.CachedInfo().Config
		c.replicas = cfg.Replicas
		if !slices.Contains(cfg.Subjects, name+".>") {
			return fmt.Errorf("replica: stream %s exists with subjects %v, not %s.> (another application's stream? use --stream)",
				name, cfg.Subjects, name)
		}
		if cfg.Duplicates < c.opts.DuplicateWindow {
			c.log.Warn("replica: the stream's duplicate window is shorter than asked; the engine's key table covers the rest",
				"stream", name, "window", cfg.Duplicates, "asked", c.opts.DuplicateWindow)
		}
		if cfg.AllowDirect {
			c.log.Warn("replica: the stream allows direct gets, which a follower may answer from behind the leader: a replica may think itself caught up a moment early; turn them off with `nats stream edit --no-allow-direct`",
				"stream", name)
		}
		if c.opts.Replicas > 0 && c.replicas != c.opts.Replicas {
			c.log.Warn("replica: the stream exists with another replication factor; keeping it",
				"stream", name, "replicas", c.replicas, "asked", c.opts.Replicas)
		}
	} else {
		err = c.tryReplicas(func(r int) error {
			return attempt(ctx, "creating stream "+name, func(ctx context.Context) error {
				st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
					Name:        name,
					Description: "statkit records (see runtime/replica)",
					Subjects:    []string{name + ".>"},
					Storage:     jetstream.FileStorage,
					Replicas:    r,
					Retention:   jetstream.LimitsPolicy,
					Discard:     jetstream.DiscardNew,
					MaxMsgs:     -1,
					MaxBytes:    -1,
					Duplicates:  c.opts.DuplicateWindow,
					// No direct gets: a follower may answer them from behind the
					// leader, and a replica waiting for the last record (WaitApplied,
					// catching up, the tick chain) must see it. Reads go to the leader.
					AllowDirect: false,
					DenyDelete:  true,
				})
				if err == nil {
					c.stream, c.replicas = st, r
				}
				return err
			})
		})
		if err != nil {
			return err
		}
	}
	r := c.replicas
	kv := func(what string, dst *jetstream.KeyValue, cfg jetstream.KeyValueConfig) error {
		cfg.History, cfg.Storage, cfg.Replicas = 1, jetstream.FileStorage, r
		return attempt(ctx, what, func(ctx context.Context) error {
			b, err := js.CreateOrUpdateKeyValue(ctx, cfg)
			*dst = b
			return err
		})
	}
	if err := kv("lease bucket", &c.leases, jetstream.KeyValueConfig{
		Bucket: name + "_leases", Description: "statkit leases (clock and sources of a group)", TTL: c.opts.LeaseTTL,
	}); err != nil {
		return err
	}
	if err := kv("trim bucket", &c.trim, jetstream.KeyValueConfig{
		Bucket: name + "_trim", Description: "statkit: per tenant, the stream sequence below which records were trimmed",
	}); err != nil {
		return err
	}
	if err := kv("members bucket", &c.members, jetstream.KeyValueConfig{
		Bucket: name + "_replicas", Description: "statkit replicas announced (see Client.Announce)", TTL: 3 * c.opts.LeaseTTL,
	}); err != nil {
		return err
	}
	if err := kv("tenants bucket", &c.tenants, jetstream.KeyValueConfig{
		Bucket: name + "_tenants", Description: "statkit: per tenant, the group of replicas serving it (see Log.Claim)", TTL: 3 * c.opts.LeaseTTL,
	}); err != nil {
		return err
	}
	err = attempt(ctx, "snapshot bucket", func(ctx context.Context) error {
		o, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: name + "_snapshots", Description: "statkit snapshots, <group>/<stream sequence>",
			Storage: jetstream.FileStorage, Replicas: r,
		})
		c.snaps = o
		return err
	})
	if err != nil {
		return err
	}
	return attempt(ctx, "snapshot bucket's stream", func(ctx context.Context) error {
		st, err := js.Stream(ctx, "OBJ_"+name+"_snapshots")
		c.snapsStr = st
		return err
	})
}

// tryReplicas calls create with the replication factor asked, or min(3, cluster size):
// 3, then lower while the cluster is too small for it. A cluster still forming answers
// like a small one (its meta leader does not know every peer yet), so a factor is given
// up only after the refusal lasted 10 seconds.
func (c *Client) tryReplicas(create func(r int) error) error {
	if c.opts.Replicas > 0 {
		return create(c.opts.Replicas)
	}
	r := 3
	if c.nc.ConnectedClusterName() == "" {
		r = 1
	}
	since := time.Now()
	for {
		err := create(r)
		var apiErr *jetstream.APIError
		if err == nil || r == 1 || !errors.As(err, &apiErr) {
			return err
		}
		// 10074: replicas > 1 not supported in non-clustered mode; 10023: insufficient
		// resources; 10005: no suitable peers for placement.
		switch apiErr.ErrorCode {
		case 10074:
		case 10023, 10005:
			if time.Since(since) < 10*time.Second {
				time.Sleep(250 * time.Millisecond)
				continue
			}
		default:
			return err
		}
		c.log.Warn("replica: the cluster is too small for the stream's replicas; fewer", "replicas", r, "err", err)
		r--
		since = time.Now()
	}
}

// Replicas returns the stream's replication factor.
func (c *Client) Replicas() int { return c.replicas }

// ID returns this process's id in leases.
func (c *Client) ID() string { return c.opts.ID }

// Stream returns the stream's name.
func (c *Client) Stream() string { return c.opts.Stream }

// Connected reports whether the client is connected to a NATS server now.
func (c *Client) Connected() bool { return c.nc.IsConnected() }

// MaxRecord returns the largest record Append takes: the server's max_payload less room
// for headers. A batch larger than that must be split into several records.
func (c *Client) MaxRecord() int {
	n := int(c.nc.MaxPayload()) - 1024
	if n < 0 {
		return 0
	}
	return n
}

// Close closes the connection. Appends have all been acknowledged when they returned, so
// nothing acknowledged is lost.
func (c *Client) Close() error {
	c.nc.Close()
	c.closeNow()
	return nil
}

// LeaseTTL returns the leases' TTL.
func (c *Client) LeaseTTL() time.Duration { return c.opts.LeaseTTL }
