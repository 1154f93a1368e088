package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/statkit/statkit/runtime/auth"
	"github.com/statkit/statkit/runtime/server"
	"github.com/statkit/statkit/runtime/store"
)

// listFlag is a flag given several times or as a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// securityFlags are serve's flags about who gets in (docs/security.md).
type securityFlags struct {
	tokens         string
	insecure       bool
	tlsCert        string
	tlsKey         string
	corsOrigins    listFlag
	frameAncestors listFlag
	metricsPublic  bool
	quota          auth.Quota
	recoverLossy   bool
}

// addSecurityFlags registers the security flags on fl.
func addSecurityFlags(fl *flag.FlagSet) *securityFlags {
	f := &securityFlags{}
	fl.StringVar(&f.tokens, "tokens", "", "tokens file (YAML, docs/security.md): clients authenticate with Authorization: Bearer TOKEN and get the token's roles (read, ingest, admin); reloaded on SIGHUP")
	fl.BoolVar(&f.insecure, "insecure", false, "serve without --tokens on an address beyond this machine (anyone who reaches it may post events, open and close statistics and reload the config)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain); reloaded on SIGHUP")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	fl.Var(&f.corsOrigins, "cors-origin", "an origin (https://host[:port]) whose pages may call the API: their state-changing requests pass the Origin check and they get CORS answers; repeat or separate with commas")
	fl.Var(&f.frameAncestors, "frame-ancestors", "an origin whose pages may embed the wallboard (CSP frame-ancestors; default: none); repeat or separate with commas")
	fl.BoolVar(&f.metricsPublic, "metrics-public", false, "serve /metrics without a token (default: the read role)")
	fl.IntVar(&f.quota.Statistics, "quota-statistics", auth.DefaultStatisticsQuota, "statistics one token may have open through the API (a token's quota in the tokens file wins; without tokens, all clients together)")
	fl.IntVar(&f.quota.Streams, "quota-streams", auth.DefaultStreamsQuota, "streams one token may have open at once (without tokens: per client address)")
	fl.BoolVar(&f.recoverLossy, "recover-lossy", false, "durable mode: when the data directory's log cannot be restored completely, start from the consistent state and move what follows it into DATA/lost-<time>/ (default: refuse to start and say what is lost)")
	return f
}

// security is what the flags set up.
type security struct {
	guard *auth.Guard
	cert  *auth.Certificate // nil: plain HTTP
}

// setup checks the flags against the listen address and builds the guard and the
// certificate; it fills the server options they concern.
func (f *securityFlags) setup(addr string, log *slog.Logger, opts *server.Options) (*security, error) {
	switch {
	case (f.tlsCert == "") != (f.tlsKey == ""):
		return nil, fmt.Errorf("%w: --tls-cert and --tls-key go together", errUsage)
	case f.quota.Statistics < 0 || f.quota.Streams < 0:
		return nil, fmt.Errorf("%w: --quota-statistics and --quota-streams must not be negative", errUsage)
	case !auth.Loopback(addr) && f.tokens == "" && !f.insecure:
		return nil, fmt.Errorf("%w: --addr %s listens beyond this machine and there is no --tokens file: anyone who reaches it could post events, "+
			"open and close statistics and reload the config. Give --tokens FILE (docs/security.md), or --insecure to serve it open anyway", errUsage, addr)
	}
	if _, err := auth.FrameAncestors(f.corsOrigins); err != nil { // (checks each origin)
		return nil, fmt.Errorf("%w: --cors-origin: %v", errUsage, err)
	}
	sec := &security{}
	var err error
	sec.guard, err = auth.New(auth.Options{TokensFile: f.tokens, CORSOrigins: f.corsOrigins, Quota: f.quota, Logger: log,
		LocalHostOnly: f.tokens == "" && auth.Loopback(addr)})
	if err != nil {
		return nil, err
	}
	if _, err := auth.FrameAncestors(f.frameAncestors); err != nil {
		return nil, fmt.Errorf("%w: --frame-ancestors: %v", errUsage, err)
	}
	if f.tlsCert != "" {
		if sec.cert, err = auth.LoadCertificate(f.tlsCert, f.tlsKey); err != nil {
			return nil, err
		}
		opts.ReloadTLS = sec.cert.Reload
		if left := time.Until(sec.cert.NotAfter()); left < 14*24*time.Hour {
			log.Warn("the TLS certificate expires soon", "notAfter", sec.cert.NotAfter())
		}
	}
	opts.Guard, opts.MetricsPublic, opts.FrameAncestors = sec.guard, f.metricsPublic, f.frameAncestors
	switch {
	case f.tokens == "" && !auth.Loopback(addr):
		log.Warn("serving without authentication beyond this machine (--insecure): anyone who reaches it may change anything", "addr", addr)
	case f.tokens == "":
		log.Info("no --tokens: every client on this machine may do everything (the Origin check still refuses other sites' pages)")
	case sec.cert == nil && !auth.Loopback(addr):
		log.Warn("tokens travel in clear over plain HTTP: give --tls-cert/--tls-key, or put a TLS-terminating proxy in front", "addr", addr)
	}
	return sec, nil
}

// listen wraps ln in TLS when a certificate is set.
func (sec *security) listen(ln net.Listener) net.Listener {
	if sec.cert == nil {
		return ln
	}
	return tls.NewListener(ln, sec.cert.Config())
}

// reload reads the tokens file and the certificate again (SIGHUP); what does not load
// stays as it was, and is logged.
func (sec *security) reload(log *slog.Logger) {
	if err := sec.guard.Reload(); err != nil {
		log.Error("tokens file reload refused; the tokens in use stay", "err", err)
	}
	if sec.cert != nil {
		if err := sec.cert.Reload(); err != nil {
			log.Error("TLS certificate reload refused; the certificate in use stays", "err", err)
		} else {
			log.Info("TLS certificate reloaded", "notAfter", sec.cert.NotAfter())
		}
	}
}

// scheme is the URL scheme the server answers.
func (sec *security) scheme() string {
	if sec.cert != nil {
		return "https"
	}
	return "http"
}

// storeOpenError explains a data directory that recovery refuses.
func storeOpenError(err error, dir string) error {
	var le *store.LossError
	if errors.As(err, &le) {
		return fmt.Errorf("%w\nstatkit refuses to start: its values would miss the records above. Run again with --recover-lossy to start from "+
			"record %d (what follows it is moved to %s/lost-<time>/, nothing is deleted), or restore the data directory from a backup", err, le.End, dir)
	}
	return err
}

// errShutdownStuck: shutdown did not finish in time (a frozen disk).
var errShutdownStuck = errors.New("shutdown did not finish in time (is the data directory's disk frozen?); exiting without a clean shutdown")

// waitServed waits for Serve to return; once ctx is done, at most grace more.
func waitServed(ctxDone <-chan struct{}, served <-chan error, grace time.Duration) error {
	select {
	case err := <-served:
		return err
	case <-ctxDone:
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-served:
		return err
	case <-t.C:
		return errShutdownStuck
	}
}
