// Package natstest runs a JetStream cluster in process for tests: n nats-server nodes on
// loopback with free ports and temporary store directories, that a test can kill and
// restart (a restarted node keeps its name, ports and store).
package natstest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// MaxPayload is the nodes' max_payload (as replica.MaxPayload).
const MaxPayload = 8 << 20

// Cluster is an in-process JetStream cluster.
type Cluster struct {
	t     testing.TB
	nodes []*Node
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
func freePorts(t testing.TB, k int) []int {
	var ls []net.Listener
	var ports []int
	for range k {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: finding a free port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// Start starts an n-node cluster and waits until JetStream has a meta leader and every
// node is current. The cluster is shut down when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := freePorts(t, 2*n)
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i]))
	}
	c := &Cluster{t: t}
	for i := range n {
		nd := &Node{Name: fmt.Sprintf("n%d", i+1), opts: server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       ports[i],
			JetStream:  true,
			StoreDir:   t.TempDir(),
			MaxPayload: MaxPayload,
			NoSigs:     true,
			NoLog:      true,
			Cluster: server.ClusterOpts{
				Name: "statkit-test",
				Host: "127.0.0.1",
				Port: ports[n+i],
			},
			Routes: server.RoutesFromStr(strings.Join(routes, ",")),
		}}
		c.nodes = append(c.nodes, nd)
	}
	for i := range c.nodes {
		c.start(i)
	}
	t.Cleanup(c.Shutdown)
	c.WaitReady(30 * time.Second)
	return c
}

func (c *Cluster) start(i int) {
	c.t.Helper()
	nd := c.nodes[i]
	opts := nd.opts // a copy: the server fills in its options
	srv, err := server.NewServer(&opts)
	if err != nil {
		c.t.Fatalf("natstest: node %s: %v", nd.Name, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		c.t.Fatalf("natstest: node %s did not start", nd.Name)
	}
	nd.srv = srv
}

// WaitReady waits until the running nodes agree on a JetStream meta leader and are
// current.
func (c *Cluster) WaitReady(d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		leaders, current, up := 0, 0, 0
		for _, nd := range c.nodes {
			if nd.srv == nil {
				continue
			}
			up++
			if nd.srv.JetStreamIsLeader() {
				leaders++
			}
			if nd.srv.JetStreamIsCurrent() {
				current++
			}
		}
		if leaders == 1 && current == up {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("natstest: the cluster is not ready after %v", d)
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
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if c.nodes[i].srv != nil {
		c.Kill(i)
	}
	c.start(i)
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

// Shutdown stops every node.
func (c *Cluster) Shutdown() {
	for i := range c.nodes {
		c.Kill(i)
	}
}
