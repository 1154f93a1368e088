package replica

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// MaxPayload is the max_payload of the servers this package starts (the embedded one and
// natstest's): 8 MiB, NATS's recommended ceiling, so a record holds a batch of tens of
// thousands of events. A deployment's own servers should be configured alike
// (max_payload: 8MB); Client.MaxRecord reports what the connected server allows.
const MaxPayload = 8 << 20

// DefaultEmbeddedListen is where `--nats embedded` listens: the standard NATS port on the
// loopback interface, so that further statkit processes on the same machine join with
// --nats nats://127.0.0.1:4222.
const DefaultEmbeddedListen = "127.0.0.1:4222"

// Spec is a parsed --nats value.
type Spec struct {
	// URLs are the servers to connect to (a comma-separated list of nats:// URLs or
	// host:port).
	URLs []string
	// Embedded: run an in-process single-node JetStream server listening on Listen.
	Embedded bool
	Listen   string
}

// ParseSpec parses a --nats value: "embedded", "embedded:HOST:PORT", or URL[,URL…].
func ParseSpec(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	if s == "embedded" {
		return Spec{Embedded: true, Listen: DefaultEmbeddedListen}, nil
	}
	if addr, ok := strings.CutPrefix(s, "embedded:"); ok {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return Spec{}, fmt.Errorf("--nats %s: %v (embedded:HOST:PORT)", s, err)
		}
		return Spec{Embedded: true, Listen: addr}, nil
	}
	var sp Spec
	for _, u := range strings.Split(s, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.Contains(u, "://") {
			u = "nats://" + u
		}
		sp.URLs = append(sp.URLs, u)
	}
	if len(sp.URLs) == 0 {
		return Spec{}, errors.New("--nats: no server URL (embedded, or URL[,URL…])")
	}
	return sp, nil
}

// Embedded is an in-process single-node JetStream server.
type Embedded struct {
	srv *server.Server
	tmp string
}

// StartEmbedded starts a single-node JetStream server listening on listen (host:port;
// port 0 picks one), storing in dir (a temporary directory, removed at Shutdown, when
// dir is empty).
func StartEmbedded(listen, dir string) (*Embedded, error) {
	host, ps, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("replica: embedded server address %q: %w", listen, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return nil, fmt.Errorf("replica: embedded server port %q: %w", ps, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	} else {
		// The server does not report a failed listen (it logs it and waits): check first.
		l, err := net.Listen("tcp", listen)
		if err != nil {
			return nil, fmt.Errorf("replica: embedded NATS server: %w", err)
		}
		l.Close()
	}
	e := &Embedded{}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "statkit-nats-*"); err != nil {
			return nil, fmt.Errorf("replica: %w", err)
		}
		e.tmp = dir
	}
	opts := &server.Options{
		ServerName: "statkit-embedded",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		MaxPayload: MaxPayload,
		NoSigs:     true,
		NoLog:      true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		e.cleanup()
		return nil, fmt.Errorf("replica: embedded NATS server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		e.cleanup()
		return nil, fmt.Errorf("replica: embedded NATS server did not start listening on %s", listen)
	}
	e.srv = srv
	return e, nil
}

// URL returns the server's client URL.
func (e *Embedded) URL() string { return e.srv.ClientURL() }

// Shutdown stops the server (and removes its temporary directory, if it made one).
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	e.cleanup()
}

func (e *Embedded) cleanup() {
	if e.tmp != "" {
		os.RemoveAll(e.tmp)
	}
}
