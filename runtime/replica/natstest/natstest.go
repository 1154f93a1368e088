// Package natstest runs a JetStream cluster in process for tests: n nats-server nodes on
// loopback with free ports and temporary store directories, that a test can kill and
// restart (a restarted node keeps its name, ports and store).
package natstest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// MaxPayload is the nodes' max_payload (as replica.MaxPayload).
const MaxPayload = 8 << 20

// Cluster is an in-process JetStream cluster.
type Cluster struct {
	nodes []*Node
	dir   string // removed at Shutdown when New made it
}

// Node is one server of a Cluster.
type Node struct {
	Name string
	opts server.Options
	srv  *server.Server
}

// Server returns the node's running server (nil while it is down).
func (n *Node) Server() *server.Server { return n.srv }

// URL returns the node's client URL (the same across restarts).
func (n *Node) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.opts.Port) }

// freePorts returns k distinct ports free on loopback now.
func freePorts(k int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range k {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("natstest: finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Start starts an n-node cluster storing in the test's temporary directory and waits
// until it is ready; it is shut down when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	c, err := start(n, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	return c
}

// New starts an n-node cluster storing in a new temporary directory (removed at
// Shutdown), for a TestMain or a benchmark harness that has no testing.TB.
func New(n int) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "natstest-*")
	if err != nil {
		return nil, err
	}
	c, err := start(n, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.dir = dir
	return c, nil
}

func start(n int, dir string) (*Cluster, error) {
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i]))
	}
	c := &Cluster{}
	for i := range n {
		name := fmt.Sprintf("n%d", i+1)
		c.nodes = append(c.nodes, &Node{Name: name, opts: server.Options{
			ServerName: name,
			Host:       "127.0.0.1",
			Port:       ports[i],
			JetStream:  true,
			StoreDir:   filepath.Join(dir, name),
			MaxPayload: MaxPayload,
			NoSigs:     true,
			NoLog:      true,
			Cluster: server.ClusterOpts{
				Name: "statkit-test",
				Host: "127.0.0.1",
				Port: ports[n+i],
			},
			Routes: server.RoutesFromStr(strings.Join(routes, ",")),
		}})
	}
	for i := range c.nodes {
		if err := c.start(i); err != nil {
			c.Shutdown()
			return nil, err
		}
	}
	if err := c.waitReady(60 * time.Second); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(i int) error {
	nd := c.nodes[i]
	opts := nd.opts // a copy: the server fills in its options
	srv, err := server.NewServer(&opts)
	if err != nil {
		return fmt.Errorf("natstest: node %s: %w", nd.Name, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("natstest: node %s did not start", nd.Name)
	}
	nd.srv = srv
	return nil
}

// WaitReady waits until the running nodes agree on a JetStream meta leader that knows
// them all and are current, failing the test after d.
func (c *Cluster) WaitReady(t testing.TB, d time.Duration) {
	t.Helper()
	if err := c.waitReady(d); err != nil {
		t.Fatal(err)
	}
}

func (c *Cluster) waitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		leaders, current, up, peers := 0, 0, 0, 0
		for _, nd := range c.nodes {
			if nd.srv == nil {
				continue
			}
			up++
			if nd.srv.JetStreamIsLeader() {
				leaders++
				peers = len(nd.srv.JetStreamClusterPeers())
			}
			if nd.srv.JetStreamIsCurrent() {
				current++
			}
		}
		if leaders == 1 && current == up && peers >= up {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("natstest: the cluster is not ready after " + d.String())
}

// Nodes returns the cluster's nodes.
func (c *Cluster) Nodes() []*Node { return c.nodes }

// URLs returns every node's client URL.
func (c *Cluster) URLs() []string {
	var out []string
	for _, nd := range c.nodes {
		out = append(out, nd.URL())
	}
	return out
}

// Kill shuts node i down at once (connections dropped, RAFT groups stopped).
func (c *Cluster) Kill(i int) {
	nd := c.nodes[i]
	if nd.srv == nil {
		return
	}
	nd.srv.Shutdown()
	nd.srv.WaitForShutdown()
	nd.srv = nil
}

// Restart starts node i again with its name, ports and store.
func (c *Cluster) Restart(t testing.TB, i int) {
	t.Helper()
	if c.nodes[i].srv != nil {
		c.Kill(i)
	}
	if err := c.start(i); err != nil {
		t.Fatal(err)
	}
}

// StreamLeader returns the index of the node leading the stream in the global account
// ($G), or -1.
func (c *Cluster) StreamLeader(stream string) int {
	for i, nd := range c.nodes {
		if nd.srv != nil && nd.srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// Shutdown stops every node (and removes the store New made).
func (c *Cluster) Shutdown() {
	for i := range c.nodes {
		c.Kill(i)
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}
