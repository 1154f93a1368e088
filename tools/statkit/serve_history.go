package main

import (
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/statkit/statkit/runtime/cluster"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/history"
	"github.com/statkit/statkit/runtime/server"
)

// historyOff is the --history value that turns history off.
const historyOff = "off"

// historyFlags are statkit serve's history flags.
type historyFlags struct {
	dsn          *string
	flushTimeout *time.Duration
}

// addHistoryFlags defines --history and --history-flush-timeout on fl.
func addHistoryFlags(fl *flag.FlagSet) *historyFlags {
	return &historyFlags{
		dsn: fl.String("history", "", "interval history database: the final value of every interval of the reset-mode statistics, for GET /v1/history, statkit report and SQL tools; "+
			"sqlite:PATH or postgres://USER@HOST/DB (the password from PGPASSWORD or ~/.pgpass, or STATKIT_HISTORY, rather than the command line); "+
			"default with --data: sqlite:DATA/history.db; \"off\": none"),
		flushTimeout: fl.Duration("history-flush-timeout", 10*time.Second, "at shutdown, wait this long for history rows not yet committed (what is left is caught up from the log at the next start)"),
	}
}

// options returns the server's history options (nil: no history): the DSN given, else
// SQLite in the data directory in durable mode. The DSN is checked here, so that a typo
// is a usage error before anything starts.
func (f *historyFlags) options(dataDir string, log *slog.Logger) (*server.HistoryOptions, error) {
	dsn := *f.dsn
	switch {
	case dsn == historyOff:
		return nil, nil
	case dsn == "" && dataDir == "":
		return nil, nil
	case dsn == "":
		dsn = "sqlite:" + filepath.Join(dataDir, "history.db")
	}
	d, err := history.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: --history: %v", errUsage, err)
	}
	if *f.flushTimeout <= 0 {
		return nil, fmt.Errorf("%w: --history-flush-timeout must be positive", errUsage)
	}
	if dataDir == "" {
		log.Warn("history without --data: rows the database could not take in time are lost, and nothing is caught up after a restart", "history", d.String())
	}
	log.Info("interval history", "database", d.String())
	return &server.HistoryOptions{DSN: dsn, FlushTimeout: *f.flushTimeout}, nil
}

// replica adapts history to a replica (--nats): the database's position names the
// stream and the group of tenants it follows (their records share the stream's sequence
// numbers); a PostgreSQL database is shared by the group's replicas, so only the one
// holding the clock's lease writes, while a SQLite file is each replica's own.
func (f *historyFlags) replica(h *server.HistoryOptions, node *cluster.Node, rf *replicaFlags, cfg *config.Config, log *slog.Logger) error {
	if h == nil {
		return nil
	}
	tenants, err := rf.tenantsOf(cfg)
	if err != nil {
		return err
	}
	h.Stream = "nats:" + node.Client().Stream() + "/" + strings.Join(tenants, ",")
	if d, _ := history.ParseDSN(h.DSN); d.Backend == history.Postgres {
		h.Writes = node.HoldsClock
		log.Info("history: a database shared by the replicas; the one holding the clock's lease writes it", "stream", h.Stream)
	}
	return nil
}
